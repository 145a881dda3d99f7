/**
 * The emulator's text session (`GET /v1/realtime?model=...`, no call) over real loopback
 * WebSocket: a `ws` client sends what `switchboard try` sends and reads the GA events back.
 */
import WebSocket from 'ws';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../local/openai-emulator';
import { sayExactly } from '../../core/worker/tools';
import { openEventSocket, sleep, type EventSocket as Session, type ServerEvent } from '../support/event-socket';

const API_KEY = 'sk-emulator-test-key';
const MODEL = 'gpt-realtime-2.1';
const AUTH = { Authorization: `Bearer ${API_KEY}` };

function realtimeUrl(emulator: OpenAIEmulator, query: string): string {
  return `${emulator.url.replace(/^http/, 'ws')}/v1/realtime${query}`;
}

function openSession(emulator: OpenAIEmulator, query = `?model=${MODEL}`, headers: Record<string, string> = AUTH): Promise<Session> {
  return openEventSocket(realtimeUrl(emulator, query), headers);
}

/** The status and JSON body of a refused handshake. */
function refusal(emulator: OpenAIEmulator, query: string, headers: Record<string, string> = AUTH): Promise<{ status: number; body: any }> {
  const ws = new WebSocket(realtimeUrl(emulator, query), { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the handshake was accepted')));
    ws.once('error', () => undefined); // the client reports the refusal as an error too
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
  });
}

/** Event types with runs of the same type collapsed, so delta counts do not matter. */
const shape = (events: ServerEvent[]) => events.map((e) => e.type).filter((type, i, all) => type !== all[i - 1]);

/** The events from the `n`th `response.created` through its `response.done`. */
function response(events: ServerEvent[], n = 1): ServerEvent[] {
  const starts = events.flatMap((e, i) => (e.type === 'response.created' ? [i] : []));
  const start = starts[n - 1];
  const end = events.findIndex((e, i) => i > start && e.type === 'response.done');
  return events.slice(start, end + 1);
}

const userMessage = (text: string) => ({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });

const TOOLS = ['lookup_order', 'transfer_call', 'end_call'].map((name) => ({ type: 'function', name, description: `The ${name} tool.`, parameters: { type: 'object', properties: {} } }));

const TEXT_MESSAGE = [
  'response.created',
  'response.output_item.added',
  'conversation.item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'conversation.item.done',
  'response.done',
];

describe('OpenAI emulator text session', () => {
  let emulator: OpenAIEmulator;
  const clientEvents: { id: string; event: unknown }[] = [];
  const sessions: Session[] = [];

  beforeAll(async () => {
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, onClientEvent: (id, event) => clientEvents.push({ id, event }) });
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.ws.terminate();
  });
  afterAll(() => emulator.close());

  /** A session as `switchboard try` sets one up: text out, the given tools. */
  async function textSession(tools: object[] = []): Promise<Session> {
    const session = await openSession(emulator);
    sessions.push(session);
    session.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], instructions: 'You are the front desk.', tools } });
    await session.nth('session.updated');
    return session;
  }

  /** Sends the user's words and a response.create; resolves to the `n`th response's events. */
  async function say(session: Session, text: string, n: number): Promise<ServerEvent[]> {
    session.send(userMessage(text));
    session.send({ type: 'response.create' });
    await session.nth('response.done', n);
    return response(session.events, n);
  }

  describe('handshake', () => {
    it('refuses a wrong or missing key with 401 and an OpenAI error body', async () => {
      await expect(refusal(emulator, `?model=${MODEL}`, { Authorization: 'Bearer sk-wrong' })).resolves.toMatchObject({
        status: 401,
        body: { error: { type: 'invalid_request_error', code: 'invalid_api_key' } },
      });
      await expect(refusal(emulator, `?model=${MODEL}`, {})).resolves.toMatchObject({ status: 401, body: { error: { type: 'invalid_request_error' } } });
    });

    it('refuses a connection naming neither a model nor a call with 400', async () => {
      await expect(refusal(emulator, '')).resolves.toEqual({
        status: 400,
        body: { error: { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' } },
      });
    });

    it('closes a beta handshake with 4000', async () => {
      const beta = await openSession(emulator, `?model=${MODEL}`, { ...AUTH, 'OpenAI-Beta': 'realtime=v1' });
      expect((await beta.closed).code).toBe(4000);
      expect(beta.events).toEqual([]);
    });

    it.each([
      ['a model OpenAI does not have', 'gpt-imaginary'],
      ['a transcription model', 'gpt-live-transcribe'],
    ])('answers %s with model_not_found and closes 1008', async (_, model) => {
      const session = await openSession(emulator, `?model=${model}`);
      expect((await session.closed).code).toBe(1008);
      expect(session.events).toEqual([
        expect.objectContaining({ type: 'error', error: expect.objectContaining({ type: 'invalid_request_error', code: 'model_not_found', message: expect.stringContaining(`'${model}'`) }) }),
      ]);
    });
  });

  describe('session', () => {
    it('starts as an audio session of the requested model and takes a session.update whole', async () => {
      const session = await openSession(emulator, '?model=gpt-realtime-2.1-mini');
      sessions.push(session);
      const created = (await session.nth('session.created')).session;
      expect(created).toMatchObject({ object: 'realtime.session', type: 'realtime', id: expect.stringMatching(/^sess_/), model: 'gpt-realtime-2.1-mini', output_modalities: ['audio'], tools: [] });
      expect(created.audio.output.format).toEqual({ type: 'audio/pcm', rate: 24000 });

      session.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], instructions: 'Be brief.', tools: TOOLS, tool_choice: 'auto' } });
      const updated = (await session.nth('session.updated')).session;
      expect(updated).toEqual({ ...created, output_modalities: ['text'], instructions: 'Be brief.', tools: TOOLS, tool_choice: 'auto' });
    });

    it('refuses invalid tools with an error naming the param and keeps the session as it was', async () => {
      const session = await textSession(TOOLS);
      session.send({ type: 'session.update', event_id: 'evt_bad_tools', session: { type: 'realtime', instructions: 'Changed.', tools: [{ type: 'function' }] } });
      expect((await session.nth('error')).error).toEqual({
        type: 'invalid_request_error',
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'session.tools[0].name'.",
        param: 'session.tools[0].name',
        event_id: 'evt_bad_tools',
      });
      session.send({ type: 'session.update', session: { type: 'realtime' } });
      expect((await session.nth('session.updated', 2)).session).toMatchObject({ instructions: 'You are the front desk.', tools: TOOLS });
    });

    it('answers malformed and unknown client events with an error and stays open', async () => {
      const session = await textSession();
      session.ws.send('not json');
      session.send({ type: 'response.bogus' });
      const [bad, unknown] = [await session.nth('error'), await session.nth('error', 2)];
      expect(bad.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
      expect(unknown.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'type' });
      const events = await say(session, 'Still there?', 1);
      expect(events.at(-1)?.response.status).toBe('completed');
    });
  });

  describe('conversation', () => {
    it('adds a user message, then streams "You said: ..." as output_text deltas', async () => {
      const session = await textSession();
      const sessionId = (await session.nth('session.created')).session.id;
      session.send(userMessage('What time do you open?'));
      const added = await session.nth('conversation.item.added');
      const done = await session.nth('conversation.item.done');
      expect(added).toEqual(
        expect.objectContaining({
          previous_item_id: null,
          item: { id: expect.stringMatching(/^item_/), object: 'realtime.item', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'What time do you open?' }] },
        }),
      );
      expect(done.item).toEqual(added.item);

      session.send({ type: 'response.create' });
      await session.nth('response.done');
      const events = response(session.events);
      expect(shape(events)).toEqual(TEXT_MESSAGE);
      const text = 'You said: What time do you open?';
      const pieces = events.filter((e) => e.type === 'response.output_text.delta');
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.map((e) => e.delta).join('')).toBe(text);

      const responseId = events[0].response.id;
      const item = events.at(-1)!.response.output[0];
      expect(events[0].response).toMatchObject({ object: 'realtime.response', id: expect.stringMatching(/^resp_/), status: 'in_progress', output: [], output_modalities: ['text'] });
      expect(item).toEqual({ id: expect.stringMatching(/^item_/), object: 'realtime.item', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] });
      for (const e of pieces) expect(e).toMatchObject({ response_id: responseId, item_id: item.id, output_index: 0, content_index: 0 });
      expect(events.find((e) => e.type === 'response.output_item.added')!.item).toMatchObject({ id: item.id, status: 'in_progress', content: [] });
      expect(events.find((e) => e.type === 'conversation.item.added')).toMatchObject({ previous_item_id: added.item.id, item: { id: item.id } });
      expect(events.find((e) => e.type === 'response.content_part.added')!.part).toEqual({ type: 'text', text: '' });
      expect(events.find((e) => e.type === 'response.output_text.done')).toMatchObject({ item_id: item.id, text });
      expect(events.find((e) => e.type === 'response.content_part.done')!.part).toEqual({ type: 'text', text });
      expect(events.find((e) => e.type === 'response.output_item.done')!.item).toEqual(item);
      const { usage } = events.at(-1)!.response;
      expect(events.at(-1)!.response).toMatchObject({ id: responseId, status: 'completed', output: [item] });
      expect(usage).toMatchObject({ input_token_details: expect.any(Object), output_token_details: { text_tokens: usage.output_tokens, audio_tokens: 0 } });
      expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
      expect(usage.output_tokens).toBeGreaterThan(0);
      expect(new Set(session.events.map((e) => e.event_id)).size).toBe(session.events.length);

      expect(clientEvents.filter((c) => c.id === sessionId).map((c) => c.event)).toEqual([
        expect.objectContaining({ type: 'session.update' }),
        userMessage('What time do you open?'),
        { type: 'response.create' },
      ]);
    });

    it("says the words of the worker's greeting exactly, as an audio transcript in an audio session", async () => {
      const session = await openSession(emulator);
      sessions.push(session);
      session.send({ type: 'response.create', response: { instructions: sayExactly("Hi, you've reached Acme.") } });
      await session.nth('response.done');
      const events = response(session.events);
      expect(shape(events)).toEqual(TEXT_MESSAGE.map((type) => type.replace('output_text', 'output_audio_transcript')));
      const words = 'Hi, you\u2019ve reached Acme.';
      expect(
        events
          .filter((e) => e.type === 'response.output_audio_transcript.delta')
          .map((e) => e.delta)
          .join(''),
      ).toBe(words);
      expect(events.find((e) => e.type === 'response.output_audio_transcript.done')!.transcript).toBe(words);
      expect(events.find((e) => e.type === 'response.content_part.done')!.part).toEqual({ type: 'audio', transcript: words });
      expect(events.at(-1)!.response).toMatchObject({ output_modalities: ['audio'], output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_audio', transcript: words }] }] });
    });

    it("calls a tool the user's message names, with the message's JSON, and reads its output back", async () => {
      const session = await textSession(TOOLS);
      const call = await say(session, 'Please lookup_order {"order":"A17"} for me.', 1);
      expect(shape(call)).toEqual([
        'response.created',
        'response.output_item.added',
        'conversation.item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'conversation.item.done',
        'response.done',
      ]);
      const item = call.at(-1)!.response.output[0];
      expect(item).toEqual({ id: expect.stringMatching(/^item_/), object: 'realtime.item', type: 'function_call', status: 'completed', call_id: expect.stringMatching(/^call_/), name: 'lookup_order', arguments: '{"order":"A17"}' });
      const pieces = call.filter((e) => e.type === 'response.function_call_arguments.delta');
      expect(pieces.map((e) => e.delta).join('')).toBe('{"order":"A17"}');
      for (const e of pieces) expect(e).toMatchObject({ item_id: item.id, call_id: item.call_id, output_index: 0 });
      expect(call.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({ call_id: item.call_id, name: 'lookup_order', arguments: '{"order":"A17"}' });

      session.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: item.call_id, output: '{"status":"shipped"}' } });
      expect((await session.nth('conversation.item.done', 3)).item).toMatchObject({ type: 'function_call_output', call_id: item.call_id, id: expect.stringMatching(/^item_/) });
      session.send({ type: 'response.create' });
      await session.nth('response.done', 2);
      expect(response(session.events, 2).at(-1)!.response.output[0].content).toEqual([{ type: 'output_text', text: 'Here is what I found: {"status":"shipped"}' }]);
    });

    it('calls a tool named as a whole word only, with "{}" when the message has no JSON', async () => {
      const session = await textSession(TOOLS);
      const part = await say(session, 'Is lookup_orders a thing?', 1);
      expect(part.at(-1)!.response.output[0]).toMatchObject({ type: 'message', content: [{ text: 'You said: Is lookup_orders a thing?' }] });
      const call = await say(session, 'Then end_call, or transfer_call {not json}.', 2);
      expect(call.at(-1)!.response.output[0]).toMatchObject({ type: 'function_call', name: 'end_call', arguments: '{}' });
    });
  });

  describe('refusals', () => {
    it('refuses a second response.create while one is in progress', async () => {
      const session = await textSession();
      session.send(userMessage('Hello'));
      session.send({ type: 'response.create' });
      session.send({ type: 'response.create', event_id: 'evt_second' });
      const refused = await session.nth('error');
      await session.nth('response.done');
      const { id } = (await session.nth('response.created')).response;
      expect(refused.error).toEqual({
        type: 'invalid_request_error',
        code: 'conversation_already_has_active_response',
        message: `Conversation already has an active response in progress: ${id}. Wait until the response is finished before creating a new one.`,
        param: null,
        event_id: 'evt_second',
      });
      await sleep(50);
      expect(session.events.filter((e) => e.type === 'response.created')).toHaveLength(1);
    });

    it('refuses a function_call_output for a call the conversation does not hold, and does not add it', async () => {
      const session = await textSession(TOOLS);
      session.send({ type: 'conversation.item.create', event_id: 'evt_output', item: { type: 'function_call_output', call_id: 'call_unknown', output: '{}' } });
      expect((await session.nth('error')).error).toEqual({
        type: 'invalid_request_error',
        code: 'invalid_tool_call_id',
        message: "Tool call ID 'call_unknown' not found in conversation.",
        param: null,
        event_id: 'evt_output',
      });
      const events = await say(session, 'Anyone there?', 1);
      expect(events.at(-1)!.response.output[0].content).toEqual([{ type: 'output_text', text: 'You said: Anyone there?' }]);
      expect(session.events.filter((e) => e.type === 'conversation.item.added').map((e) => e.item.type)).toEqual(['message', 'message']);
    });

    it('cancels a response in progress, and refuses a cancel with none', async () => {
      const session = await textSession();
      session.send(userMessage('Tell me everything.'));
      session.send({ type: 'response.create' });
      session.send({ type: 'response.cancel' });
      const done = await session.nth('response.done');
      expect(done.response).toMatchObject({ status: 'cancelled', status_details: { type: 'cancelled', reason: 'client_cancelled' }, output: [] });
      session.send({ type: 'response.cancel', event_id: 'evt_cancel' });
      expect((await session.nth('error')).error).toMatchObject({ code: 'response_cancel_not_active', event_id: 'evt_cancel' });
      await sleep(50);
      expect(session.events.filter((e) => e.type === 'response.done')).toHaveLength(1);
      expect(session.events.some((e) => e.type === 'response.output_text.done')).toBe(false);
    });
  });
});
