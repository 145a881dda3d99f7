/**
 * What a GPT-Live sideband (`/v1/live/sessions/{id}/attach`) says, read into what the Live call
 * session acts on. Pure: the event shapes are the `openai` SDK's (resources/live/live.d.ts,
 * ServerEvent), and anything else is `other`.
 */

import { textTokenUsage, type TokenUsage } from '../calls/record';
import { LEADING_TYPE } from './server-events';

export type LiveEvent =
  /** A fragment of what the caller (`input`) or the agent (`output`) said, on the session's timeline. */
  | { type: 'said'; role: 'caller' | 'agent'; delta: string; startMs: number; endMs: number }
  /** The backend asks for a function call (from a nested `response.output_item.done`). */
  | { type: 'function-call'; delegationId: string; toolCallId: string; name: string; arguments: string }
  /** The backend's response is done (nested `response.completed`), with its token usage. */
  | { type: 'backend-done'; delegationId: string; responseId?: string; usage?: TokenUsage }
  | { type: 'dtmf'; key: string }
  /** SIP call progress of an outbound leg (`transport.ringing`, `.answered`, `.failed` with its setup failure's code). */
  | { type: 'progress'; stage: 'ringing' | 'answered' } | { type: 'progress'; stage: 'failed'; code: string; message: string }
  /** Cumulative seconds of the session so far: a snapshot, never to be added to another. */
  | { type: 'usage'; seconds: number }
  | { type: 'closed'; reason: string; seconds?: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'other' };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** The event types read here, at the top and nested in `response.event`; every other frame is `other`. */
const READ = new Set([
  'session.input_transcript.delta', 'session.output_transcript.delta', 'response.event', 'transport.dtmf.received',
  'transport.ringing', 'transport.answered', 'transport.failed', 'session.usage.updated', 'session.closed', 'error',
]);
const READ_NESTED = new Set(['response.output_item.done', 'response.completed', 'response.done']);

/**
 * The type, and a `response.event`'s nested type, when they lead the frame (the Realtime reader's
 * LEADING_TYPE, then the delegation): most of a delegation's frames are its deltas, skipped
 * without parsing. A frame laid out otherwise is parsed.
 */
const LEADING = new RegExp(`${LEADING_TYPE.source}(?:\\s*,\\s*"delegation_id"\\s*:\\s*(?:"[^"]*"|null)\\s*,\\s*"event"\\s*:\\s*\\{\\s*"type"\\s*:\\s*"([^"]+)")?`);

export function readLiveEvent(text: string): LiveEvent {
  const leading = LEADING.exec(text);
  if (leading && (!READ.has(leading[1]) || (leading[2] !== undefined && !READ_NESTED.has(leading[2])))) return { type: 'other' };
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return { type: 'other' };
  }
  if (!isObject(event)) return { type: 'other' };
  switch (event.type) {
    case 'session.input_transcript.delta':
    case 'session.output_transcript.delta':
      if (typeof event.delta !== 'string') return { type: 'other' };
      return { type: 'said', role: event.type === 'session.input_transcript.delta' ? 'caller' : 'agent', delta: event.delta, startMs: num(event.start_ms), endMs: num(event.end_ms) };
    case 'response.event':
      return readBackendEvent(typeof event.delegation_id === 'string' ? event.delegation_id : '', isObject(event.event) ? event.event : {});
    case 'transport.dtmf.received':
      return typeof event.event === 'string' ? { type: 'dtmf', key: event.event } : { type: 'other' };
    case 'transport.ringing':
      return { type: 'progress', stage: 'ringing' };
    case 'transport.answered':
      return { type: 'progress', stage: 'answered' };
    case 'transport.failed': {
      const error = isObject(event.error) ? event.error : {};
      return { type: 'progress', stage: 'failed', code: String(error.code ?? 'unknown'), message: String(error.message ?? '') };
    }
    case 'session.usage.updated':
      return isObject(event.usage) ? { type: 'usage', seconds: num(event.usage.seconds) } : { type: 'other' };
    case 'session.closed':
      return { type: 'closed', reason: String(event.reason ?? 'unknown'), ...(isObject(event.usage) && { seconds: num(event.usage.seconds) }) };
    case 'error': {
      const error = isObject(event.error) ? event.error : {};
      return { type: 'error', code: String(error.code ?? error.type ?? 'error'), message: String(error.message ?? '') };
    }
    default:
      return { type: 'other' };
  }
}

/** A nested Responses streaming event: function calls only from `response.output_item.done`, as the Live delegation guide says. */
function readBackendEvent(delegationId: string, event: Json): LiveEvent {
  if (event.type === 'response.output_item.done' && isObject(event.item) && event.item.type === 'function_call') {
    const { item } = event;
    if (typeof item.call_id !== 'string' || typeof item.name !== 'string') return { type: 'other' };
    return { type: 'function-call', delegationId, toolCallId: item.call_id, name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '' };
  }
  if (event.type === 'response.completed' || event.type === 'response.done') {
    const response = isObject(event.response) ? event.response : {};
    const usage = isObject(response.usage) ? response.usage : undefined;
    return {
      type: 'backend-done',
      delegationId,
      ...(typeof response.id === 'string' && { responseId: response.id }),
      ...(usage && { usage: backendUsage(usage) }),
    };
  }
  return { type: 'other' };
}

/** A backend response's `ResponseUsage`, priced as the backend model is (`cache_write_tokens` where reported). */
function backendUsage(usage: Json): TokenUsage {
  const details = isObject(usage.input_tokens_details) ? usage.input_tokens_details : {};
  return textTokenUsage({
    inputTokens: num(usage.input_tokens),
    cachedTokens: num(details.cached_tokens),
    ...(typeof details.cache_write_tokens === 'number' && { cacheWriteTokens: num(details.cache_write_tokens) }),
    outputTokens: num(usage.output_tokens),
    totalTokens: num(usage.total_tokens),
  });
}

/**
 * How a Live session's closing reason ends the call's record when the worker did not end it
 * itself (a transfer or a hang-up of its own is recorded as decided).
 */
export function liveClosedEnding(reason: string): { outcome: 'completed' | 'failed'; reason: string } {
  switch (reason) {
    case 'remote_hangup':
      return { outcome: 'completed', reason: 'caller-hung-up' };
    case 'expired':
      return { outcome: 'completed', reason: 'session-limit' };
    case 'content':
      return { outcome: 'failed', reason: 'content-filter' };
    default:
      return { outcome: 'failed', reason: `session-closed: ${reason}` };
  }
}
