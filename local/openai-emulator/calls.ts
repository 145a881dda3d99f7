/**
 * The emulator's calls: their state machine, their sideband sockets and everything recorded about
 * them. Lookups are by id only, so the cost per call does not grow with the number of calls.
 *
 * A `Call` is one SIP call. It may be offered to the Realtime API, to the Live API or to both
 * (one INVITE, one `Call-ID`, two webhooks with two ids); its `state` is the call's, whichever API
 * moved it, and `surface` says which API's accept succeeded first and so runs it. The Live side of
 * a call is its `LiveSession` (live-sessions.ts), linked here as `live`.
 */
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import type { SessionAcceptParams } from 'openai/resources/live/sessions';
import type { WebSocket } from 'ws';
import type { SipHeader } from '../../core/calls/sip-headers';
import { mcpToolsOf, serialize, sessionFor, type ServerEvent } from './events';
import { ScriptRunner } from './script-runner';
import type { ConversationScript, Timing } from './scripts';
import type { Timers } from './timers';

export type CallStatus = 'ringing' | 'accepted' | 'rejected' | 'ended' | 'transferred' | 'missed';

/** The API a call is offered to, and the one that runs it once accepted. */
export type Surface = 'realtime' | 'live';

/** What a call needs from its Live session, when it was offered to the Live API. */
export interface LiveSide {
  readonly sessionId: string;
  /** The call left (hangup, transfer, caller) while the Live API ran it: `session.closed`, then the sockets close. */
  left(state: 'ended' | 'transferred', endedBy?: 'agent' | 'caller'): void;
  readonly acceptedWith?: SessionAcceptParams;
  readonly sockets: ReadonlySet<unknown>;
  readonly scriptStep: number;
  readonly waitingForToolOutput: boolean;
}

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
  /** The Realtime `call_id` (for a call offered only to Live, one no webhook announced). */
  callId: string;
  /** The Live `session_id`, when the call was offered to the Live API. */
  liveSessionId?: string;
  /** The APIs the call was offered to, in the order their webhooks went out. */
  offeredTo: Surface[];
  /** The API whose accept succeeded first: it runs the call, the other one refuses it. */
  surface?: Surface;
  state: CallStatus;
  sipHeaders: SipHeader[];
  acceptedWith?: CallAcceptParams;
  /** The body of the Live `/accept` that answered 200. */
  liveAcceptedWith?: SessionAcceptParams;
  rejectedWith?: { status_code: number };
  /** Set by a `/refer` that answered 200 and was not faulted; the call leaves a tick later. */
  referredTo?: string;
  /** For `ended`: `/hangup` (agent) or the caller. */
  endedBy?: 'agent' | 'caller';
  /** Sideband sockets attached now (the Live ones when the Live API runs the call). */
  sockets: number;
  /** Index of the next script step to start (steps.length once all have started), on the surface that runs the call. */
  scriptStep: number;
  /** The script is blocked on function call outputs and `response.create`. */
  waitingForToolOutput: boolean;
}

export class Call {
  state: CallStatus = 'ringing';
  acceptedWith?: CallAcceptParams;
  rejectedWith?: { status_code: number };
  referredTo?: string;
  endedBy?: 'agent' | 'caller';
  surface?: Surface;
  offeredTo: readonly Surface[] = ['realtime'];
  /** The same SIP call on the Live API, when it was offered there. */
  live?: LiveSide;
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
      live: () => this.state === 'accepted' && this.surface === 'realtime',
      attached: () => this.sockets.size > 0,
      send: (event) => this.send(event),
      drop: () => this.closeSockets('abrupt'),
      hangUp: () => this.callerHangsUp(),
      mcpTools: () => mcpToolsOf(this.session),
    });
  }

  accept(params: CallAcceptParams): void {
    this.state = 'accepted';
    this.surface = 'realtime';
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

  /** The Live API accepted the call: from now on its session runs it, and the Realtime API refuses it. */
  acceptThroughLive(): void {
    this.state = 'accepted';
    this.surface = 'live';
  }

  /**
   * The call leaves the emulator. On the Realtime API `/hangup` and `/refer` close sockets cleanly,
   * a caller does not; on the Live API the session says `session.closed` first (live-sessions.ts).
   */
  leave(state: 'ended' | 'transferred', endedBy?: 'agent' | 'caller'): void {
    this.state = state;
    this.endedBy = endedBy;
    if (this.surface === 'live') {
      this.live?.left(state, endedBy);
      return;
    }
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
    const live = this.surface === 'live' ? this.live : undefined;
    return {
      callId: this.callId,
      liveSessionId: this.live?.sessionId,
      offeredTo: [...this.offeredTo],
      surface: this.surface,
      state: this.state,
      sipHeaders: this.sipHeaders,
      acceptedWith: this.acceptedWith,
      liveAcceptedWith: this.live?.acceptedWith,
      rejectedWith: this.rejectedWith,
      referredTo: this.referredTo,
      endedBy: this.endedBy,
      sockets: live ? live.sockets.size : this.sockets.size,
      scriptStep: live ? live.scriptStep : this.script.step,
      waitingForToolOutput: live ? live.waitingForToolOutput : this.script.waitingForToolOutput,
    };
  }
}
