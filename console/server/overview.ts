import type { Outcome } from '../../core/calls/record';
import type { CallCost } from '../../core/pricing/call-cost';
import { costSum } from '../../core/store/call-costs';
import type { CallSummary } from '../../core/store/call-history-store';

type OverviewCall = Pick<CallSummary, 'startedAt' | 'outcome' | 'reason' | 'rejectStatus' | 'durationSeconds' | 'decisionMs'> & { cost?: CallCost };

export interface DayOverview {
  day: string;
  calls: number;
  byOutcome: Partial<Record<Outcome, number>>;
  /** What the day's priced calls cost; `unpriced` calls are counted apart, never guessed. */
  costUsd: number;
  unpriced: number;
}

export interface Overview {
  days: DayOverview[];
  /** Seconds of the calls that were answered and have ended, over the days shown. */
  durations: { count: number; p50?: number; p90?: number; max?: number; totalSeconds: number };
  /** Why calls were turned away, most frequent first. */
  rejects: { reason: string; count: number }[];
  /** Milliseconds from the webhook's arrival to OpenAI's answer to accept or reject, as the records hold them. */
  decisionMs: { count: number; p50?: number; p99?: number };
  month: { month: string; totalUsd: number; priced: number; unpriced: number; budgetUsd?: number; budgetShare?: number };
}

/** The value below which `share` of the sorted values fall (nearest rank). */
export function percentile(sorted: readonly number[], share: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))];
}

const ascending = (values: number[]) => values.sort((a, b) => a - b);

/** The overview page: calls per day by outcome, durations, rejects, webhook decision time, and spend per day and this month (summed as `status` sums it). */
export function overviewOf(calls: readonly OverviewCall[], opts: { now: Date; days: number; monthlyBudgetUsd?: number }): Overview {
  const today = Date.parse(`${opts.now.toISOString().slice(0, 10)}T00:00:00.000Z`);
  const shownDays = Array.from({ length: opts.days }, (_, i) => new Date(today - (opts.days - 1 - i) * 86400_000).toISOString().slice(0, 10));
  const byDay = new Map<string, OverviewCall[]>(shownDays.map((day) => [day, []]));
  for (const call of calls) byDay.get(call.startedAt.slice(0, 10))?.push(call);
  const shown = [...byDay.values()].flat();
  // A call without a cost (its record was gone when it was read) is left out of the sums, not counted as unpriced.
  const spend = (of: readonly OverviewCall[]) => costSum(of.filter((c) => c.cost));
  const days: DayOverview[] = [...byDay].map(([day, dayCalls]) => {
    const byOutcome: DayOverview['byOutcome'] = {};
    for (const call of dayCalls) byOutcome[call.outcome] = (byOutcome[call.outcome] ?? 0) + 1;
    const { totalUsd, unpriced } = spend(dayCalls);
    return { day, calls: dayCalls.length, byOutcome, costUsd: totalUsd, unpriced };
  });

  const durations = ascending(shown.filter((c) => c.durationSeconds !== undefined && c.outcome !== 'active').map((c) => c.durationSeconds!));
  const decisions = ascending(shown.filter((c) => c.decisionMs !== undefined).map((c) => c.decisionMs!));
  const rejects = new Map<string, number>();
  for (const call of shown.filter((c) => c.outcome === 'rejected')) {
    const reason = call.reason ?? (call.rejectStatus ? `SIP ${call.rejectStatus}` : 'no reason recorded');
    rejects.set(reason, (rejects.get(reason) ?? 0) + 1);
  }

  const month = opts.now.toISOString().slice(0, 7);
  const monthSpend = spend(calls.filter((c) => c.startedAt.startsWith(month)));
  return {
    days,
    durations: {
      count: durations.length,
      totalSeconds: durations.reduce((sum, s) => sum + s, 0),
      ...(durations.length > 0 && { p50: percentile(durations, 0.5), p90: percentile(durations, 0.9), max: durations[durations.length - 1] }),
    },
    rejects: [...rejects].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    decisionMs: { count: decisions.length, ...(decisions.length > 0 && { p50: percentile(decisions, 0.5), p99: percentile(decisions, 0.99) }) },
    month: {
      month,
      ...monthSpend,
      ...(opts.monthlyBudgetUsd && { budgetUsd: opts.monthlyBudgetUsd, budgetShare: monthSpend.totalUsd / opts.monthlyBudgetUsd }),
    },
  };
}
