import type { TokenUsage, TranscriptionUsage } from '../calls/record';

/** The sideband's server events a call session acts on, with the fields it reads; every other type is skipped. */
export type SessionEvent =
  | { type: 'speech-started'; itemId: string }
  /** `usage`: what transcribing it used, which OpenAI bills apart from the session. */
  | { type: 'caller-said'; itemId: string; transcript: string; usage?: TranscriptionUsage }
  | { type: 'response-created'; responseId: string | undefined }
  | { type: 'agent-said'; itemId: string; responseId: string; transcript: string }
  | { type: 'response-done'; responseId: string | undefined; usage: TokenUsage | undefined }
  | { type: 'audio-stopped' }
  | { type: 'dtmf'; key: unknown }
  /** `clientEventId`: the `event_id` of the client event it answers, when it answers one (e.g. MCP_SETUP_EVENT_ID). */
  | { type: 'error'; code: string | undefined; message: string | undefined; clientEventId?: string }
  | { type: 'function-call'; toolCallId: string; name: string; arguments: string }
  | McpEvent;

/**
 * What the Realtime engine does with a number's MCP servers, as the sideband reports it (the
 * "Realtime with tools" guide, https://developers.openai.com/api/docs/guides/realtime-mcp, and
 * the Realtime server events reference; shapes as `openai` 7.59 types them). The engine calls
 * the servers itself: the worker only records what it sees.
 *
 * The status events (`mcp_list_tools.*`, `response.mcp_call.*`) carry only the item's id; the
 * server, tool, arguments, output and error are on the item, which arrives in
 * `conversation.item.added`/`done` and `response.output_item.added`/`done`. Which of the two
 * pairs OpenAI sends for MCP items is not documented (unconfirmed), so both are read, and the
 * same item may come twice: a session records each item id once (core/worker/mcp-timeline.ts).
 * `in_progress` and `response.mcp_call_arguments.*` add nothing the items do not carry.
 */
export type McpEvent =
  /** A listing or a call began: names the server (and tool) for the status events that follow. */
  | { type: 'mcp-started'; itemId: string; stage: 'list' | 'call'; serverLabel: string; name?: string }
  /** A server's tools were listed. */
  | { type: 'mcp-listed'; itemId: string; serverLabel: string; tools: string[] }
  /** A call is over: `error` when it failed, `output` (the server's answer) when it did not. */
  | { type: 'mcp-call'; itemId: string; serverLabel: string; name: string; arguments: string; output?: string; error?: McpCallError }
  /** `mcp_list_tools.completed`/`failed`, `response.mcp_call.completed`/`failed`: only the item's id. */
  | { type: 'mcp-status'; itemId: string; stage: 'list' | 'call'; status: 'completed' | 'failed' };

/** An MCP call's error as OpenAI reports it: `protocol_error` and `http_error` have a code, `tool_execution_error` none. */
export interface McpCallError {
  type: string;
  code?: number;
  message: string;
}

/** The top-level type, first or right after `event_id` (OpenAI's documented order): read without parsing the frame. */
export const LEADING_TYPE = /^\{\s*(?:"event_id"\s*:\s*"[^"]*"\s*,\s*)?"type"\s*:\s*"([^"]+)"/;

type Raw = Record<string, unknown>;

const isRaw = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOr = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);

/** An item event's MCP item, when it is one: other items (messages, function calls) are not read here. */
function mcpItem(event: Raw, done: boolean): McpEvent | undefined {
  const item = event.item;
  if (!isRaw(item) || typeof item.id !== 'string' || typeof item.server_label !== 'string') return undefined;
  const itemId = item.id;
  const serverLabel = item.server_label;
  if (item.type === 'mcp_list_tools') {
    if (!done) return { type: 'mcp-started', itemId, stage: 'list', serverLabel };
    const tools = Array.isArray(item.tools) ? item.tools.flatMap((t) => (isRaw(t) && typeof t.name === 'string' ? [t.name] : [])) : [];
    return { type: 'mcp-listed', itemId, serverLabel, tools };
  }
  if (item.type !== 'mcp_call') return undefined;
  const name = textOr(item.name, '');
  if (!done) return { type: 'mcp-started', itemId, stage: 'call', serverLabel, name };
  const error = isRaw(item.error) ? item.error : undefined;
  return {
    type: 'mcp-call',
    itemId,
    serverLabel,
    name,
    arguments: textOr(item.arguments, '{}'),
    ...(typeof item.output === 'string' && { output: item.output }),
    ...(error && {
      error: { type: textOr(error.type, 'error'), ...(typeof error.code === 'number' && { code: error.code }), message: textOr(error.message, '') },
    }),
  };
}

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * A `response.done`'s usage (RealtimeResponseUsage in `openai` 7.59), with the detail OpenAI
 * bills by. Cached tokens are a part of the input tokens of their modality. Without the split
 * of cached tokens by modality the detail is left out: those tokens would have no rate.
 */
function sessionUsage(usage: Raw): TokenUsage {
  const totals = { inputTokens: count(usage.input_tokens), outputTokens: count(usage.output_tokens), totalTokens: count(usage.total_tokens) };
  const input = usage.input_token_details;
  const output = usage.output_token_details;
  if (!isRaw(input) || !isRaw(output)) return totals;
  const cached = isRaw(input.cached_tokens_details) ? input.cached_tokens_details : undefined;
  if (!cached && count(input.cached_tokens) > 0) return totals;
  return {
    ...totals,
    inputTextTokens: count(input.text_tokens),
    inputAudioTokens: count(input.audio_tokens),
    cachedTextTokens: count(cached?.text_tokens),
    cachedAudioTokens: count(cached?.audio_tokens),
    outputTextTokens: count(output.text_tokens),
    outputAudioTokens: count(output.audio_tokens),
  };
}

/**
 * A transcription's usage: `tokens` for models billed by token, `duration` for those billed by
 * the minute (ConversationItemInputAudioTranscriptionCompletedEvent's two kinds of `usage`).
 */
function transcriptionUsage(usage: unknown): TranscriptionUsage | undefined {
  if (!isRaw(usage)) return undefined;
  if (usage.type === 'duration') return typeof usage.seconds === 'number' ? { transcriptionSeconds: usage.seconds } : undefined;
  if (usage.type === 'tokens') return { transcriptionInputTokens: count(usage.input_tokens), transcriptionOutputTokens: count(usage.output_tokens) };
  return undefined;
}

const mcpStatus = (stage: 'list' | 'call', status: 'completed' | 'failed') => (e: Raw): McpEvent | undefined =>
  typeof e.item_id === 'string' ? { type: 'mcp-status', itemId: e.item_id, stage, status } : undefined;

/** OpenAI's GA event names (see the Realtime server events reference) and what each becomes. */
const READERS: Record<string, (event: Raw) => SessionEvent | undefined> = {
  'input_audio_buffer.speech_started': (e) => (typeof e.item_id === 'string' ? { type: 'speech-started', itemId: e.item_id } : undefined),
  'conversation.item.input_audio_transcription.completed': (e) => {
    const usage = transcriptionUsage(e.usage);
    return { type: 'caller-said', itemId: String(e.item_id), transcript: String(e.transcript ?? ''), ...(usage && { usage }) };
  },
  'response.created': (e) => ({ type: 'response-created', responseId: (e.response as { id?: string } | undefined)?.id }),
  'response.output_audio_transcript.done': (e) => ({
    type: 'agent-said',
    itemId: String(e.item_id),
    responseId: String(e.response_id),
    transcript: String(e.transcript ?? ''),
  }),
  'response.done': (e) => {
    const response = e.response as { id?: string; usage?: unknown } | undefined;
    return { type: 'response-done', responseId: response?.id, usage: isRaw(response?.usage) ? sessionUsage(response.usage) : undefined };
  },
  'output_audio_buffer.stopped': () => ({ type: 'audio-stopped' }),
  'input_audio_buffer.dtmf_event_received': (e) => ({ type: 'dtmf', key: e.event }),
  error: (e) => {
    const error = (e.error ?? {}) as { type?: string; code?: string; message?: string; event_id?: string | null };
    return { type: 'error', code: error.code ?? error.type, message: error.message, ...(typeof error.event_id === 'string' && { clientEventId: error.event_id }) };
  },
  'response.function_call_arguments.done': (e) => ({ type: 'function-call', toolCallId: String(e.call_id), name: String(e.name), arguments: String(e.arguments ?? '{}') }),
  'conversation.item.added': (e) => mcpItem(e, false),
  'response.output_item.added': (e) => mcpItem(e, false),
  'conversation.item.done': (e) => mcpItem(e, true),
  'response.output_item.done': (e) => mcpItem(e, true),
  'mcp_list_tools.completed': mcpStatus('list', 'completed'),
  'mcp_list_tools.failed': mcpStatus('list', 'failed'),
  'response.mcp_call.completed': mcpStatus('call', 'completed'),
  'response.mcp_call.failed': mcpStatus('call', 'failed'),
};

/**
 * One text frame of the sideband as the event a session acts on; undefined for the rest, and
 * 'not-json' for a frame that is not JSON. Most of the stream is audio and transcript deltas:
 * when the type leads the frame (alone or after event_id, as OpenAI sends it) those are skipped
 * without parsing.
 */
export function readSessionEvent(text: string): SessionEvent | 'not-json' | undefined {
  const leading = LEADING_TYPE.exec(text);
  if (leading && !Object.hasOwn(READERS, leading[1])) return undefined;
  let event: Raw;
  try {
    event = JSON.parse(text) as Raw;
  } catch {
    return 'not-json';
  }
  const read = typeof event?.type === 'string' && Object.hasOwn(READERS, event.type) ? READERS[event.type] : undefined;
  return read?.(event);
}
