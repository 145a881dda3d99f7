/**
 * A plain Realtime session, `GET /v1/realtime?model=...` without a call: what `switchboard try`
 * has a text conversation with. The model is a stand-in whose every answer follows from the
 * conversation (`replyTo`), so tests can say what it answers; the events and their fields are the
 * GA ones of the `openai` SDK (7.59, `openai/resources/realtime/realtime`).
 */
import type { WebSocket } from 'ws';
import { dayOf, modelStanding, type Day } from '../../core/openai/models';
import { errorEvent, serialize, sessionFor, type ServerEvent } from './events';
import { newId } from './ids';
import { replyTo, textOf, type Reply } from './stand-in-model';
import type { ClientEventTarget } from './sideband';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The gap between a response's events, so that a response is in progress for a while as a
 * model's is: long enough for a `response.cancel`, or a second `response.create`, to meet it.
 */
const EVENT_GAP_MS = 5;

/** Why the real API would not open a session with this model on `on`, or undefined when it would. */
function modelRefusal(model: string, on: Day): string | undefined {
  const standing = modelStanding(model, 'realtime', on);
  if (standing.standing === 'current' || standing.standing === 'deprecated') return undefined;
  if (standing.standing === 'shut-down') return `The model '${model}' was shut down on ${standing.shutdown} and is no longer available.`;
  return `The model '${model}' does not exist or you do not have access to it.`;
}

/** Splits text into a few deltas (by code point) that concatenate back to it exactly. */
function deltas(text: string, pieces = 3): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

/** Roughly OpenAI's four characters a token: the counts are made up, but the same for the same conversation. */
const tokens = (text: string) => Math.ceil(text.length / 4);

/** No audio is generated, and none comes in: every token is a text token. */
function usage(inputTokens: number, outputTokens: number) {
  return {
    total_tokens: inputTokens + outputTokens,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    input_token_details: { text_tokens: inputTokens, audio_tokens: 0, image_tokens: 0, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 } },
    output_token_details: { text_tokens: outputTokens, audio_tokens: 0 },
  };
}

type Modality = 'text' | 'audio';

/**
 * How a message streams in each output modality. With audio the emulator sends the transcript
 * events a call's sideband gets and no `response.output_audio.delta`: it has no voice.
 */
const STREAM = {
  text: { delta: 'response.output_text.delta', done: 'response.output_text.done', field: 'text', part: 'text', content: 'output_text' },
  audio: { delta: 'response.output_audio_transcript.delta', done: 'response.output_audio_transcript.done', field: 'transcript', part: 'audio', content: 'output_audio' },
} as const;

/** What a response's `response.*` objects share. */
interface ResponseHead {
  id: string;
  conversationId: string;
  modality: Modality;
  maxOutputTokens: unknown;
}

function responseObject(head: ResponseHead, status: 'in_progress' | 'completed' | 'cancelled', output: Json[], used: ReturnType<typeof usage> | null) {
  return {
    object: 'realtime.response',
    id: head.id,
    status,
    status_details: status === 'cancelled' ? { type: 'cancelled', reason: 'client_cancelled' } : null,
    output,
    conversation_id: head.conversationId,
    output_modalities: [head.modality],
    max_output_tokens: head.maxOutputTokens,
    metadata: null,
    usage: used,
  };
}

/**
 * Every event of a response with one output item, in the order the real API sends them. The
 * item is also announced as a conversation item (`conversation.item.added` as it starts,
 * `.done` once finished), as the SDK documents for items the model generates.
 */
function responseEvents(reply: Reply, head: ResponseHead, previousItemId: string | null, inputTokens: number): ServerEvent[] {
  const item_id = newId('item', 12);
  const at = { response_id: head.id, item_id, output_index: 0 };
  let begun: Json;
  let item: Json;
  let streamed: ServerEvent[];
  if (reply.kind === 'function_call') {
    const call_id = newId('call', 12);
    begun = { id: item_id, object: 'realtime.item', type: 'function_call', status: 'in_progress', call_id, name: reply.name, arguments: '' };
    item = { ...begun, status: 'completed', arguments: reply.arguments };
    streamed = [
      ...deltas(reply.arguments).map((delta) => ({ type: 'response.function_call_arguments.delta', ...at, call_id, delta })),
      { type: 'response.function_call_arguments.done', ...at, call_id, name: reply.name, arguments: reply.arguments },
    ];
  } else {
    const form = STREAM[head.modality];
    const part = { ...at, content_index: 0 };
    begun = { id: item_id, object: 'realtime.item', type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    item = { ...begun, status: 'completed', content: [{ type: form.content, [form.field]: reply.text }] };
    streamed = [
      { type: 'response.content_part.added', ...part, part: { type: form.part, [form.field]: '' } },
      ...deltas(reply.text).map((delta) => ({ type: form.delta, ...part, delta })),
      { type: form.done, ...part, [form.field]: reply.text },
      { type: 'response.content_part.done', ...part, part: { type: form.part, [form.field]: reply.text } },
    ];
  }
  return [
    { type: 'response.created', response: responseObject(head, 'in_progress', [], null) },
    { type: 'response.output_item.added', response_id: head.id, output_index: 0, item: begun },
    { type: 'conversation.item.added', previous_item_id: previousItemId, item: begun },
    ...streamed,
    { type: 'response.output_item.done', response_id: head.id, output_index: 0, item },
    { type: 'conversation.item.done', previous_item_id: previousItemId, item },
    { type: 'response.done', response: responseObject(head, 'completed', [item], usage(inputTokens, tokens(textOf(item)))) },
  ];
}

/** A response being sent: what is left of it, and its item once that is in the conversation. */
interface ActiveResponse {
  head: ResponseHead;
  inputTokens: number;
  pending: ServerEvent[];
  finished?: Json;
  timer?: NodeJS.Timeout;
}

/**
 * Opens a session on an upgraded socket: `session.created`, or for a model OpenAI does not serve
 * an `error` and close 1008 (policy violation), as the real endpoint refuses one.
 */
export function openTextSession(ws: WebSocket, model: string): TextSession | undefined {
  const refused = modelRefusal(model, dayOf(new Date()));
  if (!refused) return new TextSession(ws, model);
  ws.send(serialize(errorEvent({ type: 'invalid_request_error', code: 'model_not_found', message: refused, param: 'model' })));
  ws.close(1008, 'model not found');
  return undefined;
}

export class TextSession implements ClientEventTarget {
  /** The `session.id` of `session.created`: what `onClientEvent` is told client events under. */
  readonly id: string;
  session: Json;
  private readonly conversationId = newId('conv', 12);
  private readonly items: Json[] = [];
  private active: ActiveResponse | undefined;

  constructor(
    private readonly ws: WebSocket,
    model: string,
  ) {
    // A WebSocket session's audio is 24 kHz PCM, not the G.711 of a phone call.
    const pcm = { type: 'audio/pcm', rate: 24000 } as const;
    this.session = sessionFor({ type: 'realtime', model, audio: { input: { format: pcm }, output: { format: pcm } } });
    this.id = String(this.session.id);
    ws.on('close', () => clearTimeout(this.active?.timer));
    this.send({ type: 'session.created', session: this.session });
  }

  updateSession(session: Json): void {
    this.session = session;
    this.send({ type: 'session.updated', session });
  }

  receive(type: string, event: Json): void {
    const eventId = typeof event.event_id === 'string' ? event.event_id : null;
    if (type === 'conversation.item.create') this.createItem(event.item, eventId);
    else if (type === 'response.create') this.createResponse(isObject(event.response) ? event.response : {}, eventId);
    else if (type === 'response.cancel') this.cancelResponse(event.response_id, eventId);
    // The audio buffer events and item retrieve/truncate/delete are taken and do nothing: a
    // text conversation has no audio, and the stand-in model only reads the items added.
  }

  private send(event: ServerEvent): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(serialize(event));
  }

  private refuse(code: string, message: string, param: string | null, eventId: string | null): void {
    this.send(errorEvent({ type: 'invalid_request_error', code, message, param, event_id: eventId }));
  }

  private createItem(item: unknown, eventId: string | null): void {
    if (!isObject(item)) return this.refuse('missing_required_parameter', "Missing required parameter: 'item'.", 'item', eventId);
    if (item.type === 'message') {
      if (!['user', 'assistant', 'system'].includes(item.role as string)) {
        return this.refuse('invalid_value', `Invalid value: '${String(item.role)}'. Supported values are: 'user', 'assistant' and 'system'.`, 'item.role', eventId);
      }
      if (!Array.isArray(item.content)) return this.refuse('missing_required_parameter', "Missing required parameter: 'item.content'.", 'item.content', eventId);
    } else if (item.type === 'function_call_output') {
      for (const key of ['call_id', 'output'] as const) {
        if (typeof item[key] !== 'string') return this.refuse('missing_required_parameter', `Missing required parameter: 'item.${key}'.`, `item.${key}`, eventId);
      }
      // The real API's words for an output no function call in the conversation asked for
      // (as reported in livekit/agents#3344).
      if (!this.items.some((known) => known.type === 'function_call' && known.call_id === item.call_id)) {
        return this.refuse('invalid_tool_call_id', `Tool call ID '${String(item.call_id)}' not found in conversation.`, null, eventId);
      }
    } else {
      return this.refuse('invalid_value', `Invalid value: '${String(item.type)}'. The emulator's text session takes 'message' and 'function_call_output' items.`, 'item.type', eventId);
    }
    const added = { ...item, id: typeof item.id === 'string' ? item.id : newId('item', 12), object: 'realtime.item', status: 'completed' };
    const previous_item_id = (this.items.at(-1)?.id as string | undefined) ?? null;
    this.items.push(added);
    this.send({ type: 'conversation.item.added', previous_item_id, item: added });
    this.send({ type: 'conversation.item.done', previous_item_id, item: added });
  }

  private createResponse(params: Json, eventId: string | null): void {
    if (this.active) {
      return this.refuse(
        'conversation_already_has_active_response',
        `Conversation already has an active response in progress: ${this.active.head.id}. Wait until the response is finished before creating a new one.`,
        null,
        eventId,
      );
    }
    const modalities = params.output_modalities ?? this.session.output_modalities;
    const head: ResponseHead = {
      id: newId('resp', 12),
      conversationId: this.conversationId,
      modality: Array.isArray(modalities) && modalities.includes('text') ? 'text' : 'audio',
      maxOutputTokens: params.max_output_tokens ?? this.session.max_output_tokens,
    };
    const instructions = params.instructions ?? this.session.instructions;
    const inputTokens = tokens(typeof instructions === 'string' ? instructions : '') + this.items.reduce((sum, item) => sum + tokens(textOf(item)), 0);
    const reply = replyTo(this.items, this.session.tools, params.instructions);
    const previousItemId = (this.items.at(-1)?.id as string | undefined) ?? null;
    this.active = { head, inputTokens, pending: responseEvents(reply, head, previousItemId, inputTokens) };
    this.sendNext();
  }

  private sendNext(): void {
    const response = this.active;
    const event = response?.pending.shift();
    if (!response || !event) return;
    // The item joins the conversation as it is finished, so a later output can name its call_id.
    if (event.type === 'conversation.item.done' && isObject(event.item)) {
      response.finished = event.item;
      this.items.push(event.item);
    }
    this.send(event);
    if (response.pending.length === 0) this.active = undefined;
    else response.timer = setTimeout(() => this.sendNext(), EVENT_GAP_MS);
  }

  /**
   * Stops the response where it is. An item not yet finished is dropped, where the real API keeps
   * it as `incomplete`: the emulator does not model half a reply.
   */
  private cancelResponse(responseId: unknown, eventId: string | null): void {
    const response = this.active;
    if (!response || (typeof responseId === 'string' && responseId !== response.head.id)) {
      return this.refuse('response_cancel_not_active', 'Cancellation failed: no active response found', null, eventId);
    }
    clearTimeout(response.timer);
    this.active = undefined;
    const output = response.finished ? [response.finished] : [];
    const outputTokens = output.reduce((sum, item) => sum + tokens(textOf(item)), 0);
    this.send({ type: 'response.done', response: responseObject(response.head, 'cancelled', output, usage(response.inputTokens, outputTokens)) });
  }
}
