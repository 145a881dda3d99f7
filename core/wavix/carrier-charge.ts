/**
 * Which of Wavix's call detail records (CDRs) is which call's, and so what the carrier charged
 * for the call. Pure: calls and CDRs in, one answer per call out.
 *
 * Wavix's CDRs carry no SIP Call-ID in any source (see WavixCdr), so a call is matched in one of
 * two ways:
 * 1. By the SIP Call-ID, exactly, where both sides have one: the record's `sipCallId` (or its
 *    part before '@') equal to the CDR's `sip_call_id`, should Wavix add one, or to its
 *    `uuid`/`call_id`, should Wavix's id turn out to be the Call-ID it sends. An id is unique, so
 *    this match is certain.
 * 2. Otherwise by the dialed number (Wavix's `to`, digits without '+'), the start (the CDR's
 *    `date` within `startSeconds` of the call's `startedAt`) and, where both have one, the
 *    duration (within `durationSeconds`). Of the CDRs that fit, the closest is taken (seconds off
 *    at the start plus seconds off in duration, a caller other than the CDR's `from` counting as
 *    `otherCallerSeconds` more), closest pairs first, one CDR per call and one call per CDR. When
 *    another CDR, another call, or swapping two calls' CDRs fits within `tieSeconds` as well,
 *    which is whose cannot be told (Wavix's dates are whole seconds), and the calls involved are
 *    left unmatched as ambiguous rather than guessed.
 */

import type { CallRecord } from '../calls/record';
import { cdrTime, digitsOf, type WavixCdr } from './wavix-client';

/** What matching reads of a call record. */
export type CallForCharge = Pick<CallRecord, 'callId' | 'number' | 'caller' | 'startedAt' | 'durationSeconds' | 'sipCallId' | 'outcome'>;

export interface MatchTolerance {
  /** Most seconds between the call's start and the CDR's date. */
  startSeconds: number;
  /** Most seconds between the call's duration and the CDR's, where both have one. */
  durationSeconds: number;
  /** Fits closer to each other than this are a tie: which CDR is whose cannot be told. */
  tieSeconds: number;
  /** How much further off a CDR of another caller counts; more than `tieSeconds`, so the caller breaks a tie. */
  otherCallerSeconds: number;
}

export const DEFAULT_TOLERANCE: MatchTolerance = { startSeconds: 10, durationSeconds: 5, tieSeconds: 1, otherCallerSeconds: 2 };

export type CarrierMatch = 'sip-call-id' | 'number-and-time';

export type UnmatchedReason =
  /** No CDR fits (none for the number near the start, or those that do fit other calls better). */
  | 'no-cdr'
  /** Several CDRs, or several calls, fit about equally. */
  | 'ambiguous'
  /** The call's dialed number is unknown and it has no Call-ID match. */
  | 'unknown-number'
  /** The call has not ended: Wavix writes the CDR after. */
  | 'in-progress';

/** The carrier's part of one call's cost. */
export type CarrierCharge =
  | { usd: number; cdr: string; match: CarrierMatch }
  /** Matched, but the CDR's charge cannot be read. */
  | { unpriced: string; cdr: string; match: CarrierMatch }
  | { unmatched: UnmatchedReason; detail: string; candidates?: string[] };

export interface CarrierCharges {
  /** One per call, in the order given. */
  charges: CarrierCharge[];
  /** The CDRs matched to no call, in the order given. */
  unused: WavixCdr[];
}

/** The call's cost with the carrier's charge: only when both are known, as a part left out would read as the whole. */
export function costWithCarrier(openaiUsd: number | undefined, carrier: CarrierCharge): number | undefined {
  return openaiUsd !== undefined && 'usd' in carrier ? openaiUsd + carrier.usd : undefined;
}

/** The CDR's charge in USD; undefined when it has none that reads as an amount. */
export function chargeOf(cdr: Pick<WavixCdr, 'charge'>): number | undefined {
  const value: unknown = cdr.charge;
  const usd = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(usd) && usd >= 0 ? usd : undefined;
}

interface Pair {
  call: number;
  cdr: number;
  /** Seconds off, as compared. */
  off: number;
}

export function matchCarrierCharges(calls: readonly CallForCharge[], cdrs: readonly WavixCdr[], tolerance: MatchTolerance = DEFAULT_TOLERANCE): CarrierCharges {
  const charges: (CarrierCharge | undefined)[] = calls.map(() => undefined);
  const used = new Set<number>();

  // 1. The SIP Call-ID.
  const byId = new Map<string, number[]>();
  cdrs.forEach((cdr, j) => {
    for (const id of new Set(cdrIds(cdr))) listIn(byId, id).push(j);
  });
  calls.forEach((call, i) => {
    if (!call.sipCallId) return;
    const found = [...new Set(callIds(call.sipCallId).flatMap((id) => byId.get(id) ?? []))].filter((j) => !used.has(j));
    if (found.length === 1) {
      charges[i] = charged(cdrs[found[0]], 'sip-call-id');
      used.add(found[0]);
    } else if (found.length > 1) {
      charges[i] = { unmatched: 'ambiguous', detail: `${found.length} Wavix CDRs carry its SIP Call-ID`, candidates: found.map((j) => cdrs[j].uuid) };
    }
  });

  // 2. The number, the start and the duration.
  const pairs = candidatePairs(calls, cdrs, (i) => charges[i] === undefined, (j) => !used.has(j), tolerance);
  const cdrOfCall = new Map<number, Pair>();
  const callOfCdr = new Map<number, Pair>();
  for (const pair of [...pairs].sort((a, b) => a.off - b.off || a.call - b.call || a.cdr - b.cdr)) {
    if (cdrOfCall.has(pair.call) || callOfCdr.has(pair.cdr)) continue;
    cdrOfCall.set(pair.call, pair);
    callOfCdr.set(pair.cdr, pair);
  }

  const byCall = groupBy(pairs, (p) => p.call);
  const byCdr = groupBy(pairs, (p) => p.cdr);
  const offOf = (call: number, cdr: number) => byCall.get(call)?.find((p) => p.cdr === cdr)?.off;
  const tied = new Map<number, Set<number>>();
  const tie = (call: number, ...cdrIndexes: number[]) => tied.set(call, new Set([...(tied.get(call) ?? []), ...cdrIndexes]));
  const within = (off: number, best: number) => off < best + tolerance.tieSeconds;
  for (const chosen of cdrOfCall.values()) {
    for (const other of byCall.get(chosen.call) ?? []) {
      if (other.cdr === chosen.cdr) continue;
      const holder = callOfCdr.get(other.cdr);
      // Another CDR no call took fits this call about as well.
      if (!holder && within(other.off, chosen.off)) tie(chosen.call, chosen.cdr, other.cdr);
      // Or this call and the one holding the other CDR could swap.
      const swapped = holder && offOf(holder.call, chosen.cdr);
      if (holder && swapped !== undefined && within(other.off + swapped, chosen.off + holder.off)) {
        tie(chosen.call, chosen.cdr, other.cdr);
        tie(holder.call, chosen.cdr, other.cdr);
      }
    }
    // Another call left without a CDR fits this CDR about as well.
    for (const other of byCdr.get(chosen.cdr) ?? []) {
      if (other.call !== chosen.call && !cdrOfCall.has(other.call) && within(other.off, chosen.off)) {
        tie(chosen.call, chosen.cdr);
        tie(other.call, chosen.cdr);
      }
    }
  }
  for (const [call, candidates] of tied) {
    const held = cdrOfCall.get(call);
    if (held) callOfCdr.delete(held.cdr);
    cdrOfCall.delete(call);
    charges[call] = {
      unmatched: 'ambiguous',
      detail: `${candidates.size > 1 ? `${candidates.size} Wavix CDRs fit it` : 'its Wavix CDR fits another call'} about as well (within ${tolerance.tieSeconds} s)`,
      candidates: [...candidates].map((j) => cdrs[j].uuid),
    };
  }
  for (const [call, pair] of cdrOfCall) {
    charges[call] = charged(cdrs[pair.cdr], 'number-and-time');
    used.add(pair.cdr);
  }

  return {
    charges: calls.map((call, i) => charges[i] ?? unmatched(call, byCall.get(i) ?? [], cdrs, tolerance)),
    unused: cdrs.filter((_, j) => !used.has(j)),
  };
}

function charged(cdr: WavixCdr, match: CarrierMatch): CarrierCharge {
  const usd = chargeOf(cdr);
  if (usd !== undefined) return { usd, cdr: cdr.uuid, match };
  return { unpriced: `Wavix's CDR ${cdr.uuid} has no charge that reads as an amount (${JSON.stringify(cdr.charge ?? null)})`, cdr: cdr.uuid, match };
}

function unmatched(call: CallForCharge, fits: Pair[], cdrs: readonly WavixCdr[], tolerance: MatchTolerance): CarrierCharge {
  const number = digitsOf(call.number);
  if (call.outcome === 'active' || call.outcome === 'pending') return { unmatched: 'in-progress', detail: 'the call has not ended, and Wavix writes its CDR after' };
  if (!number) return { unmatched: 'unknown-number', detail: 'the dialed number is unknown (no SIP header named it) and no CDR carries its SIP Call-ID' };
  if (fits.length > 0) {
    return { unmatched: 'no-cdr', detail: `the Wavix CDRs that fit it fit other calls better`, candidates: fits.map((p) => cdrs[p.cdr].uuid) };
  }
  const duration = call.durationSeconds !== undefined ? ` and ${tolerance.durationSeconds} s of its duration` : '';
  return { unmatched: 'no-cdr', detail: `no Wavix CDR of a call to ${number} dated within ${tolerance.startSeconds} s of its start${duration}` };
}

/** Every (call, CDR) that fits by number, start and duration, with how far off it is. */
function candidatePairs(
  calls: readonly CallForCharge[],
  cdrs: readonly WavixCdr[],
  openCall: (i: number) => boolean,
  freeCdr: (j: number) => boolean,
  tolerance: MatchTolerance,
): Pair[] {
  // The CDRs of each number by date, so a call looks only at its number's near its start.
  const dated = new Map<string, { at: number; cdr: number }[]>();
  cdrs.forEach((cdr, j) => {
    const at = cdrTime(cdr);
    const number = digitsOf(cdr.to);
    if (at === undefined || !number || !freeCdr(j)) return;
    listIn(dated, number).push({ at, cdr: j });
  });
  for (const list of dated.values()) list.sort((a, b) => a.at - b.at);

  const pairs: Pair[] = [];
  calls.forEach((call, i) => {
    const started = Date.parse(call.startedAt);
    const list = dated.get(digitsOf(call.number));
    if (!openCall(i) || !list || Number.isNaN(started)) return;
    for (let k = firstAtOrAfter(list, started - tolerance.startSeconds * 1000); k < list.length && list[k].at <= started + tolerance.startSeconds * 1000; k++) {
      const cdr = cdrs[list[k].cdr];
      // Both know the call's SIP Call-ID and they differ: two calls.
      if (call.sipCallId && cdr.sip_call_id && !callIds(call.sipCallId).includes(cdr.sip_call_id)) continue;
      const durationOff = call.durationSeconds !== undefined && typeof cdr.duration === 'number' ? Math.abs(call.durationSeconds - cdr.duration) : 0;
      if (durationOff > tolerance.durationSeconds) continue;
      const caller = digitsOf(call.caller);
      const from = digitsOf(cdr.from);
      const otherCaller = caller && from && caller !== from ? tolerance.otherCallerSeconds : 0;
      pairs.push({ call: i, cdr: list[k].cdr, off: Math.abs(list[k].at - started) / 1000 + durationOff + otherCaller });
    }
  });
  return pairs;
}

function firstAtOrAfter(list: { at: number }[], at: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (list[mid].at < at) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The ids the call may go by at Wavix: its SIP Call-ID, and the part before '@' (where a UUID would be). */
function callIds(sipCallId: string): string[] {
  const local = sipCallId.split('@')[0];
  return local && local !== sipCallId ? [sipCallId, local] : [sipCallId];
}

function cdrIds(cdr: WavixCdr): string[] {
  return [cdr.sip_call_id, cdr.uuid, cdr.call_id].filter((id): id is string => typeof id === 'string' && id !== '');
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) listIn(groups, key(item)).push(item);
  return groups;
}

function listIn<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}
