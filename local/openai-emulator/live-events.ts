/**
 * Builders for the server events a Live sideband sees, shaped like the `openai` SDK's Live types
 * (7.59, openai/resources/live/live: ServerEvent and the nested Responses events of
 * ResponseEvent). `event_id` is added when an event is sent (`serialize` in events.ts).
 *
 * Times are on the session's timeline, in ms from the accept: the script moves it on as it plays
 * (400 ms a spoken word, a second of silence after each turn), so transcripts, usage and
 * delegation offsets are the same on every run, whatever the machine's pace.
 */
import type {
  DelegationCreatedEvent,
  ErrorEvent,
  InputTranscriptDeltaEvent,
  OutputTranscriptDeltaEvent,
  ServerEvent as LiveServerEvent,
  SessionClosedEvent,
  SessionUsageUpdatedEvent,
} from 'openai/resources/live/live';
import type { ResponseFunctionToolCall } from 'openai/resources/responses/responses';
import { SESSION_CAP_SECONDS } from '../../core/openai/limits';
import { spokenMs, type ServerEvent } from './events';
import { newId } from './ids';

export type { ServerEvent };

/** A Live server event as built, before `serialize` gives it its `event_id`. */
type Unsent<T> = Omit<T, 'event_id'>;

/** Splits text into a few deltas that concatenate back to it exactly. */
export function deltas(text: string, pieces = 3): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const size = Math.max(1, Math.ceil(words.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(''));
  return out;
}

export const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

/**
 * A transcript turn: `session.input_transcript.delta` (the caller) or `.output_transcript.delta`
 * (the model), each fragment with the part of the timeline it covers. No item ids and no
 * completed event: Live has none.
 */
export function transcriptDeltas(who: 'caller' | 'agent', text: string, startMs: number): { event: ServerEvent; words: number; endMs: number }[] {
  const type = who === 'caller' ? 'session.input_transcript.delta' : 'session.output_transcript.delta';
  const parts = deltas(text);
  const msPerWord = spokenMs(text) / Math.max(1, wordCount(text));
  let at = startMs;
  return parts.map((delta) => {
    const words = wordCount(delta);
    const end = at + Math.round(words * msPerWord);
    const event = { type, delta, start_ms: at, end_ms: end } satisfies Unsent<InputTranscriptDeltaEvent | OutputTranscriptDeltaEvent>;
    at = end;
    return { event, words, endMs: end };
  });
}

/** `session.usage.updated`: the cumulative audio seconds so far, a total never to be added up. */
export const usageUpdated = (timelineMs: number): ServerEvent =>
  ({ type: 'session.usage.updated', usage: { seconds: seconds(timelineMs) } }) satisfies Unsent<SessionUsageUpdatedEvent>;

export const seconds = (timelineMs: number) => Math.round(timelineMs) / 1000;

/** SessionClosedEvent's reasons in the `openai` SDK (7.59). */
export type CloseReason = SessionClosedEvent['reason'];

export const sessionClosed = (reason: CloseReason, session: Record<string, unknown>, timelineMs: number, clientEventId?: string): ServerEvent =>
  ({
    type: 'session.closed',
    reason,
    session: session as unknown as SessionClosedEvent['session'],
    usage: { seconds: seconds(timelineMs) },
    ...echo(clientEventId),
  }) satisfies Unsent<SessionClosedEvent>;

/** The Live ErrorEvent: `error.client_event_id` (and the top-level one) name the client event it answers, when it had an id. */
export function liveError(error: { type?: string; code: string; message: string; param?: string | null }, clientEventId?: string | null): ServerEvent {
  const { type = 'invalid_request_error', code, message, param } = error;
  return {
    type: 'error',
    error: { type, code, message, ...(param && { param }), ...echo(clientEventId) },
    ...echo(clientEventId),
  } satisfies Unsent<ErrorEvent>;
}

/** A client command's `event_id`, echoed as `client_event_id` on what answers it. */
export const echo = (clientEventId: string | null | undefined): { client_event_id?: string } => (clientEventId ? { client_event_id: clientEventId } : {});

/** `transport.ringing`, `transport.answered` or `transport.failed` (a `call_error`), for the session. */
export function transportProgress(sessionId: string, stage: 'ringing' | 'answered' | { failed: { code: string; message: string } }): ServerEvent {
  if (stage === 'ringing') return { type: 'transport.ringing', session_id: sessionId } satisfies Unsent<LiveServerEvent.TransportRinging>;
  if (stage === 'answered') return { type: 'transport.answered', session_id: sessionId } satisfies Unsent<LiveServerEvent.TransportAnswered>;
  return { type: 'transport.failed', session_id: sessionId, error: { type: 'call_error', ...stage.failed } } satisfies Unsent<LiveServerEvent.TransportFailed>;
}

export const dtmfReceived = (key: string): ServerEvent => ({ type: 'transport.dtmf.received', event: key }) satisfies Unsent<LiveServerEvent.TransportDtmfReceived>;

/**
 * The session as `session.closed` and `session.updated` report it (SessionResource): what accept
 * set over the defaults the reference gives (voice `marin`, delegation to the application,
 * `store` false, no history, no triggers).
 */
export function sessionResource(id: string, accepted: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, audio, delegation, ...rest } = accepted;
  const output = (audio as { output?: Record<string, unknown> } | undefined)?.output;
  return {
    id,
    expires_at: Math.floor(Date.now() / 1000) + SESSION_CAP_SECONDS,
    status: 'active',
    instructions: null,
    safety_identifier: null,
    store: false,
    input: [],
    triggers: [],
    ...rest,
    audio: { output: { voice: 'marin', ...output } },
    delegation: delegation ? { acknowledgement_delay_ms: 0, ...(delegation as object) } : { type: 'client', acknowledgement_delay_ms: 0 },
  };
}

/** The backend settings of a session's Responses delegation, or undefined when it delegates to the application. */
export function responsesOf(session: Record<string, unknown>): Record<string, unknown> | undefined {
  const delegation = session.delegation as { type?: string; responses?: Record<string, unknown> } | undefined;
  return delegation?.type === 'responses' ? delegation.responses : undefined;
}

/** One function call the backend model makes in a batch. */
export interface BackendCall {
  itemId: string;
  callId: string;
  name: string;
  arguments: string;
}

const tokens = (text: string) => Math.ceil(text.length / 4);

/** ResponseUsage: the backend model's tokens for one nested response. */
function usage(input: number, output: number) {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

/**
 * A forwarded lifecycle snapshot of a Responses `Response`: "Response lifecycle snapshots omit
 * input and clear instructions, tools, and output" (ResponseEvent in the SDK), so `output` is
 * always `[]`; the items come as granular events.
 */
function snapshot(id: string, backend: Record<string, unknown>, status: 'in_progress' | 'completed', previous: string | null, tokensUsed?: ReturnType<typeof usage>) {
  const now = Math.floor(Date.now() / 1000);
  return {
    id,
    object: 'response',
    created_at: now,
    status,
    background: false,
    completed_at: status === 'completed' ? now : null,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: backend.max_output_tokens ?? null,
    metadata: {},
    model: backend.model,
    output: [],
    parallel_tool_calls: backend.parallel_tool_calls ?? true,
    previous_response_id: previous,
    reasoning: backend.reasoning ?? null,
    service_tier: backend.service_tier ?? 'auto',
    temperature: 1,
    text: { format: { type: 'text' }, ...(backend.text as object | undefined) },
    tool_choice: backend.tool_choice ?? 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: tokensUsed ?? null,
  };
}

/** Nested Responses events, numbered as one stream (`sequence_number` from 0). */
class Stream {
  private next = 0;
  constructor(private readonly delegationId: string | null) {}
  event(type: string, fields: Record<string, unknown>): ServerEvent {
    return { type: 'response.event', delegation_id: this.delegationId, event: { type, sequence_number: this.next++, ...fields } };
  }
}

/**
 * The backend's first response of a delegation: the model calls these functions (several
 * consecutive script steps are one batch, `parallel_tool_calls`). Function calls are to be
 * collected from the nested `response.output_item.done`; the response completes, and the backend
 * then waits for a `function_call_output` for every call and one `response.create`.
 */
export function functionCallResponse(delegationId: string, responseId: string, backend: Record<string, unknown>, calls: readonly BackendCall[]): ServerEvent[] {
  const stream = new Stream(delegationId);
  const events = [stream.event('response.created', { response: snapshot(responseId, backend, 'in_progress', null) })];
  events.push(stream.event('response.in_progress', { response: snapshot(responseId, backend, 'in_progress', null) }));
  for (const [output_index, call] of calls.entries()) {
    const item = { id: call.itemId, type: 'function_call', status: 'in_progress', call_id: call.callId, name: call.name, arguments: '' } satisfies ResponseFunctionToolCall;
    events.push(
      stream.event('response.output_item.added', { output_index, item }),
      stream.event('response.function_call_arguments.delta', { item_id: call.itemId, output_index, delta: call.arguments }),
      stream.event('response.function_call_arguments.done', { item_id: call.itemId, output_index, arguments: call.arguments }),
      stream.event('response.output_item.done', { output_index, item: { ...item, status: 'completed', arguments: call.arguments } }),
    );
  }
  const used = usage(200 + 40 * calls.length, calls.reduce((sum, call) => sum + 8 + tokens(call.name + call.arguments), 0));
  events.push(stream.event('response.completed', { response: snapshot(responseId, backend, 'completed', null, used) }));
  return events;
}

/** The backend's answer once it has the outputs: a message, then `response.completed` with its token usage. */
export function textResponse(delegationId: string | null, responseId: string, previous: string | null, backend: Record<string, unknown>, text: string, inputText = ''): ServerEvent[] {
  const stream = new Stream(delegationId);
  const itemId = newId('msg', 12);
  const message = { id: itemId, type: 'message', role: 'assistant', status: 'in_progress', content: [] as unknown[] };
  const part = { type: 'output_text', text, annotations: [], logprobs: [] };
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  return [
    stream.event('response.created', { response: snapshot(responseId, backend, 'in_progress', previous) }),
    stream.event('response.output_item.added', { output_index: 0, item: message }),
    stream.event('response.content_part.added', { ...at, part: { ...part, text: '' } }),
    ...deltas(text).map((delta) => stream.event('response.output_text.delta', { ...at, delta, logprobs: [] })),
    stream.event('response.output_text.done', { ...at, text, logprobs: [] }),
    stream.event('response.content_part.done', { ...at, part }),
    stream.event('response.output_item.done', { output_index: 0, item: { ...message, status: 'completed', content: [part] } }),
    stream.event('response.completed', { response: snapshot(responseId, backend, 'completed', previous, usage(240 + tokens(inputText), tokens(text))) }),
  ];
}

export const delegationCreated = (delegationId: string, responseId: string, offsetMs: number): ServerEvent =>
  ({
    type: 'session.delegation.created',
    delegation: { id: delegationId, target: 'responses', type: 'delegation', response_id: responseId },
    offset_ms: offsetMs,
  }) satisfies Unsent<DelegationCreatedEvent>;

/** What the model says for appended instructions: the words quoted as `Say exactly '...'`, or the whole text. */
export function spokenFrom(content: string): string {
  return /say exactly\s*'(.+)'/is.exec(content)?.[1] ?? content;
}
