import type { TokenUsage } from '../calls/record';

/** The sideband's server events a call session acts on, with the fields it reads; every other type is skipped. */
export type SessionEvent =
  | { type: 'speech-started'; itemId: string }
  | { type: 'caller-said'; itemId: string; transcript: string }
  | { type: 'response-created'; responseId: string | undefined }
  | { type: 'agent-said'; itemId: string; responseId: string; transcript: string }
  | { type: 'response-done'; responseId: string | undefined; usage: TokenUsage | undefined }
  | { type: 'audio-stopped' }
  | { type: 'dtmf'; key: unknown }
  | { type: 'error'; code: string | undefined; message: string | undefined }
  | { type: 'function-call'; toolCallId: string; name: string; arguments: string };

// The top-level type, first or right after `event_id` (OpenAI's documented order).
const LEADING_TYPE = /^\{\s*(?:"event_id"\s*:\s*"[^"]*"\s*,\s*)?"type"\s*:\s*"([^"]+)"/;

type Raw = Record<string, unknown>;

/** OpenAI's GA event names (see the Realtime server events reference) and what each becomes. */
const READERS: Record<string, (event: Raw) => SessionEvent | undefined> = {
  'input_audio_buffer.speech_started': (e) => (typeof e.item_id === 'string' ? { type: 'speech-started', itemId: e.item_id } : undefined),
  'conversation.item.input_audio_transcription.completed': (e) => ({ type: 'caller-said', itemId: String(e.item_id), transcript: String(e.transcript ?? '') }),
  'response.created': (e) => ({ type: 'response-created', responseId: (e.response as { id?: string } | undefined)?.id }),
  'response.output_audio_transcript.done': (e) => ({
    type: 'agent-said',
    itemId: String(e.item_id),
    responseId: String(e.response_id),
    transcript: String(e.transcript ?? ''),
  }),
  'response.done': (e) => {
    const response = e.response as { id?: string; usage?: Record<string, number> } | undefined;
    const usage = response?.usage;
    return {
      type: 'response-done',
      responseId: response?.id,
      usage: usage && { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0, totalTokens: usage.total_tokens ?? 0 },
    };
  },
  'output_audio_buffer.stopped': () => ({ type: 'audio-stopped' }),
  'input_audio_buffer.dtmf_event_received': (e) => ({ type: 'dtmf', key: e.event }),
  error: (e) => {
    const error = (e.error ?? {}) as { type?: string; code?: string; message?: string };
    return { type: 'error', code: error.code ?? error.type, message: error.message };
  },
  'response.function_call_arguments.done': (e) => ({ type: 'function-call', toolCallId: String(e.call_id), name: String(e.name), arguments: String(e.arguments ?? '{}') }),
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
