import type { Command } from 'commander';
import type { CallRecord } from '../../core/calls/record';
import type { CallHistoryStore, CallSummary } from '../../core/store/call-history-store';
import { chargeOf, costWithCarrier, DEFAULT_TOLERANCE, matchCarrierCharges, type CarrierCharge } from '../../core/wavix/carrier-charge';
import { cdrTime, type WavixCdr } from '../../core/wavix/wavix-client';
import { resolveDataTarget, withDataOptions, type DataOptions } from '../data-target';
import { CliError, EXIT } from '../errors';
import { duration, json, shortTime, table, totalCostText, usd } from '../format';
import type { Output } from '../output';
import { parseSince } from '../since';
import { numberArgument } from './numbers';
import { wavixClient, withWavix } from './wavix';

interface CostOptions extends DataOptions {
  carrier?: boolean;
  since: string;
  number?: string;
  json?: boolean;
}

const DEFAULT_SINCE = '7d';
/** The scope a Wavix API key needs to list CDRs (Wavix/wavix-mcp-server src/wavix_mcp/scopes.py). */
const CDR_ACCESS = 'calls read';

interface CostedCall {
  record: CallRecord;
  carrier: CarrierCharge;
  totalUsd?: number;
}

/**
 * `switchboard calls cost --carrier`: each call in the range with OpenAI's part of its cost,
 * Wavix's charge from the call's CDR, and the two together.
 *
 * `--carrier` is required for now rather than the default: without it the command would be
 * `calls list --sum` again, and with it the command reads Wavix with WAVIX_API_KEY, which the
 * user should ask for. Requiring it now keeps either later choice open (making it the default
 * breaks no command line that passes it; making it the default now and optional later would).
 */
export function registerCarrierCostCommand(calls: Command, out: Output): void {
  withDataOptions(
    calls
      .command('cost')
      .description("what calls cost: OpenAI's part, the carrier's charge (Wavix's call detail record of the call) and both together, with totals")
      .option('--carrier', `add Wavix's charge for each call (WAVIX_API_KEY, a key with ${CDR_ACCESS} access; WAVIX_API_URL overrides the API address); required for now`)
      .option('--since <time>', `calls since then: 30m, 24h, 7d, 2w, or a date or time in UTC (2026-11-20, 2026-11-20T08:00)`, DEFAULT_SINCE)
      .option('--number <number>', 'only calls to this number')
      .option('--json', 'print JSON: {"since", "until", "calls": [...], "totals": {...}, "unmatchedCdrs": [...]}'),
  ).action(async (opts: CostOptions) => {
    if (!opts.carrier) {
      throw new CliError(
        `calls cost needs --carrier for now: it adds Wavix's charge for each call (WAVIX_API_KEY, a key with ${CDR_ACCESS} access); OpenAI's part alone is \`switchboard calls list --sum\``,
        EXIT.usage,
      );
    }
    // Every argument is checked before the first read.
    const now = Date.now();
    const since = parseSince(opts.since, now);
    const number = opts.number ? numberArgument(opts.number) : undefined;
    const wavix = wavixClient(CDR_ACCESS);
    const target = await resolveDataTarget(opts);

    const records = await out.progress('reading call history', () => callsSince(target.calls, { since, number }, out));
    // A CDR a little before `since` may be the first call's.
    const cdrs = await withWavix(() =>
      out.progress("reading Wavix's call detail records", () => wavix.inboundCdrs({ from: new Date(Date.parse(since) - DEFAULT_TOLERANCE.startSeconds * 1000), to: new Date(now), dialed: number })),
    );
    const { charges, unused } = matchCarrierCharges(records, cdrs);
    const costed: CostedCall[] = records.map((record, i) => ({ record, carrier: charges[i], totalUsd: costWithCarrier(record.cost?.totalUsd, charges[i]) }));
    // Those dated before `since` were read only for the calls just after it.
    const strays = unused.filter((cdr) => (cdrTime(cdr) ?? now) >= Date.parse(since));
    const totals = totalsOf(costed, strays);

    if (opts.json) {
      out.line(
        json({
          since,
          until: new Date(now).toISOString(),
          calls: costed.map(({ record: r, carrier, totalUsd }) => ({
            callId: r.callId,
            startedAt: r.startedAt,
            number: r.number,
            caller: r.caller,
            durationSeconds: r.durationSeconds ?? null,
            outcome: r.outcome,
            sipCallId: r.sipCallId ?? null,
            openai: r.cost ?? null,
            carrier,
            totalUsd: totalUsd ?? null,
          })),
          totals,
          unmatchedCdrs: strays,
        }),
      );
      return;
    }
    out.line(costed.length === 0 ? 'no calls match' : table(HEADERS, costed.map(row)));
    out.line(totalLines(totals).join('\n'));
    for (const { record, carrier } of costed) {
      if ('unmatched' in carrier) out.note(`${record.callId}: no carrier charge (${carrier.unmatched}): ${carrier.detail}${carrier.candidates ? ` [${carrier.candidates.join(', ')}]` : ''}`);
      else if ('unpriced' in carrier) out.note(`${record.callId}: no carrier charge: ${carrier.unpriced}`);
    }
    if (strays.length > 0) {
      out.note(`Wavix CDRs that match no call (calls that did not reach Switchboard, or whose records are no longer kept): ${strays.map((c) => c.uuid).join(', ')}`);
    }
  });
}

const HEADERS = ['STARTED (UTC)', 'NUMBER', 'CALLER', 'DURATION', 'OPENAI', 'CARRIER', 'TOTAL', 'MATCH', 'CALL ID'];

function row({ record, carrier, totalUsd }: CostedCall): (string | undefined)[] {
  const openai = totalCostText(record.cost);
  const charge = 'usd' in carrier ? usd(carrier.usd) : 'unpriced' in carrier ? 'unpriced' : '-';
  const match = 'match' in carrier ? carrier.match : `unmatched: ${carrier.unmatched}`;
  return [shortTime(record.startedAt), record.number, record.caller, duration(record.durationSeconds), openai, charge, totalUsd !== undefined ? usd(totalUsd) : '', match, record.callId];
}

interface Totals {
  calls: number;
  /** OpenAI's part of the calls it could price, and how many those were. */
  openaiUsd: number;
  openaiPriced: number;
  /** Wavix's charge for the calls matched to a CDR with a charge, and how many those were. */
  carrierUsd: number;
  carrierPriced: number;
  /** Both parts of the calls that have both, and how many those were. */
  totalUsd: number;
  bothPriced: number;
  /** Wavix CDRs in the range that match no call, and what they charged. */
  unmatchedCdrs: number;
  unmatchedCdrsUsd: number;
}

function totalsOf(costed: CostedCall[], strays: WavixCdr[]): Totals {
  const sum = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);
  const openai = sum(costed.map((c) => c.record.cost?.totalUsd));
  const carrier = sum(costed.map((c) => ('usd' in c.carrier ? c.carrier.usd : undefined)));
  const both = sum(costed.map((c) => c.totalUsd));
  const add = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    calls: costed.length,
    openaiUsd: add(openai),
    openaiPriced: openai.length,
    carrierUsd: add(carrier),
    carrierPriced: carrier.length,
    totalUsd: add(both),
    bothPriced: both.length,
    unmatchedCdrs: strays.length,
    unmatchedCdrsUsd: add(sum(strays.map(chargeOf))),
  };
}

function totalLines(t: Totals): string[] {
  const calls = (n: number) => `${n} call${n === 1 ? '' : 's'}`;
  const without = (priced: number, what: string) => (priced < t.calls ? ` (${calls(t.calls - priced)} ${what}, not in it)` : '');
  return [
    `OpenAI  ${usd(t.openaiUsd)} for ${calls(t.openaiPriced)}${without(t.openaiPriced, 'unpriced')}`,
    `Wavix   ${usd(t.carrierUsd)} for ${calls(t.carrierPriced)}${without(t.carrierPriced, 'without a charge')}` +
      (t.unmatchedCdrs > 0 ? `; ${t.unmatchedCdrs} CDR${t.unmatchedCdrs === 1 ? '' : 's'} matching no call, ${usd(t.unmatchedCdrsUsd)}` : ''),
    `total   ${usd(t.totalUsd)} for the ${calls(t.bothPriced)} with both known`,
  ];
}

/**
 * The calls to `number` (or all) since `since`, whole: as `calls list --all` pages them, then
 * each record read whole (CallHistoryStore.getMany), for its SIP Call-ID and duration as well as its cost.
 */
async function callsSince(store: CallHistoryStore, filter: { since: string; number?: string }, out: Output): Promise<CallRecord[]> {
  const summaries: CallSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...filter, limit: 500, cursor });
    if (page.notice && !cursor) out.note(`note: ${page.notice}`);
    summaries.push(...page.calls);
    cursor = page.cursor;
  } while (cursor);
  return store.getMany(summaries.map((s) => s.callId), { otherEngineOffers: false });
}
