import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { checkAgainstCatalogue, type CatalogueCheck } from '../../core/numbers/catalogue-check';
import { checkNumberConfig, type ConfigProblem, type NumberConfig } from '../../core/numbers/config';
import { numberOverrideNote, parseConfigFile } from '../../core/numbers/config-file';
import { toE164 } from '../../core/numbers/e164';
import { dayOf, type Day } from '../../core/openai/models';
import { VersionConflictError, type NumbersStore, type StoredNumber } from '../../core/store/numbers-store';
import { withDataOptions, resolveDataTarget, type DataOptions } from '../data-target';
import { CliError, EXIT } from '../errors';
import { json, shortTime, table } from '../format';
import { paint, type Output } from '../output';

export function numberArgument(value: string): string {
  const e164 = toE164(value);
  if (!e164) throw new CliError(`number "${value}" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)`, EXIT.usage);
  return e164;
}

export async function readConfigFile(path: string): Promise<{ doc: Record<string, unknown>; version?: number }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, EXIT.usage);
  }
  const file = parseConfigFile(path, text);
  if (!file.ok) throw new CliError(file.message, EXIT.usage);
  return file;
}

/** `--on`: a day to check the models on, instead of today. */
function dayArgument(value: string): Day {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)) || dayOf(new Date(value)) !== value) {
    throw new CliError(`--on "${value}" is not a day: use e.g. 2027-03-01`, EXIT.usage);
  }
  return value;
}

export function problemList(problems: ConfigProblem[]): string {
  return problems.map((p) => `  - ${p.path || '(document)'}: ${p.message}`).join('\n');
}

/**
 * The models and voice of a valid config against OpenAI's table on `on`. Warnings go to stderr
 * and the command goes on (a model newer than the table still works); the errors (a model
 * OpenAI has shut down, a model of the wrong kind) would fail every call, so the caller refuses
 * them like any other invalid field.
 */
export function checkModels(out: Output, config: NumberConfig, on: Day): CatalogueCheck {
  const check = checkAgainstCatalogue(config, on);
  for (const w of check.warnings) out.note(`warning: ${w.path}: ${w.message}`);
  return check;
}

const problemCount = (problems: ConfigProblem[]) => `${problems.length} problem${problems.length === 1 ? '' : 's'}`;

async function store(numbers: NumbersStore, config: StoredNumber['config'], expectedVersion?: number): Promise<StoredNumber> {
  try {
    return await numbers.put(config, { expectedVersion });
  } catch (err) {
    if (err instanceof VersionConflictError) throw new CliError(`${err.message} (nothing was stored)`, EXIT.conflict);
    throw err;
  }
}

function describeNumber(stored: StoredNumber, out: Output): string {
  const c = stored.config;
  const status = c.enabled ? paint(out, 'green', 'enabled') : paint(out, 'yellow', 'disabled');
  const lines = [`${c.number}${c.label ? `  ${c.label}` : ''}  (${status}, version ${stored.version}, updated ${shortTime(stored.updatedAt)})`];
  if (c.agent) {
    lines.push(
      c.agent.engine === 'live'
        ? `  agent       GPT-Live ${c.agent.model}, voice ${c.agent.voice}, backend ${c.agent.backend.model}${c.agent.backend.webSearch ? ' with web search' : ''}`
        : `  agent       ${c.agent.model}, voice ${c.agent.voice}, ${c.agent.turnDetection.type}`,
    );
    lines.push(`  greeting    ${c.agent.greeting ?? '(none)'}`);
    lines.push(`  instructions ${c.agent.instructions}`);
  }
  lines.push(`  transfers   ${c.transfers.map((t) => `${t.name} -> ${t.target}`).join(', ') || '(none)'}`);
  lines.push(`  end call    ${c.endCall.enabled ? 'agent may hang up' : 'off'}`);
  // Configs stored before tools existed are read back without the field.
  const tools = c.tools ?? [];
  if (tools.length > 0) lines.push(`  tools       ${tools.map((t) => `${t.name} -> ${t.url}`).join(', ')}`);
  lines.push(`  limits      ${c.limits.maxCallSeconds} s per call, ${c.limits.maxConcurrentCalls ?? 'no'} concurrent cap`);
  if (c.callers.block.length > 0) lines.push(`  blocked     ${c.callers.block.join(', ')}`);
  return lines.join('\n');
}

/** `--at-version <n>`: a version number, 1 or more. */
function versionArgument(value: string): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1) throw new CliError(`--at-version must be a version number (1 or more), got "${value}"`, EXIT.usage);
  return version;
}

export function registerNumberCommands(program: Command, out: Output): void {
  const numbers = program.command('numbers').description('configure how each dialed number is answered');

  withDataOptions(
    numbers
      .command('put <number>')
      .description('store a number config from a JSON or YAML file (the <number> argument wins over the file\'s)')
      .requiredOption('-f, --file <path>', 'the config file'),
  ).action(async (numberArg: string, opts: DataOptions & { file: string }) => {
    const number = numberArgument(numberArg);
    const file = await readConfigFile(opts.file);
    const note = numberOverrideNote(opts.file, number, file.doc);
    if (note) out.note(`note: ${note}`);
    const { config, problems } = checkNumberConfig({ ...file.doc, number });
    if (!config) throw new CliError(`${opts.file} is not a valid number config; nothing was stored:\n${problemList(problems)}`, EXIT.usage);
    const { errors } = checkModels(out, config, dayOf(new Date()));
    if (errors.length > 0) throw new CliError(`${opts.file} would fail every call; nothing was stored:\n${problemList(errors)}`, EXIT.usage);
    const target = await resolveDataTarget(opts);
    const stored = await out.progress(`storing ${number}`, () => store(target.numbers, config, file.version));
    out.line(`stored ${config.number}${config.label ? ` (${config.label})` : ''}, version ${stored.version}`);
  });

  numbers
    .command('validate')
    .description('check a number config file without storing it; prints every problem with its place in the file')
    .requiredOption('-f, --file <path>', 'the config file')
    .option('--json', 'print the problems (or the normalised config) as JSON')
    .option('--on <day>', 'check the models against OpenAI\'s shutdown dates as of this day (e.g. 2027-03-01) instead of today')
    .action(async (opts: { file: string; json?: boolean; on?: string }) => {
      const on = opts.on === undefined ? dayOf(new Date()) : dayArgument(opts.on);
      const { doc } = await readConfigFile(opts.file);
      const { config, problems } = checkNumberConfig(doc);
      if (!config) {
        out.line(opts.json ? json({ valid: false, problems }) : `${opts.file}: ${problemCount(problems)}\n${problemList(problems)}`);
        throw new CliError(`${opts.file} is not a valid number config`, EXIT.usage);
      }
      const { warnings, errors } = checkModels(out, config, on);
      if (errors.length > 0) {
        out.line(opts.json ? json({ valid: false, problems: errors, warnings }) : `${opts.file}: ${problemCount(errors)} on ${on}\n${problemList(errors)}`);
        throw new CliError(`${opts.file} would fail every call on ${on}`, EXIT.usage);
      }
      out.line(opts.json ? json({ valid: true, config, warnings }) : `${opts.file}: valid config for ${config.number}${config.label ? ` (${config.label})` : ''}`);
    });

  withDataOptions(
    numbers
      .command('get <number>')
      .description('show a number config, or write it to a file to edit and put again')
      .option('--json', 'print the stored config as JSON')
      .option('--at-version <n>', 'an earlier version (see `numbers versions`)', versionArgument)
      .option('-o, --out <path>', 'write the config (with its version) to a .json or .yaml file'),
  ).action(async (numberArg: string, opts: DataOptions & { json?: boolean; out?: string; atVersion?: number }) => {
    const number = numberArgument(numberArg);
    const target = await resolveDataTarget(opts);
    const versions = opts.atVersion === undefined ? undefined : await out.progress(`reading ${number}'s versions`, () => target.numbers.versions(number));
    const stored = versions ? versions.find((v) => v.version === opts.atVersion) : await out.progress(`reading ${number}`, () => target.numbers.get(number));
    if (!stored && versions?.length) throw new CliError(`number ${number} has no version ${opts.atVersion} kept (see \`switchboard numbers versions ${number}\`)`, EXIT.notFound);
    if (!stored) throw new CliError(`number ${number} is not configured (see \`switchboard numbers list\`)`, EXIT.notFound);
    if (opts.out) {
      // An earlier version is written with the current version's number, so that putting it back replaces the current one.
      const doc = { ...stored.config, version: versions?.[0].version ?? stored.version };
      const yaml = ['.yaml', '.yml'].includes(extname(opts.out).toLowerCase());
      await writeFile(opts.out, yaml ? toYaml(doc) : json(doc) + '\n');
      return out.line(`wrote ${number} (version ${stored.version}) to ${opts.out}; edit it, then: switchboard numbers put ${number} --file ${opts.out}`);
    }
    out.line(opts.json ? json(stored.config) : describeNumber(stored, out));
  });

  withDataOptions(
    numbers.command('versions <number>').description("a number config's versions, newest first: each write keeps the one it replaced").option('--json', 'print JSON'),
  ).action(async (numberArg: string, opts: DataOptions & { json?: boolean }) => {
    const number = numberArgument(numberArg);
    const target = await resolveDataTarget(opts);
    const versions = await out.progress(`reading ${number}'s versions`, () => target.numbers.versions(number));
    if (versions.length === 0) throw new CliError(`number ${number} is not configured (see \`switchboard numbers list\`)`, EXIT.notFound);
    if (opts.json) return out.line(json(versions.map((v) => ({ ...v.config, version: v.version, updatedAt: v.updatedAt }))));
    out.line(
      table(
        ['VERSION', 'UPDATED', 'STATUS', 'LABEL'],
        versions.map(({ config: c, version, updatedAt }, i) => [
          `${version}${i === 0 ? ' (current)' : ''}`,
          shortTime(updatedAt),
          c.enabled ? paint(out, 'green', 'enabled') : paint(out, 'yellow', 'disabled'),
          c.label,
        ]),
      ),
    );
    const oldest = versions.at(-1)!.version;
    if (oldest > 1) out.note(`versions 1 to ${oldest - 1} were replaced before versions were kept`);
    if (versions.length > 1) out.note(`to go back to one: switchboard numbers get ${number} --at-version <n> --out <file>, then numbers put ${number} --file <file>`);
  });

  withDataOptions(numbers.command('list').description('list configured numbers').option('--json', 'print JSON')).action(
    async (opts: DataOptions & { json?: boolean }) => {
      const target = await resolveDataTarget(opts);
      const all = await out.progress('reading numbers', () => target.numbers.list());
      if (opts.json) return out.line(json(all.map((n) => ({ ...n.config, version: n.version, updatedAt: n.updatedAt }))));
      if (all.length === 0) return out.line('no numbers configured yet: `switchboard numbers put <number> --file <config.json>`');
      out.line(
        table(
          ['NUMBER', 'LABEL', 'STATUS', 'VOICE', 'TRANSFERS', 'VERSION', 'UPDATED'],
          all.map(({ config: c, version, updatedAt }) => [
            c.number,
            c.label,
            c.enabled ? paint(out, 'green', 'enabled') : paint(out, 'yellow', 'disabled'),
            c.agent?.voice,
            c.transfers.map((t) => t.name).join(',') || '-',
            version,
            shortTime(updatedAt),
          ]),
        ),
      );
    },
  );

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    withDataOptions(
      numbers
        .command(`${verb} <number>`)
        .description(enabled ? 'answer calls to this number again' : 'stop answering this number (calls are rejected with SIP 480)'),
    ).action(async (numberArg: string, opts: DataOptions) => {
      const number = numberArgument(numberArg);
      const { numbers: table } = await resolveDataTarget(opts);
      const current = await table.get(number);
      if (!current) throw new CliError(`number ${number} is not configured (see \`switchboard numbers list\`)`, EXIT.notFound);
      if (current.config.enabled === enabled) return out.line(`${number} is already ${verb}d (version ${current.version})`);
      const { config, problems } = checkNumberConfig({ ...current.config, enabled });
      if (!config) throw new CliError(`cannot ${verb} ${number}:\n${problemList(problems)}`, EXIT.usage);
      const stored = await store(table, config, current.version);
      out.line(`${verb}d ${number}, version ${stored.version}`);
    });
  }

  withDataOptions(numbers.command('delete <number>').description('remove a number config (calls to it are then rejected with SIP 404)')).action(
    async (numberArg: string, opts: DataOptions) => {
      const number = numberArgument(numberArg);
      if (!(await (await resolveDataTarget(opts)).numbers.delete(number))) throw new CliError(`number ${number} is not configured`, EXIT.notFound);
      out.line(`deleted ${number}`);
    },
  );
}
