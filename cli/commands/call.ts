import type { Command } from 'commander';
import type { WebhookSummary } from '../../core/webhook/handle-webhook';
import { DEMO_CALLER, followCall, type Scenario } from '../../local/simulation';
import { resolveDataTarget } from '../data-target';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';
import { portArgument } from './dev';
import { numberArgument } from './numbers';
import { callProgress, describeWebhook, printEndedCall, SCENARIO_HELP, scenarioArgument } from './simulate';

interface CallOptions {
  from: string;
  scenario: Scenario;
  port: number;
  json?: boolean;
}

/** What `POST /emulator/calls` of `switchboard dev --emulator` answers (local/simulation.ts). */
interface PlacedCall {
  callId: string;
  number: string;
  caller: string;
  webhook?: WebhookSummary;
  /** The dev stack's DynamoDB, where the call's record is read as it changes. */
  dynamodb: string;
}

export function callerArgument(value: string): string {
  return value === 'anonymous' ? value : numberArgument(value);
}

/** Asks the dev server on `port` to place the call; every way that fails says what to do. */
async function placeCall(number: string, opts: CallOptions): Promise<PlacedCall> {
  const dev = `http://127.0.0.1:${opts.port}`;
  const start = `start one with \`npx switchboard dev --emulator\` (or pass the --port it runs on)`;
  let response: Response;
  try {
    response = await fetch(`${dev}/emulator/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ number, caller: opts.from, scenario: opts.scenario }),
    });
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ECONNREFUSED') throw new CliError(`no switchboard dev is running on port ${opts.port}: ${start}`, EXIT.failure);
    throw new CliError(`cannot reach switchboard dev on port ${opts.port}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`, EXIT.failure);
  }
  const body = (await response.json().catch(() => undefined)) as (Partial<PlacedCall> & { error?: string }) | undefined;
  if (response.status === 201 && body?.callId && body.dynamodb) return body as PlacedCall;
  if (!body?.error || response.status === 404) throw new CliError(`what answers on port ${opts.port} is not switchboard dev --emulator (HTTP ${response.status}): ${start}`, EXIT.failure);
  throw new CliError(body.error, response.status === 400 ? EXIT.usage : EXIT.failure);
}

export function registerCallCommand(program: Command, out: Output): void {
  program
    .command('call <number>')
    .description('place a call into a running `switchboard dev --emulator`, follow it and print it as `switchboard simulate` does')
    .option('--from <caller>', 'who calls: an E.164 number or "anonymous"', callerArgument, DEMO_CALLER)
    .option('--scenario <name>', SCENARIO_HELP, scenarioArgument, 'question' as Scenario)
    .option('--port <port>', "the port `switchboard dev --emulator` listens on", portArgument, 8787)
    .option('--json', 'print the final call record as JSON')
    .action(async (numberArg: string, opts: CallOptions) => {
      const number = numberArgument(numberArg);
      const placed = await placeCall(number, opts);
      out.note(`switchboard call: scenario "${opts.scenario}", ${placed.caller} calling ${placed.number} through switchboard dev on port ${opts.port} ...`);
      if (placed.webhook) out.note(describeWebhook(placed.webhook));
      const { calls } = await resolveDataTarget({ endpoint: placed.dynamodb });
      const record = await followCall(calls, placed.callId, callProgress(out));
      printEndedCall(out, record, opts.json);
      if (record.reason === 'unknown-number') out.note(`${number} has no config in this switchboard dev: npx switchboard numbers put ${number} --file <config.json> --endpoint ${placed.dynamodb}`);
    });
}
