import type { LookupRecord } from '../../core/calls/lookup';
import type { AnalysisRecord } from '../../core/analysis/analysis-plan';
import type { DeliveryAttempt } from '../../core/delivery/delivery-plan';
import type { CallCost } from '../../core/pricing/call-cost';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { callTimeline, OUTCOMES, type CallRecord, type Outcome } from '../../core/calls/record';
import { SESSION_CAP_MS } from '../../core/openai/limits';
import { InvalidCursorError, type CallHistoryStore, type CallSummary } from '../../core/store/call-history-store';
import { csvCell } from '../csv';
import { withDataOptions, resolveDataTarget, type DataOptions } from '../data-target';
import { CliError, EXIT } from '../errors';
import { costText, duration, json, otherEngineOffersText, shortTime, table, totalCostText, usd } from '../format';
import { checkOutPath, writeOutFile } from '../out-file';
import { paint, type Output } from '../output';
import { parseSince } from '../since';
import { costSum, withCosts } from '../../core/store/call-costs';
import { registerCarrierCostCommand } from './calls-cost';
import { registerRedeliverCommand } from './calls-redeliver';
import { numberArgument } from './numbers';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`--limit must be a positive whole number, got "${value}"`, EXIT.usage);
  return n;
}

/** `--interval` in seconds; at least a tenth of one, as polling faster only costs reads. */
function intervalSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1) throw new CliError(`--interval must be a number of seconds, at least 0.1; got "${value}"`, EXIT.usage);
  return n;
}

function outcomeArgument(value: string): Outcome {
  if (!(OUTCOMES as readonly string[]).includes(value)) throw new CliError(`--outcome must be one of ${OUTCOMES.join(', ')}; got "${value}"`, EXIT.usage);
  return value as Outcome;
}

const OUTCOME_COLOUR: Partial<Record<Outcome, 'green' | 'yellow' | 'red' | 'blue'>> = {
  active: 'blue',
  completed: 'green',
  transferred: 'green',
  rejected: 'yellow',
  missed: 'yellow',
  failed: 'red',
};

function outcomeText(out: Output, outcome: Outcome): string {
  const colour = OUTCOME_COLOUR[outcome];
  return colour ? paint(out, colour, outcome) : outcome;
}

export function secondsInto(record: CallRecord, iso: string): string {
  return `+${((Date.parse(iso) - Date.parse(record.startedAt)) / 1000).toFixed(1).padStart(6)}s`;
}

export function timelineOf(record: CallRecord): { at: string; text: string }[] {
  return callTimeline(record).map((event) => {
    if ('line' in event) return { at: event.at, text: `${event.line.role === 'caller' ? 'caller' : 'agent '}: ${event.line.text}` };
    const rest = Object.entries(event.details).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return { at: event.at, text: `[${event.action.type}]${rest.length ? ' ' + rest.join(' ') : ''}` };
  });
}

function endingOf(record: Pick<CallRecord, 'outcome' | 'reason' | 'rejectStatus' | 'transferTarget'>, out: Output): string {
  return `${outcomeText(out, record.outcome)}${record.reason ? ` (${record.reason})` : ''}${record.rejectStatus ? `, SIP ${record.rejectStatus}` : ''}${record.transferTarget ? `, to ${record.transferTarget}` : ''}`;
}

/** A call as a timeline: what was said and done, in order, then how it ended. */
export function describeCall(record: CallRecord, out: Output): string {
  // A call that was never answered (missed) has an end but no duration.
  const lasted = record.durationSeconds !== undefined ? ` (${duration(record.durationSeconds)})` : '';
  const lines = [
    `call ${record.callId}`,
    `  ${record.caller} -> ${record.number}${record.label ? ` (${record.label})` : ''}, answered by ${record.engine === 'live' ? 'GPT-Live' : 'Realtime'}${record.model ? ` (${record.model})` : ''}`,
    ...(record.otherEngineOffers ? [`  ${otherEngineOffersText(record.otherEngineOffers)}`] : []),
    `  started ${shortTime(record.startedAt)} UTC${record.endedAt ? `, ended ${shortTime(record.endedAt)}${lasted}` : ''}`,
    `  outcome ${endingOf(record, out)}`,
    ...(record.lookup ? [`  lookup ${lookupText(record.lookup)}`] : []),
  ];
  if (record.deliveries?.length) lines.push('', '  deliveries:', ...record.deliveries.map((a) => `    ${deliveryText(a)}`));
  const events = timelineOf(record);
  if (events.length > 0) lines.push('', ...events.map((e) => `  ${secondsInto(record, e.at)}  ${e.text}`));
  if (record.usage.totalTokens > 0) {
    lines.push('', `  tokens: ${record.usage.inputTokens} in, ${record.usage.outputTokens} out, ${record.usage.totalTokens} total`);
  }
  if (record.cost) lines.push(`  cost: ${costText(record.cost)}`);
  if (record.analysis) lines.push('', ...analysisLines(record.analysis));
  return lines.join('\n');
}

function analysisLines(analysis: AnalysisRecord): string[] {
  if (analysis.status !== 'done') {
    return [`  analysis ${analysis.status === 'retrying' ? `to be tried again (attempt ${analysis.attempts} failed)` : `failed after ${analysis.attempts} attempt${analysis.attempts === 1 ? '' : 's'}`}: ${analysis.error}`];
  }
  return [
    ...(analysis.summary !== undefined ? [`  summary: ${analysis.summary}`] : []),
    ...Object.entries(analysis.fields ?? {}).map(([name, value]) => `  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`),
  ];
}

function deliveryText(a: DeliveryAttempt): string {
  const why = [a.status !== undefined ? `HTTP ${a.status}` : undefined, a.outcome !== 'delivered' ? a.error : undefined].filter(Boolean).join(', ');
  return (
    `${a.event} #${a.attempt}${a.redelivery ? ' (redelivery)' : ''} at ${shortTime(a.at)}: ${a.outcome}` +
    `${why ? ` (${why})` : ''} in ${a.durationMs} ms${a.retryAt ? `; next attempt at ${shortTime(a.retryAt)}` : ''}`
  );
}

function lookupText(lookup: LookupRecord): string {
  const took = `in ${lookup.durationMs} ms`;
  switch (lookup.status) {
    case 'answered': {
      const variables = Object.entries(lookup.variables ?? {}).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
      const gave = [...(variables.length > 0 ? [variables.join(', ')] : []), ...(lookup.greeting !== undefined ? [`greeting ${JSON.stringify(lookup.greeting)}`] : [])];
      return `answered ${took}${gave.length > 0 ? `: ${gave.join('; ')}` : ' (nothing to fill in)'}`;
    }
    case 'rejected':
      return `turned the call away ${took} (SIP ${lookup.rejectStatus})`;
    case 'failed':
      return `failed ${took}: ${lookup.error}; answered with the stored config`;
  }
}

function summaryRows(out: Output, calls: (CallSummary & { cost?: CallCost })[]): (string | undefined)[][] {
  return calls.map((c) => [
    shortTime(c.startedAt),
    c.number,
    c.caller,
    duration(c.durationSeconds),
    outcomeText(out, c.outcome),
    c.reason ?? (c.transferTarget ? `to ${c.transferTarget}` : ''),
    c.engine ?? 'realtime',
    totalCostText(c.cost),
    c.callId,
  ]);
}

const SUMMARY_HEADERS = ['STARTED (UTC)', 'NUMBER', 'CALLER', 'DURATION', 'OUTCOME', 'REASON', 'ENGINE', 'COST', 'CALL ID'];


interface ListOptions extends DataOptions {
  number?: string;
  since?: string;
  outcome?: Outcome;
  limit: number;
  all?: boolean;
  cursor?: string;
  json?: boolean;
}

/** Pages through history from `opts.cursor` until `limit` calls (or all of them) were read; `cursor` is where the next page starts. */
async function readHistory(calls: CallHistoryStore, opts: ListOptions, limit: number): Promise<{ calls: CallSummary[]; cursor?: string; notice?: string }> {
  const filter = {
    number: opts.number ? numberArgument(opts.number) : undefined,
    since: opts.since ? parseSince(opts.since, Date.now()) : undefined,
    outcome: opts.outcome,
  };
  const found: CallSummary[] = [];
  let cursor = opts.cursor;
  let notice: string | undefined;
  do {
    const page = await calls.list({ ...filter, limit: Math.min(limit - found.length, 500), cursor }).catch((err: unknown) => {
      if (err instanceof InvalidCursorError) {
        throw new CliError(`--cursor "${cursor}" is not a cursor \`calls list\` printed: pass the cursor of the previous page, with the same filters`, EXIT.usage);
      }
      throw err;
    });
    found.push(...page.calls);
    cursor = page.cursor;
    notice ??= page.notice;
  } while (cursor && found.length < limit);
  return { calls: found, cursor, notice };
}

const CSV_COLUMNS = [
  'callId', 'startedAt', 'endedAt', 'durationSeconds', 'number', 'caller', 'label', 'outcome', 'reason', 'rejectStatus', 'transferTarget',
  'inputTokens', 'outputTokens', 'totalTokens', 'costUsd', 'summary', 'fields', 'transcript',
] as const;

export function toCsvRow(record: CallRecord): string {
  const values: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>> = {
    ...record,
    inputTokens: record.usage.inputTokens,
    outputTokens: record.usage.outputTokens,
    totalTokens: record.usage.totalTokens,
    costUsd: record.cost?.totalUsd ?? (record.cost ? 'unpriced' : undefined),
    summary: record.analysis?.status === 'done' ? record.analysis.summary : undefined,
    fields: record.analysis?.status === 'done' && record.analysis.fields ? JSON.stringify(record.analysis.fields) : undefined,
    transcript: record.transcript.map((t) => `${t.role}: ${t.text}`).join('\n'),
  };
  return CSV_COLUMNS.map((c) => csvCell(values[c])).join(',');
}

export function registerCallCommands(program: Command, out: Output): void {
  const calls = program.command('calls').description('read call history');
  const withFilters = (cmd: Command, since: 'optional' | 'required') =>
    cmd
      .option('--number <number>', 'only calls to this number')
      [since === 'required' ? 'requiredOption' : 'option'](
        '--since <time>',
        `${since === 'required' ? 'calls' : 'only calls'} since then: 30m, 24h, 7d, 2w, or a date or time in UTC (2026-11-20, 2026-11-20T08:00; with a zone: 2026-11-20T08:00-05:00)${since === 'required' ? '' : ' (default: all kept history)'}`,
      )
      .option('--outcome <outcome>', `only calls that ended so: ${OUTCOMES.filter((o) => o !== 'pending').join(', ')}`, outcomeArgument);

  withDataOptions(
    withFilters(calls.command('list').description('list calls, newest first'), 'optional')
      .option('--limit <k>', 'at most this many calls', positiveInt, 20)
      .option('--all', 'every call that matches (pages through all history)')
      .option('--cursor <cursor>', 'the next page: the cursor the previous page printed (with the same filters)')
      .option('--sum', 'add up the cost of the calls listed')
      .option('--json', 'print JSON: {"calls": [...], "cursor": the next page\'s --cursor, or null after the last}'),
  ).action(async (opts: ListOptions & { sum?: boolean }) => {
    const target = await resolveDataTarget(opts);
    const { calls: listed, cursor, notice } = await out.progress('reading call history', () => readHistory(target.calls, opts, opts.all ? Infinity : opts.limit));
    const found = await out.progress('reading what the calls cost', () => withCosts(target.calls, listed));
    if (notice) out.note(`note: ${notice}`);
    const sum = opts.sum ? costSum(found) : undefined;
    if (opts.json) out.line(json({ calls: found, cursor: cursor ?? null, ...(sum && { sum }) }));
    else {
      out.line(found.length === 0 ? 'no calls match' : table(SUMMARY_HEADERS, summaryRows(out, found)));
      if (sum) out.line(`total: ${usd(sum.totalUsd)} for ${sum.priced} call${sum.priced === 1 ? '' : 's'}${sum.unpriced > 0 ? ` (${sum.unpriced} unpriced, not in the total)` : ''}`);
    }
    if (cursor) {
      out.note(`(showing ${opts.cursor ? 'the next' : 'the newest'} ${found.length}; the next ${opts.limit} with --cursor ${cursor}, or more with --limit <k> or --all)`);
    }
  });

  withDataOptions(calls.command('show <callId>').description('show one call as a timeline: who said what, tools, DTMF, errors, ending, tokens').option('--json', 'print JSON')).action(
    async (callId: string, opts: DataOptions & { json?: boolean }) => {
      const target = await resolveDataTarget(opts);
      const record = await out.progress(`reading ${callId}`, () => target.calls.get(callId));
      if (!record) throw new CliError(`no call ${callId} (see \`switchboard calls list\`)`, EXIT.notFound);
      out.line(opts.json ? json(record) : describeCall(record, out));
    },
  );

  withDataOptions(
    withFilters(calls.command('export').description('write full call records (with transcripts) for spreadsheets and other tools'), 'required')
      .option('--format <format>', "jsonl (one record per line, for programs) or csv (for spreadsheets: text that would start a formula, phone numbers included, begins with ')", 'jsonl')
      .option('-o, --out <path>', 'write to this file instead of stdout'),
  ).action(async (opts: ListOptions & { format: string; out?: string }) => {
    if (opts.format !== 'jsonl' && opts.format !== 'csv') throw new CliError(`--format must be jsonl or csv, got "${opts.format}"`, EXIT.usage);
    if (opts.out) await checkOutPath(opts.out, `calls.${opts.format}`);
    const target = await resolveDataTarget(opts);
    const records = await out.progress('exporting calls', async () => {
      const { calls: found, notice } = await readHistory(target.calls, opts, Infinity);
      if (notice) out.note(`note: ${notice}`);
      return target.calls.getMany(found.map((c) => c.callId));
    });
    const lines = opts.format === 'csv' ? [CSV_COLUMNS.join(','), ...records.map(toCsvRow)] : records.map((r) => JSON.stringify(r));
    const text = lines.join('\n') + (lines.length > 0 ? '\n' : '');
    if (opts.out) {
      await writeOutFile(opts.out, text);
      out.note(`wrote ${records.length} call${records.length === 1 ? '' : 's'} to ${opts.out}`);
    } else {
      process.stdout.write(text);
    }
  });

  registerRedeliverCommand(calls, out);
  registerCarrierCostCommand(calls, out);

  withDataOptions(
    calls
      .command('tail')
      .description('follow calls as they happen: new calls, what is said on live calls, how each ends (Ctrl-C stops)')
      .option('--number <number>', 'only calls to this number')
      .option('--interval <seconds>', 'how often to look, in seconds', intervalSeconds, 2)
      .option('--json', 'print one JSON event per line'),
  ).action(async (opts: DataOptions & { number?: string; interval: number; json?: boolean }) => {
    const target = await resolveDataTarget(opts);
    const number = opts.number ? numberArgument(opts.number) : undefined;
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    out.note(`following calls${number ? ` to ${number}` : ''} in ${target.description} (Ctrl-C stops)`);
    await tail(target.calls, { number, intervalMs: opts.interval * 1000, json: Boolean(opts.json), signal: stop.signal }, out);
  });
}

/**
 * Follows history: prints each new call once, each new transcript line or action of a live call,
 * and how it ends. Calls that had ended before the tail began are history, not shown.
 */
async function tail(calls: CallHistoryStore, opts: { number?: string; intervalMs: number; json: boolean; signal: AbortSignal }, out: Output): Promise<void> {
  const DONE = -1;
  /** Per call: how many timeline events were printed, or DONE. */
  const printed = new Map<string, number>();
  const tailStart = Date.now();
  const emit = (event: Record<string, unknown>, text: string) => out.line(opts.json ? JSON.stringify(event) : text);
  while (!opts.signal.aborted) {
    // No call can be live for longer than OpenAI's 60-minute session cap.
    const { calls: recent } = await calls.list({ number: opts.number, since: new Date(tailStart - SESSION_CAP_MS).toISOString(), limit: 500 });
    for (const summary of [...recent].reverse()) {
      const count = printed.get(summary.callId);
      if (count === DONE) continue;
      if (count === undefined && summary.outcome !== 'active' && Date.parse(summary.startedAt) < tailStart) {
        printed.set(summary.callId, DONE);
        continue;
      }
      const record = await calls.get(summary.callId, { otherEngineOffers: false });
      if (!record) continue;
      if (count === undefined) {
        emit({ type: 'call', callId: record.callId, number: record.number, caller: record.caller, startedAt: record.startedAt }, `${shortTime(record.startedAt)}  ${record.callId}  ${record.caller} -> ${record.number}`);
      }
      const events = timelineOf(record);
      for (const event of events.slice(count ?? 0)) emit({ type: 'event', callId: record.callId, ...event }, `${shortTime(event.at)}  ${record.callId}  ${event.text}`);
      const ended = record.outcome !== 'active' && record.outcome !== 'pending';
      if (ended) {
        emit(
          { type: 'end', callId: record.callId, outcome: record.outcome, reason: record.reason, durationSeconds: record.durationSeconds },
          `${shortTime(record.endedAt ?? record.startedAt)}  ${record.callId}  ended: ${endingOf(record, out)}${record.durationSeconds !== undefined ? ` after ${duration(record.durationSeconds)}` : ''}`,
        );
      }
      printed.set(record.callId, ended ? DONE : events.length);
    }
    // The timer takes its abort listener off the signal when it fires: a long tail keeps none.
    await sleep(opts.intervalMs, undefined, { signal: opts.signal }).catch((err: unknown) => {
      if (!opts.signal.aborted) throw err;
    });
  }
}
