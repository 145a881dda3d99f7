/**
 * `POST /v1/realtime/calls/{call_id}/accept|reject|refer|hangup`, answering like the real API:
 * 200 with an empty body, or an OpenAI error body (401, 400 naming the param, 404 once the call is
 * gone). Every request is recorded, refused ones included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import { acceptParamsError } from './accept-params';
import { apiError } from './auth';
import type { Call } from './calls';
import { handleControlRequest, invalid, ok, type ControlRequestContext, type ControlResponse, type VerbTable } from './control-request';

export interface CallControlContext extends ControlRequestContext {
  calls: Map<string, Call>;
  /** How long after a 200 to `/refer` the call leaves. */
  referDelayMs: number;
}

const ROUTE = /^\/v1\/realtime\/calls\/([^/]+)\/(accept|reject|refer|hangup)$/;

const notFound = (callId: string): ControlResponse => ({
  status: 404,
  error: apiError(`Call '${callId}' not found.`, 'invalid_request_error', null, 'call_not_found'),
});
const notAccepted = (callId: string) => invalid(`Call '${callId}' has not been accepted.`, null, 'call_not_accepted');
/** The Live API accepted the same SIP call: it runs it, and only its session id controls it. */
const acceptedThroughLive = (callId: string) =>
  invalid(`Call '${callId}' was accepted through the Live API: control it with its Live session_id instead.`, null, 'call_not_accepted');
const isGone = (call: Call | undefined): call is undefined => !call || !['ringing', 'accepted'].includes(call.state);

export function handleCallControl(ctx: CallControlContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  return handleControlRequest(ctx, ROUTE, VERBS, req, res, pathname);
}

const VERBS: VerbTable<CallControlContext> = {
  accept(ctx, callId, body) {
    const error = acceptParamsError(body);
    if (error) return invalid(error.message, error.param, error.code);
    const call = ctx.calls.get(callId);
    if (isGone(call)) return notFound(callId);
    if (call.state === 'accepted') return invalid('call already accepted', null, 'call_already_accepted');
    call.accept(body as CallAcceptParams);
    return ok;
  },

  reject(ctx, callId, body = {}) {
    if (typeof body !== 'object' || body === null) return invalid('Invalid body: expected an object.');
    const unknown = Object.keys(body).find((key) => key !== 'status_code');
    if (unknown) return invalid(`Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
    const { status_code: statusCode = 603 } = body as { status_code?: unknown };
    if (!Number.isInteger(statusCode) || (statusCode as number) < 400 || (statusCode as number) > 699) {
      return invalid(`Invalid 'status_code': ${String(statusCode)}. Expected a SIP status code from 400 to 699.`, 'status_code', 'invalid_value');
    }
    const call = ctx.calls.get(callId);
    if (isGone(call)) return notFound(callId);
    if (call.state === 'accepted') return invalid('call already accepted', null, 'call_already_accepted');
    call.reject(statusCode as number);
    return ok;
  },

  refer(ctx, callId, body) {
    const target = (body as { target_uri?: unknown } | undefined)?.target_uri;
    if (target === undefined) return invalid("Missing required parameter: 'target_uri'.", 'target_uri', 'missing_required_parameter');
    if (typeof target !== 'string' || !/^(tel|sips?):/.test(target)) {
      return invalid(`Invalid 'target_uri': ${JSON.stringify(target)}. Expected a tel: or sip: URI.`, 'target_uri', 'invalid_value');
    }
    const unknown = Object.keys(body as object).find((key) => key !== 'target_uri');
    if (unknown) return invalid(`Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
    const call = ctx.calls.get(callId);
    if (isGone(call)) return notFound(callId);
    if (call.state !== 'accepted') return notAccepted(callId);
    if (call.surface === 'live') return acceptedThroughLive(callId);
    call.referredTo = target;
    // 200 means "relayed to the carrier": the call leaves a moment later, not during the request.
    ctx.timers.after(ctx.referDelayMs, () => {
      if (call.state === 'accepted') call.leave('transferred');
    });
    return ok;
  },

  hangup(ctx, callId) {
    const call = ctx.calls.get(callId);
    if (isGone(call)) return notFound(callId);
    if (call.state !== 'accepted') return notAccepted(callId);
    if (call.surface === 'live') return acceptedThroughLive(callId);
    call.leave('ended', 'agent');
    return ok;
  },
};
