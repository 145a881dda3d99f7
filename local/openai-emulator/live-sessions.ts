/**
 * The Live side of a SIP call: its session (`live_...`), and `POST /v1/live/sessions/{session_id}/
 * accept|reject|refer|hangup`, answering like the real API: 200 with an empty body, or an OpenAI
 * error body (401, 400 naming the param, 404 once the session is gone). Every request is recorded,
 * refused ones included, and faults are injected as for the Realtime API (faults.ts), keyed by the
 * session id.
 *
 * "The first successful Realtime or Live accept endpoint selects the runtime surface" (the `openai`
 * SDK's webhook types): the session and the Realtime call share one `Call` (calls.ts), so an accept
 * through either API takes the call from the other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionAcceptParams } from 'openai/resources/live/sessions';
import type { WebSocket } from 'ws';
import type { ParamError } from './accept-params';
import { apiError } from './auth';
import type { Call, LiveSide, WebhookAttempt } from './calls';
import { handleControlRequest, invalid, ok, type ControlRequestContext, type ControlResponse, type VerbTable } from './control-request';
import { serialize } from './events';
import { sessionClosed, sessionResource, responsesOf, type CloseReason, type ServerEvent } from './live-events';
import { liveAcceptError, liveHangupError, liveReferError, liveRejectError } from './live-params';
import { LiveScriptRunner } from './live-script';
import type { ConversationScript, Timing } from './scripts';
import type { Timers } from './timers';

export class LiveSession implements LiveSide {
  acceptedWith?: SessionAcceptParams;
  /** The resolved session (SessionResource), as `session.updated` and `session.closed` report it. */
  session: Record<string, unknown> = {};
  closedWith?: CloseReason;
  /** The `event_id` of the client's `session.close`, echoed on `session.closed`. */
  closeEventId?: string;
  readonly sockets = new Set<WebSocket>();
  readonly clientEvents: unknown[] = [];
  readonly webhookAttempts: WebhookAttempt[] = [];
  readonly script: LiveScriptRunner;

  constructor(
    readonly sessionId: string,
    /** The SIP call, shared with its Realtime side. */
    readonly call: Call,
    script: ConversationScript,
    timing: Timing,
    timers: Timers,
    private readonly observe?: (sessionId: string, event: ServerEvent) => void,
  ) {
    call.live = this;
    this.script = new LiveScriptRunner(script, timing, timers, {
      sessionId,
      live: () => this.runsCall,
      attached: () => this.sockets.size > 0,
      send: (event) => this.send(event),
      drop: () => this.closeSockets('abrupt'),
      hangUp: () => this.call.callerHangsUp(),
      backend: () => responsesOf(this.session),
    });
  }

  /** The Live API accepted the call and it has not ended. */
  get runsCall(): boolean {
    return this.call.surface === 'live' && this.call.state === 'accepted';
  }

  get scriptStep(): number {
    return this.script.step;
  }

  get waitingForToolOutput(): boolean {
    return this.script.waitingForToolOutput;
  }

  accept(params: SessionAcceptParams): void {
    this.acceptedWith = params;
    this.session = sessionResource(this.sessionId, params.session as unknown as Record<string, unknown>);
    this.call.acceptThroughLive();
  }

  updateSession(session: Record<string, unknown>, clientEventId?: string): void {
    this.session = session;
    this.send({ type: 'session.updated', session, ...(clientEventId && { client_event_id: clientEventId }) });
  }

  /**
   * The call left while this session ran it: `session.closed` with the final usage, then a clean
   * close (the sideband's `graceful_close`; "the server may also enable this behavior by default").
   * `close_requested` is "an application close or hangup request"; a caller's hang-up is a
   * graceful remote disconnect, `remote_hangup`. For a transfer no page names the reason
   * (unconfirmed): the SDK's reasons have no `transferred`, and after a REFER the provider ends
   * OpenAI's leg with a BYE, so it is `remote_hangup` too.
   */
  left(state: 'ended' | 'transferred', endedBy?: 'agent' | 'caller'): void {
    this.script.stop();
    this.closedWith = state === 'ended' && endedBy === 'agent' ? 'close_requested' : 'remote_hangup';
    this.send(sessionClosed(this.closedWith, this.session, this.script.timelineMs, this.closeEventId));
    this.closeSockets('normal');
  }

  /** Sends to every attached socket: a second sideband on the same session sees the same events. */
  send(event: ServerEvent): void {
    const data = serialize(event);
    for (const ws of this.sockets) ws.send(data);
    this.observe?.(this.sessionId, event);
  }

  /** Sends to one socket (an error answering what it sent). */
  sendTo(ws: WebSocket, event: ServerEvent): void {
    ws.send(serialize(event));
    this.observe?.(this.sessionId, event);
  }

  /** `abrupt` destroys the TCP connection (the client sees 1006); `normal` sends a 1000 close frame. */
  closeSockets(how: 'abrupt' | 'normal'): void {
    for (const ws of this.sockets) {
      if (how === 'abrupt') ws.terminate();
      else ws.close(1000, 'session closed');
    }
    this.sockets.clear();
  }
}

/** `received` is shared with the Realtime API's call control: ids do not collide (`rtc_` and `live_`). */
export interface LiveControlContext extends ControlRequestContext {
  sessions: Map<string, LiveSession>;
  /** How long after a 200 to `/refer` the call leaves. */
  referDelayMs: number;
}

const ROUTE = /^\/v1\/live\/sessions\/([^/]+)\/(accept|reject|refer|hangup)$/;

const refused = (error: ParamError): ControlResponse => invalid(error.message, error.param, error.code);
/** Unconfirmed: no page gives the Live API's 404 body; this is the Realtime one with the Live names. */
const notFound = (sessionId: string): ControlResponse => ({
  status: 404,
  error: apiError(`Session '${sessionId}' not found.`, 'invalid_request_error', null, 'session_not_found'),
});
/**
 * A second accept (through either API), or a reject after an accept. What the real API answers is
 * not documented (unconfirmed): the emulator's Realtime answer to a second accept, 400
 * `call_already_accepted`, for both APIs alike, so one check in a client covers both.
 */
const alreadyAccepted = (call: Call): ControlResponse =>
  invalid(call.surface === 'realtime' ? 'call already accepted through the Realtime API' : 'call already accepted', null, 'call_already_accepted');
/** Unconfirmed, as above: refer and hangup on a session the Live API does not run. */
const notAccepted = (sessionId: string, call: Call): ControlResponse =>
  invalid(
    call.surface === 'realtime'
      ? `Session '${sessionId}' was not accepted: the call was accepted through the Realtime API, control it with its call_id.`
      : `Session '${sessionId}' has not been accepted.`,
    null,
    'session_not_accepted',
  );
/** Ringing or accepted; a rejected, missed or finished call's session is gone. */
const isGone = (session: LiveSession | undefined): session is undefined => !session || !['ringing', 'accepted'].includes(session.call.state);

export function handleLiveCallControl(ctx: LiveControlContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  return handleControlRequest(ctx, ROUTE, VERBS, req, res, pathname);
}

const VERBS: VerbTable<LiveControlContext> = {
  accept(ctx, sessionId, body) {
    const error = liveAcceptError(body);
    if (error) return refused(error);
    const session = ctx.sessions.get(sessionId);
    if (isGone(session)) return notFound(sessionId);
    if (session.call.state === 'accepted') return alreadyAccepted(session.call);
    session.accept(body as SessionAcceptParams);
    return ok;
  },

  reject(ctx, sessionId, body) {
    const error = liveRejectError(body);
    if (error) return refused(error);
    const session = ctx.sessions.get(sessionId);
    if (isGone(session)) return notFound(sessionId);
    if (session.call.state === 'accepted') return alreadyAccepted(session.call);
    session.call.reject((body as { status_code: number }).status_code);
    return ok;
  },

  refer(ctx, sessionId, body) {
    const error = liveReferError(body);
    if (error) return refused(error);
    const session = ctx.sessions.get(sessionId);
    if (isGone(session)) return notFound(sessionId);
    if (!session.runsCall) return notAccepted(sessionId, session.call);
    const { call } = session;
    call.referredTo = (body as { target_uri: string }).target_uri;
    // 200 means "relayed to the carrier": the call leaves a moment later, not during the request.
    ctx.timers.after(ctx.referDelayMs, () => {
      if (session.runsCall) call.leave('transferred');
    });
    return ok;
  },

  hangup(ctx, sessionId, body) {
    const error = liveHangupError(body);
    if (error) return refused(error);
    const session = ctx.sessions.get(sessionId);
    if (isGone(session)) return notFound(sessionId);
    if (!session.runsCall) return notAccepted(sessionId, session.call);
    session.call.leave('ended', 'agent');
    return ok;
  },
};
