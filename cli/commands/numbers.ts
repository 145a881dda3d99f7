import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { checkNumberConfig, type NumberConfig } from '../../core/numbers/config';
import { toE164 } from '../../core/numbers/e164';
import { VersionConflictError, type StoredNumber } from '../../core/store/numbers-store';
import { resolveDataTarget, type DataOptions } from '../data-target';
import { CliError, EXIT } from '../errors';
import { json, shortTime, table } from '../format';
import type { Output } from '../output';

export function numberArgument(value: string): string {
  const e164 = toE164(value);
  if (!e164) throw new CliError(`number "${value}" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)`, EXIT.usage);
  return e164;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, EXIT.usage);
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    doc = parseYaml(text);
  } catch (err) {
    throw new CliError(`${path} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`, EXIT.usage);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CliError(`${path} must hold one number config object`, EXIT.usage);
  return doc as Record<string, unknown>;
}

function describeNumber(stored: StoredNumber): string {
  const c = stored.config;
  const lines = [
    `${c.number}${c.label ? `  ${c.label}` : ''}  (${c.enabled ? 'enabled' : 'disabled'}, version ${stored.version}, updated ${shortTime(stored.updatedAt)})`,
  ];
  if (c.agent) {
    lines.push(`  agent       ${c.agent.model}, voice ${c.agent.voice}, ${c.agent.turnDetection.type}`);
    lines.push(`  greeting    ${c.agent.greeting ?? '(none)'}`);
    lines.push(`  instructions ${c.agent.instructions}`);
  }
  lines.push(`  transfers   ${c.transfers.map((t) => `${t.name} -> ${t.target}`).join(', ') || '(none)'}`);
  lines.push(`  end call    ${c.endCall.enabled ? 'agent may hang up' : 'off'}`);
  lines.push(`  limits      ${c.limits.maxCallSeconds} s per call, ${c.limits.maxConcurrentCalls ?? 'no'} concurrent cap`);
  if (c.callers.block.length > 0) lines.push(`  blocked     ${c.callers.block.join(', ')}`);
  return lines.join('\n');
}

export function registerNumberCommands(program: Command, out: Output): void {
  const numbers = program.command('numbers').description('configure how each dialed number is answered');
  const withData = (cmd: Command) => cmd.option('--endpoint <url>', 'DynamoDB endpoint (local use; default: AWS_ENDPOINT_URL_DYNAMODB)');

  withData(
    numbers
      .command('put <number>')
      .description('store a number config from a JSON or YAML file (the <number> argument wins over the file\'s)')
      .requiredOption('-f, --file <path>', 'the config file'),
  ).action(async (numberArg: string, opts: DataOptions & { file: string }) => {
    const number = numberArgument(numberArg);
    const doc = { ...(await readConfigFile(opts.file)), number };
    const { config, problems } = checkNumberConfig(doc);
    if (!config) {
      throw new CliError(`${opts.file} is not a valid number config; nothing was stored:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`, EXIT.usage);
    }
    const { numbers: store } = resolveDataTarget(opts);
    let stored: StoredNumber;
    try {
      stored = await store.put(config as NumberConfig);
    } catch (err) {
      if (err instanceof VersionConflictError) throw new CliError(err.message, EXIT.conflict);
      throw err;
    }
    out.line(`stored ${config.number}${config.label ? ` (${config.label})` : ''}, version ${stored.version}`);
  });

  withData(numbers.command('get <number>').description('show a number config').option('--json', 'print the stored config as JSON')).action(
    async (numberArg: string, opts: DataOptions & { json?: boolean }) => {
      const number = numberArgument(numberArg);
      const stored = await resolveDataTarget(opts).numbers.get(number);
      if (!stored) throw new CliError(`number ${number} is not configured (see \`switchboard numbers list\`)`, EXIT.notFound);
      out.line(opts.json ? json(stored.config) : describeNumber(stored));
    },
  );

  withData(numbers.command('list').description('list configured numbers').option('--json', 'print JSON')).action(
    async (opts: DataOptions & { json?: boolean }) => {
      const all = await resolveDataTarget(opts).numbers.list();
      if (opts.json) return out.line(json(all.map((n) => ({ ...n.config, version: n.version, updatedAt: n.updatedAt }))));
      if (all.length === 0) return out.line('no numbers configured yet: `switchboard numbers put <number> --file <config.json>`');
      out.line(
        table(
          ['NUMBER', 'LABEL', 'STATUS', 'VOICE', 'TRANSFERS', 'VERSION', 'UPDATED'],
          all.map(({ config: c, version, updatedAt }) => [
            c.number,
            c.label,
            c.enabled ? 'enabled' : 'disabled',
            c.agent?.voice,
            c.transfers.map((t) => t.name).join(',') || '-',
            version,
            shortTime(updatedAt),
          ]),
        ),
      );
    },
  );

  withData(numbers.command('delete <number>').description('remove a number config (calls to it are then rejected with 404)')).action(
    async (numberArg: string, opts: DataOptions) => {
      const number = numberArgument(numberArg);
      if (!(await resolveDataTarget(opts).numbers.delete(number))) throw new CliError(`number ${number} is not configured`, EXIT.notFound);
      out.line(`deleted ${number}`);
    },
  );
}
