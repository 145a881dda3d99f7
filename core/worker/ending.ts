import type { CallEnding } from '../store/live-call-store';
import { CallNotFoundError, retryDelayMs } from './sideband';

/** How a call ends, before the clock says when. */
export type PlannedEnding = Pick<CallEnding, 'outcome' | 'reason' | 'transferTarget'>;

/** The first attach failed: a 404 means OpenAI never had (or no longer has) the call. */
export function attachFailedEnding(err: unknown, acceptUnconfirmed: boolean): PlannedEnding {
  if (err instanceof CallNotFoundError) return { outcome: 'failed', reason: acceptUnconfirmed ? 'accept-unconfirmed' : 'call-not-found' };
  return { outcome: 'failed', reason: `sideband-unreachable: ${(err as Error).message}` };
}

/** A re-attach after the socket closed failed: a 404 means the caller hung up (the usual case, 1006). */
export function reattachFailedEnding(err: unknown): PlannedEnding {
  if (err instanceof CallNotFoundError) return { outcome: 'completed', reason: 'caller-hung-up' };
  return { outcome: 'failed', reason: `sideband-lost: ${(err as Error).message}` };
}

/** Sockets that die within this long of opening count as quick drops. */
export const QUICK_DROP_MS = 1000;
/** This many quick drops in a row: the sideband is not usable, stop re-attaching. */
export const MAX_QUICK_DROPS = 5;

export type AfterClose =
  /** `hangUp`: end the call on OpenAI's side too, so the caller is not left in silence. */
  | { kind: 'finish'; ending: PlannedEnding; hangUp: boolean }
  /** The call may still be live: open the sideband again, after `delayMs`. */
  | { kind: 'reattach'; delayMs: number };

/**
 * What the socket closing means. `leaving` is how the call ends when it leaves because of us (a
 * hangup or refer was sent, or answered 404); otherwise the close alone says nothing (a caller
 * hang-up and a network drop both look like 1006), so the session re-attaches and a 404 tells.
 * A 4000-range close follows a fatal session error.
 */
export function afterClose(code: number, reason: string, leaving: PlannedEnding | undefined, quickDrops: number): AfterClose {
  if (leaving) return { kind: 'finish', ending: leaving, hangUp: false };
  if (code >= 4000 && code < 5000) {
    return { kind: 'finish', ending: { outcome: 'failed', reason: `session-closed: ${code}${reason ? ` ${reason}` : ''}` }, hangUp: true };
  }
  if (quickDrops >= MAX_QUICK_DROPS) return { kind: 'finish', ending: { outcome: 'failed', reason: 'sideband-keeps-closing' }, hangUp: true };
  return { kind: 'reattach', delayMs: quickDrops > 0 ? retryDelayMs(quickDrops - 1) : 0 };
}

/** Seconds, to a tenth. */
export function durationSeconds(startedAtMs: number, endedAtMs: number): number {
  return Math.max(0, Math.round((endedAtMs - startedAtMs) / 100) / 10);
}
