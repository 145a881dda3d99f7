import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Percentile of a sample (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function runConcurrently(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const LOOP_SAMPLE_MS = 5;

/**
 * Event-loop delay: how late a timer that should fire every 5 ms fires. Node's histogram holds
 * the time between firings, so the 5 ms are taken off.
 */
export function loopDelayMonitor(): { p99Ms(): number; maxMs(): number; reset(): void; stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  histogram.enable();
  const late = (ns: number) => Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS);
  return { p99Ms: () => late(histogram.percentile(99)), maxMs: () => late(histogram.max), reset: () => histogram.reset(), stop: () => histogram.disable() };
}
