import type { CallSummary, CallHistoryStore } from './call-history-store';
import type { CallCost } from '../pricing/call-cost';

/** Each listed call with its cost and its engine, which the history indexes do not carry (CallHistoryStore.costsOf). */
export async function withCosts(store: CallHistoryStore, calls: CallSummary[]): Promise<(CallSummary & { cost?: CallCost })[]> {
  const costs = await store.costsOf(calls.map((c) => c.callId));
  return calls.map((c) => ({ ...c, ...costs.get(c.callId) }));
}

/** `--sum`: the listed calls' cost together, and how many could not be priced (left out of it). */
export function costSum(calls: { cost?: CallCost }[]): { totalUsd: number; priced: number; unpriced: number } {
  const priced = calls.filter((c) => c.cost?.totalUsd !== undefined);
  return { totalUsd: priced.reduce((sum, c) => sum + c.cost!.totalUsd!, 0), priced: priced.length, unpriced: calls.length - priced.length };
}
