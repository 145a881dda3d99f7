import { APIError } from 'openai';
import type OpenAI from 'openai';
import type WebSocket from 'ws';
import { END_CALL_TOOL, TRANSFER_TOOL } from '../calls/session-config';
import { isCallGone, requestMayHaveLanded } from '../openai/call-control';
import type { NumberConfig } from '../numbers/config';
import type { Log } from '../runtime/log';
import type { StoredCall } from '../store/calls-store';
import { actionItem, transcriptItem, usageItem } from '../store/call-entries-store';
import type { CallEnding, LiveCalls } from '../store/live-call-store';
import { afterClose, attachFailedEnding, durationSeconds, QUICK_DROP_MS, reattachFailedEnding, type PlannedEnding } from './ending';
import type { EntryWriter } from './entry-writer';
import { listen, type Sideband } from './sideband';
import { END_CALL_OUTPUT, planTransfer, sayExactly, transferFailedNote, unknownToolOutput, WRAP_UP_INSTRUCTIONS } from './tools';

export interface SessionTimings {
  /** A transfer whose call has not left by then is reported to the model as failed. */
  transferTimeoutMs: number;
  /**
   * Hang up after this long even if the goodbye's audio never reports that it stopped: counted
   * from the tool call, and again from the goodbye's `response.done`.
   */
  hangupTimeoutMs: number;
  /** After our `/hangup` or a hand-back, drop the socket ourselves if it has not closed by then. */
  closeGraceMs: number;
  /** OpenAI ends every session at 60 minutes; past this, the call is recorded as ended by that cap. */
  sessionCapMs: number;
}

export const DEFAULT_SESSION_TIMINGS: SessionTimings = {
  transferTimeoutMs: 10_000,
  hangupTimeoutMs: 5_000,
  closeGraceMs: 3_000,
  sessionCapMs: 60 * 60_000 + 30_000,
};

/** What every session of a worker shares (one object per worker, not per call). */
export interface SessionServices {
  store: LiveCalls;
  /** Writes what is said and done on every call, many calls' entries to a request. */
  entries: EntryWriter;
  openai: Pick<OpenAI, 'realtime'>;
  /** Opens (or re-opens) a call's sideband; rejects with CallNotFoundError when the call is gone. */
  connect: (callId: string) => Promise<Sideband>;
  /** Whether this worker still holds the call's lease: only the owner runs a tool. */
  ownsCall: (callId: string) => Promise<boolean>;
  timings: SessionTimings;
  now?: () => number;
}

/** The call a session holds. */
export interface CallSessionInit {
  call: StoredCall;
  config: NumberConfig | undefined;
  log: Log;
  /** The webhook could not confirm the accept: a 404 on attach means it never happened. */
  acceptUnconfirmed?: boolean;
}

/**
 * `handed-back`: let go on purpose (drain), the call is live for the next worker.
 * `lost`: another worker took the call over (this one's lease ran out).
 */
export type SessionEnd = { kind: 'ended'; ending: CallEnding } | { kind: 'handed-back' } | { kind: 'lost' };

// The top-level type, first or right after `event_id` (OpenAI's documented order).
const LEADING_TYPE = /^\{\s*(?:"event_id"\s*:\s*"[^"]*"\s*,\s*)?"type"\s*:\s*"([^"]+)"/;

/** The server events a session acts on; every other type is ignored. */
const HANDLED = new Set([
  'input_audio_buffer.speech_started',
  'conversation.item.input_audio_transcription.completed',
  'response.created',
  'response.output_audio_transcript.done',
  'response.done',
  'output_audio_buffer.stopped',
  'input_audio_buffer.dtmf_event_received',
  'error',
  'response.function_call_arguments.done',
]);

interface ServerEvent {
  type: string;
  [field: string]: unknown;
}

/**
 * One live call held by this worker: its sideband socket (re-opened when it drops while the
 * call lives), everything said and done written to the record as it happens, the tools the
 * agent calls, the call's time limit, and how the call ended.
 */
export class CallSession {
  private socket: WebSocket | undefined;
  private attachedAt = 0;
  private quickDrops = 0;
  private readonly now: () => number;
  private readonly callId: string;
  /** The call's time limits: one timer, for the wrap-up and then for OpenAI's session cap. */
  private limitTimer: NodeJS.Timeout | undefined;
  /** The other timers (transfer, goodbye, close grace), made when first needed: most calls never do. */
  private timers: Set<NodeJS.Timeout> | undefined;
  /** The record's expiry, given to the call's entries too. */
  private readonly expiresAt: number | undefined;
  /** Entries numbered so far: orders actions taken in the same millisecond. */
  private seq = 0;
  /** How the call ends when it leaves because of us (hangup or refer sent, or answered 404). */
  private leaving: PlannedEnding | undefined;
  private transfer: { name: string; watchdog: NodeJS.Timeout } | undefined;
  private goodbye: { reason: string; responseId?: string; responseDone: boolean; timer: NodeJS.Timeout } | undefined;
  private hungUp = false;
  private finished = false;
  private handingBack: 'drain' | 'lease-lost' | undefined;
  // Made when first needed, and dropped once empty again: a held call mostly waits with all three empty.
  private handledTools: Set<string> | undefined;
  private speechStartedAt: Map<string, string> | undefined;
  private responseStartedAt: Map<string, string> | undefined;
  private resolveEnd!: (end: SessionEnd) => void;
  readonly ended: Promise<SessionEnd>;
  private readonly deps: SessionServices;
  private readonly config: NumberConfig | undefined;
  private readonly log: Log;
  private readonly acceptUnconfirmed: boolean;
  private readonly startedAt: number;
  private greeted: boolean;

  constructor({ call, config, log, acceptUnconfirmed }: CallSessionInit, deps: SessionServices) {
    // Only what the session needs of the record is kept: a re-attached call's record can be long.
    this.deps = deps;
    this.config = config;
    this.log = log;
    this.acceptUnconfirmed = acceptUnconfirmed ?? false;
    this.now = deps.now ?? Date.now;
    this.callId = call.callId;
    this.startedAt = Date.parse(call.startedAt);
    this.greeted = call.actions.some((a) => a.type === 'greeting');
    const handled = call.actions.map((a) => a.toolCallId).filter((id): id is string => typeof id === 'string');
    if (handled.length > 0) this.handledTools = new Set(handled);
    this.expiresAt = call.expiresAt;
    this.ended = new Promise((resolve) => (this.resolveEnd = resolve));
  }

  /** Attaches to the call and resolves when it ended or was handed back. */
  async run(): Promise<SessionEnd> {
    let sideband: Sideband;
    try {
      sideband = await this.deps.connect(this.callId);
    } catch (err) {
      if (this.handingBack) return this.ended;
      const ending = attachFailedEnding(err, this.acceptUnconfirmed);
      this.log.error('could not attach to the call', { reason: ending.reason });
      await this.finish(ending);
      return this.ended;
    }
    if (this.handingBack) {
      sideband.socket.close();
      return this.ended;
    }
    this.attach(sideband);
    this.greetOnce();
    this.scheduleLimits();
    return this.ended;
  }

  /**
   * Lets go of the call without ending it: `drain` (the worker stops; the call is live for the
   * next one) or `lease-lost` (another worker has it).
   */
  handBack(why: 'drain' | 'lease-lost'): void {
    if (this.finished || this.handingBack) return;
    this.handingBack = why;
    this.clearTimers();
    const socket = this.socket;
    if (!socket) return this.resolveEnd(this.handedBack());
    socket.close(1000, 'worker handing the call over');
    // A close handshake nobody answers would hold the drain up for ws's 30 s.
    this.timer(this.deps.timings.closeGraceMs, () => socket.terminate());
  }

  private handedBack(): SessionEnd {
    return { kind: this.handingBack === 'lease-lost' ? 'lost' : 'handed-back' };
  }

  private attach(sideband: Sideband): void {
    const { socket } = sideband;
    this.socket = socket;
    this.attachedAt = this.now();
    socket.on('close', (code, reason) => void this.onClose(socket, code, reason.toString()));
    socket.on('error', (err) => this.log.warn('sideband socket error', { error: err }));
    listen(sideband, (text) => this.onMessage(text));
  }

  private send(event: Record<string, unknown>): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(event));
  }

  private action(type: string, details: Record<string, unknown> = {}): void {
    this.deps.entries.add(actionItem(this.callId, { type, at: new Date(this.now()).toISOString(), ...details }, this.seq++, this.expiresAt));
  }

  private timer(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers?.delete(timer);
      run();
    }, Math.max(0, ms));
    (this.timers ??= new Set()).add(timer);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers?.delete(timer);
  }

  private clearTimers(): void {
    clearTimeout(this.limitTimer);
    this.limitTimer = undefined;
    if (!this.timers) return;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = undefined;
  }

  private greetOnce(): void {
    const greeting = this.config?.agent?.greeting;
    if (!greeting || this.greeted) return;
    this.greeted = true;
    this.send({ type: 'response.create', response: { instructions: sayExactly(greeting) } });
    this.action('greeting');
  }

  private scheduleLimits(): void {
    const maxSeconds = this.config?.limits.maxCallSeconds;
    const wrapUpAt = maxSeconds === undefined ? Infinity : this.startedAt + maxSeconds * 1000;
    // One timer per call: the wrap-up's (when it comes before the cap), then the cap's.
    if (wrapUpAt > this.startedAt + this.deps.timings.sessionCapMs) return this.scheduleSessionCap();
    this.limitTimer = setTimeout(() => this.timeUp(), Math.max(0, wrapUpAt - this.now()));
  }

  private timeUp(): void {
    this.wrapUp();
    if (!this.finished && !this.handingBack) this.scheduleSessionCap();
  }

  private scheduleSessionCap(): void {
    this.limitTimer = setTimeout(() => {
      this.limitTimer = undefined;
      this.log.warn("call outlived OpenAI's 60-minute session cap");
      void this.finish({ outcome: 'completed', reason: 'session-limit' });
    }, Math.max(0, this.startedAt + this.deps.timings.sessionCapMs - this.now()));
  }

  private wrapUp(): void {
    if (this.goodbye || this.leaving) return;
    this.action('time-limit', { maxCallSeconds: this.config?.limits.maxCallSeconds });
    // Time is up even mid-sentence: a response in progress would refuse the wrap-up's response.create.
    if (this.responseStartedAt?.size) this.send({ type: 'response.cancel' });
    this.send({ type: 'response.create', response: { instructions: WRAP_UP_INSTRUCTIONS } });
    this.hangUpAfterGoodbye('max-duration');
  }

  private onMessage(text: string): void {
    // Most of the stream is deltas nobody here needs: skip them without parsing when the type
    // leads the event (alone or after event_id, as OpenAI sends it); anything else is parsed.
    const leading = LEADING_TYPE.exec(text);
    if (leading && !HANDLED.has(leading[1])) return;
    let event: ServerEvent;
    try {
      event = JSON.parse(text) as ServerEvent;
    } catch {
      this.log.warn('sideband sent something that is not JSON');
      return;
    }
    const at = new Date(this.now()).toISOString();
    switch (event.type) {
      case 'input_audio_buffer.speech_started':
        if (typeof event.item_id === 'string') (this.speechStartedAt ??= new Map()).set(event.item_id, at);
        break;
      case 'conversation.item.input_audio_transcription.completed': {
        const id = String(event.item_id);
        this.transcript('caller', id, String(event.transcript ?? ''), this.speechStartedAt?.get(id) ?? at);
        if (this.speechStartedAt?.delete(id) && this.speechStartedAt.size === 0) this.speechStartedAt = undefined;
        break;
      }
      case 'response.created': {
        const id = (event.response as { id?: string } | undefined)?.id;
        if (id) (this.responseStartedAt ??= new Map()).set(id, at);
        if (id && this.goodbye && !this.goodbye.responseId) this.goodbye.responseId = id;
        break;
      }
      case 'response.output_audio_transcript.done':
        this.transcript('agent', String(event.item_id), String(event.transcript ?? ''), this.responseStartedAt?.get(String(event.response_id)) ?? at);
        break;
      case 'response.done': {
        const response = event.response as { id?: string; usage?: Record<string, number> } | undefined;
        this.onResponseDone(response);
        if (response?.id && this.responseStartedAt?.delete(response.id) && this.responseStartedAt.size === 0) this.responseStartedAt = undefined;
        break;
      }
      case 'output_audio_buffer.stopped':
        if (this.goodbye?.responseDone) void this.hangUp();
        break;
      case 'input_audio_buffer.dtmf_event_received':
        this.action('dtmf', { key: event.event });
        break;
      case 'error': {
        const error = (event.error ?? {}) as { type?: string; code?: string; message?: string };
        this.action('error', { code: error.code ?? error.type, message: error.message });
        break;
      }
      case 'response.function_call_arguments.done':
        void this.onFunctionCall(String(event.call_id), String(event.name), String(event.arguments ?? '{}'));
        break;
    }
  }

  private transcript(role: 'caller' | 'agent', id: string, text: string, at: string): void {
    if (!text.trim()) return;
    this.deps.entries.add(transcriptItem(this.callId, { role, text, at, id }, this.expiresAt));
  }

  private onResponseDone(response: { id?: string; usage?: Record<string, number> } | undefined): void {
    const usage = response?.usage;
    if (usage) {
      const tokens = { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0, totalTokens: usage.total_tokens ?? 0 };
      this.deps.entries.add(usageItem(this.callId, response.id ?? `${new Date(this.now()).toISOString()}#${this.seq++}`, tokens, this.expiresAt));
    }
    if (this.goodbye && response?.id && response.id === this.goodbye.responseId) {
      this.goodbye.responseDone = true;
      // Its audio plays for a while after the response is generated: give it the full time again.
      this.clearTimer(this.goodbye.timer);
      this.goodbye.timer = this.timer(this.deps.timings.hangupTimeoutMs, () => void this.hangUp());
    }
  }

  private async onFunctionCall(toolCallId: string, name: string, args: string): Promise<void> {
    // A re-attached socket or a second delivery must not run a tool twice.
    if (this.handledTools?.has(toolCallId)) return;
    (this.handledTools ??= new Set()).add(toolCallId);
    // Two workers can briefly share a call (one's lease ran out while it stalled): only the owner acts.
    const owner = await this.deps.ownsCall(this.callId).catch((err: unknown) => {
      this.log.warn('could not check the lease; running the tool', { error: err });
      return true;
    });
    if (this.finished || this.handingBack) return;
    if (!owner) {
      this.log.warn('another worker holds the call; leaving the tool call to it', { tool: name });
      return this.handBack('lease-lost');
    }
    if (name === TRANSFER_TOOL) return this.startTransfer(toolCallId, args);
    if (name === END_CALL_TOOL && this.config?.endCall.enabled) {
      // The answer lets the model say goodbye if it has not yet; the line is hung up once that has played.
      this.toolOutput(toolCallId, END_CALL_OUTPUT);
      this.send({ type: 'response.create' });
      this.action('end-call', { toolCallId });
      return this.hangUpAfterGoodbye('agent-hung-up');
    }
    this.toolOutput(toolCallId, unknownToolOutput(name));
    this.send({ type: 'response.create' });
    this.action('tool-refused', { toolCallId, name });
  }

  private toolOutput(toolCallId: string, output: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: toolCallId, output } });
  }

  private async startTransfer(toolCallId: string, args: string): Promise<void> {
    const plan = planTransfer(this.config, args);
    this.toolOutput(toolCallId, plan.output);
    if (plan.kind === 'refuse') {
      this.send({ type: 'response.create' });
      this.action('transfer-refused', { toolCallId, arguments: args });
      return;
    }
    // No response.create: the agent announced the transfer before calling the tool (its
    // description says so), and more speech would only be cut off by the transfer.
    this.action('transfer', { toolCallId, target: plan.name, uri: plan.uri });
    this.leaving = { outcome: 'transferred', transferTarget: plan.uri };
    const watchdog = this.timer(this.deps.timings.transferTimeoutMs, () => this.transferFailed(plan.name, 'call-did-not-leave'));
    this.transfer = { name: plan.name, watchdog };
    try {
      await this.deps.openai.realtime.calls.refer(this.callId, { target_uri: plan.uri });
    } catch (err) {
      if (isCallGone(err)) {
        this.clearTimer(watchdog);
        this.leaving = { outcome: 'completed', reason: 'caller-hung-up' };
        return;
      }
      // A REFER re-sent blindly could transfer the caller twice. One that may have landed is left
      // to the watchdog: the call leaves (transferred) or it does not (the agent carries on).
      if (requestMayHaveLanded(err)) {
        this.log.warn('refer got no answer; waiting to see whether the call leaves', { target: plan.name });
        return;
      }
      this.transferFailed(plan.name, `refer-failed${err instanceof APIError && err.status ? `-${err.status}` : ''}`);
    }
  }

  /** The call did not leave (refer refused, or 200 with nothing after it): the agent carries on. */
  private transferFailed(name: string, reason: string): void {
    if (!this.transfer || this.finished) return;
    this.clearTimer(this.transfer.watchdog);
    this.transfer = undefined;
    this.leaving = undefined;
    this.log.warn('transfer did not go through', { target: name, reason });
    this.action('transfer-failed', { target: name, reason });
    this.send({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: transferFailedNote(name) }] } });
    this.send({ type: 'response.create' });
  }

  /** Lets the agent's goodbye play out (its response done, then its audio stopped), then hangs up. */
  private hangUpAfterGoodbye(reason: string): void {
    const timer = this.timer(this.deps.timings.hangupTimeoutMs, () => void this.hangUp());
    this.goodbye = { reason, responseDone: false, timer };
  }

  private async hangUp(): Promise<void> {
    if (this.hungUp || !this.goodbye) return;
    this.hungUp = true;
    this.clearTimer(this.goodbye.timer);
    this.action('hangup', { reason: this.goodbye.reason });
    // Set first: OpenAI may close the socket before it answers.
    this.leaving = { outcome: 'completed', reason: this.goodbye.reason };
    try {
      await this.hangUpOnce();
    } catch (err) {
      if (isCallGone(err)) {
        this.leaving = { outcome: 'completed', reason: 'caller-hung-up' };
      } else {
        // The call goes on; the caller, the time limit or OpenAI's session cap will end it.
        this.hungUp = false;
        this.leaving = undefined;
        this.log.error('hangup failed; the call goes on', { error: err });
        this.action('hangup-failed', { status: err instanceof APIError ? err.status : undefined });
        return;
      }
    }
    // OpenAI closes the socket once the call is gone; if it does not, close it ourselves.
    this.timer(this.deps.timings.closeGraceMs, () => this.socket?.terminate());
  }

  /**
   * `/hangup`, sent again once if the first got no answer: ending a call twice is harmless, and a
   * 404 to the second means the first ended it, not that the caller went first.
   */
  private async hangUpOnce(): Promise<void> {
    try {
      await this.deps.openai.realtime.calls.hangup(this.callId);
    } catch (err) {
      if (!requestMayHaveLanded(err)) throw err;
      // The call left while we waited: the first one did it.
      if (this.finished) return;
      await this.deps.openai.realtime.calls.hangup(this.callId).catch((retryErr: unknown) => {
        if (!isCallGone(retryErr)) throw retryErr;
      });
    }
  }

  private async onClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    if (socket !== this.socket || this.finished) return;
    this.socket = undefined;
    if (this.handingBack) return this.resolveEnd(this.handedBack());
    this.quickDrops = this.now() - this.attachedAt < QUICK_DROP_MS ? this.quickDrops + 1 : 0;
    const next = afterClose(code, reason, this.leaving, this.quickDrops);
    if (next.kind === 'finish') {
      if (next.hangUp) await this.deps.openai.realtime.calls.hangup(this.callId).catch(() => undefined);
      return this.finish(next.ending);
    }
    // The close alone does not say whether the call is over: re-attach, and a 404 tells.
    this.log.info('sideband closed; re-attaching', { code });
    if (next.delayMs > 0) await new Promise((resolve) => this.timer(next.delayMs, () => resolve(undefined)));
    try {
      const reopened = await this.deps.connect(this.callId);
      if (this.handingBack || this.finished) return void reopened.socket.close();
      this.attach(reopened);
      this.action('reattached', { afterCloseCode: code });
    } catch (err) {
      if (this.handingBack) return this.resolveEnd(this.handedBack());
      await this.finish(reattachFailedEnding(err));
    }
  }

  private async finish(ending: PlannedEnding): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    const endedAt = this.now();
    const full: CallEnding = { ...ending, endedAt: new Date(endedAt).toISOString(), durationSeconds: durationSeconds(this.startedAt, endedAt) };
    // Everything said before the end is stored before the end is.
    await this.deps.entries.settled(this.callId);
    try {
      await this.deps.store.finish(this.callId, full);
    } catch (err) {
      this.log.error('could not store how the call ended', { error: err });
    }
    this.log.info('call ended', { outcome: full.outcome, reason: full.reason, durationSeconds: full.durationSeconds });
    this.socket?.close();
    this.resolveEnd({ kind: 'ended', ending: full });
  }
}
