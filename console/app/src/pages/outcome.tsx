import type { Outcome } from '../../../../core/calls/record';

/** An outcome as a badge; a live call says so. */
export function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  return <span class={`outcome outcome-${outcome}`}>{outcome === 'active' ? '● live' : outcome}</span>;
}
