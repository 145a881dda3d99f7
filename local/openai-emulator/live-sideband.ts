/**
 * The Live sideband, `GET /v1/live/sessions/{session_id}/attach` (WebSocket, bearer key): 401 for
 * a wrong key, 404 for a session the Live API does not run (unknown, ringing, accepted through
 * the Realtime API, or ended). It records client events, answers the ones it cannot take with an
 * `error` event, and hands the rest to the session and its script.
 *
 * The client events are the sideband's (`ConnectClientEvent` of the `openai` SDK, 7.59): no
 * `session.start` ("the session has already started") and no audio append. Their fields are
 * checked as strictly as the session's: an unknown field is an error.
 *
 * Unconfirmed: whether an attach gets a `session.started`. No page says a sideband attached after
 * the session started receives one, so none is sent: a client must not wait for it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { apiError, authError } from './auth';
import type { ParamError } from './accept-params';
import { echo, liveError, responsesOf, spokenFrom, type ServerEvent } from './live-events';
import { firstUnknown, liveUpdateError } from './live-params';
import type { LiveSession } from './live-sessions';
import { refuse } from './sideband';

export interface LiveSidebandContext {
  apiKey: string;
  sessions: Map<string, LiveSession>;
  wss: WebSocketServer;
  /** Told of every client event as it arrives, with the session's id. */
  onClientEvent?: (sessionId: string, event: unknown) => void;
}

const ROUTE = /^\/v1\/live\/sessions\/([^/]+)\/attach$/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Appended instructions, thinking and commentary are "limited to 500 tokens" (about four characters each). */
const APPEND_MAX_TOKENS = 500;
const DTMF_KEYS = /^[0-9A-D*#]$/;
/** A fixture is raw mono PCM16 at 24 kHz: 48,000 bytes a second. */
const FIXTURE_BYTES_PER_SECOND = 48_000;

export function handleLiveUpgrade(ctx: LiveSidebandContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => undefined); // a client that vanishes mid-handshake is not our problem
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = ROUTE.exec(url.pathname);
  if (!route) return refuse(socket, 404, apiError(`Invalid URL (GET ${url.pathname})`, 'invalid_request_error'));
  const unauthorized = authError(req.headers.authorization, ctx.apiKey);
  if (unauthorized) return refuse(socket, 401, unauthorized);
  const sessionId = decodeURIComponent(route[1]);
  const session = ctx.sessions.get(sessionId);
  if (!session?.runsCall) {
    return refuse(socket, 404, apiError(`Session '${sessionId}' not found.`, 'invalid_request_error', null, 'session_not_found'));
  }
  ctx.wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => undefined); // abrupt client disconnects are part of the job
    // The call may have ended during the handshake.
    if (!session.runsCall) {
      ws.close(1000, 'session closed');
      return;
    }
    session.sockets.add(ws);
    ws.on('close', () => session.sockets.delete(ws));
    ws.on('message', (data) => onClientEvent(session, ws, String(data), ctx.onClientEvent));
    session.script.kick();
  });
}

/** A well-formed client event of a known type: `event_id` is echoed on what answers it. */
interface Command {
  session: LiveSession;
  ws: WebSocket;
  event: Json;
  eventId: string | undefined;
  /** Answers the sender with an `error` event naming this command. */
  fail(error: { code: string; message: string; param?: string | null; type?: string }): void;
}

type Handler = { keys: readonly string[]; handle: (command: Command) => void };

const APPEND_KEYS = ['type', 'event_id', 'content', 'delegation_id'];

const HANDLERS: Record<string, Handler> = {
  'session.update': { keys: ['type', 'event_id', 'session'], handle: update },
  'session.input_audio.mute': { keys: ['type', 'event_id'], handle: ({ session, eventId }) => session.send({ type: 'session.input_audio.muted', ...echo(eventId) }) },
  'session.input_audio.unmute': { keys: ['type', 'event_id'], handle: ({ session, eventId }) => session.send({ type: 'session.input_audio.unmuted', ...echo(eventId) }) },
  'session.output_audio.fixture.play': { keys: ['type', 'event_id', 'audio'], handle: playFixture },
  'transport.dtmf.send': { keys: ['type', 'event_id', 'event'], handle: sendDtmf },
  'session.instructions.append': { keys: APPEND_KEYS, handle: (command) => append(command, 'session.instructions.appended', (content) => spokenFrom(content)) },
  'session.thinking.append': { keys: APPEND_KEYS, handle: (command) => append(command, 'session.thinking.appended') },
  // Commentary is said in the model's words; the emulator's model says it as given.
  'session.commentary.append': { keys: APPEND_KEYS, handle: (command) => append(command, 'session.commentary.appended', (content) => content) },
  'decision.create': { keys: ['type', 'event_id'], handle: noDecisions },
  'decision.item.create': { keys: ['type', 'event_id', 'item'], handle: noDecisions },
  'decision.item.delete': { keys: ['type', 'event_id', 'item_id'], handle: noDecisions },
  'response.item.create': { keys: ['type', 'event_id', 'item'], handle: itemCreate },
  'response.create': { keys: ['type', 'event_id'], handle: responseCreate },
  'session.close': {
    keys: ['type', 'event_id'],
    handle: ({ session, eventId }) => {
      session.closeEventId = eventId;
      session.call.leave('ended', 'agent');
    },
  },
};

function onClientEvent(session: LiveSession, ws: WebSocket, text: string, observe: LiveSidebandContext['onClientEvent']): void {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    record(session, text, observe);
    session.sendTo(ws, liveError({ code: 'invalid_json', message: 'The server could not parse the event as JSON.' }));
    return;
  }
  record(session, event, observe);
  if (!session.runsCall) return; // the session closed while the event was on its way
  const eventId = isObject(event) && typeof event.event_id === 'string' ? event.event_id : undefined;
  const fail = (error: Parameters<Command['fail']>[0]) => session.sendTo(ws, liveError(error, eventId));
  const type = isObject(event) ? event.type : undefined;
  const handler = typeof type === 'string' ? HANDLERS[type] : undefined;
  if (!isObject(event) || !handler) {
    fail({ code: 'invalid_value', param: 'type', message: `Invalid value: '${String(type)}'. Supported values are the sideband's client event types: ${Object.keys(HANDLERS).join(', ')}.` });
    return;
  }
  if (event.event_id !== undefined && event.event_id !== null && typeof event.event_id !== 'string') {
    fail({ code: 'invalid_type', param: 'event_id', message: "Invalid type for 'event_id': expected a string." });
    return;
  }
  const unknown = firstUnknown(event, handler.keys, '');
  if (unknown) return failWith(fail, unknown);
  handler.handle({ session, ws, event, eventId, fail });
}

function record(session: LiveSession, event: unknown, observe: LiveSidebandContext['onClientEvent']): void {
  session.clientEvents.push(event);
  observe?.(session.sessionId, event);
}

const failWith = (fail: Command['fail'], error: ParamError) => fail({ code: error.code, message: error.message, param: error.param });

const delegationType = (session: LiveSession): 'client' | 'responses' => (responsesOf(session.session) ? 'responses' : 'client');

/** `session.update`: the delegation's settings (same type) and triggers; `session.updated` with the session after it. */
function update({ session, event, eventId, fail }: Command): void {
  const error = liveUpdateError(event.session, delegationType(session));
  if (error) return failWith(fail, error);
  const changes = event.session as Json;
  const current = session.session;
  const next: Json = { ...current };
  if (changes.triggers !== undefined) next.triggers = changes.triggers;
  if (isObject(changes.delegation)) {
    const was = (current.delegation ?? {}) as Json;
    const { responses, ...rest } = changes.delegation;
    next.delegation = { ...was, ...rest, ...(isObject(responses) && { responses: { ...(was.responses as Json | undefined), ...responses } }) };
  }
  session.updateSession(next, eventId);
}

/**
 * `session.instructions.append`, `.thinking.append`, `.commentary.append`: `content` (at most 500
 * tokens) and `delegation_id` ("Required, nullable"; a non-null id is refused with Responses
 * delegation, and the emulator creates no client delegations). The `...appended` event marks the
 * point on the timeline; then the model says `say(content)`, when there is something to say.
 */
function append({ session, event, eventId, fail }: Command, appended: string, say?: (content: string) => string): void {
  const { content } = event;
  if (content === undefined) return fail({ code: 'missing_required_parameter', param: 'content', message: "Missing required parameter: 'content'." });
  if (typeof content !== 'string') return fail({ code: 'invalid_type', param: 'content', message: "Invalid type for 'content': expected a string (not an array of content parts)." });
  if (Math.ceil(content.length / 4) > APPEND_MAX_TOKENS) {
    return fail({ code: 'string_above_max_length', param: 'content', message: `'content' is limited to ${APPEND_MAX_TOKENS} tokens.` });
  }
  if (!('delegation_id' in event)) return fail({ code: 'missing_required_parameter', param: 'delegation_id', message: "Missing required parameter: 'delegation_id' (send null for general session context)." });
  if (event.delegation_id !== null) {
    const why = delegationType(session) === 'responses' ? 'non-null delegation ids are not accepted with Responses delegation' : 'no client delegation has this id';
    return fail({ code: 'invalid_value', param: 'delegation_id', message: `Invalid 'delegation_id': ${JSON.stringify(event.delegation_id)}: ${why}.` });
  }
  const at = session.script.timelineMs;
  session.send({ type: appended, start_ms: at, end_ms: at, ...echo(eventId) });
  const words = say?.(content).trim();
  if (words) session.script.say(words);
}

function sendDtmf({ session, event, eventId, fail }: Command): void {
  const key = event.event;
  if (typeof key !== 'string' || !DTMF_KEYS.test(key)) {
    return fail({ code: 'invalid_value', param: 'event', message: `Invalid DTMF key: ${JSON.stringify(key)}. Send one of 0-9, A-D, * or # per event.` });
  }
  session.send({ type: 'transport.dtmf.sent', event: key, ...echo(eventId) });
}

/** A fixture: `fixture.playing` once accepted, `fixture.played` when it has drained (its length in audio, at the script's pace). */
function playFixture({ session, event, eventId, fail }: Command): void {
  const { audio } = event;
  if (typeof audio !== 'string' || audio === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(audio)) {
    return fail({ code: 'invalid_value', param: 'audio', message: "'audio' must be base64-encoded raw mono PCM16 at 24 kHz." });
  }
  const bytes = Buffer.from(audio, 'base64').length;
  if (bytes / FIXTURE_BYTES_PER_SECOND > 30) return fail({ code: 'invalid_value', param: 'audio', message: 'An audio fixture is at most 30 seconds.' });
  session.send({ type: 'session.output_audio.fixture.playing', ...echo(eventId) });
  const played: ServerEvent = { type: 'session.output_audio.fixture.played', ...echo(eventId) };
  session.script.request(() => [{ kind: 'send', event: played }]);
}

function noDecisions({ fail }: Command): void {
  fail({ code: 'invalid_value', param: 'type', message: 'This session has no Decisions configuration (the OpenAI emulator does not emulate Decisions).' });
}

/**
 * `response.item.create`: an input item for the Responses backend. A `function_call_output`
 * answers one call of the batch waiting in its delegation. Unconfirmed: what the real API says to
 * an output for a call it never made, or a second output for one call; an `error` each here.
 */
function itemCreate({ session, event, fail }: Command): void {
  if (!responsesOf(session.session)) return fail({ code: 'invalid_value', param: 'type', message: 'response.item.create requires Responses delegation (delegation.type "responses").' });
  const { item } = event;
  if (item === undefined) return fail({ code: 'missing_required_parameter', param: 'item', message: "Missing required parameter: 'item'." });
  if (!isObject(item)) return fail({ code: 'invalid_type', param: 'item', message: "Invalid type for 'item': expected an object." });
  if (typeof item.type !== 'string' && typeof item.role !== 'string') return fail({ code: 'missing_required_parameter', param: 'item.type', message: "Missing required parameter: 'item.type'." });
  if (item.type !== 'function_call_output') return; // other items join the backend's conversation
  if (typeof item.call_id !== 'string') return fail({ code: 'missing_required_parameter', param: 'item.call_id', message: "Missing required parameter: 'item.call_id'." });
  if (typeof item.output !== 'string' && !Array.isArray(item.output)) return fail({ code: 'missing_required_parameter', param: 'item.output', message: "Missing required parameter: 'item.output'." });
  const output = typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
  const result = session.script.toolOutput(item.call_id, output);
  if (result === 'unknown-call') {
    fail({ code: 'invalid_value', param: 'item.call_id', message: `No pending function call has call_id '${item.call_id}'.` });
  } else if (result === 'duplicate') {
    fail({ code: 'invalid_value', param: 'item.call_id', message: `Function call '${item.call_id}' already has an output.` });
  }
}

/**
 * `response.create`: continues the delegation once every pending call of its batch has a
 * `function_call_output` ("then send one response.create after all pending results are in"), or
 * starts a backend response. Sent too early it is refused with an `error` and changes nothing:
 * the batch still waits. The code is not documented (unconfirmed).
 */
function responseCreate({ session, fail }: Command): void {
  if (!responsesOf(session.session)) return fail({ code: 'invalid_value', param: 'type', message: 'response.create requires Responses delegation (delegation.type "responses").' });
  const result = session.script.responseCreate();
  if (result.kind === 'pending') {
    fail({
      code: 'tool_outputs_pending',
      message: `Delegation '${result.delegationId}' is waiting for function call outputs: send a response.item.create with a function_call_output for ${result.missing.map((id) => `'${id}'`).join(', ')}, then one response.create.`,
    });
  }
}
