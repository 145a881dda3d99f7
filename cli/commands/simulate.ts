import type { Command } from 'commander';
import type { ScriptName } from '../../local/openai-emulator';
import { DEMO_CALLER, runSimulation, SCENARIOS } from '../../local/simulation';
import { silentLog } from '../../core/runtime/log';
import { CliError, EXIT } from '../errors';
import { json } from '../format';
import { paint, type Output } from '../output';
import { describeCall, secondsInto, timelineOf } from './calls';

function scenarioArgument(value: string): ScriptName {
  if (!(SCENARIOS as string[]).includes(value)) throw new CliError(`unknown scenario "${value}": choose one of ${SCENARIOS.join(', ')}`, EXIT.usage);
  return value as ScriptName;
}

export function registerSimulateCommand(program: Command, out: Output): void {
  program
    .command('simulate')
    .description('place a scripted call through the whole local stack against the built-in OpenAI emulator (no key, no network)')
    .option('--scenario <name>', `what happens on the call: ${SCENARIOS.join(', ')}`, scenarioArgument, 'question' as ScriptName)
    .option('--fast', 'play the call as fast as possible instead of at a phone conversation\'s pace')
    .option('--json', 'print the final call record as JSON')
    .action(async (opts: { scenario: ScriptName; fast?: boolean; json?: boolean }) => {
      out.note(`switchboard simulate: scenario "${opts.scenario}" on this machine: embedded DynamoDB, webhook server and call worker against the OpenAI emulator`);
      let printed = 0;
      const record = await runSimulation({
        scenario: opts.scenario,
        pace: opts.fast ? 'fast' : 'realistic',
        log: silentLog,
        onConfigured: (config) => {
          out.note(`configured ${config.number} (${config.label ?? 'demo'}) from examples/support-line.json`);
          out.note(`calling ${config.number} from ${DEMO_CALLER} ...`);
        },
        onWebhook: (summary) => {
          out.note(`  webhook: ${summary.result}${summary.reason ? ` (${summary.reason})` : ''}${summary.decisionMs !== undefined ? `, OpenAI answered ${summary.decisionMs} ms after the webhook arrived` : ''}`);
        },
        onProgress: (current) => {
          const events = timelineOf(current);
          for (const event of events.slice(printed)) out.note(`  ${secondsInto(current, event.at)}  ${event.text}`);
          printed = events.length;
        },
      });
      out.note(`  ${paint(out, 'bold', 'call ended')}: ${record.outcome}${record.reason ? ` (${record.reason})` : ''}${record.transferTarget ? ` to ${record.transferTarget}` : ''}`);
      out.note('');
      out.line(opts.json ? json(record) : describeCall(record, out));
    });
}
