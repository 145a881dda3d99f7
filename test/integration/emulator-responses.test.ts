/**
 * The emulator's `POST /v1/responses` over real loopback HTTP, through the official `openai` SDK,
 * so the SDK and the emulator are known to agree on the request, the `Response` and the errors.
 */
import OpenAI from 'openai';
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../local/openai-emulator';

const API_KEY = 'sk-emulator-test-key';
const MODEL = 'gpt-5.4-mini';
const INSTRUCTIONS = 'Summarise the call and extract the fields.';
const TRANSCRIPT = [
  "caller: Hi, I'd like to move my table for four to Friday at eight.",
  'agent: Of course. May I have your name?',
  'caller_name: Dana Reyes',
  'outcome: rescheduled',
  'phone: +14067704205',
].join('\n');

/** A strict schema as Switchboard sends one: every object closed, every property required. */
const CALL_ANALYSIS = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'outcome', 'sentiment', 'caller_name', 'duration_minutes', 'rating', 'urgent', 'topics', 'slots', 'callback', 'notes', 'next_step'],
  properties: {
    summary: { type: 'string' },
    outcome: { type: 'string', enum: ['resolved', 'rescheduled', 'voicemail'] },
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    caller_name: { type: 'string' },
    duration_minutes: { type: 'number', minimum: 1 },
    rating: { type: 'integer' },
    urgent: { type: 'boolean' },
    topics: { type: 'array', items: { type: 'string' } },
    slots: { type: 'array', minItems: 2, items: { type: 'string', format: 'date' } },
    callback: {
      type: 'object',
      additionalProperties: false,
      required: ['needed', 'phone', 'when'],
      properties: { needed: { type: 'boolean' }, phone: { type: 'string' }, when: { type: ['string', 'null'], format: 'date-time' } },
    },
    notes: { type: ['string', 'null'] },
    next_step: { anyOf: [{ type: 'string', enum: ['none', 'call_back'] }, { type: 'null' }] },
  },
};

const structured = (schema: object, input: string = TRANSCRIPT): ResponseCreateParamsNonStreaming => ({
  model: MODEL,
  instructions: INSTRUCTIONS,
  input,
  store: false,
  text: { format: { type: 'json_schema', name: 'call_analysis', schema: schema as Record<string, unknown>, strict: true } },
});

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );
}

describe('OpenAI emulator Responses API', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;

  beforeAll(async () => {
    emulator = await startOpenAIEmulator({ apiKey: API_KEY });
    client = new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0 });
  });
  afterAll(() => emulator.close());

  /** A raw POST, for what the SDK will not send (no key, no model, not JSON). */
  async function post(body: string, headers: Record<string, string> = { Authorization: `Bearer ${API_KEY}` }) {
    const res = await fetch(`${emulator.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: (await res.json()) as any };
  }

  describe('structured outputs', () => {
    it('answers a completed Response whose JSON text honours the schema', async () => {
      const response = await client.responses.create(structured(CALL_ANALYSIS));

      const text = JSON.stringify({
        summary: "Summary: Hi, I'd like to move my table for four to Friday at eight.",
        outcome: 'rescheduled',
        sentiment: 'positive',
        caller_name: 'Dana Reyes',
        duration_minutes: 1,
        rating: 0,
        urgent: false,
        topics: [],
        slots: ['1970-01-01', '1970-01-01'],
        callback: { needed: false, phone: '+14067704205', when: '1970-01-01T00:00:00Z' },
        notes: '',
        next_step: 'none',
      });
      const inputTokens = Math.ceil((INSTRUCTIONS + TRANSCRIPT).length / 4);
      expect(response).toEqual({
        id: expect.stringMatching(/^resp_[0-9a-f]+$/),
        object: 'response',
        created_at: expect.any(Number),
        completed_at: expect.any(Number),
        status: 'completed',
        background: false,
        error: null,
        incomplete_details: null,
        access_programs: null,
        instructions: INSTRUCTIONS,
        max_output_tokens: null,
        metadata: {},
        model: MODEL,
        output: [
          {
            type: 'message',
            id: expect.stringMatching(/^msg_[0-9a-f]+$/),
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text, annotations: [] }],
          },
        ],
        output_text: text,
        parallel_tool_calls: true,
        previous_response_id: null,
        temperature: 1,
        text: { format: structured(CALL_ANALYSIS).text?.format },
        tool_choice: 'auto',
        tools: [],
        top_p: 1,
        truncation: 'disabled',
        usage: {
          input_tokens: inputTokens,
          input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
          output_tokens: Math.ceil(text.length / 4),
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: inputTokens + Math.ceil(text.length / 4),
        },
      });
      expect(Math.abs(response.created_at - Date.now() / 1000)).toBeLessThan(5);
    });

    it('is the same answer for the same request', async () => {
      const [first, second] = await Promise.all([client.responses.create(structured(CALL_ANALYSIS)), client.responses.create(structured(CALL_ANALYSIS))]);
      expect(second.output_text).toBe(first.output_text);
      expect(second.id).not.toBe(first.id);
    });

    it.each([
      ['no caller line', 'agent: Hello?', { summary: 'Summary: a call.', caller_name: '', outcome: 'resolved' }],
      ['an enum value not listed', 'caller: Hi\noutcome: escalated', { summary: 'Summary: Hi', caller_name: '', outcome: 'resolved' }],
      ['a long caller line', `caller: ${'a'.repeat(250)}`, { summary: `Summary: ${'a'.repeat(200)}` }],
      ['indented lines', '  caller:   Hello there  \n  caller_name:  Sam ', { summary: 'Summary: Hello there', caller_name: 'Sam' }],
    ])('fills strings from the input: %s', async (_, input, expected) => {
      const response = await client.responses.create(structured(CALL_ANALYSIS, input));
      expect(JSON.parse(response.output_text)).toMatchObject(expected);
    });

    it('reads the text of message items when the input is an array', async () => {
      const response = await client.responses.create({
        ...structured(CALL_ANALYSIS),
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'caller: Is the patio open?\ncaller_name: Lee' }] }],
      });
      expect(JSON.parse(response.output_text)).toMatchObject({ summary: 'Summary: Is the patio open?', caller_name: 'Lee' });
    });

    it('follows $defs references and keeps only the root summary special', async () => {
      const schema = {
        type: 'object',
        additionalProperties: false,
        required: ['caller'],
        properties: { caller: { $ref: '#/$defs/party' } },
        $defs: { party: { type: 'object', additionalProperties: false, required: ['summary', 'count'], properties: { summary: { type: 'string' }, count: { type: 'integer', exclusiveMinimum: 3 } } } },
      };
      const response = await client.responses.create(structured(schema, 'caller: Hi\nsummary: nested'));
      expect(JSON.parse(response.output_text)).toEqual({ caller: { summary: 'nested', count: 4 } });
    });

    it('answers plain text with the summary line when there is no format', async () => {
      const response = await client.responses.create({ model: MODEL, instructions: INSTRUCTIONS, input: TRANSCRIPT, store: false });
      expect(response.output_text).toBe("Summary: Hi, I'd like to move my table for four to Friday at eight.");
      expect(response.text).toEqual({ format: { type: 'text' } });
      expect(response.instructions).toBe(INSTRUCTIONS);
    });
  });

  describe('a conversation with function tools (a GPT-Live backend, as switchboard try holds it)', () => {
    const tools = [{ type: 'function' as const, name: 'lookup_order', description: 'Look up an order', parameters: { type: 'object', properties: { order: { type: 'string' } } }, strict: false }];

    it('calls the tool the caller names, takes its output, and goes on from the previous response', async () => {
      const asked = await client.responses.create({ model: MODEL, tools, input: [{ role: 'user', content: 'lookup_order {"order":"A17"}' }] });
      const [call] = asked.output;
      expect(call).toMatchObject({ type: 'function_call', name: 'lookup_order', arguments: '{"order":"A17"}', call_id: expect.stringMatching(/^call_/) });
      expect(asked.tools).toEqual(tools);
      const answered = await client.responses.create({
        model: MODEL,
        tools,
        previous_response_id: asked.id,
        input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: '{"status":"shipped"}' }],
      });
      expect(answered.output_text).toBe('Here is what I found: {"status":"shipped"}');
      expect(answered.previous_response_id).toBe(asked.id);
      const next = await client.responses.create({ model: MODEL, previous_response_id: answered.id, input: 'Thanks!' });
      expect(next.output_text).toBe('You said: Thanks!');
      expect(next.usage?.input_tokens).toBeGreaterThan(answered.usage!.input_tokens - 1);
    });

    it('refuses a previous response it never gave, and an output of no call, with 400 naming the param', async () => {
      expect(await rejection(client.responses.create({ model: MODEL, previous_response_id: 'resp_none', input: 'Hi' }))).toMatchObject({ status: 400, param: 'previous_response_id' });
      expect(await rejection(client.responses.create({ model: MODEL, tools, input: [{ type: 'function_call_output', call_id: 'call_none', output: '{}' }] }))).toMatchObject({
        status: 400,
        param: 'input',
        message: expect.stringContaining('call_none'),
      });
    });
  });

  describe('refusals', () => {
    it('answers 401 with an OpenAI error body for a wrong key or none', async () => {
      const wrong = new OpenAI({ apiKey: 'sk-wrong-key-1234', baseURL: emulator.baseURL, maxRetries: 0 });
      const error = await rejection(wrong.responses.create(structured(CALL_ANALYSIS)));
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });

      await expect(post(JSON.stringify(structured(CALL_ANALYSIS)), {})).resolves.toMatchObject({
        status: 401,
        body: { error: { type: 'invalid_request_error', message: expect.stringContaining("You didn't provide an API key") } },
      });
    });

    it.each([
      ['missing model', { input: 'hi' }, 'model', "Missing required parameter: 'model'."],
      ['model not a string', { model: 5, input: 'hi' }, 'model', "Invalid type for 'model': expected a string, but got an integer instead."],
      ['missing input', { model: MODEL }, 'input', "Missing required parameter: 'input'."],
      ['input an object', { model: MODEL, input: { text: 'hi' } }, 'input', expect.stringContaining("Invalid type for 'input'")],
      ['an unknown format', { model: MODEL, input: 'hi', text: { format: { type: 'yaml' } } }, 'text.format.type', expect.stringContaining("Invalid value: \"yaml\"")],
      ['a json_schema without a schema', { model: MODEL, input: 'hi', text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema', "Missing required parameter: 'text.format.schema'."],
    ])('answers 400 naming the param: %s', async (_, body, param, message) => {
      await expect(post(JSON.stringify(body))).resolves.toEqual({ status: 400, body: { error: { type: 'invalid_request_error', param, code: expect.any(String), message } } });
    });

    it('answers 400 for a body that is not JSON', async () => {
      await expect(post('{"model":')).resolves.toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', message: 'We could not parse the JSON body of your request.' } } });
    });

    const open = (properties: object) => ({ type: 'object', additionalProperties: false, required: Object.keys(properties), properties });
    it.each([
      ['the root not an object', { type: 'array', items: { type: 'string' } }, `schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`],
      ['the root an anyOf', { anyOf: [open({ a: { type: 'string' } })] }, `schema must be a JSON Schema of 'type: "object"', got 'type: "None"'.`],
      ['the root open', { type: 'object', required: [], properties: {} }, "In context=(), 'additionalProperties' is required to be supplied and to be false."],
      [
        'a nested object open',
        open({ x: { type: 'object', properties: { y: { type: 'string' } }, required: ['y'] } }),
        "In context=('properties', 'x'), 'additionalProperties' is required to be supplied and to be false.",
      ],
      ['additionalProperties true', open({ x: { type: 'object', additionalProperties: true, properties: {}, required: [] } }), "In context=('properties', 'x'), 'additionalProperties' is required to be supplied and to be false."],
      [
        'a property not required',
        { ...open({ a: { type: 'string' }, b: { type: 'string' } }), required: ['a'] },
        "In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'.",
      ],
      [
        'an array item open',
        open({ list: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { z: { type: 'number' } } } } }),
        "In context=('properties', 'list', 'items'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'z'.",
      ],
      [
        'an anyOf branch open',
        open({ v: { anyOf: [{ type: 'null' }, { type: 'object', properties: {}, required: [] }] } }),
        "In context=('properties', 'v', 'anyOf', 1), 'additionalProperties' is required to be supplied and to be false.",
      ],
      ['a definition open', { ...open({ p: { $ref: '#/$defs/p' } }), $defs: { p: { type: 'object', properties: {} } } }, "In context=('$defs', 'p'), 'additionalProperties' is required to be supplied and to be false."],
    ])('answers 400 for a strict schema that breaks a rule: %s', async (_, schema, reason) => {
      const error = await rejection(client.responses.create(structured(schema)));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error).toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param: 'text.format.schema',
        code: 'invalid_json_schema',
        error: { message: `Invalid schema for response_format 'call_analysis': ${reason}` },
      });
    });

    it('does not check the strict rules when strict is off', async () => {
      const loose = { type: 'object', properties: { summary: { type: 'string' }, score: { type: 'number' } } };
      const response = await client.responses.create({ ...structured(loose), text: { format: { type: 'json_schema', name: 'call_analysis', schema: loose, strict: false } } });
      expect(JSON.parse(response.output_text)).toEqual({ summary: "Summary: Hi, I'd like to move my table for four to Friday at eight.", score: 0 });
    });
  });

  describe('faults', () => {
    it('answers 429 with retry-after, then serves the next request', async () => {
      emulator.failNext('*', 'responses', { status: 429 });
      const error = await rejection(client.responses.create(structured(CALL_ANALYSIS)));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
      expect(error.headers.get('retry-after')).toBe('1');
      await expect(client.responses.create(structured(CALL_ANALYSIS))).resolves.toMatchObject({ status: 'completed' });
    });

    it('answers 500 as many times as asked', async () => {
      emulator.failNext('*', 'responses', { status: 500, times: 2 });
      for (let i = 0; i < 2; i++) {
        const error = await rejection(client.responses.create(structured(CALL_ANALYSIS)));
        expect(error).toBeInstanceOf(OpenAI.InternalServerError);
        expect(error).toMatchObject({ status: 500, type: 'server_error' });
      }
      await expect(client.responses.create(structured(CALL_ANALYSIS))).resolves.toMatchObject({ status: 'completed' });
    });

    it('delays the answer', async () => {
      emulator.failNext('*', 'responses', { delayMs: 300 });
      const started = Date.now();
      const response = await client.responses.create(structured(CALL_ANALYSIS));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(response.status).toBe('completed');
    });

    it('lets a client with a shorter timeout give up on a delayed answer', async () => {
      emulator.failNext('*', 'responses', { delayMs: 500 });
      const impatient = new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0, timeout: 100 });
      const started = Date.now();
      // APIConnectionTimeoutError outside Jest: inside, the abort's DOMException is from another realm, so the SDK reports a plain connection error.
      await expect(impatient.responses.create(structured(CALL_ANALYSIS))).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
      expect(Date.now() - started).toBeLessThan(450);
    });

    it('answers a refusal instead of output text', async () => {
      emulator.failNext('*', 'responses', { refusal: 'I can’t help with that.' });
      const response = await client.responses.create(structured(CALL_ANALYSIS));
      expect(response.status).toBe('completed');
      expect(response.output).toEqual([expect.objectContaining({ type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'I can’t help with that.' }] })]);
      expect(response.output_text).toBe('');
    });

    it('still refuses an invalid request when a refusal is queued', async () => {
      emulator.failNext('*', 'responses', { refusal: 'No.' });
      await expect(post(JSON.stringify({ input: 'hi' }))).resolves.toMatchObject({ status: 400 });
      const response = await client.responses.create(structured(CALL_ANALYSIS));
      expect(response.output[0]).toMatchObject({ content: [{ type: 'output_text' }] });
    });
  });

  describe('recording', () => {
    it('records every request, refused ones included, in the order answered', async () => {
      const recorded = await startOpenAIEmulator({ apiKey: API_KEY });
      try {
        const sdk = new OpenAI({ apiKey: API_KEY, baseURL: recorded.baseURL, maxRetries: 0 });
        const before = Date.now();
        await sdk.responses.create(structured(CALL_ANALYSIS));
        await rejection(new OpenAI({ apiKey: 'sk-nope', baseURL: recorded.baseURL, maxRetries: 0 }).responses.create(structured(CALL_ANALYSIS)));
        recorded.failNext('*', 'responses', { status: 429 });
        await rejection(sdk.responses.create({ model: MODEL, input: 'caller: hi' }));

        expect(recorded.responsesRequests()).toEqual([
          { body: structured(CALL_ANALYSIS), status: 200, at: expect.any(Number) },
          { body: structured(CALL_ANALYSIS), status: 401, at: expect.any(Number) },
          { body: { model: MODEL, input: 'caller: hi' }, status: 429, at: expect.any(Number) },
        ]);
        expect(recorded.responsesRequests()[0].at).toBeGreaterThanOrEqual(before);
        // Responses are not call-control requests: nothing lands under a call.
        expect(recorded.received('*')).toEqual([]);
      } finally {
        await recorded.close();
      }
    });
  });
});
