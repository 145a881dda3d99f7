import type { Command } from 'commander';
import type { CallRecord } from '../../core/calls/record';
import { resolveDataTarget, type DataOptions } from '../data-target';
import { CliError, EXIT } from '../errors';
import { duration, json, shortTime, table } from '../format';
import type { Output } from '../output';
import { numberArgument } from './numbers';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`--limit must be a positive whole number, got "${value}"`, EXIT.usage);
  return n;
}

function timeOf(record: CallRecord, iso: string): string {
  const seconds = (Date.parse(iso) - Date.parse(record.startedAt)) / 1000;
  return `+${seconds.toFixed(1).padStart(6)}s`;
}

/** A call as a timeline: what was said and done, in order, then how it ended. */
export function describeCall(record: CallRecord): string {
  const lines = [
    `call ${record.callId}`,
    `  ${record.caller} -> ${record.number}${record.label ? ` (${record.label})` : ''}`,
    `  started ${shortTime(record.startedAt)}${record.endedAt ? `, ended ${shortTime(record.endedAt)} (${duration(record.durationSeconds)})` : ''}`,
    `  outcome ${record.outcome}${record.reason ? ` (${record.reason})` : ''}${record.rejectStatus ? `, SIP ${record.rejectStatus}` : ''}${record.transferTarget ? `, to ${record.transferTarget}` : ''}`,
  ];
  const events = [
    ...record.transcript.map((t) => ({ at: t.at, text: `${t.role === 'caller' ? 'caller' : 'agent '}: ${t.text}` })),
    ...record.actions.map((a) => {
      const { type, at, ...details } = a;
      const rest = Object.entries(details).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      return { at, text: `[${type}]${rest.length ? ' ' + rest.join(' ') : ''}` };
    }),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  if (events.length > 0) {
    lines.push('', ...events.map((e) => `  ${timeOf(record, e.at)}  ${e.text}`));
  }
  if (record.usage.totalTokens > 0) {
    lines.push('', `  tokens: ${record.usage.inputTokens} in, ${record.usage.outputTokens} out, ${record.usage.totalTokens} total`);
  }
  return lines.join('\n');
}

export function registerCallCommands(program: Command, out: Output): void {
  const calls = program.command('calls').description('read call history');
  const withData = (cmd: Command) => cmd.option('--endpoint <url>', 'DynamoDB endpoint (local use; default: AWS_ENDPOINT_URL_DYNAMODB)');

  withData(
    calls
      .command('list')
      .description('list calls, newest first')
      .option('--number <number>', 'only calls to this number')
      .option('--limit <k>', 'at most this many calls', positiveInt, 20)
      .option('--json', 'print JSON'),
  ).action(async (opts: DataOptions & { number?: string; limit: number; json?: boolean }) => {
    const number = opts.number ? numberArgument(opts.number) : undefined;
    const page = await resolveDataTarget(opts).calls.list({ number, limit: opts.limit });
    if (opts.json) return out.line(json(page.calls));
    if (page.calls.length === 0) return out.line(number ? `no calls to ${number} yet` : 'no calls yet');
    out.line(
      table(
        ['STARTED (UTC)', 'NUMBER', 'CALLER', 'DURATION', 'OUTCOME', 'REASON', 'CALL ID'],
        page.calls.map((c) => [shortTime(c.startedAt), c.number, c.caller, duration(c.durationSeconds), c.outcome, c.reason ?? (c.transferTarget ? `to ${c.transferTarget}` : ''), c.callId]),
      ),
    );
  });

  withData(calls.command('show <callId>').description('show one call: transcript, actions, outcome').option('--json', 'print JSON')).action(
    async (callId: string, opts: DataOptions & { json?: boolean }) => {
      const record = await resolveDataTarget(opts).calls.get(callId);
      if (!record) throw new CliError(`no call ${callId} (see \`switchboard calls list\`)`, EXIT.notFound);
      out.line(opts.json ? json(record) : describeCall(record));
    },
  );
}
