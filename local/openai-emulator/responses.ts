/**
 * `POST /v1/responses`, answering like the real Responses API for what Switchboard sends it: 401
 * without the key, 400 naming the param for a malformed request or a schema strict mode refuses,
 * else 200 with a completed `Response`. What Switchboard sends after a call (a summary and fields
 * as structured output) gets one message holding a deterministic answer that honours the schema.
 * A conversation (function tools, or a `previous_response_id` to go on from: `switchboard try` on
 * a GPT-Live number's backend) is answered by the emulator's stand-in model (stand-in-model.ts),
 * a message or a function call, and kept for the next request to go on from. Every request is
 * recorded, refused ones included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Response, ResponseCreateParamsNonStreaming, ResponseFormatTextConfig, ResponseOutputMessage } from 'openai/resources/responses/responses';
import { apiError, authError } from './auth';
import type { Faults } from './faults';
import { newId } from './ids';
import { replyTo, textOf } from './stand-in-model';
import { parseJson, readBody } from './request-body';
import type { Timers } from './timers';

export interface ResponsesRequest {
  /** The parsed JSON body, the raw text when it was not JSON, undefined when empty. */
  body: unknown;
  status: number;
  /** Epoch ms the request arrived. */
  at: number;
}

export interface ResponsesContext {
  apiKey: string;
  faults: Faults;
  /** Every request, in the order answered. */
  received: ResponsesRequest[];
  timers: Timers;
  /** Each conversation response's items (its input and output after those it went on from), by response id. */
  conversations: Map<string, Json[]>;
}

type ApiError = ReturnType<typeof apiError>;
/** What the endpoint answers: a `Response` (the SDK adds `output_text` itself), or a status with an OpenAI error body. */
type Answer = { status: 200; response: Omit<Response, 'output_text'> } | { status: number; error: ApiError; headers?: Record<string, string> };
type Content = ResponseOutputMessage['content'][number];
type Schema = Record<string, unknown>;
type Json = Record<string, unknown>;
type OutputItem = Response['output'][number];
/** A body `requestError` let through. */
type ValidRequest = ResponseCreateParamsNonStreaming & { model: string };

const SUMMARY_MAX_CHARS = 200;

const invalid = (message: string, param: string | null, code: string | null): ApiError => apiError(message, 'invalid_request_error', param, code);

export async function handleResponses(ctx: ResponsesContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = Date.now();
  const raw = await readBody(req);
  const body = parseJson(raw);
  const answer = (result: Answer) => {
    ctx.received.push({ body: body.ok ? body.value : raw, status: result.status, at });
    respond(res, result);
  };

  if (req.method !== 'POST') return answer({ status: 404, error: apiError(`Invalid URL (${req.method} /v1/responses)`, 'invalid_request_error') });
  const unauthorized = authError(req.headers.authorization, ctx.apiKey);
  if (unauthorized) return answer({ status: 401, error: unauthorized });
  const fault = ctx.faults.take('*', 'responses');
  if (fault && 'status' in fault) return answer(injectedFailure(fault.status));
  if (fault && 'delayMs' in fault) await ctx.timers.sleep(fault.delayMs);
  if (!body.ok) return answer({ status: 400, error: invalid('We could not parse the JSON body of your request.', null, null) });
  const error = requestError(body.value ?? {});
  if (error) return answer({ status: 400, error });
  const request = body.value as ValidRequest;
  if (isConversation(request)) {
    const turn = conversationTurn(ctx.conversations, request);
    if ('error' in turn) return answer({ status: 400, error: turn.error });
    const response = buildResponse(request, turn.output, turn.items.map(textOf).join('\n'));
    ctx.conversations.set(response.id, [...turn.items, turn.output as unknown as Json]);
    return answer({ status: 200, response });
  }
  const content: Content = fault && 'refusal' in fault ? { type: 'refusal', refusal: fault.refusal } : { type: 'output_text', text: answerText(request), annotations: [] };
  answer({ status: 200, response: buildResponse(request, { type: 'message', id: newId('msg'), role: 'assistant', status: 'completed', content: [content] }, inputText(request.input)) });
}

/** A request that carries on a conversation: it gives the model function tools, or a previous response to go on from. */
function isConversation(request: ValidRequest): boolean {
  return (request.tools?.length ?? 0) > 0 || typeof request.previous_response_id === 'string';
}

/**
 * The conversation so far (the previous response's items, then this input) and the stand-in
 * model's answer to it. Unconfirmed: the real API's messages for an unknown previous response
 * and for an output of no call; these are worded after its other 400s.
 */
function conversationTurn(conversations: Map<string, Json[]>, request: ValidRequest): { items: Json[]; output: OutputItem } | { error: ApiError } {
  const previous = request.previous_response_id;
  const before = typeof previous === 'string' ? conversations.get(previous) : [];
  if (!before) return { error: invalid(`Previous response with id '${previous}' not found.`, 'previous_response_id', 'previous_response_not_found') };
  const input = typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : (request.input as unknown as Json[]);
  const items = [...before, ...input.map(asItem)];
  const orphan = items.find((item) => item.type === 'function_call_output' && !items.some((call) => call.type === 'function_call' && call.call_id === item.call_id));
  if (orphan) return { error: invalid(`No tool call found for function call output with call_id ${String(orphan.call_id)}.`, 'input', null) };
  const reply = replyTo(items, request.tools, request.instructions);
  const output: OutputItem =
    reply.kind === 'message'
      ? { type: 'message', id: newId('msg'), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply.text, annotations: [] }] }
      : { type: 'function_call', id: newId('fc'), call_id: newId('call'), name: reply.name, arguments: reply.arguments, status: 'completed' };
  return { items, output };
}

/** An input item in the stand-in model's shape: an easy message (`{ role, content: 'text' }`) as a message item. */
function asItem(item: Json): Json {
  if (item.type !== undefined && item.type !== 'message') return item;
  return { ...item, type: 'message', content: typeof item.content === 'string' ? [{ type: 'input_text', text: item.content }] : item.content };
}

function injectedFailure(status: number): Answer {
  if (status === 429) {
    const error = apiError('Rate limit reached (injected failure). Please try again in 1s.', 'requests', null, 'rate_limit_exceeded');
    return { status, error, headers: { 'retry-after': '1' } };
  }
  return { status, error: apiError(`Injected failure (${status}).`, status >= 500 ? 'server_error' : 'invalid_request_error') };
}

/** Why the real API would refuse this body with a 400, or undefined when it would answer. */
export function requestError(body: unknown): ApiError | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid(`Invalid type for body: expected an object, but got ${jsonType(body)} instead.`, null, 'invalid_type');
  const { model, input, instructions, text } = body as Record<string, unknown>;
  if (model === undefined) return invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string') return invalid(`Invalid type for 'model': expected a string, but got ${jsonType(model)} instead.`, 'model', 'invalid_type');
  if (input === undefined) return invalid("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof input !== 'string' && !Array.isArray(input)) {
    return invalid(`Invalid type for 'input': expected one of a string or an array of input items, but got ${jsonType(input)} instead.`, 'input', 'invalid_type');
  }
  if (instructions !== undefined && instructions !== null && typeof instructions !== 'string') {
    return invalid(`Invalid type for 'instructions': expected a string, but got ${jsonType(instructions)} instead.`, 'instructions', 'invalid_type');
  }
  const format = (text as { format?: unknown } | undefined)?.format;
  return format === undefined ? undefined : formatError(format);
}

function formatError(format: unknown): ApiError | undefined {
  if (typeof format !== 'object' || format === null) return invalid(`Invalid type for 'text.format': expected an object, but got ${jsonType(format)} instead.`, 'text.format', 'invalid_type');
  const { type, name, schema, strict } = format as Record<string, unknown>;
  if (type === 'text' || type === 'json_object') return undefined;
  if (type !== 'json_schema') {
    return invalid(`Invalid value: ${JSON.stringify(type)}. Supported values are: 'text', 'json_object', and 'json_schema'.`, 'text.format.type', 'invalid_value');
  }
  if (name === undefined) return invalid("Missing required parameter: 'text.format.name'.", 'text.format.name', 'missing_required_parameter');
  if (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
    return invalid(`Invalid 'text.format.name': ${JSON.stringify(name)}. Expected a string of a-z, A-Z, 0-9, underscores and dashes, at most 64 long.`, 'text.format.name', 'invalid_value');
  }
  if (schema === undefined) return invalid("Missing required parameter: 'text.format.schema'.", 'text.format.schema', 'missing_required_parameter');
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return invalid(`Invalid type for 'text.format.schema': expected an object, but got ${jsonType(schema)} instead.`, 'text.format.schema', 'invalid_type');
  }
  const broken = strict === true ? strictSchemaError(schema as Schema) : undefined;
  return broken === undefined ? undefined : invalid(`Invalid schema for response_format '${name}': ${broken}`, 'text.format.schema', 'invalid_json_schema');
}

/**
 * The first rule of strict mode the schema breaks, worded as the real API words it, or undefined.
 * The rules, from "Supported schemas" in https://developers.openai.com/api/docs/guides/structured-outputs
 * (e.g. #additionalproperties-false-must-always-be-set-in-objects):
 * - the root must be an object, not `anyOf`;
 * - every object sets `additionalProperties: false`;
 * - every object lists all its properties in `required` (an optional field is a required one whose
 *   type admits `null`).
 * Objects are found wherever a schema may sit: `properties`, `items`, `anyOf`, `$defs`/`definitions`.
 */
export function strictSchemaError(root: Schema): string | undefined {
  if (!types(root).includes('object') || 'anyOf' in root) {
    return `schema must be a JSON Schema of 'type: "object"', got 'type: "${typeof root.type === 'string' ? root.type : 'None'}"'.`;
  }
  return objectRulesError(root, []);
}

function objectRulesError(schema: Schema, path: (string | number)[]): string | undefined {
  const at = `In context=${pythonTuple(path)}`;
  const properties = isSchema(schema.properties) ? schema.properties : {};
  if (types(schema).includes('object')) {
    if (schema.additionalProperties !== false) return `${at}, 'additionalProperties' is required to be supplied and to be false.`;
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = Object.keys(properties).find((key) => !required.includes(key));
    if (!Array.isArray(schema.required) || missing !== undefined) {
      return `${at}, 'required' is required to be supplied and to be an array including every key in properties.${missing === undefined ? '' : ` Missing '${missing}'.`}`;
    }
  }
  type Step = (string | number)[];
  const anyOf: unknown[] = Array.isArray(schema.anyOf) ? schema.anyOf : [];
  const candidates: [unknown, Step][] = [
    ...Object.entries(properties).map(([key, child]): [unknown, Step] => [child, ['properties', key]]),
    [schema.items, ['items']],
    ...anyOf.map((child, i): [unknown, Step] => [child, ['anyOf', i]]),
    ...(['$defs', 'definitions'] as const).flatMap((defs) => {
      const definitions = schema[defs];
      return Object.entries(isSchema(definitions) ? definitions : {}).map(([key, child]): [unknown, Step] => [child, [defs, key]]);
    }),
  ];
  const children = candidates.filter((entry): entry is [Schema, Step] => isSchema(entry[0]));
  for (const [child, step] of children) {
    const error = objectRulesError(child, [...path, ...step]);
    if (error) return error;
  }
  return undefined;
}

/**
 * The model's answer: for a JSON schema, a value that honours it (see `valueFor`); for JSON mode,
 * `{ "summary": ... }`; for plain text, the summary line.
 */
export function answerText(request: Pick<ResponseCreateParamsNonStreaming, 'input' | 'text'>): string {
  const input = inputText(request.input);
  const format: ResponseFormatTextConfig | undefined = request.text?.format;
  if (format?.type === 'json_schema') return JSON.stringify(valueFor(format.schema, { input, root: format.schema, depth: 0 }));
  if (format?.type === 'json_object') return JSON.stringify({ summary: summaryOf(input) });
  return summaryOf(input);
}

interface ValueContext {
  input: string;
  root: Schema;
  depth: number;
  /** The property this value is for, when it is one. */
  name?: string;
}

/** Formats strict mode supports, each with a fixed value that matches it. */
const FORMAT_VALUES: Record<string, string> = {
  'date-time': '1970-01-01T00:00:00Z',
  date: '1970-01-01',
  time: '00:00:00',
  duration: 'P0D',
  email: 'caller@example.com',
  hostname: 'example.com',
  ipv4: '0.0.0.0',
  ipv6: '::',
  uuid: '00000000-0000-0000-0000-000000000000',
};

/**
 * A deterministic value honouring `schema`: an object has every property; a root `summary` string
 * is the summary line; a string with `enum` is the value an input line `name: value` gives when it
 * is listed, else the first; another string is the input line's value, else a value of its `format`,
 * else ''; a number its `minimum` (or 0); a boolean false; an array `minItems` copies of its item;
 * a type union its first non-null type; `anyOf` its first branch.
 */
export function valueFor(schema: unknown, ctx: ValueContext): unknown {
  if (!isSchema(schema) || ctx.depth > 32) return null;
  const deeper = { ...ctx, depth: ctx.depth + 1, name: undefined };
  if (typeof schema.$ref === 'string') return valueFor(resolveRef(ctx.root, schema.$ref), { ...deeper, name: ctx.name });
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.anyOf)) return valueFor(schema.anyOf[0], { ...deeper, name: ctx.name });
  const type = types(schema).find((t) => t !== 'null') ?? types(schema)[0];
  const given = ctx.name === undefined ? undefined : lineValue(ctx.input, ctx.name);
  if (Array.isArray(schema.enum)) return given !== undefined && schema.enum.includes(given) ? given : schema.enum[0];
  switch (type) {
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([key, child]) => [key, ctx.depth === 0 && key === 'summary' && isStringSchema(child) ? summaryOf(ctx.input) : valueFor(child, { ...deeper, name: key })]),
      );
    }
    case 'string':
      return given ?? FORMAT_VALUES[String(schema.format)] ?? '';
    case 'number':
    case 'integer':
      return numberFor(schema, type);
    case 'boolean':
      return false;
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => valueFor(schema.items, deeper));
    }
    default:
      return null;
  }
}

function numberFor(schema: Schema, type: 'number' | 'integer'): number {
  if (typeof schema.minimum === 'number') return type === 'integer' ? Math.ceil(schema.minimum) : schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number') return Math.floor(schema.exclusiveMinimum) + 1;
  if (typeof schema.maximum === 'number' && schema.maximum < 0) return type === 'integer' ? Math.floor(schema.maximum) : schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && schema.exclusiveMaximum <= 0) return Math.ceil(schema.exclusiveMaximum) - 1;
  return 0;
}

/** `Summary: ` and what the caller said first (its first `caller:` line), cut to 200 characters. */
function summaryOf(input: string): string {
  const said = lineValue(input, 'caller');
  return said ? `Summary: ${said.slice(0, SUMMARY_MAX_CHARS)}` : 'Summary: a call.';
}

/** The value of the input's first line `name: value`, trimmed. */
function lineValue(input: string, name: string): string | undefined {
  const prefix = `${name}:`;
  const line = input.split(/\r?\n/).map((l) => l.trim()).find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : line.slice(prefix.length).trim();
}

/** The input's text: the string itself, or the text of every message item's content, one a line. */
function inputText(input: ResponseCreateParamsNonStreaming['input']): string {
  if (typeof input === 'string') return input;
  const texts = (input ?? []).flatMap((item) => {
    const content = (item as { content?: unknown }).content;
    if (typeof content === 'string') return [content];
    if (!Array.isArray(content)) return [];
    return content.flatMap((part) => (typeof (part as { text?: unknown })?.text === 'string' ? [(part as { text: string }).text] : []));
  });
  return texts.join('\n');
}

const tokens = (text: string) => Math.ceil(text.length / 4);

/** A completed response of one output item; `inputWords` is what its input tokens are counted from. */
function buildResponse(request: ValidRequest, output: OutputItem, inputWords: string): Omit<Response, 'output_text'> {
  const now = Math.floor(Date.now() / 1000);
  const instructions = typeof request.instructions === 'string' ? request.instructions : null;
  const input_tokens = tokens((instructions ?? '') + inputWords);
  // A refusal's words are its `refusal`, which the stand-in's textOf does not read.
  const refusal = output.type === 'message' ? output.content.map((part) => (part.type === 'refusal' ? part.refusal : '')).join('') : '';
  const output_tokens = tokens(textOf(output as unknown as Json) + refusal);
  return {
    id: newId('resp'),
    object: 'response',
    created_at: now,
    status: 'completed',
    background: false,
    completed_at: now,
    error: null,
    incomplete_details: null,
    access_programs: null,
    instructions,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    model: request.model,
    output: [output],
    parallel_tool_calls: true,
    previous_response_id: request.previous_response_id ?? null,
    temperature: 1,
    text: { format: request.text?.format ?? { type: 'text' } },
    tool_choice: 'auto',
    tools: request.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input_tokens + output_tokens,
    },
  };
}

/** A schema's `type` as a list (`['string', 'null']`); an untyped schema with `properties` is an object. */
function types(schema: Schema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  return isSchema(schema.properties) ? ['object'] : [];
}

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringSchema = (value: unknown) => isSchema(value) && types(value).includes('string') && !Array.isArray(value.enum);

/** `#`, `#/$defs/Name`, `#/definitions/Name`: a JSON pointer into the root schema. */
function resolveRef(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  return ref
    .slice(1)
    .split('/')
    .filter(Boolean)
    .map((step) => decodeURIComponent(step).replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, step) => (isSchema(node) ? node[step] : undefined), root);
}

/** A path as the real API prints it, a Python tuple: `()`, `('items',)`, `('properties', 'x')`, `('anyOf', 0)`. */
function pythonTuple(path: (string | number)[]): string {
  const items = path.map((step) => (typeof step === 'number' ? String(step) : `'${step}'`));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** The JSON type of a value as the real API names it in "Invalid type" errors. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'boolean' ? 'a boolean' : 'a string';
}

function respond(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  const json = JSON.stringify('error' in answer ? answer.error : answer.response);
  const headers = 'headers' in answer ? answer.headers : {};
  res.writeHead(answer.status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
}
