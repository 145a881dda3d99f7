/**
 * The Realtime WebSocket, `GET /v1/realtime`: with `call_id`, the sideband of a SIP call; with
 * `model` alone, a text session (text-session.ts). Refuses like the real handshake (401, 404, 400
 * without either, 4000 for a beta client), records client events, answers the malformed ones
 * and `session.update` the same way for both, and hands the rest to the call's script or the
 * text session.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { apiError, authError } from './auth';
import type { Call } from './calls';
import { toolsError } from './accept-params';
import { errorEvent, requestedSpeech, serialize } from './events';
import { openTextSession } from './text-session';

export interface SidebandContext {
  apiKey: string;
  calls: Map<string, Call>;
  wss: WebSocketServer;
  /**
   * Told of every client event as it arrives (benchmarks time the greeting with it), with the
   * call's id, or for a text session the `session.id` of its `session.created`.
   */
  onClientEvent?: (callId: string, event: unknown) => void;
}

/** What a socket's well-formed client events go to: a call (its script) or a text session. */
export interface ClientEventTarget {
  readonly session: Record<string, unknown>;
  /** A `session.update` that passed its checks, merged into the session. */
  updateSession(session: Record<string, unknown>): void;
  /** Any other client event of a known type. */
  receive(type: string, event: Record<string, unknown>): void;
}

const CLIENT_EVENT_TYPES = new Set([
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.retrieve',
  'conversation.item.truncate',
  'conversation.item.delete',
  'response.create',
  'response.cancel',
  'output_audio_buffer.clear',
]);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function handleUpgrade(ctx: SidebandContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => undefined); // a client that vanishes mid-handshake is not our problem
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/v1/realtime') return refuse(socket, 404, apiError(`Invalid URL (GET ${url.pathname})`, 'invalid_request_error'));
  const unauthorized = authError(req.headers.authorization, ctx.apiKey);
  if (unauthorized) return refuse(socket, 401, unauthorized);
  const callId = url.searchParams.get('call_id');
  if (callId === null) {
    const model = url.searchParams.get('model');
    if (model === null) return refuse(socket, 400, apiError("Missing required parameter: 'model'.", 'invalid_request_error', 'model', 'missing_required_parameter'));
    return upgrade(ctx.wss, req, socket, head, (ws) => {
      const session = openTextSession(ws, model);
      if (session) listen(ws, session, (event) => ctx.onClientEvent?.(session.id, event));
    });
  }
  // With a call_id the socket is the call's sideband, whatever else the URL says.
  const call = ctx.calls.get(callId);
  // A call the Live API accepted has no Realtime session to attach to.
  if (!call || call.state !== 'accepted' || call.surface !== 'realtime') {
    return refuse(socket, 404, apiError(`Call '${callId}' not found.`, 'invalid_request_error', 'call_id', 'call_not_found'));
  }
  upgrade(ctx.wss, req, socket, head, (ws) => attach(call, ws, ctx.onClientEvent));
}

/** Completes the handshake; a beta client is closed with 4000 before `open` hears of it. */
function upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, open: (ws: WebSocket) => void): void {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => undefined); // abrupt client disconnects are part of the job
    if (req.headers['openai-beta'] !== undefined) {
      ws.close(4000, 'The OpenAI-Beta header is not supported: remove it to use the GA Realtime API');
      return;
    }
    open(ws);
  });
}

export function refuse(socket: Duplex, status: number, body: object): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

function attach(call: Call, ws: WebSocket, observe: SidebandContext['onClientEvent']): void {
  call.sockets.add(ws);
  ws.on('close', () => call.sockets.delete(ws));
  listen(ws, steering(call), (event) => {
    call.clientEvents.push(event);
    observe?.(call.callId, event);
  });
  ws.send(serialize({ type: 'session.created', session: call.session }));
  call.script.kick();
}

/** A call's client events as its script reads them. */
function steering(call: Call): ClientEventTarget {
  return {
    get session() {
      return call.session;
    },
    updateSession: (session) => call.updateSession(session),
    receive(type, event) {
      if (type === 'response.create') call.script.responseCreate(requestedSpeech(isObject(event.response) ? event.response.instructions : undefined));
      else if (type === 'conversation.item.create' && isObject(event.item) && event.item.type === 'function_call_output' && typeof event.item.call_id === 'string') {
        call.script.toolOutput(event.item.call_id);
      }
    },
  };
}

/** `record` is told of each client event (the raw text when not JSON) before it is acted on. */
function listen(ws: WebSocket, target: ClientEventTarget, record: (event: unknown) => void): void {
  ws.on('message', (data) => onClientEvent(target, ws, String(data), record));
}

function onClientEvent(target: ClientEventTarget, ws: WebSocket, text: string, record: (event: unknown) => void): void {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    record(text);
    ws.send(serialize(errorEvent({ type: 'invalid_request_error', code: 'invalid_json', message: 'The server could not parse the event as JSON.' })));
    return;
  }
  record(event);
  const type = isObject(event) ? event.type : undefined;
  if (!isObject(event) || typeof type !== 'string' || !CLIENT_EVENT_TYPES.has(type)) {
    ws.send(serialize(errorEvent({ type: 'invalid_request_error', code: 'invalid_value', message: `Invalid value: '${String(type)}'. Supported values are client event types.`, param: 'type' })));
    return;
  }
  if (type === 'session.update') updateSession(target, ws, event.session, typeof event.event_id === 'string' ? event.event_id : null);
  else target.receive(type, event);
}

function updateSession(target: ClientEventTarget, ws: WebSocket, update: unknown, eventId: string | null): void {
  if (!isObject(update) || update.type !== 'realtime') {
    ws.send(serialize(errorEvent({ type: 'invalid_request_error', code: 'missing_required_parameter', message: "Missing required parameter: 'session.type'.", param: 'session.type', event_id: eventId })));
    return;
  }
  // Tools are checked as accept checks them; the error names the client event it answers.
  const refused = update.tools === undefined ? undefined : toolsError(update.tools, 'session.tools');
  if (refused) {
    ws.send(serialize(errorEvent({ type: 'invalid_request_error', code: refused.code, message: refused.message, param: refused.param, event_id: eventId })));
    return;
  }
  const current = target.session;
  const audio = isObject(current.audio) ? current.audio : {};
  const audioUpdate = isObject(update.audio) ? update.audio : {};
  const merged = (key: 'input' | 'output') => ({ ...(audio[key] as Json | undefined), ...(audioUpdate[key] as Json | undefined) });
  target.updateSession({ ...current, ...update, audio: { input: merged('input'), output: merged('output') } });
}
