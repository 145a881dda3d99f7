/**
 * When a call's sideband events arrived, as the timeline stamps them: in arrival order, never
 * the same instant twice. The transcript is read back sorted by these stamps, and events can
 * arrive within one millisecond (a re-attached socket's first burst, a caller's turn and the
 * agent's reply back to back): equal stamps would leave their order to the entries' ids.
 */
export function eventClock(now: () => number): () => string {
  let last = -Infinity;
  return () => {
    last = Math.max(now(), last + 1);
    return new Date(last).toISOString();
  };
}
