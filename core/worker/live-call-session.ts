import type WebSocket from 'ws';
import { isCallGone, referFailedReason, requestMayHaveLanded } from '../openai/call-control';
import type { NumberTool } from '../numbers/config';
import { recordedArguments } from '../tools/redact';
import { actionItem, transcriptItem, usageItem } from '../store/call-entries-store';
import type { CallEnding } from '../store/live-call-store';
import type { CallSessionInit, SessionEnd, SessionServices } from './call-session';
import { eventClock } from './event-clock';
import { attachFailedEnding, durationSeconds, reattachFailedEnding, type PlannedEnding } from './ending';
import { liveClosedEnding, readLiveEvent, type LiveEvent } from './live-events';
import { listen, type Sideband } from './sideband';
import { END_CALL_OUTPUT, interruptedToolOutput, planFunctionCall, sayExactly, toolResultDetails, toolsNotSetUpOutput, transferFailedNote, unansweredToolCalls, WRAP_UP_INSTRUCTIONS } from './tools';
import type { HandBackReason } from './call-phase';

/**
 * One GPT-Live call held by this worker: its Live sideband (re-opened while the session lives),
 * the caller's and the agent's words stored as they arrive, the backend's function calls run and
 * answered, the transfer and the hang-up through the Live endpoints, and the ending from
 * `session.closed`. The same record as a Realtime call; the Realtime session is CallSession.
 *
 * How words become lines: Live sends transcript fragments with no item ids and no completed
 * event (https://developers.openai.com/api/docs/guides/live-conversations). A line is what one
 * side says until the other side speaks; it is stored whole then (or when the socket drops or the
 * call ends), its id the side and the session-timeline start of its first fragment (`in-1520`,
 * `out-2210`): the entries table keeps one item per id, so nothing is stored twice, and a
 * re-attached worker starts new lines rather than repeating old ones. A worker that dies
 * mid-line loses that line's words so far.
 */
export class LiveCallSession {
  readonly ended: Promise<SessionEnd>;
  private resolveEnd!: (end: SessionEnd) => void;
  private readonly callId: string;
  private readonly startedAt: number;
  private readonly expiresAt: number | undefined;
  private readonly now: () => number;
  /** Stamps events in the order they arrived (core/worker/event-clock.ts). */
  private readonly eventAt: () => string;
  private socket: WebSocket | undefined;
  private seq = 0;
  private greeted: boolean;
  private phase: LivePhase = { kind: 'live' };
  /** The line being said, by whom and from when on the session's timeline. */
  private line: { role: 'caller' | 'agent'; id: string; text: string; at: string } | undefined;
  private readonly handled: Set<string>;
  /** Per delegation: its function calls, and which of them have been answered. */
  private readonly batches = new Map<string, { calls: Set<string>; answered: Set<string>; done: boolean }>();
  private lastAgentWordsAt = 0;
  private hangupTimer: NodeJS.Timeout | undefined;
  private limitTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly init: CallSessionInit,
    private readonly deps: SessionServices & { live: NonNullable<SessionServices['live']> },
  ) {
    const { call } = init;
    this.callId = call.callId;
    this.startedAt = Date.parse(call.startedAt);
    this.expiresAt = call.expiresAt;
    this.now = deps.now ?? Date.now;
    this.eventAt = eventClock(this.now);
    this.greeted = call.actions.some((a) => a.type === 'greeting');
    this.handled = new Set(call.actions.map((a) => a.toolCallId).filter((id): id is string => typeof id === 'string'));
    this.ended = new Promise((resolve) => (this.resolveEnd = resolve));
  }

  async run(attaching: Promise<Sideband> = this.deps.live.connect(this.callId)): Promise<SessionEnd> {
    try {
      this.attach(await attaching);
    } catch (err) {
      const ending = attachFailedEnding(err, this.init.acceptUnconfirmed ?? false);
      this.init.log.error('could not attach to the Live session', { reason: ending.reason });
      await this.finish(ending);
      return this.ended;
    }
    this.greetOnce();
    this.answerInterruptedTools();
    this.scheduleTimeLimit();
    return this.ended;
  }

  /**
   * The backend waits for an answer to every function call. One that a worker before this one
   * sent and never answered is answered now, so the call carries on; it is not run again (it may
   * have reached the user's system), and the answer says so. Then one response.create, the batch
   * being answered (its response was done before the call was handed on).
   */
  private answerInterruptedTools(): void {
    const unanswered = unansweredToolCalls(this.init.call.actions);
    for (const { toolCallId, name } of unanswered) {
      this.send({ type: 'response.item.create', item: { type: 'function_call_output', call_id: toolCallId, output: interruptedToolOutput(name) } });
      this.action('tool-result', { toolCallId, name, outcome: 'interrupted' });
    }
    if (unanswered.length > 0) this.send({ type: 'response.create' });
  }

  /** At the number's maxCallSeconds the agent is told to wrap up, and the line is hung up after its goodbye. */
  private scheduleTimeLimit(): void {
    const maxCallSeconds = this.init.config?.limits.maxCallSeconds;
    if (maxCallSeconds === undefined) return;
    this.limitTimer = setTimeout(() => {
      if (this.phase.kind !== 'live') return;
      this.action('time-limit', { maxCallSeconds });
      this.send({ type: 'session.instructions.append', content: WRAP_UP_INSTRUCTIONS, delegation_id: null });
      this.lastAgentWordsAt = this.now();
      this.hangUpAfterGoodbye({ outcome: 'completed', reason: 'max-duration' });
    }, Math.max(0, this.startedAt + maxCallSeconds * 1000 - this.now()));
  }

  /** Lets go of the call without ending it (drain), or because another worker has it. */
  handBack(why: HandBackReason): void {
    if (this.phase.kind === 'over') return;
    this.stop();
    this.socket?.removeAllListeners('close');
    this.socket?.close(1000, 'worker handing the call over');
    this.resolveEnd({ kind: why === 'lease-lost' ? 'lost' : 'handed-back' });
  }

  private attach(sideband: Sideband): void {
    const { socket } = sideband;
    this.socket = socket;
    socket.on('close', () => void this.onClose());
    socket.on('error', (err) => this.init.log.warn('Live sideband socket error', { error: err }));
    listen(sideband, (text) => void this.onEvent(readLiveEvent(text)));
  }

  /** The greeting, said word for word: Live has no response.create for speech, so it is appended as instructions. */
  private greetOnce(): void {
    const greeting = this.init.greeting;
    if (!greeting || this.greeted) return;
    this.greeted = true;
    this.send({ type: 'session.instructions.append', content: sayExactly(greeting), delegation_id: null });
    this.action('greeting');
  }

  private async onEvent(event: LiveEvent): Promise<void> {
    switch (event.type) {
      case 'said':
        return this.said(event.role, event.delta, event.startMs);
      case 'function-call':
        return this.onFunctionCall(event.delegationId, event.toolCallId, event.name, event.arguments);
      case 'backend-done': {
        if (event.usage && event.responseId) this.deps.entries.add(usageItem(this.callId, event.responseId, event.usage, this.expiresAt));
        const batch = this.batches.get(event.delegationId);
        if (batch) {
          batch.done = true;
          this.respondWhenAnswered(event.delegationId);
        }
        return;
      }
      case 'dtmf':
        return this.action('dtmf', { key: event.key });
      case 'progress': {
        const { type: _type, ...progress } = event;
        this.action('call-progress', progress);
        // A leg that failed while the call was being transferred is the transfer failing: said at once, not at the watchdog.
        if (event.stage === 'failed') this.transferFailed(`transport-failed-${event.code}`);
        return;
      }
      case 'usage':
        return this.recordLiveSeconds(event.seconds);
      case 'error':
        return this.action('error', { code: event.code, message: event.message });
      case 'closed': {
        if (event.seconds !== undefined) this.recordLiveSeconds(event.seconds);
        // After our refer or hang-up the session closes however the far end says it went: the call left as decided.
        const ending = this.plannedEnding() ?? liveClosedEnding(event.reason);
        return this.finish(ending);
      }
      case 'other':
        return;
    }
  }

  /** The session's seconds so far, a cumulative snapshot: one item, overwritten, never a sum. */
  private recordLiveSeconds(seconds: number): void {
    this.deps.entries.add(usageItem(this.callId, 'live-session', { inputTokens: 0, outputTokens: 0, totalTokens: 0, liveSeconds: seconds }, this.expiresAt));
  }

  private said(role: 'caller' | 'agent', delta: string, startMs: number): void {
    if (role === 'agent') this.lastAgentWordsAt = this.now();
    if (!this.line || this.line.role !== role) {
      this.storeLine();
      // When its first words arrived: the timeline reads in the order things happened here (the
      // session's own clock starts at the accept, not at the record's start).
      this.line = { role, id: `${role === 'caller' ? 'in' : 'out'}-${startMs}`, text: '', at: this.eventAt() };
    }
    this.line.text += delta;
  }

  /** The line being said, stored whole: when the other side speaks, the socket drops or the call ends. */
  private storeLine(): void {
    const line = this.line;
    this.line = undefined;
    if (line?.text.trim()) this.deps.entries.add(transcriptItem(this.callId, { role: line.role, text: line.text.trim(), at: line.at, id: line.id }, this.expiresAt));
  }

  private async onFunctionCall(delegationId: string, toolCallId: string, name: string, args: string): Promise<void> {
    // A re-attached socket or a second delivery must not run a tool twice.
    if (this.handled.has(toolCallId)) return;
    this.handled.add(toolCallId);
    const batch = this.batches.get(delegationId) ?? { calls: new Set<string>(), answered: new Set<string>(), done: false };
    this.batches.set(delegationId, batch);
    batch.calls.add(toolCallId);
    // Two workers can briefly share a call (one's lease ran out while it stalled): only the owner acts.
    const owner = await this.deps.ownsCall(this.callId).catch((err: unknown) => {
      this.init.log.warn('could not check the lease; running the tool', { error: err });
      return true;
    });
    if (!owner) {
      this.init.log.warn('another worker holds the call; leaving the tool call to it', { tool: name });
      return this.handBack('lease-lost');
    }
    const planned = planFunctionCall(this.init.config, name, args);
    switch (planned.kind) {
      case 'transfer':
        this.answer(delegationId, toolCallId, planned.plan.output);
        if (planned.plan.kind === 'refuse') return this.action('transfer-refused', { toolCallId, arguments: args });
        this.action('transfer', { toolCallId, target: planned.plan.name, uri: planned.plan.uri });
        return this.refer(planned.plan.name, planned.plan.uri);
      case 'end-call':
        this.answer(delegationId, toolCallId, END_CALL_OUTPUT);
        this.action('end-call', { toolCallId });
        return this.hangUpAfterGoodbye({ outcome: 'completed', reason: 'agent-hung-up' });
      case 'http-tool':
        return this.runTool(delegationId, toolCallId, planned.tool, args);
      case 'refuse':
        this.answer(delegationId, toolCallId, planned.output);
        return this.action('tool-refused', { toolCallId, name });
    }
  }

  private async runTool(delegationId: string, toolCallId: string, tool: NumberTool, rawArguments: string): Promise<void> {
    this.action('tool-call', { toolCallId, name: tool.name, arguments: recordedArguments(rawArguments, tool.redact ?? []) });
    const { call } = this.init;
    const result = this.deps.runTool
      ? await this.deps.runTool({ tool, toolCallId, rawArguments, call: { callId: this.callId, number: call.number, caller: call.caller, label: call.label } })
      : undefined;
    if (this.phase.kind === 'over') return;
    this.answer(delegationId, toolCallId, result?.output ?? toolsNotSetUpOutput(tool.name));
    this.action('tool-result', toolResultDetails(tool, toolCallId, result));
  }

  /**
   * A function call's output, to the backend: `response.item.create`. One `response.create`
   * follows once every call of the delegation is answered and its response is done (the batch
   * rule of the delegation guide; whether outputs may go before the nested response.completed is
   * unconfirmed, and waiting for it holds either way).
   */
  private answer(delegationId: string, toolCallId: string, output: string): void {
    this.send({ type: 'response.item.create', item: { type: 'function_call_output', call_id: toolCallId, output } });
    this.batches.get(delegationId)?.answered.add(toolCallId);
    this.respondWhenAnswered(delegationId);
  }

  private respondWhenAnswered(delegationId: string): void {
    const batch = this.batches.get(delegationId);
    if (!batch || !batch.done || batch.answered.size < batch.calls.size) return;
    this.batches.delete(delegationId);
    if (this.phase.kind === 'live') this.send({ type: 'response.create' });
  }

  private async refer(target: string, uri: string): Promise<void> {
    const watchdog = setTimeout(() => this.transferFailed('call-did-not-leave'), this.deps.timings.transferTimeoutMs);
    this.phase = { kind: 'transferring', target, ending: { outcome: 'transferred', reason: 'transferred', transferTarget: uri }, watchdog };
    try {
      await this.deps.openai.live.sessions.refer(this.callId, { target_uri: uri });
    } catch (err) {
      if (isCallGone(err)) return this.finish({ outcome: 'completed', reason: 'caller-hung-up' });
      if (requestMayHaveLanded(err)) return this.init.log.warn('refer got no answer; waiting to see whether the session closes', { uri });
      this.transferFailed(referFailedReason(err));
    }
  }

  /** A transfer under way did not go through: the caller is still here, and the agent is told and goes on with them (as on a Realtime call). */
  private transferFailed(reason: string): void {
    if (this.phase.kind !== 'transferring') return;
    const { target, watchdog } = this.phase;
    clearTimeout(watchdog);
    this.phase = { kind: 'live' };
    this.init.log.warn('transfer did not go through', { target, reason });
    this.action('transfer-failed', { target, reason });
    this.send({ type: 'session.instructions.append', content: transferFailedNote(target), delegation_id: null });
    this.send({ type: 'response.create' });
  }

  /** The goodbye is heard first: the line is hung up once the agent has been quiet a moment, at most hangupTimeoutMs on. */
  private hangUpAfterGoodbye(ending: PlannedEnding): void {
    if (this.phase.kind === 'transferring') clearTimeout(this.phase.watchdog);
    this.phase = { kind: 'hanging-up', ending };
    const giveUpAt = this.now() + this.deps.timings.hangupTimeoutMs;
    const check = () => {
      if (this.phase.kind === 'over') return;
      const quietFor = this.now() - this.lastAgentWordsAt;
      if (quietFor >= QUIET_MS || this.now() >= giveUpAt) return void this.hangUp();
      this.hangupTimer = setTimeout(check, QUIET_MS - quietFor);
    };
    this.hangupTimer = setTimeout(check, QUIET_MS);
  }

  private async hangUp(): Promise<void> {
    this.action('hangup');
    try {
      await this.deps.openai.live.sessions.hangup(this.callId);
    } catch (err) {
      if (!isCallGone(err)) this.init.log.warn('Live hangup failed; the session ends by itself', { error: err });
    }
  }

  /** The socket closed without session.closed: the session may live on, so attach again. */
  private async onClose(): Promise<void> {
    if (this.phase.kind === 'over') return;
    this.storeLine();
    try {
      this.attach(await this.deps.live.connect(this.callId));
      this.action('reattached');
    } catch (err) {
      await this.finish(this.plannedEnding() ?? reattachFailedEnding(err));
    }
  }

  /** How the worker decided the call ends, when it did (a transfer, its own hang-up): what a close then means. */
  private plannedEnding(): PlannedEnding | undefined {
    return this.phase.kind === 'transferring' || this.phase.kind === 'hanging-up' ? this.phase.ending : undefined;
  }

  /** Nothing more is done on the call: its timers stop. */
  private stop(): void {
    clearTimeout(this.hangupTimer);
    clearTimeout(this.limitTimer);
    if (this.phase.kind === 'transferring') clearTimeout(this.phase.watchdog);
    this.phase = { kind: 'over' };
  }

  private async finish(ending: PlannedEnding): Promise<void> {
    if (this.phase.kind === 'over') return;
    this.stop();
    this.socket?.removeAllListeners('close');
    this.socket?.close();
    this.storeLine();
    const endedAt = this.now();
    const closed: CallEnding = { ...ending, endedAt: new Date(endedAt).toISOString(), durationSeconds: durationSeconds(this.startedAt, endedAt) };
    // Everything said before the end is stored before the end is.
    await this.deps.entries.settled(this.callId);
    await this.deps.store.finish(this.callId, closed).catch((err: unknown) => this.init.log.error('could not record how the call ended', { error: err }));
    this.resolveEnd({ kind: 'ended', ending: closed });
  }

  private send(event: Record<string, unknown>): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(event));
  }

  private action(type: string, details: Record<string, unknown> = {}): void {
    this.deps.entries.add(actionItem(this.callId, { type, at: new Date(this.now()).toISOString(), ...details }, this.seq++, this.expiresAt));
  }
}

/** Where a held Live call is in leaving, said once (the Realtime session's phases are call-phase.ts). */
type LivePhase =
  | { kind: 'live' }
  /** A refer was sent; the watchdog runs until the session closes (a refer answered 200 may still never move the call). */
  | { kind: 'transferring'; target: string; ending: PlannedEnding; watchdog: NodeJS.Timeout }
  /** The agent ended the call, or its time is up: the line is hung up once the goodbye has been said. */
  | { kind: 'hanging-up'; ending: PlannedEnding }
  /** Ended, or handed to another worker: nothing more is done. */
  | { kind: 'over' };

/** How long the agent must have been quiet after end_call before the line is hung up. */
const QUIET_MS = 1_200;
