/**
 * `POST /v1/realtime/calls/{call_id}/accept|reject|refer|hangup`, answering like the real API:
 * 200 with an empty body, or an OpenAI error body (401, 400 naming the param, 404 once the call is
 * gone). Every request is recorded, refused ones included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import { acceptParamsError } from './accept-params';
import { apiError, authError } from './auth';
import type { Call } from './calls';
import type { Faults, Verb } from './faults';
import type { Timers } from './timers';

export interface ReceivedRequest {
  verb: Verb;
  /** The parsed JSON body, the raw text when it was not JSON, undefined when empty. */
  body: unknown;
  status: number;
  /** Epoch ms the request arrived. */
  at: number;
}

export interface CallControlContext {
  apiKey: string;
  calls: Map<string, Call>;
  faults: Faults;
  received: Map<string, ReceivedRequest[]>;
  timers: Timers;
  /** How long after a 200 to `/refer` the call leaves. */
  referDelayMs: number;
  /** Told the moment a request arrives (benchmarks time accepts with it). */
  onRequest?: (callId: string, verb: Verb) => void;
}

/** What call control answers a request: 200 with an empty body, or a status with an OpenAI error body. */
export type ControlResponse = { status: 200 } | { status: number; error: ReturnType<typeof apiError> };

const ROUTE = /^\/v1\/realtime\/calls\/([^/]+)\/(accept|reject|refer|hangup)$/;
const MAX_BODY_BYTES = 1 << 20;

const ok: ControlResponse = { status: 200 };
const invalid = (message: string, param: string | null = null, code: string | null = null): ControlResponse => ({
  status: 400,
  error: apiError(message, 'invalid_request_error', param, code),
});
const notFound = (callId: string): ControlResponse => ({
  status: 404,
  error: apiError(`Call '${callId}' not found.`, 'invalid_request_error', null, 'call_not_found'),
});
const notAccepted = (callId: string) => invalid(`Call '${callId}' has not been accepted.`, null, 'call_not_accepted');
/** The Live API accepted the same SIP call: it runs it, and only its session id controls it. */
const acceptedThroughLive = (callId: string) =>
  invalid(`Call '${callId}' was accepted through the Live API: control it with its Live session_id instead.`, null, 'call_not_accepted');
const isGone = (call: Call | undefined): call is undefined => !call || !['ringing', 'accepted'].includes(call.state);

export async function handleCallControl(ctx: CallControlContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const at = Date.now();
  const route = ROUTE.exec(pathname);
  if (req.method !== 'POST' || !route) {
    return respond(res, { status: 404, error: apiError(`Invalid URL (${req.method} ${pathname})`, 'invalid_request_error') });
  }
  const callId = decodeURIComponent(route[1]);
  const verb = route[2] as Verb;
  ctx.onRequest?.(callId, verb);
  const raw = await readBody(req);
  const body = parseJson(raw);
  const answer = (response: ControlResponse) => {
    const log = ctx.received.get(callId) ?? [];
    log.push({ verb, body: body.ok ? body.value : raw, status: response.status, at });
    ctx.received.set(callId, log);
    respond(res, response);
  };

  const unauthorized = authError(req.headers.authorization, ctx.apiKey);
  if (unauthorized) return answer({ status: 401, error: unauthorized });
  const fault = ctx.faults.take(callId, verb);
  if (fault && 'status' in fault) {
    const type = fault.status >= 500 ? 'server_error' : 'invalid_request_error';
    return answer({ status: fault.status, error: apiError(`Injected failure (${fault.status}).`, type) });
  }
  if (fault && 'ignore' in fault) return answer(ok);
  if (fault && 'delayMs' in fault) await ctx.timers.sleep(fault.delayMs);
  if (!body.ok) return answer(invalid('We could not parse the JSON body of your request.'));
  const response = VERBS[verb](ctx, callId, body.value);
  if (fault && 'answerAfterMs' in fault) await ctx.timers.sleep(fault.answerAfterMs);
  answer(response);
}

const VERBS: Record<Verb, (ctx: CallControlContext, callId: string, body: unknown) => ControlResponse> = {
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

export function respond(res: ServerResponse, response: ControlResponse): void {
  if (res.destroyed) return;
  if (!('error' in response)) {
    res.writeHead(200, { 'content-length': 0 }).end();
    return;
  }
  const json = JSON.stringify(response.error);
  res.writeHead(response.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}
