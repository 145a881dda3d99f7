/**
 * Builders for the GA server events a sideband sees, shaped like the `openai` SDK's
 * `RealtimeServerEvent` types. `event_id` is added when an event is sent.
 */
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import { SESSION_CAP_SECONDS } from '../../core/openai/limits';
import { newId } from './ids';

export type ServerEvent = { type: string } & Record<string, unknown>;

/** The wire form of an event: `event_id` is unique per event sent. */
export function serialize(event: ServerEvent): string {
  return JSON.stringify({ event_id: newId('event', 12), ...event });
}

/** What a turn is made of: events to send, with waits where audio would be playing. */
export type Action =
  | { kind: 'send'; event: ServerEvent }
  | { kind: 'wait'; ms: number }
  /** Blocks until the client sends this function call's output and then `response.create`. */
  | { kind: 'await-tool'; callId: string };

/** The session as `session.created` reports it: defaults, overlaid with what accept set. */
export function sessionFor(accepted: CallAcceptParams): Record<string, unknown> {
  return {
    object: 'realtime.session',
    id: newId('sess', 12),
    model: 'gpt-realtime',
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    truncation: 'auto',
    prompt: null,
    include: null,
    expires_at: Math.floor(Date.now() / 1000) + SESSION_CAP_SECONDS,
    ...accepted,
    audio: {
      input: {
        format: { type: 'audio/pcmu' },
        transcription: null,
        noise_reduction: null,
        turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 200, idle_timeout_ms: null, create_response: true, interrupt_response: true },
        ...accepted.audio?.input,
      },
      output: { format: { type: 'audio/pcmu' }, voice: 'alloy', speed: 1, ...accepted.audio?.output },
    },
  };
}

/** Splits text into a few deltas that concatenate back to it exactly. */
function deltas(text: string, pieces = 3): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const size = Math.max(1, Math.ceil(words.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(''));
  return out;
}

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;
/** How much caller audio a sentence stands for, for the `audio_*_ms` fields (not wall-clock time). */
export const spokenMs = (text: string) => wordCount(text) * 400;
const send = (event: ServerEvent): Action => ({ kind: 'send', event });
/** Zero-length waits (the fast timing) are left out so a turn goes out in one burst. */
const speak = (text: string, msPerWord: number): Action[] =>
  msPerWord > 0 ? [{ kind: 'wait', ms: wordCount(text) * msPerWord }] : [];

export function callerTurn(text: string, cutOff: boolean, msPerWord: number, audioMs: number): Action[] {
  const item_id = newId('item', 12);
  const parts = deltas(text);
  const heard = parts.map((delta): Action => send({ type: 'conversation.item.input_audio_transcription.delta', item_id, content_index: 0, delta }));
  const started = send({ type: 'input_audio_buffer.speech_started', audio_start_ms: audioMs, item_id });
  if (cutOff) return [started, ...speak(text, msPerWord), ...heard.slice(0, Math.ceil(parts.length / 2))];
  const spoken = spokenMs(text);
  return [
    started,
    ...speak(text, msPerWord),
    send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: audioMs + spoken, item_id }),
    ...heard,
    send({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id,
      content_index: 0,
      transcript: text,
      // The kind of usage of models billed by the minute, as the default gpt-live-transcribe is.
      usage: { type: 'duration', seconds: spoken / 1000 },
    }),
  ];
}

/** A response's usage as RealtimeResponseUsage has it, the detail included (nothing is read from a cache here). */
function usage(outputWords: number) {
  const input = {
    text_tokens: 180,
    audio_tokens: 60,
    image_tokens: 0,
    cached_tokens: 0,
    cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 },
  };
  const output = { text_tokens: outputWords * 2, audio_tokens: outputWords * 8 };
  const input_tokens = input.text_tokens + input.audio_tokens;
  const output_tokens = output.text_tokens + output.audio_tokens;
  return { total_tokens: input_tokens + output_tokens, input_tokens, output_tokens, input_token_details: input, output_token_details: output };
}

function response(id: string, status: 'in_progress' | 'completed', output: unknown[], words: number) {
  return {
    object: 'realtime.response',
    id,
    status,
    status_details: null,
    output,
    output_modalities: ['audio'],
    usage: status === 'completed' ? usage(words) : null,
  };
}

export function agentTurn(text: string, msPerWord: number): Action[] {
  const response_id = newId('resp', 12);
  const item_id = newId('item', 12);
  const at = { response_id, item_id, output_index: 0, content_index: 0 };
  const message = { id: item_id, object: 'realtime.item', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_audio', transcript: text }] };
  return [
    send({ type: 'response.created', response: response(response_id, 'in_progress', [], 0) }),
    ...deltas(text).map((delta) => send({ type: 'response.output_audio_transcript.delta', ...at, delta })),
    send({ type: 'response.output_audio_transcript.done', ...at, transcript: text }),
    send({ type: 'response.done', response: response(response_id, 'completed', [message], wordCount(text)) }),
    send({ type: 'output_audio_buffer.started', response_id }),
    ...speak(text, msPerWord),
    send({ type: 'output_audio_buffer.stopped', response_id }),
  ];
}

export function toolCall(name: string, args: Record<string, unknown>): Action[] {
  const response_id = newId('resp', 12);
  const item_id = newId('item', 12);
  const call_id = newId('fc', 12);
  const argumentsJson = JSON.stringify(args);
  const item = { id: item_id, object: 'realtime.item', type: 'function_call', status: 'completed', call_id, name, arguments: argumentsJson };
  return [
    send({ type: 'response.created', response: response(response_id, 'in_progress', [], 0) }),
    send({ type: 'response.function_call_arguments.done', response_id, item_id, output_index: 0, call_id, name, arguments: argumentsJson }),
    send({ type: 'response.done', response: response(response_id, 'completed', [item], 4) }),
    { kind: 'await-tool', callId: call_id },
  ];
}

export function dtmf(keys: string): Action[] {
  return [...keys].map((event) => send({ type: 'input_audio_buffer.dtmf_event_received', event, received_at: Math.floor(Date.now() / 1000) }));
}

/** `event_id`: the client event's, when the error answers one that had an id. */
export function errorEvent(error: { type: string; code: string | null; message: string; param?: string | null; event_id?: string | null }): ServerEvent {
  return { type: 'error', error: { param: null, event_id: null, ...error } };
}

/** What the model says for a client's `response.create`: the quoted text of its instructions. */
export function requestedSpeech(instructions: unknown): string {
  if (typeof instructions === 'string') {
    const quoted = /say exactly\s*'(.+)'/is.exec(instructions) ?? /"([^"]+)"/.exec(instructions);
    if (quoted) return quoted[1];
  }
  return 'Sure, I can help you with that.';
}

/**
 * An `mcp` tool of the session, as the emulator reads it (the shape `acceptParamsError` checks).
 * https://developers.openai.com/api/docs/guides/realtime-mcp
 */
export interface SessionMcpTool {
  server_label: string;
  server_url?: string;
  allowed_tools?: unknown;
}

/** The session's `mcp` tools. */
export function mcpToolsOf(session: Record<string, unknown>): SessionMcpTool[] {
  const tools = Array.isArray(session.tools) ? session.tools : [];
  return tools.filter((t): t is SessionMcpTool => typeof t === 'object' && t !== null && t.type === 'mcp' && typeof t.server_label === 'string');
}

/**
 * A server that cannot be listed: one at a `.invalid` host (RFC 2606: such a name never
 * resolves), as a server OpenAI cannot reach would be. Tests fail a listing by naming one.
 */
export function unreachable(tool: SessionMcpTool): boolean {
  try {
    return new URL(tool.server_url ?? '').hostname.toLowerCase().replace(/\.$/, '').endsWith('.invalid');
  } catch {
    return false;
  }
}

/**
 * The Realtime engine importing a server's tools once the session has it: an `mcp_list_tools`
 * item, `mcp_list_tools.in_progress`, then `.completed` and the item with its tools, or
 * `.failed`. The item comes as `conversation.item.added`/`done`; the event names and fields are
 * the `openai` SDK's (7.59: McpListTools*, RealtimeMcpListTools). The order and whether a failed
 * listing's item is done are not documented (unconfirmed): the worker reads either.
 * `tools` are the names the server lists (the emulator has no server: the caller says).
 */
export function mcpListing(tool: SessionMcpTool, tools: readonly string[]): Action[] {
  const item_id = newId('mcpl', 12);
  const item = { id: item_id, type: 'mcp_list_tools', server_label: tool.server_label, tools: [] as unknown[] };
  const failed = unreachable(tool);
  return [
    send({ type: 'conversation.item.added', previous_item_id: null, item }),
    send({ type: 'mcp_list_tools.in_progress', item_id }),
    failed
      ? send({ type: 'mcp_list_tools.failed', item_id })
      : send({ type: 'mcp_list_tools.completed', item_id }),
    ...(failed
      ? []
      : [
          send({
            type: 'conversation.item.done',
            previous_item_id: null,
            item: { ...item, tools: tools.map((name) => ({ name, description: null, input_schema: { type: 'object', properties: {} }, annotations: null })) },
          }),
        ]),
  ];
}

/** An MCP call's error as the SDK types it (RealtimeMcpToolExecutionError, RealtimeMcphttpError, RealtimeMcpProtocolError). */
export type McpCallError =
  | { type: 'tool_execution_error'; message: string }
  | { type: 'http_error' | 'protocol_error'; code: number; message: string };

/**
 * The model calling a tool on an MCP server, which the Realtime engine runs itself: a response
 * with an `mcp_call` item, its arguments, `response.mcp_call.in_progress`, then `.completed`
 * (the item done with `output`) or `.failed` (with `error`). The item comes both as
 * `response.output_item.*` and as `conversation.item.*`: which of the two OpenAI sends is not
 * documented (unconfirmed), and sending both checks that the worker records the call once.
 * Nothing waits for the client: the engine has the answer.
 */
export function mcpCall(server: string, name: string, args: Record<string, unknown>, result: { output: string } | { error: McpCallError }): Action[] {
  const response_id = newId('resp', 12);
  const item_id = newId('mcp', 12);
  const argumentsJson = JSON.stringify(args);
  const at = { response_id, item_id, output_index: 0 };
  const begun = { id: item_id, type: 'mcp_call', server_label: server, name, arguments: '', approval_request_id: null, output: null, error: null };
  const done = { ...begun, arguments: argumentsJson, ...('output' in result ? { output: result.output } : { error: result.error }) };
  return [
    send({ type: 'response.created', response: response(response_id, 'in_progress', [], 0) }),
    send({ type: 'response.output_item.added', response_id, output_index: 0, item: begun }),
    send({ type: 'conversation.item.added', previous_item_id: null, item: begun }),
    send({ type: 'response.mcp_call_arguments.delta', ...at, delta: argumentsJson }),
    send({ type: 'response.mcp_call_arguments.done', ...at, arguments: argumentsJson }),
    send({ type: 'response.mcp_call.in_progress', item_id, output_index: 0 }),
    send({ type: 'output' in result ? 'response.mcp_call.completed' : 'response.mcp_call.failed', item_id, output_index: 0 }),
    send({ type: 'response.output_item.done', response_id, output_index: 0, item: done }),
    send({ type: 'conversation.item.done', previous_item_id: null, item: done }),
    send({ type: 'response.done', response: response(response_id, 'completed', [done], 4) }),
  ];
}
