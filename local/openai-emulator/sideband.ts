/**
 * The sideband WebSocket, `GET /v1/realtime?call_id=...`: refuses like the real handshake (401,
 * 404, 4000 for a beta client), sends `session.created` on attach, records client events and
 * feeds the ones that steer the call's script.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { apiError, authError } from './auth';
import type { Call } from './calls';
import { toolsError } from './accept-params';
import { errorEvent, requestedSpeech, serialize } from './events';

export interface SidebandContext {
  apiKey: string;
  calls: Map<string, Call>;
  wss: WebSocketServer;
  /** Told of every client event as it arrives (benchmarks time the greeting with it). */
  onClientEvent?: (callId: string, event: unknown) => void;
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
  const callId = url.searchParams.get('call_id') ?? '';
  const call = ctx.calls.get(callId);
  if (!call || call.state !== 'accepted') {
    return refuse(socket, 404, apiError(`Call '${callId}' not found.`, 'invalid_request_error', 'call_id', 'call_not_found'));
  }
  ctx.wss.handleUpgrade(req, socket, head, (ws) => {
    if (req.headers['openai-beta'] !== undefined) {
      ws.close(4000, 'The OpenAI-Beta header is not supported: remove it to use the GA Realtime API');
      return;
    }
    attach(call, ws, ctx.onClientEvent);
  });
}

function refuse(socket: Duplex, status: number, body: object): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

function attach(call: Call, ws: WebSocket, observe: SidebandContext['onClientEvent']): void {
  call.sockets.add(ws);
  ws.on('close', () => call.sockets.delete(ws));
  ws.on('error', () => undefined); // abrupt client disconnects are part of the job
  ws.on('message', (data) => onClientEvent(call, ws, String(data), observe));
  ws.send(serialize({ type: 'session.created', session: call.session }));
  call.script.kick();
}

function onClientEvent(call: Call, ws: WebSocket, text: string, observe: SidebandContext['onClientEvent']): void {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    call.clientEvents.push(text);
    observe?.(call.callId, text);
    ws.send(serialize(errorEvent({ type: 'invalid_request_error', code: 'invalid_json', message: 'The server could not parse the event as JSON.' })));
    return;
  }
  call.clientEvents.push(event);
  observe?.(call.callId, event);
  const type = isObject(event) ? event.type : undefined;
  if (!isObject(event) || typeof type !== 'string' || !CLIENT_EVENT_TYPES.has(type)) {
    ws.send(serialize(errorEvent({ type: 'invalid_request_error', code: 'invalid_value', message: `Invalid value: '${String(type)}'. Supported values are client event types.`, param: 'type' })));
    return;
  }
  if (type === 'session.update') updateSession(call, ws, event.session, typeof event.event_id === 'string' ? event.event_id : null);
  else if (type === 'response.create') call.script.responseCreate(requestedSpeech(isObject(event.response) ? event.response.instructions : undefined));
  else if (type === 'conversation.item.create' && isObject(event.item) && event.item.type === 'function_call_output' && typeof event.item.call_id === 'string') {
    call.script.toolOutput(event.item.call_id);
  }
}

function updateSession(call: Call, ws: WebSocket, update: unknown, eventId: string | null): void {
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
  const current = call.session;
  const audio = isObject(current.audio) ? current.audio : {};
  const audioUpdate = isObject(update.audio) ? update.audio : {};
  const merged = (key: 'input' | 'output') => ({ ...(audio[key] as Json | undefined), ...(audioUpdate[key] as Json | undefined) });
  call.updateSession({ ...current, ...update, audio: { input: merged('input'), output: merged('output') } });
}
