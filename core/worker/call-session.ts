import { APIError } from 'openai';
import type OpenAI from 'openai';
import type WebSocket from 'ws';
import { isCallGone, referFailedReason, requestMayHaveLanded } from '../openai/call-control';
import { SESSION_CAP_MS } from '../openai/limits';
import type { NumberConfig, NumberTool } from '../numbers/config';
import type { HttpToolCall, HttpToolResult } from '../tools/http-tool';
import { recordedArguments } from '../tools/redact';
import type { ReadSecret } from '../tools/secret-headers';
import { MCP_SETUP_EVENT_ID, mcpSessionUpdate } from './mcp-session';
import { McpTimeline } from './mcp-timeline';
import type { Log } from '../runtime/log';
import type { StoredCall } from '../store/stored-call';
import { actionItem, transcriptItem, usageItem } from '../store/call-entries-store';
import type { CallEnding, LiveCalls } from '../store/live-call-store';
import { isLetGo, next, type Effect, type HandBackReason, type Phase, type PhaseEvent, type PhaseTimer } from './call-phase';
import { eventClock } from './event-clock';
import { attachFailedEnding, durationSeconds, QUICK_DROP_MS, reattachFailedEnding, type PlannedEnding } from './ending';
import type { EntryWriter } from './entry-writer';
import { readSessionEvent, type SessionEvent } from './server-events';
import { listen, type Sideband } from './sideband';
import { END_CALL_OUTPUT, interruptedToolOutput, planFunctionCall, unansweredToolCalls, sayExactly, toolResultDetails, toolsNotSetUpOutput, WRAP_UP_INSTRUCTIONS, type TransferPlan } from './tools';

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
  sessionCapMs: SESSION_CAP_MS + 30_000,
};

/** What every session of a worker shares (one object per worker, not per call). */
export interface SessionServices {
  store: LiveCalls;
  /** Writes what is said and done on every call, many calls' entries to a request. */
  entries: EntryWriter;
  openai: Pick<OpenAI, 'realtime' | 'live'>;
  /** Opens (or re-opens) a call's sideband; rejects with CallNotFoundError when the call is gone. */
  connect: (callId: string) => Promise<Sideband>;
  /** GPT-Live sessions: opens (or re-opens) a session's sideband (`/v1/live/sessions/{id}/attach`). Absent where Live calls are not taken. */
  live?: { connect: (sessionId: string) => Promise<Sideband> };
  /** Whether this worker still holds the call's lease: only the owner runs a tool. */
  ownsCall: (callId: string) => Promise<boolean>;
  /** Runs one of a number's HTTP tools (signed, bounded, address-checked); absent where tools are not set up. */
  runTool?: (call: HttpToolCall) => Promise<HttpToolResult>;
  /** Reads a tool secret by name (the tool runner's reader): fills MCP servers' {{secret:NAME}} headers. Absent where tools are not set up. */
  readSecret?: ReadSecret;
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
  /** The words to greet the caller with, filled in for this call (core/calls/route.ts greetingFor). */
  greeting?: string;
}

/**
 * `handed-back`: let go on purpose (drain), the call is live for the next worker.
 * `lost`: another worker took the call over (this one's lease ran out).
 */
export type SessionEnd = { kind: 'ended'; ending: CallEnding } | { kind: 'handed-back' } | { kind: 'lost' };

/**
 * One live call held by this worker: its sideband socket (re-opened when it drops while the
 * call lives), everything said and done written to the record as it happens, the tools the
 * agent calls, the call's time limit, and how the call ended. Where the call is in leaving is
 * one phase (call-phase.ts decides its moves); this class runs what those moves ask for.
 */
export class CallSession {
  private phase: Phase = { kind: 'live' };
  private socket: WebSocket | undefined;
  private attachedAt = 0;
  private quickDrops = 0;
  private readonly now: () => number;
  /** Stamps events in the order they arrived (core/worker/event-clock.ts). */
  private readonly eventAt: () => string;
  private readonly callId: string;
  /** The call's time limits: one timer, for the wrap-up and then for OpenAI's session cap. */
  private limitTimer: NodeJS.Timeout | undefined;
  /** The other timers (phase timers, re-attach delay, close grace), made when first needed: most calls never do. */
  private timers: Set<NodeJS.Timeout> | undefined;
  private phaseTimers: Partial<Record<PhaseTimer, NodeJS.Timeout>> | undefined;
  /** The record's expiry, given to the call's entries too. */
  private readonly expiresAt: number | undefined;
  /** Entries numbered so far: orders actions taken in the same millisecond. */
  private seq = 0;
  // Made when first needed, and dropped once empty again: a held call mostly waits with all three empty.
  private handledTools: Set<string> | undefined;
  private speechStartedAt: Map<string, string> | undefined;
  private responseStartedAt: Map<string, string> | undefined;
  /** A response to ask for once the one in progress is done (OpenAI refuses a second active response). */
  private responseWanted = false;
  /** HTTP tool calls a worker before this one started and never answered: it died or let go mid-request. */
  private unanswered: { toolCallId: string; name: string }[] | undefined;
  private resolveEnd!: (end: SessionEnd) => void;
  readonly ended: Promise<SessionEnd>;
  private readonly deps: SessionServices;
  private readonly config: NumberConfig | undefined;
  private readonly log: Log;
  private readonly acceptUnconfirmed: boolean;
  private readonly startedAt: number;
  private readonly greeting: string | undefined;
  private greeted: boolean;
  private readonly label: string | undefined;
  private readonly number: string;
  private readonly caller: string;
  private mcp: McpTimeline | undefined;
  /** The MCP servers were added to the session (by this worker, or one before it: the session keeps them). */
  private mcpSetUp: boolean;

  constructor({ call, config, log, acceptUnconfirmed, greeting }: CallSessionInit, deps: SessionServices) {
    // Only what the session needs of the record is kept: a re-attached call's record can be long.
    this.deps = deps;
    this.config = config;
    this.log = log;
    this.acceptUnconfirmed = acceptUnconfirmed ?? false;
    this.now = deps.now ?? Date.now;
    this.eventAt = eventClock(this.now);
    this.callId = call.callId;
    this.startedAt = Date.parse(call.startedAt);
    this.greeting = greeting;
    this.greeted = call.actions.some((a) => a.type === 'greeting');
    const handled = call.actions.map((a) => a.toolCallId).filter((id): id is string => typeof id === 'string');
    if (handled.length > 0) this.handledTools = new Set(handled);
    const unanswered = unansweredToolCalls(call.actions);
    if (unanswered.length > 0) this.unanswered = unanswered;
    this.label = call.label;
    this.number = call.number;
    this.caller = call.caller;
    this.mcpSetUp = call.actions.some((a) => a.type === 'mcp-set-up');
    this.expiresAt = call.expiresAt;
    this.ended = new Promise((resolve) => (this.resolveEnd = resolve));
  }

  /** Attaches to the call (or takes the sideband already opening) and resolves when it ended or was handed back. */
  async run(attaching: Promise<Sideband> = this.deps.connect(this.callId)): Promise<SessionEnd> {
    let sideband: Sideband;
    try {
      sideband = await attaching;
    } catch (err) {
      if (isLetGo(this.phase)) return this.ended;
      const ending = attachFailedEnding(err, this.acceptUnconfirmed);
      this.log.error('could not attach to the call', { reason: ending.reason });
      this.dispatch({ type: 'over', ending });
      return this.ended;
    }
    if (isLetGo(this.phase)) {
      sideband.socket.close();
      return this.ended;
    }
    this.attach(sideband);
    this.greetOnce();
    this.answerInterruptedTools();
    this.scheduleLimits();
    return this.ended;
  }

  /**
   * Lets go of the call without ending it: `drain` (the worker stops; the call is live for the
   * next one) or `lease-lost` (another worker has it).
   */
  handBack(why: HandBackReason): void {
    this.dispatch({ type: 'hand-back', why });
  }

  private dispatch(event: PhaseEvent): void {
    const { phase, effects } = next(this.phase, event);
    this.phase = phase;
    for (const effect of effects) this.perform(effect);
  }

  private perform(effect: Effect): void {
    switch (effect.do) {
      case 'refer':
        return void this.refer(effect.uri);
      case 'hangup':
        return void this.hangUp();
      case 'start-timer':
        return this.startPhaseTimer(effect.timer);
      case 'cancel-timer':
        return this.cancelPhaseTimer(effect.timer);
      case 'record':
        return this.action(effect.action, effect.details);
      case 'tell-model':
        this.send({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: effect.note }] } });
        return this.respond();
      case 'say-wrap-up':
        // Time is up even mid-sentence: a response in progress would refuse the wrap-up's response.create.
        if (this.responseStartedAt?.size) this.send({ type: 'response.cancel' });
        return this.send({ type: 'response.create', response: { instructions: WRAP_UP_INSTRUCTIONS } });
      case 'finish':
        return void this.finish(effect.ending, effect.hangUp);
      case 'reattach':
        return void this.reattach(effect.delayMs, effect.afterCloseCode);
      case 'let-go':
        return this.letGo();
      case 'handed-back':
        return this.resolveEnd(this.handedBack());
    }
  }

  private handedBack(): SessionEnd {
    return { kind: this.phase.kind === 'handing-back' && this.phase.why === 'lease-lost' ? 'lost' : 'handed-back' };
  }

  private letGo(): void {
    this.clearTimers();
    const socket = this.socket;
    if (!socket) return this.resolveEnd(this.handedBack());
    socket.close(1000, 'worker handing the call over');
    // A close handshake nobody answers would hold the drain up for ws's 30 s.
    this.timer(this.deps.timings.closeGraceMs, () => socket.terminate());
  }

  private attach(sideband: Sideband): void {
    const { socket } = sideband;
    this.socket = socket;
    this.attachedAt = this.now();
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
    socket.on('error', (err) => this.log.warn('sideband socket error', { error: err }));
    listen(sideband, (text) => this.onMessage(text));
    void this.setUpMcp();
  }

  /**
   * The number's MCP servers, added once the call is attached, their headers' secrets filled here:
   * the accept (sent by the webhook, which holds no tool secrets) has none. Once per call; if the
   * socket dropped meanwhile, the next attach sends it.
   */
  private async setUpMcp(): Promise<void> {
    if (!this.config?.mcp?.length || this.mcpSetUp) return;
    this.mcpSetUp = true;
    const setup = await mcpSessionUpdate(this.config, this.deps.readSecret);
    if (isLetGo(this.phase)) return;
    if (setup.event && this.socket?.readyState !== 1) {
      this.mcpSetUp = false;
      return;
    }
    this.mcp = new McpTimeline(this.config, setup.secretValues);
    if (setup.event) this.send({ ...setup.event });
    this.action('mcp-set-up', { servers: setup.servers, ...(setup.skipped.length > 0 && { skipped: setup.skipped }) });
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

  private startPhaseTimer(name: PhaseTimer): void {
    const { transferTimeoutMs, hangupTimeoutMs, closeGraceMs } = this.deps.timings;
    const [ms, fire] = {
      'transfer-watchdog': [transferTimeoutMs, () => this.transferFailed('call-did-not-leave')],
      goodbye: [hangupTimeoutMs, () => this.dispatch({ type: 'goodbye-timeout' })],
      'close-grace': [closeGraceMs, () => this.socket?.terminate()],
    }[name] as [number, () => void];
    (this.phaseTimers ??= {})[name] = this.timer(ms, fire);
  }

  private cancelPhaseTimer(name: PhaseTimer): void {
    const timer = this.phaseTimers?.[name];
    if (!timer) return;
    clearTimeout(timer);
    this.timers?.delete(timer);
    delete this.phaseTimers![name];
  }

  private clearTimers(): void {
    clearTimeout(this.limitTimer);
    this.limitTimer = undefined;
    this.phaseTimers = undefined;
    if (!this.timers) return;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = undefined;
  }

  /**
   * The model waits for an answer to every function call. One that a worker before this one sent
   * and never answered is answered now, so the agent carries on; it is not run again (it may have
   * reached the user's system), and the answer says so.
   */
  private answerInterruptedTools(): void {
    for (const { toolCallId, name } of this.unanswered ?? []) {
      this.toolOutput(toolCallId, interruptedToolOutput(name));
      this.action('tool-result', { toolCallId, name, outcome: 'interrupted' });
    }
    if (this.unanswered) this.respond();
    this.unanswered = undefined;
  }

  /**
   * Asks the model for a response, once the one in progress (if any) is done: a function call
   * arrives before its response is done, and OpenAI refuses a second response while one is active.
   */
  private respond(): void {
    if (this.responseStartedAt?.size) {
      this.responseWanted = true;
      return;
    }
    this.responseWanted = false;
    this.send({ type: 'response.create' });
  }

  private greetOnce(): void {
    const greeting = this.greeting;
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
    this.dispatch({ type: 'time-up', maxCallSeconds: this.config?.limits.maxCallSeconds });
    if (!isLetGo(this.phase)) this.scheduleSessionCap();
  }

  private scheduleSessionCap(): void {
    this.limitTimer = setTimeout(() => {
      this.limitTimer = undefined;
      this.log.warn("call outlived OpenAI's 60-minute session cap");
      this.dispatch({ type: 'over', ending: { outcome: 'completed', reason: 'session-limit' } });
    }, Math.max(0, this.startedAt + this.deps.timings.sessionCapMs - this.now()));
  }

  private onMessage(text: string): void {
    const event = readSessionEvent(text);
    if (event === 'not-json') return this.log.warn('sideband sent something that is not JSON');
    if (event) this.onEvent(event, this.eventAt());
  }

  private onEvent(event: SessionEvent, at: string): void {
    switch (event.type) {
      case 'speech-started':
        (this.speechStartedAt ??= new Map()).set(event.itemId, at);
        return;
      case 'caller-said':
        // Billed even when nothing was heard, so stored before the transcript's empty check.
        if (event.usage) this.deps.entries.add(usageItem(this.callId, `t#${event.itemId}`, event.usage, this.expiresAt));
        this.transcript('caller', event.itemId, event.transcript, this.speechStartedAt?.get(event.itemId) ?? at);
        if (this.speechStartedAt?.delete(event.itemId) && this.speechStartedAt.size === 0) this.speechStartedAt = undefined;
        return;
      case 'response-created':
        if (!event.responseId) return;
        (this.responseStartedAt ??= new Map()).set(event.responseId, at);
        return this.dispatch({ type: 'response-created', responseId: event.responseId });
      case 'agent-said':
        return this.transcript('agent', event.itemId, event.transcript, this.responseStartedAt?.get(event.responseId) ?? at);
      case 'response-done':
        if (event.usage) {
          const id = event.responseId ?? `${new Date(this.now()).toISOString()}#${this.seq++}`;
          this.deps.entries.add(usageItem(this.callId, id, event.usage, this.expiresAt));
        }
        if (!event.responseId) return;
        this.dispatch({ type: 'response-done', responseId: event.responseId });
        if (this.responseStartedAt?.delete(event.responseId) && this.responseStartedAt.size === 0) this.responseStartedAt = undefined;
        if (this.responseWanted && !this.responseStartedAt) this.respond();
        return;
      case 'audio-stopped':
        return this.dispatch({ type: 'audio-stopped' });
      case 'dtmf':
        return this.action('dtmf', { key: event.key });
      case 'error':
        return this.action(event.clientEventId === MCP_SETUP_EVENT_ID ? 'mcp-set-up-failed' : 'error', { code: event.code, message: event.message });
      case 'mcp-started':
      case 'mcp-listed':
      case 'mcp-status':
      case 'mcp-call': {
        const line = (this.mcp ??= new McpTimeline(this.config)).read(event);
        if (line) this.action(line.type, line.details);
        return;
      }
      case 'function-call':
        return void this.onFunctionCall(event.toolCallId, event.name, event.arguments);
    }
  }

  private transcript(role: 'caller' | 'agent', id: string, text: string, at: string): void {
    if (!text.trim()) return;
    this.deps.entries.add(transcriptItem(this.callId, { role, text, at, id }, this.expiresAt));
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
    if (isLetGo(this.phase)) return;
    if (!owner) {
      this.log.warn('another worker holds the call; leaving the tool call to it', { tool: name });
      return this.handBack('lease-lost');
    }
    const planned = planFunctionCall(this.config, name, args);
    switch (planned.kind) {
      case 'transfer':
        return this.startTransfer(toolCallId, planned.plan, args);
      case 'end-call':
        // The answer lets the model say goodbye if it has not yet; the line is hung up once that has played.
        this.toolOutput(toolCallId, END_CALL_OUTPUT);
        this.respond();
        this.action('end-call', { toolCallId });
        return this.dispatch({ type: 'end-call' });
      case 'http-tool':
        return this.runHttpTool(planned.tool, toolCallId, args);
      case 'refuse':
        this.toolOutput(toolCallId, planned.output);
        this.respond();
        this.action('tool-refused', { toolCallId, name });
    }
  }

  /**
   * One of the number's HTTP tools. The call goes on whatever the endpoint does: its answer, or an
   * error the agent can say, goes back to the model. `tool-call` is on the timeline before the
   * request, so a worker that takes the call over knows it was sent and never sends it again.
   */
  private async runHttpTool(tool: NumberTool, toolCallId: string, rawArguments: string): Promise<void> {
    // Arguments that are not JSON: the runner answers so, and the model calls again.
    this.action('tool-call', { toolCallId, name: tool.name, arguments: recordedArguments(rawArguments, tool.redact ?? []) });
    // No dead air while the request runs: a line for the caller once it takes longer than a moment.
    const filler = tool.whileWaiting;
    const waiting = filler ? this.timer(tool.whileWaitingAfterMs, () => this.sayWhileWaiting(filler)) : undefined;
    const result = this.deps.runTool
      ? await this.deps.runTool({ tool, toolCallId, rawArguments, call: { callId: this.callId, number: this.number, caller: this.caller, label: this.label } })
      : undefined;
    if (waiting) {
      clearTimeout(waiting);
      this.timers?.delete(waiting);
    }
    // Let go meanwhile: the next worker answers it as interrupted.
    if (isLetGo(this.phase)) return;
    this.toolOutput(toolCallId, result?.output ?? toolsNotSetUpOutput(tool.name));
    this.respond();
    this.action('tool-result', toolResultDetails(tool, toolCallId, result));
  }

  private sayWhileWaiting(words: string): void {
    if (this.responseStartedAt?.size) return;
    this.send({ type: 'response.create', response: { instructions: sayExactly(words) } });
    this.action('tool-waiting', { words });
  }

  private toolOutput(toolCallId: string, output: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: toolCallId, output } });
  }

  private startTransfer(toolCallId: string, plan: TransferPlan, args: string): void {
    this.toolOutput(toolCallId, plan.output);
    if (plan.kind === 'refuse') {
      this.respond();
      this.action('transfer-refused', { toolCallId, arguments: args });
      return;
    }
    // No response.create: the agent announced the transfer before calling the tool (its
    // description says so), and more speech would only be cut off by the transfer.
    this.action('transfer', { toolCallId, target: plan.name, uri: plan.uri });
    this.dispatch({ type: 'transfer', target: plan.name, uri: plan.uri });
  }

  private async refer(uri: string): Promise<void> {
    try {
      await this.deps.openai.realtime.calls.refer(this.callId, { target_uri: uri });
    } catch (err) {
      if (isCallGone(err)) return this.dispatch({ type: 'refer-gone' });
      // A REFER re-sent blindly could transfer the caller twice. One that may have landed is left
      // to the watchdog: the call leaves (transferred) or it does not (the agent carries on).
      if (requestMayHaveLanded(err)) return this.log.warn('refer got no answer; waiting to see whether the call leaves', { uri });
      this.transferFailed(referFailedReason(err));
    }
  }

  private transferFailed(reason: string): void {
    if (this.phase.kind !== 'transferring') return;
    this.log.warn('transfer did not go through', { target: this.phase.target, reason });
    this.dispatch({ type: 'transfer-failed', reason });
  }

  private async hangUp(): Promise<void> {
    try {
      await this.hangUpOnce();
    } catch (err) {
      if (isCallGone(err)) return this.dispatch({ type: 'hangup-gone' });
      this.log.error('hangup failed; the call goes on', { error: err });
      return this.dispatch({ type: 'hangup-failed', status: err instanceof APIError ? err.status : undefined });
    }
    this.dispatch({ type: 'hangup-answered' });
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
      if (isLetGo(this.phase)) return;
      await this.deps.openai.realtime.calls.hangup(this.callId).catch((retryErr: unknown) => {
        if (!isCallGone(retryErr)) throw retryErr;
      });
    }
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket || this.phase.kind === 'finished') return;
    this.socket = undefined;
    this.quickDrops = this.now() - this.attachedAt < QUICK_DROP_MS ? this.quickDrops + 1 : 0;
    this.dispatch({ type: 'socket-closed', code, reason, quickDrops: this.quickDrops });
  }

  /** The close alone does not say whether the call is over: re-attach, and a 404 tells. */
  private async reattach(delayMs: number, afterCloseCode: number): Promise<void> {
    this.log.info('sideband closed; re-attaching', { code: afterCloseCode });
    if (delayMs > 0) await new Promise((resolve) => this.timer(delayMs, () => resolve(undefined)));
    try {
      const reopened = await this.deps.connect(this.callId);
      if (isLetGo(this.phase)) return void reopened.socket.close();
      this.attach(reopened);
      this.action('reattached', { afterCloseCode });
    } catch (err) {
      if (isLetGo(this.phase)) return this.resolveEnd(this.handedBack());
      this.dispatch({ type: 'over', ending: reattachFailedEnding(err) });
    }
  }

  private async finish(ending: PlannedEnding, hangUp: boolean): Promise<void> {
    this.clearTimers();
    if (hangUp) await this.deps.openai.realtime.calls.hangup(this.callId).catch(() => undefined);
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
