import type { CallSummary, CallHistoryStore } from './call-history-store';
import type { CallCost } from '../pricing/call-cost';

/**
 * Each listed call with its cost, which needs its usage from the entries table, and its engine,
 * which the history indexes do not carry: one read per call, a few at a time.
 */
export async function withCosts(store: CallHistoryStore, calls: CallSummary[]): Promise<(CallSummary & { cost?: CallCost })[]> {
  const costed: (CallSummary & { cost?: CallCost })[] = [...calls];
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const i = next++;
      const record = await store.get(calls[i].callId, { otherEngineOffers: false });
      costed[i] = { ...calls[i], ...(record?.cost && { cost: record.cost }), ...(record?.engine && { engine: record.engine }) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, calls.length) }, worker));
  return costed;
}

/** `--sum`: the listed calls' cost together, and how many could not be priced (left out of it). */
export function costSum(calls: { cost?: CallCost }[]): { totalUsd: number; priced: number; unpriced: number } {
  const priced = calls.filter((c) => c.cost?.totalUsd !== undefined);
  return { totalUsd: priced.reduce((sum, c) => sum + c.cost!.totalUsd!, 0), priced: priced.length, unpriced: calls.length - priced.length };
}
