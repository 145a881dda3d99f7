import { overviewOf, percentile } from '../../console/server/overview';

const NOW = new Date('2026-12-02T15:00:00.000Z');
const call = (startedAt: string, outcome: string, extra: Record<string, unknown> = {}) => ({ startedAt, outcome, ...extra }) as Parameters<typeof overviewOf>[0][number];

describe('the console overview', () => {
  it('takes the nearest-rank percentile, and none of nothing', () => {
    expect(percentile([], 0.5)).toBeUndefined();
    expect(percentile([10], 0.99)).toBe(10);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99)).toBe(99);
  });

  it('counts calls per day by outcome over the days shown, oldest first, with days without calls', () => {
    const o = overviewOf(
      [
        call('2026-12-02T09:00:00.000Z', 'completed', { durationSeconds: 60, decisionMs: 40, cost: { totalUsd: 0.5, parts: {} } }),
        call('2026-12-02T10:00:00.000Z', 'rejected', { reason: 'unknown-number', rejectStatus: 404, decisionMs: 20, cost: { totalUsd: 0, parts: {} } }),
        call('2026-12-01T10:00:00.000Z', 'rejected', { rejectStatus: 486 }),
        call('2026-11-30T10:00:00.000Z', 'completed', { durationSeconds: 120, cost: { parts: { session: { unpriced: 'no price for gpt-live-1' } } } }),
        call('2026-10-01T10:00:00.000Z', 'completed', { durationSeconds: 999 }),
      ],
      { now: NOW, days: 3, monthlyBudgetUsd: 10 },
    );
    expect(o.days).toEqual([
      { day: '2026-11-30', calls: 1, byOutcome: { completed: 1 }, costUsd: 0, unpriced: 1 },
      { day: '2026-12-01', calls: 1, byOutcome: { rejected: 1 }, costUsd: 0, unpriced: 0 },
      { day: '2026-12-02', calls: 2, byOutcome: { completed: 1, rejected: 1 }, costUsd: 0.5, unpriced: 0 },
    ]);
    expect(o.durations).toEqual({ count: 2, totalSeconds: 180, p50: 60, p90: 120, max: 120 });
    expect(o.rejects).toEqual([
      { reason: 'SIP 486', count: 1 },
      { reason: 'unknown-number', count: 1 },
    ]);
    expect(o.decisionMs).toEqual({ count: 2, p50: 20, p99: 40 });
    // The month is December's calls only: November's unpriced call is not in it.
    expect(o.month).toEqual({ month: '2026-12', totalUsd: 0.5, priced: 2, unpriced: 0, budgetUsd: 10, budgetShare: 0.05 });
  });

  it('leaves out what it has no figures for: no durations of live calls, no budget when none is set', () => {
    const o = overviewOf([call('2026-12-02T09:00:00.000Z', 'active', { durationSeconds: 5 })], { now: NOW, days: 1 });
    expect(o.durations).toEqual({ count: 0, totalSeconds: 0 });
    expect(o.decisionMs).toEqual({ count: 0 });
    expect(o.month).toEqual({ month: '2026-12', totalUsd: 0, priced: 0, unpriced: 0 });
  });
});
