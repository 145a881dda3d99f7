import type { Command } from 'commander';
import type { CallRecord } from '../../core/calls/record';
import { checkNumberConfig, type Engine, type NumberConfig } from '../../core/numbers/config';
import { dayOf } from '../../core/openai/models';
import type { WebhookSummary } from '../../core/webhook/handle-webhook';
import type { DevToolSigning } from '../../local/dev-stack';
import { checkScenario, DEMO_CALLER, demoNumber, runSimulation, scenarioProblem, SCENARIOS, type Scenario } from '../../local/simulation';
import { silentLog } from '../../core/runtime/log';
import { CliError, EXIT } from '../errors';
import { json } from '../format';
import { paint, type Output } from '../output';
import { describeCall, secondsInto, timelineOf } from './calls';
import { devTools, TOOL_SIGNING_SECRET_ENV } from './dev';
import { checkModels, problemList, readConfigFile } from './numbers';

export function scenarioArgument(value: string): Scenario {
  const checked = checkScenario(value);
  if (!checked.ok) throw new CliError(checked.message, EXIT.usage);
  return checked.scenario;
}

function engineArgument(value: string): Engine {
  if (value !== 'realtime' && value !== 'live') throw new CliError(`--engine must be realtime or live, not "${value}"`, EXIT.usage);
  return value;
}

export const SCENARIO_HELP = `what happens on the call: ${SCENARIOS.join(', ')}, or tool:<name> (the caller asks, the agent calls the number's tool <name> with {}, answers, the caller hangs up)`;

/** How the webhook answered a call, as `simulate` and `call` print it. */
export function describeWebhook(summary: Pick<WebhookSummary, 'result' | 'reason' | 'decisionMs'>): string {
  return `  webhook: ${summary.result}${summary.reason ? ` (${summary.reason})` : ''}${summary.decisionMs !== undefined ? `, OpenAI answered ${summary.decisionMs} ms after the webhook arrived` : ''}`;
}

/** Prints what is new on the call's timeline each time its record changes (stderr). */
export function callProgress(out: Output): (record: CallRecord) => void {
  let printed = 0;
  return (current) => {
    const events = timelineOf(current);
    for (const event of events.slice(printed)) out.note(`  ${secondsInto(current, event.at)}  ${event.text}`);
    printed = events.length;
  };
}

/** How the call ended (stderr), then the record: for people, or as JSON. */
export function printEndedCall(out: Output, record: CallRecord, asJson: boolean | undefined): void {
  out.note(`  ${paint(out, 'bold', 'call ended')}: ${record.outcome}${record.reason ? ` (${record.reason})` : ''}${record.transferTarget ? ` to ${record.transferTarget}` : ''}`);
  out.note('');
  out.line(asJson ? json(record) : describeCall(record, out));
}

/** `--file`: the user's number config, checked as `numbers validate` checks it. */
export async function configFromFile(out: Output, path: string): Promise<NumberConfig> {
  const { doc } = await readConfigFile(path);
  const { config, problems } = checkNumberConfig(doc);
  if (!config) throw new CliError(`${path} is not a valid number config:\n${problemList(problems)}`, EXIT.usage);
  const { errors } = checkModels(out, config, dayOf(new Date()));
  if (errors.length > 0) throw new CliError(`${path} would fail every call:\n${problemList(errors)}`, EXIT.usage);
  return config;
}

function describeSimulatedToolSigning(tools: DevToolSigning): string {
  if (tools.source === 'given') return `tools: signed with ${TOOL_SIGNING_SECRET_ENV}`;
  // Printed this once: the user's local endpoint verifies tool calls with it. It lasts this run only.
  return `tools: signed with a signing secret generated for this run (or set ${TOOL_SIGNING_SECRET_ENV}): ${tools.signingSecret}`;
}

export function registerSimulateCommand(program: Command, out: Output): void {
  program
    .command('simulate')
    .description(
      'place a scripted call through the whole local stack against the built-in OpenAI emulator (no key, no network); ' +
        `with --file, your number config, its HTTP tools called for real (${TOOL_SIGNING_SECRET_ENV}, SWITCHBOARD_TOOL_SECRET_<NAME>)`,
    )
    .option('--scenario <name>', SCENARIO_HELP, scenarioArgument, 'question' as Scenario)
    .option('-f, --file <path>', 'call this number config (JSON or YAML, checked as `numbers validate` does) instead of examples/support-line.json')
    .option('--engine <engine>', 'answer the demo number with realtime (default) or live (GPT-Live); with --file, the file\'s agent.engine decides', engineArgument)
    .option('--fast', 'play the call as fast as possible instead of at a phone conversation\'s pace')
    .option('--json', 'print the final call record as JSON')
    .action(async (opts: { scenario: Scenario; file?: string; engine?: Engine; fast?: boolean; json?: boolean }) => {
      if (opts.file && opts.engine) throw new CliError('--engine is for the demo number: with --file, set "engine" in the file\'s agent', EXIT.usage);
      const config = opts.file ? await configFromFile(out, opts.file) : opts.engine === 'live' ? demoNumber('live') : undefined;
      const problem = scenarioProblem(opts.scenario, config ?? demoNumber());
      if (problem) throw new CliError(problem, EXIT.usage);
      out.note(`switchboard simulate: scenario "${opts.scenario}" on this machine: embedded DynamoDB, webhook server and call worker against the OpenAI emulator`);
      const record = await runSimulation({
        scenario: opts.scenario,
        config,
        tools: opts.file ? devTools(process.env) : undefined,
        pace: opts.fast ? 'fast' : 'realistic',
        log: silentLog,
        onConfigured: (configured, tools) => {
          out.note(`configured ${configured.number} (${configured.label ?? 'demo'}) from ${opts.file ?? 'examples/support-line.json'}${configured.agent?.engine === 'live' ? ', answered by GPT-Live' : ''}`);
          if (tools) out.note(describeSimulatedToolSigning(tools));
          out.note(`calling ${configured.number} from ${DEMO_CALLER} ...`);
        },
        onWebhook: (summary) => out.note(describeWebhook(summary)),
        onProgress: callProgress(out),
      });
      printEndedCall(out, record, opts.json);
    });
}
