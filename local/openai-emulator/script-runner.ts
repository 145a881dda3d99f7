import { agentTurn, callerTurn, dtmf, errorEvent, spokenMs, toolCall, type Action, type ServerEvent } from './events';
import type { ConversationScript, ScriptStep, Timing } from './scripts';
import type { Timers } from './timers';

/**
 * A caller waits this long at least for the line to answer before speaking, so that a greeting
 * sent as the worker attaches comes first even when a loaded machine slows the worker down.
 */
const FIRST_WORDS_MS = 200;

/** What the runner needs from its call. */
export interface ScriptHost {
  live(): boolean;
  attached(): boolean;
  send(event: ServerEvent): void;
  /** Destroys the sockets, keeps the call. */
  drop(): void;
  /** The caller hangs up. */
  hangUp(): void;
}

/**
 * Plays one call's script. Position is kept per call, event by event, so a socket that drops
 * loses nothing: the next `send` waits for a re-attach and carries on from there. At most one
 * timer is pending per call, and only while a gap or some speech is in progress.
 */
export class ScriptRunner {
  /** What is left of the turn in progress. */
  private turn: Action[] = [];
  private nextStep = 0;
  /** Agent turns asked for by the client's `response.create`; played between script turns. */
  private readonly requested: Action[][] = [];
  private readonly toolOutputs = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inGap = false;
  private gapDone = false;
  /** Position in the caller's audio stream, for `audio_start_ms`. */
  private audioMs = 0;

  constructor(
    private readonly script: ConversationScript,
    private readonly timing: Timing,
    private readonly timers: Timers,
    private readonly host: ScriptHost,
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
    return this.turn[0]?.kind === 'await-tool';
  }

  toolOutput(callId: string): void {
    this.toolOutputs.add(callId);
  }

  /** A client `response.create`: completes an awaited tool call, or asks for an agent turn. */
  responseCreate(speech: string): void {
    const head = this.turn[0];
    if (head?.kind === 'await-tool' && this.toolOutputs.has(head.callId)) {
      this.turn.shift();
    } else {
      this.requested.push(agentTurn(speech, this.timing.msPerWord));
      // A greeting should not wait out the gap before the caller's first words.
      if (this.inGap) {
        this.stop();
        this.gapDone = false;
      }
    }
    this.kick();
  }

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
      // Requested agent turns play between script turns, and also while a tool call is pending.
      if (!head || head.kind === 'await-tool') {
        const requested = this.requested.shift();
        if (requested) {
          this.turn.unshift(...requested);
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
      switch (head.kind) {
        case 'send':
          if (!this.host.attached()) return;
          this.host.send(head.event);
          this.turn.shift();
          break;
        case 'wait':
          this.turn.shift();
          return this.wait(head.ms, false);
        case 'await-tool':
          return;
      }
    }
  }

  /** Starts a step; false when the step ends the run (a hang-up). */
  private begin(step: ScriptStep): boolean {
    const { msPerWord } = this.timing;
    if ('caller' in step) {
      this.turn = callerTurn(step.caller, step.cutOff ?? false, msPerWord, this.audioMs);
      this.audioMs += spokenMs(step.caller) + 1000; // a second of silence between turns
    } else if ('agent' in step) this.turn = agentTurn(step.agent, msPerWord);
    else if ('tool' in step) this.turn = toolCall(step.tool, step.args ?? {});
    else if ('dtmf' in step) this.turn = dtmf(step.dtmf);
    else if ('error' in step) this.turn = [{ kind: 'send', event: errorEvent(step.error) }];
    else if ('pause' in step) this.turn = [{ kind: 'wait', ms: step.pause }];
    else if ('drop' in step) this.host.drop();
    else {
      this.host.hangUp();
      return false;
    }
    return true;
  }
}
