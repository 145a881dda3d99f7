import { afterClose, type PlannedEnding } from './ending';
import { transferFailedNote } from './tools';

/**
 * Where a held call is in leaving, said once. `transferring`, `hanging-up` and `leaving` know how
 * the call ends when its socket closes; `live` and `saying-goodbye` do not (a close may be a
 * network drop, so the session re-attaches and a 404 tells).
 */
export type Phase =
  | { kind: 'live' }
  /** A REFER was sent; the watchdog runs until the call leaves. */
  | { kind: 'transferring'; target: string; uri: string }
  /** The agent is saying goodbye; the line is hung up once it has played (or the goodbye timer fires). */
  | { kind: 'saying-goodbye'; reason: GoodbyeReason; responseId?: string; responseDone: boolean }
  /** `/hangup` is on its way: OpenAI may close the socket before it answers. */
  | { kind: 'hanging-up'; reason: GoodbyeReason }
  /** OpenAI is ending the call (hangup answered, or the call is gone): waiting for the socket to close. */
  | { kind: 'leaving'; ending: PlannedEnding }
  /** Let go on purpose: `drain` (the worker stops) or `lease-lost` (another worker has the call). */
  | { kind: 'handing-back'; why: HandBackReason }
  | { kind: 'finished' };

export type GoodbyeReason = 'agent-hung-up' | 'max-duration';
export type HandBackReason = 'drain' | 'lease-lost';

/** What happened, as far as the phase is concerned. */
export type PhaseEvent =
  /** The agent asked for a configured transfer target. */
  | { type: 'transfer'; target: string; uri: string }
  | { type: 'refer-gone' }
  /** The REFER was refused (`reason`), or the watchdog saw the call stay. */
  | { type: 'transfer-failed'; reason: string }
  | { type: 'end-call' }
  /** The number's maxCallSeconds has passed. */
  | { type: 'time-up'; maxCallSeconds: number | undefined }
  | { type: 'response-created'; responseId: string }
  | { type: 'response-done'; responseId: string }
  | { type: 'audio-stopped' }
  | { type: 'goodbye-timeout' }
  | { type: 'hangup-answered' }
  | { type: 'hangup-gone' }
  | { type: 'hangup-failed'; status: number | undefined }
  | { type: 'hand-back'; why: HandBackReason }
  | { type: 'socket-closed'; code: number; reason: string; quickDrops: number }
  /** The call is over for a reason found outside the socket (attach failed, OpenAI's session cap). */
  | { type: 'over'; ending: PlannedEnding };

/** A phase's timers; the session owns the clock. */
export type PhaseTimer = 'transfer-watchdog' | 'goodbye' | 'close-grace';

export type Effect =
  | { do: 'refer'; uri: string }
  | { do: 'hangup' }
  | { do: 'start-timer'; timer: PhaseTimer }
  | { do: 'cancel-timer'; timer: PhaseTimer }
  /** An action on the call's timeline. */
  | { do: 'record'; action: string; details?: Record<string, unknown> }
  /** A system note to the model, and a response to it. */
  | { do: 'tell-model'; note: string }
  /** Wrap up now: cut a response short if one is playing, and ask for a one-line goodbye. */
  | { do: 'say-wrap-up' }
  /** Store the ending; `hangUp` first ends the call on OpenAI's side, so the caller is not left in silence. */
  | { do: 'finish'; ending: PlannedEnding; hangUp: boolean }
  | { do: 'reattach'; delayMs: number; afterCloseCode: number }
  /** Stop every timer and close the socket without hanging up. */
  | { do: 'let-go' }
  /** The socket is closed after a hand-back. */
  | { do: 'handed-back' };

export interface Transition {
  phase: Phase;
  effects: Effect[];
}

const stay = (phase: Phase): Transition => ({ phase, effects: [] });
const finished: Phase = { kind: 'finished' };

/** How the call ends if its socket closes now, when the phase knows. */
export function endingOf(phase: Phase): PlannedEnding | undefined {
  switch (phase.kind) {
    case 'transferring':
      return { outcome: 'transferred', transferTarget: phase.uri };
    case 'hanging-up':
      return { outcome: 'completed', reason: phase.reason };
    case 'leaving':
      return phase.ending;
    default:
      return undefined;
  }
}

/** Whether the session has stopped acting on the call (no tool runs, no timer matters). */
export function isLetGo(phase: Phase): boolean {
  return phase.kind === 'finished' || phase.kind === 'handing-back';
}

/** The next phase and what to do. Pure: the session runs the effects and reports their results as events. */
export function next(phase: Phase, event: PhaseEvent): Transition {
  if (phase.kind === 'finished') return stay(phase);
  if (phase.kind === 'handing-back') {
    return event.type === 'socket-closed' ? { phase, effects: [{ do: 'handed-back' }] } : stay(phase);
  }
  switch (event.type) {
    case 'hand-back':
      return { phase: { kind: 'handing-back', why: event.why }, effects: [{ do: 'let-go' }] };
    case 'over':
      return { phase: finished, effects: [{ do: 'finish', ending: event.ending, hangUp: false }] };
    case 'socket-closed': {
      const close = afterClose(event.code, event.reason, endingOf(phase), event.quickDrops);
      if (close.kind === 'finish') return { phase: finished, effects: [{ do: 'finish', ending: close.ending, hangUp: close.hangUp }] };
      return { phase, effects: [{ do: 'reattach', delayMs: close.delayMs, afterCloseCode: event.code }] };
    }
  }
  switch (phase.kind) {
    case 'live':
      return fromLive(phase, event);
    case 'transferring':
      return fromTransferring(phase, event);
    case 'saying-goodbye':
      return fromGoodbye(phase, event);
    case 'hanging-up':
      return fromHangingUp(phase, event);
    case 'leaving':
      return stay(phase);
  }
}

function fromLive(phase: Phase & { kind: 'live' }, event: PhaseEvent): Transition {
  switch (event.type) {
    case 'transfer':
      return {
        phase: { kind: 'transferring', target: event.target, uri: event.uri },
        effects: [{ do: 'start-timer', timer: 'transfer-watchdog' }, { do: 'refer', uri: event.uri }],
      };
    case 'end-call':
      return sayGoodbye('agent-hung-up', []);
    case 'time-up':
      return sayGoodbye('max-duration', [{ do: 'record', action: 'time-limit', details: { maxCallSeconds: event.maxCallSeconds } }, { do: 'say-wrap-up' }]);
    default:
      return stay(phase);
  }
}

function sayGoodbye(reason: GoodbyeReason, first: Effect[]): Transition {
  return { phase: { kind: 'saying-goodbye', reason, responseDone: false }, effects: [...first, { do: 'start-timer', timer: 'goodbye' }] };
}

function fromTransferring(phase: Phase & { kind: 'transferring' }, event: PhaseEvent): Transition {
  switch (event.type) {
    case 'refer-gone':
      return { phase: { kind: 'leaving', ending: { outcome: 'completed', reason: 'caller-hung-up' } }, effects: [{ do: 'cancel-timer', timer: 'transfer-watchdog' }] };
    case 'transfer-failed':
      // The call did not leave: the agent carries on.
      return {
        phase: { kind: 'live' },
        effects: [
          { do: 'cancel-timer', timer: 'transfer-watchdog' },
          { do: 'record', action: 'transfer-failed', details: { target: phase.target, reason: event.reason } },
          { do: 'tell-model', note: transferFailedNote(phase.target) },
        ],
      };
    default:
      return stay(phase);
  }
}

function fromGoodbye(phase: Phase & { kind: 'saying-goodbye' }, event: PhaseEvent): Transition {
  switch (event.type) {
    case 'response-created':
      // The first response after the goodbye began is the goodbye.
      return stay(phase.responseId ? phase : { ...phase, responseId: event.responseId });
    case 'response-done':
      if (event.responseId !== phase.responseId) return stay(phase);
      // Its audio plays for a while after the response is generated: give it the full time again.
      return { phase: { ...phase, responseDone: true }, effects: [{ do: 'cancel-timer', timer: 'goodbye' }, { do: 'start-timer', timer: 'goodbye' }] };
    case 'audio-stopped':
      return phase.responseDone ? hangUp(phase.reason) : stay(phase);
    case 'goodbye-timeout':
      return hangUp(phase.reason);
    default:
      return stay(phase);
  }
}

function hangUp(reason: GoodbyeReason): Transition {
  return {
    phase: { kind: 'hanging-up', reason },
    effects: [{ do: 'cancel-timer', timer: 'goodbye' }, { do: 'record', action: 'hangup', details: { reason } }, { do: 'hangup' }],
  };
}

function fromHangingUp(phase: Phase & { kind: 'hanging-up' }, event: PhaseEvent): Transition {
  switch (event.type) {
    case 'hangup-answered':
      return closeSoon({ outcome: 'completed', reason: phase.reason });
    case 'hangup-gone':
      return closeSoon({ outcome: 'completed', reason: 'caller-hung-up' });
    case 'hangup-failed':
      // The call goes on; the caller, the time limit or OpenAI's session cap will end it.
      return { phase: { kind: 'live' }, effects: [{ do: 'record', action: 'hangup-failed', details: { status: event.status } }] };
    default:
      return stay(phase);
  }
}

/** OpenAI closes the socket once the call is gone; if it does not, the session closes it after a grace. */
function closeSoon(ending: PlannedEnding): Transition {
  return { phase: { kind: 'leaving', ending }, effects: [{ do: 'start-timer', timer: 'close-grace' }] };
}
