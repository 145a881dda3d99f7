/**
 * The emulator's calls: their state machine, their sideband sockets and everything recorded about
 * them. Lookups are by id only, so the cost per call does not grow with the number of calls.
 */
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import type { WebSocket } from 'ws';
import type { SipHeader } from '../../core/calls/sip-headers';
import { mcpToolsOf, serialize, sessionFor, type ServerEvent } from './events';
import { ScriptRunner } from './script-runner';
import type { ConversationScript, Timing } from './scripts';
import type { Timers } from './timers';

export type CallStatus = 'ringing' | 'accepted' | 'rejected' | 'ended' | 'transferred' | 'missed';

/** One attempt at delivering a call's webhook (a copy is retried until an attempt is answered 2xx). */
export interface WebhookAttempt {
  webhookId: string;
  /** 1 for the first attempt, 2 for the first retry, ... (counted per copy when duplicated). */
  attempt: number;
  status?: number;
  error?: string;
  /** Epoch ms the attempt started. */
  at: number;
}

export interface CallState {
  callId: string;
  state: CallStatus;
  sipHeaders: SipHeader[];
  acceptedWith?: CallAcceptParams;
  rejectedWith?: { status_code: number };
  /** Set by a `/refer` that answered 200 and was not faulted; the call leaves a tick later. */
  referredTo?: string;
  /** For `ended`: `/hangup` (agent) or the caller. */
  endedBy?: 'agent' | 'caller';
  /** Sideband sockets attached now. */
  sockets: number;
  /** Index of the next script step to start (steps.length once all have started). */
  scriptStep: number;
  /** The script is blocked on a function call's output and `response.create`. */
  waitingForToolOutput: boolean;
}

export class Call {
  state: CallStatus = 'ringing';
  acceptedWith?: CallAcceptParams;
  rejectedWith?: { status_code: number };
  referredTo?: string;
  endedBy?: 'agent' | 'caller';
  session: Record<string, unknown> = {};
  readonly sockets = new Set<WebSocket>();
  readonly clientEvents: unknown[] = [];
  readonly webhookAttempts: WebhookAttempt[] = [];
  readonly script: ScriptRunner;

  constructor(
    readonly callId: string,
    readonly sipHeaders: SipHeader[],
    script: ConversationScript,
    timing: Timing,
    timers: Timers,
    /** Told of every server event the moment it is sent (benchmarks time what happens next). */
    private readonly observe?: (callId: string, event: ServerEvent) => void,
  ) {
    this.script = new ScriptRunner(script, timing, timers, {
      live: () => this.state === 'accepted',
      attached: () => this.sockets.size > 0,
      send: (event) => this.send(event),
      drop: () => this.closeSockets('abrupt'),
      hangUp: () => this.callerHangsUp(),
      mcpTools: () => mcpToolsOf(this.session),
    });
  }

  accept(params: CallAcceptParams): void {
    this.state = 'accepted';
    this.acceptedWith = params;
    this.session = sessionFor(params);
    this.script.listMcpTools(mcpToolsOf(this.session));
  }

  /** The session after a `session.update`: `session.updated`, then the MCP servers it adds are listed. */
  updateSession(session: Record<string, unknown>): void {
    this.session = session;
    this.send({ type: 'session.updated', session });
    this.script.listMcpTools(mcpToolsOf(session));
  }

  reject(statusCode: number): void {
    this.state = 'rejected';
    this.rejectedWith = { status_code: statusCode };
  }

  /** The call leaves the emulator: `/hangup` and `/refer` close sockets cleanly, a caller does not. */
  leave(state: 'ended' | 'transferred', endedBy?: 'agent' | 'caller'): void {
    this.state = state;
    this.endedBy = endedBy;
    this.script.stop();
    this.closeSockets(endedBy === 'caller' ? 'abrupt' : 'normal');
  }

  callerHangsUp(): void {
    if (this.state === 'ringing') this.state = 'missed';
    else if (this.state === 'accepted') this.leave('ended', 'caller');
  }

  /** Sends to every attached socket: a second connection to the same call sees the same events. */
  send(event: ServerEvent): void {
    const data = serialize(event);
    for (const ws of this.sockets) ws.send(data);
    this.observe?.(this.callId, event);
  }

  /** `abrupt` destroys the TCP connection (the client sees 1006); `normal` sends a 1000 close frame. */
  closeSockets(how: 'abrupt' | 'normal'): void {
    for (const ws of this.sockets) {
      if (how === 'abrupt') ws.terminate();
      else ws.close(1000, 'call ended');
    }
    this.sockets.clear();
  }

  snapshot(): CallState {
    return {
      callId: this.callId,
      state: this.state,
      sipHeaders: this.sipHeaders,
      acceptedWith: this.acceptedWith,
      rejectedWith: this.rejectedWith,
      referredTo: this.referredTo,
      endedBy: this.endedBy,
      sockets: this.sockets.size,
      scriptStep: this.script.step,
      waitingForToolOutput: this.script.waitingForToolOutput,
    };
  }
}
