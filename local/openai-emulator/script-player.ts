/**
 * What the Realtime and the Live engines share in playing a `ConversationScript` (scripts.ts): a
 * gap before each step, a step begun as a turn of actions, the turn sent event by event, its waits
 * timed, and turns the client asks for played between script turns. Each engine builds its own
 * events (script-runner.ts, live-script.ts) and says what unblocks the action it waits on.
 *
 * Position is kept per call, event by event, so a socket that drops loses nothing: the next send
 * waits for a re-attach and carries on from there, and no step plays twice. At most one timer is
 * pending per call, and only while a gap or some speech is in progress.
 */
import type { ConversationScript, ScriptStep, Timing } from './scripts';
import type { Timers } from './timers';

/**
 * A caller waits this long at least for the line to answer before speaking, so that a greeting
 * sent as the worker attaches comes first even when a loaded machine slows the worker down.
 */
const FIRST_WORDS_MS = 200;

/** What a player needs from its call or session. */
export interface PlayerHost<E> {
  /** The call is still running on this engine. */
  live(): boolean;
  attached(): boolean;
  send(event: E): void;
}

/** The action a turn waits on (a tool call's output): it blocks the turn until `unblock` lets it go. */
export interface Blocking {
  kind: `await-${string}`;
}

export type PlayerAction<E, B extends Blocking> =
  /** `event` may be built as it is sent. */
  | { kind: 'send'; event: E | (() => E) }
  | { kind: 'wait'; ms: number }
  | B;

export abstract class ScriptPlayer<E extends object, B extends Blocking, H extends PlayerHost<E>> {
  /** What is left of the turn in progress. */
  protected turn: PlayerAction<E, B>[] = [];
  protected nextStep = 0;
  /** Turns asked for by the client, built when they start. */
  private readonly requested: (() => PlayerAction<E, B>[])[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inGap = false;
  private gapDone = false;

  constructor(
    protected readonly script: ConversationScript,
    protected readonly timing: Timing,
    private readonly timers: Timers,
    protected readonly host: H,
  ) {}

  /** Runs as far as it can; called on attach, on client events and when a timer fires. */
  kick(): void {
    if (!this.timer) this.advance();
  }

  stop(): void {
    if (this.timer) this.timers.cancel(this.timer);
    this.timer = undefined;
    this.inGap = false;
  }

  get step(): number {
    return this.nextStep;
  }

  get waitingForToolOutput(): boolean {
    const head = this.turn[0];
    return head !== undefined && isBlocking(head);
  }

  /** Plays these turns between script turns (and while the turn in progress is blocked), in order. */
  request(...builds: (() => PlayerAction<E, B>[])[]): void {
    this.requested.push(...builds);
    // A greeting should not wait out the gap before the caller's first words.
    if (this.inGap) {
      this.stop();
      this.gapDone = false;
    }
    this.kick();
  }

  /** Starts a step as `turn`; false when the step ends the run (a hang-up). */
  protected abstract begin(step: ScriptStep): boolean;

  /** What replaces the blocking action once it may go, or undefined while it still blocks. */
  protected abstract unblock(head: B): PlayerAction<E, B>[] | undefined;

  private wait(ms: number, gap: boolean): void {
    this.inGap = gap;
    this.timer = this.timers.after(ms, () => {
      this.timer = undefined;
      this.inGap = false;
      this.advance();
    });
  }

  private advance(): void {
    while (this.host.live()) {
      const head = this.turn[0];
      // Requested turns play between script turns, and also while the turn in progress is blocked.
      if (!head || isBlocking(head)) {
        const requested = this.requested.shift();
        if (requested) {
          this.turn.unshift(...requested());
          continue;
        }
      }
      if (!head) {
        const step = this.script[this.nextStep];
        if (!step) return;
        if (!this.gapDone) {
          this.gapDone = true;
          return this.wait(this.nextStep === 0 ? Math.max(this.timing.stepDelayMs, FIRST_WORDS_MS) : this.timing.stepDelayMs, true);
        }
        this.gapDone = false;
        this.nextStep++;
        if (!this.begin(step)) return;
        continue;
      }
      if (isBlocking(head)) {
        const next = this.unblock(head);
        if (!next) return;
        this.turn.shift();
        this.turn.unshift(...next);
      } else if (head.kind === 'send') {
        if (!this.host.attached()) return;
        this.host.send(typeof head.event === 'function' ? head.event() : head.event);
        this.turn.shift();
      } else {
        this.turn.shift();
        return this.wait(head.ms, false);
      }
    }
  }
}

function isBlocking<E, B extends Blocking>(action: PlayerAction<E, B>): action is B {
  return action.kind !== 'send' && action.kind !== 'wait';
}
