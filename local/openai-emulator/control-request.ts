/**
 * What call control does around a verb, alike on the Realtime API (`/v1/realtime/calls/{call_id}/...`,
 * call-control.ts) and the Live API (`/v1/live/sessions/{session_id}/...`, live-sessions.ts): match
 * the route, read the body, check the key, inject faults, refuse a body that is not JSON, then run
 * the verb. Every request is recorded under its id, refused ones included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiError, authError } from './auth';
import type { Faults, Verb } from './faults';
import { parseJson, readBody } from './request-body';
import type { Timers } from './timers';

export interface ReceivedRequest {
  verb: Verb;
  /** The parsed JSON body, the raw text when it was not JSON, undefined when empty. */
  body: unknown;
  status: number;
  /** Epoch ms the request arrived. */
  at: number;
}

/** What call control answers a request: 200 with an empty body, or a status with an OpenAI error body. */
export type ControlResponse = { status: 200 } | { status: number; error: ReturnType<typeof apiError> };

/** What the shared handling needs; each API's context adds what its verbs act on. */
export interface ControlRequestContext {
  apiKey: string;
  faults: Faults;
  /** By the id in the route (a call_id or a session_id). */
  received: Map<string, ReceivedRequest[]>;
  timers: Timers;
  /** Told the moment a request arrives (benchmarks time accepts with it). */
  onRequest?: (id: string, verb: Verb) => void;
}

/** One API's verbs: what each answers for the id in the route and the parsed body. */
export type VerbTable<C extends ControlRequestContext> = Record<Verb, (ctx: C, id: string, body: unknown) => ControlResponse>;

export const ok: ControlResponse = { status: 200 };
export const invalid = (message: string, param: string | null = null, code: string | null = null): ControlResponse => ({
  status: 400,
  error: apiError(message, 'invalid_request_error', param, code),
});

/** `route` captures the id, then the verb. */
export async function handleControlRequest<C extends ControlRequestContext>(
  ctx: C,
  route: RegExp,
  verbs: VerbTable<C>,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const at = Date.now();
  const match = route.exec(pathname);
  if (req.method !== 'POST' || !match) {
    return respond(res, { status: 404, error: apiError(`Invalid URL (${req.method} ${pathname})`, 'invalid_request_error') });
  }
  const id = decodeURIComponent(match[1]);
  const verb = match[2] as Verb;
  ctx.onRequest?.(id, verb);
  const raw = await readBody(req);
  const body = parseJson(raw);
  const answer = (response: ControlResponse) => {
    const log = ctx.received.get(id) ?? [];
    log.push({ verb, body: body.ok ? body.value : raw, status: response.status, at });
    ctx.received.set(id, log);
    respond(res, response);
  };

  const unauthorized = authError(req.headers.authorization, ctx.apiKey);
  if (unauthorized) return answer({ status: 401, error: unauthorized });
  const fault = ctx.faults.take(id, verb);
  if (fault && 'status' in fault) {
    const type = fault.status >= 500 ? 'server_error' : 'invalid_request_error';
    return answer({ status: fault.status, error: apiError(`Injected failure (${fault.status}).`, type) });
  }
  if (fault && 'ignore' in fault) return answer(ok);
  if (fault && 'delayMs' in fault) await ctx.timers.sleep(fault.delayMs);
  if (!body.ok) return answer(invalid('We could not parse the JSON body of your request.'));
  const response = verbs[verb](ctx, id, body.value);
  if (fault && 'answerAfterMs' in fault) await ctx.timers.sleep(fault.answerAfterMs);
  answer(response);
}

export function respond(res: ServerResponse, response: ControlResponse): void {
  if (res.destroyed) return;
  if (!('error' in response)) {
    res.writeHead(200, { 'content-length': 0 }).end();
    return;
  }
  const json = JSON.stringify(response.error);
  res.writeHead(response.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
}
