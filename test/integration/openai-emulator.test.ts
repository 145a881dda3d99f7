/**
 * The OpenAI emulator over real loopback HTTP and WebSocket. Call control goes through the official
 * `openai` SDK so the SDK and the emulator are known to agree on routes, bodies and errors.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import WebSocket from 'ws';
import { SCRIPTS, signWebhook, startOpenAIEmulator, type OpenAIEmulator, type ScriptStep } from '../../local/openai-emulator';
import { openEventSocket, sleep, until, type EventSocket as Sideband, type ServerEvent } from '../support/event-socket';

const API_KEY = 'sk-emulator-test-key';
const SECRET = `whsec_${Buffer.from('a 32-byte key for emulator tests').toString('base64')}`;
const DIALED = '+17134810111';
const CALLER = '+14067704205';
const SESSION: CallAcceptParams = { type: 'realtime', model: 'gpt-realtime-2.1', instructions: 'You are the front desk.', audio: { output: { voice: 'marin' } } };

function sidebandUrl(emulator: OpenAIEmulator, callId: string): string {
  return `${emulator.url.replace(/^http/, 'ws')}/v1/realtime?call_id=${encodeURIComponent(callId)}`;
}

function openSideband(emulator: OpenAIEmulator, callId: string, headers: Record<string, string> = { Authorization: `Bearer ${API_KEY}` }): Promise<Sideband> {
  return openEventSocket(sidebandUrl(emulator, callId), headers);
}

/** Event types with runs of the same type collapsed, so delta counts do not matter. */
const shape = (events: ServerEvent[]) => events.map((e) => e.type).filter((type, i, all) => type !== all[i - 1]);

const CALLER_TURN = [
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.completed',
];
const AGENT_TURN = [
  'response.created',
  'response.output_audio_transcript.delta',
  'response.output_audio_transcript.done',
  'response.done',
  'output_audio_buffer.started',
  'output_audio_buffer.stopped',
];

describe('OpenAI emulator', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;
  const sidebands: Sideband[] = [];

  beforeAll(async () => {
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, timing: { stepDelayMs: 5, msPerWord: 0 } });
    client = new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0 });
  });
  afterEach(() => {
    for (const sideband of sidebands.splice(0)) sideband.ws.terminate();
  });
  afterAll(() => emulator.close());

  async function placeCall(script?: readonly ScriptStep[]): Promise<string> {
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: CALLER, script });
    return callId;
  }

  async function acceptedCall(script?: readonly ScriptStep[]): Promise<string> {
    const callId = await placeCall(script);
    await client.realtime.calls.accept(callId, SESSION);
    return callId;
  }

  async function attach(callId: string): Promise<Sideband> {
    const sideband = await openSideband(emulator, callId);
    sidebands.push(sideband);
    return sideband;
  }

  describe('call control', () => {
    it('refuses a wrong API key with 401 and an OpenAI error body', async () => {
      const callId = await placeCall();
      const wrong = new OpenAI({ apiKey: 'sk-not-the-key', baseURL: emulator.baseURL, maxRetries: 0 });
      await expect(wrong.realtime.calls.accept(callId, SESSION)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });

      const missing = await fetch(`${emulator.baseURL}/realtime/calls/${callId}/accept`, { method: 'POST', body: '{"type":"realtime"}' });
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ error: { message: expect.stringContaining('API key'), type: 'invalid_request_error', param: null, code: null } });
      expect(emulator.call(callId)?.state).toBe('ringing');
      expect(emulator.received(callId).map((r) => r.status)).toEqual([401, 401]);
    });

    it.each([
      ['accept', (id: string) => client.realtime.calls.accept(id, SESSION)],
      ['reject', (id: string) => client.realtime.calls.reject(id, { status_code: 486 })],
      ['refer', (id: string) => client.realtime.calls.refer(id, { target_uri: 'tel:+14155550123' })],
      ['hangup', (id: string) => client.realtime.calls.hangup(id)],
    ])('answers %s on an unknown call with 404', async (verb, send) => {
      await expect(send('rtc_unknown')).rejects.toMatchObject({ status: 404 });
      expect(emulator.received('rtc_unknown').at(-1)).toMatchObject({ verb, status: 404 });
    });

    it('accepts a ringing call once, answering 200 with an empty body', async () => {
      const callId = await placeCall();
      const { data, response } = await client.realtime.calls.accept(callId, SESSION).withResponse();
      expect(response.status).toBe(200);
      expect(data).toBe('');
      expect(emulator.call(callId)).toMatchObject({ state: 'accepted', acceptedWith: SESSION, sockets: 0 });

      await expect(client.realtime.calls.accept(callId, SESSION)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('call already accepted') });
      expect(emulator.received(callId)).toEqual([
        { verb: 'accept', body: SESSION, status: 200, at: expect.any(Number) },
        { verb: 'accept', body: SESSION, status: 400, at: expect.any(Number) },
      ]);
    });

    it.each([
      ['turn detection threshold', { audio: { input: { turn_detection: { type: 'server_vad', threshold: 0.6 } } } }, 'audio.input.turn_detection.threshold'],
      ['turn detection prefix padding', { audio: { input: { turn_detection: { type: 'server_vad', prefix_padding_ms: 300 } } } }, 'audio.input.turn_detection.prefix_padding_ms'],
      ['turn detection silence duration', { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } } }, 'audio.input.turn_detection.silence_duration_ms'],
      ['an unknown turn detection type', { audio: { input: { turn_detection: { type: 'push_to_talk' } } } }, 'audio.input.turn_detection.type'],
      ['temperature (not GA)', { temperature: 0.8 }, 'temperature'],
      ['an unknown parameter', { voice: 'marin' }, 'voice'],
      ['an audio format', { audio: { input: { format: { type: 'audio/pcmu' } } } }, 'audio.input.format'],
      ['a voice that is not a string', { audio: { output: { voice: { id: 'marin' } } } }, 'audio.output.voice'],
      ['a tool that is neither a function nor mcp', { tools: [{ type: 'web_search' }] }, 'tools[0].type'],
      ['an mcp tool without a server_url', { tools: [{ type: 'mcp', server_label: 'x' }] }, 'tools[0].server_url'],
      ['an mcp tool without a server_label', { tools: [{ type: 'mcp', server_url: 'https://mcp.example.com/mcp' }] }, 'tools[0].server_label'],
      ['an mcp tool with a field the guide does not list', { tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://mcp.example.com/mcp', tunnel_id: 't' }] }, 'tools[0].tunnel_id'],
      ['an mcp tool with a header that is not text', { tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://mcp.example.com/mcp', headers: { 'X-N': 7 } }] }, 'tools[0].headers.X-N'],
      ['an unknown require_approval', { tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://mcp.example.com/mcp', require_approval: 'sometimes' }] }, 'tools[0].require_approval'],
      ['a missing type', { type: undefined }, 'type'],
    ])('refuses %s with 400 naming the param', async (_, extra, param) => {
      const callId = await placeCall();
      const body = { ...SESSION, ...extra } as unknown as CallAcceptParams;
      await expect(client.realtime.calls.accept(callId, body)).rejects.toMatchObject({ status: 400, param });
      expect(emulator.call(callId)?.state).toBe('ringing');
    });

    it('takes the allowed turn detection fields and function tools', async () => {
      const callId = await placeCall();
      await client.realtime.calls.accept(callId, {
        ...SESSION,
        audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high', create_response: true, interrupt_response: true } }, output: { voice: 'marin' } },
        tools: [{ type: 'function', name: 'transfer_call', description: 'Transfer', parameters: { type: 'object', properties: {} } }],
        tool_choice: 'auto',
      });
      expect(emulator.call(callId)?.state).toBe('accepted');
    });

    it('rejects with 603 by default, after which the call is gone', async () => {
      const callId = await placeCall();
      await expect(client.realtime.calls.reject(callId, { status_code: 200 })).rejects.toMatchObject({ status: 400, param: 'status_code' });
      await client.realtime.calls.reject(callId);
      expect(emulator.call(callId)).toMatchObject({ state: 'rejected', rejectedWith: { status_code: 603 } });
      await expect(client.realtime.calls.accept(callId, SESSION)).rejects.toMatchObject({ status: 404 });
    });

    it('answers 404 to accept when the caller hung up while ringing', async () => {
      const { callId } = await emulator.placeCall({ dialed: DIALED, caller: CALLER, hangUpWhileRinging: true });
      expect(emulator.call(callId)?.state).toBe('missed');
      await expect(client.realtime.calls.accept(callId, SESSION)).rejects.toMatchObject({ status: 404 });
    });

    it('refers an accepted call: 200, then the call leaves and its sockets close normally', async () => {
      const callId = await acceptedCall();
      const sideband = await attach(callId);
      await expect(client.realtime.calls.refer(callId, { target_uri: 'sip:sales@example.com' })).resolves.toBe('');
      expect(await sideband.closed).toEqual({ code: 1000, reason: expect.any(String) });
      expect(emulator.call(callId)).toMatchObject({ state: 'transferred', referredTo: 'sip:sales@example.com', sockets: 0 });
      await expect(client.realtime.calls.hangup(callId)).rejects.toMatchObject({ status: 404 });
    });

    it('refuses a refer target that is not a tel: or sip: URI', async () => {
      const callId = await acceptedCall();
      await expect(client.realtime.calls.refer(callId, { target_uri: '+14155550123' })).rejects.toMatchObject({ status: 400, param: 'target_uri' });
      expect(emulator.call(callId)?.state).toBe('accepted');
    });

    it('with an ignore fault, answers refer 200 and transfers nothing', async () => {
      const callId = await acceptedCall();
      const sideband = await attach(callId);
      emulator.failNext(callId, 'refer', { ignore: true });
      await client.realtime.calls.refer(callId, { target_uri: 'tel:+14155550123' });
      await sleep(50);
      expect(emulator.call(callId)).toMatchObject({ state: 'accepted', sockets: 1 });
      expect(sideband.ws.readyState).toBe(WebSocket.OPEN);
      expect(emulator.received(callId).at(-1)).toMatchObject({ verb: 'refer', status: 200 });
    });

    it('injects status faults the given number of times, first for the call, then for any call', async () => {
      const callId = await placeCall();
      emulator.failNext(callId, 'accept', { status: 500, times: 2 });
      emulator.failNext('*', 'accept', { status: 429 });
      await expect(client.realtime.calls.accept(callId, SESSION)).rejects.toMatchObject({ status: 500 });
      await expect(client.realtime.calls.accept(callId, SESSION)).rejects.toMatchObject({ status: 500 });
      await expect(client.realtime.calls.accept(callId, SESSION)).rejects.toMatchObject({ status: 429 });
      await client.realtime.calls.accept(callId, SESSION);
      expect(emulator.received(callId).map((r) => r.status)).toEqual([500, 500, 429, 200]);
    });

    it('with a delay fault, answers late (past a client timeout) and still does the work', async () => {
      const callId = await placeCall();
      emulator.failNext(callId, 'accept', { delayMs: 150 });
      await expect(client.realtime.calls.accept(callId, SESSION, { timeout: 50 })).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
      await until(() => emulator.call(callId)?.state === 'accepted', 'the late accept');
    });

    it('hangs up: 200, sockets close normally, then 404 for call control and the sideband', async () => {
      const callId = await acceptedCall();
      const sideband = await attach(callId);
      await client.realtime.calls.hangup(callId);
      expect((await sideband.closed).code).toBe(1000);
      expect(emulator.call(callId)).toMatchObject({ state: 'ended', endedBy: 'agent' });
      await expect(client.realtime.calls.hangup(callId)).rejects.toMatchObject({ status: 404 });
      await expect(openSideband(emulator, callId)).rejects.toThrow('Unexpected server response: 404');
    });
  });

  describe('sideband', () => {
    it('refuses a bad key with 401, an unknown or ringing call with 404', async () => {
      const ringing = await placeCall();
      const accepted = await acceptedCall();
      await expect(openSideband(emulator, accepted, { Authorization: 'Bearer sk-wrong' })).rejects.toThrow('Unexpected server response: 401');
      await expect(openSideband(emulator, accepted, {})).rejects.toThrow('Unexpected server response: 401');
      await expect(openSideband(emulator, 'rtc_unknown')).rejects.toThrow('Unexpected server response: 404');
      await expect(openSideband(emulator, ringing)).rejects.toThrow('Unexpected server response: 404');
    });

    it('closes a beta handshake with 4000', async () => {
      const callId = await acceptedCall();
      const beta = await openSideband(emulator, callId, { Authorization: `Bearer ${API_KEY}`, 'OpenAI-Beta': 'realtime=v1' });
      expect((await beta.closed).code).toBe(4000);
      expect(emulator.call(callId)?.sockets).toBe(0);
    });

    it('sends session.created reflecting the accept, then plays the script in order', async () => {
      const callId = await acceptedCall([{ caller: 'What time do you open tomorrow?' }, { agent: 'We open at nine.' }, { dtmf: '5' }, { error: { type: 'invalid_request_error', code: 'test', message: 'scripted' } }]);
      const sideband = await attach(callId);
      await sideband.next('error');
      const { events } = sideband;
      expect(shape(events)).toEqual(['session.created', ...CALLER_TURN, ...AGENT_TURN, 'input_audio_buffer.dtmf_event_received', 'error']);
      expect(events[0].session).toMatchObject({ type: 'realtime', model: 'gpt-realtime-2.1', instructions: 'You are the front desk.', audio: { output: { voice: 'marin' } } });

      const heard = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.delta');
      const completed = events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed')!;
      expect(heard.length).toBeGreaterThan(1);
      expect(heard.map((e) => e.delta).join('')).toBe('What time do you open tomorrow?');
      expect(completed).toMatchObject({ item_id: heard[0].item_id, content_index: 0, transcript: 'What time do you open tomorrow?' });

      const done = events.find((e) => e.type === 'response.output_audio_transcript.done')!;
      const responseDone = events.find((e) => e.type === 'response.done')!;
      expect(done).toMatchObject({ transcript: 'We open at nine.', response_id: responseDone.response.id, item_id: expect.stringMatching(/^item_/) });
      expect(responseDone.response).toMatchObject({
        status: 'completed',
        usage: { total_tokens: expect.any(Number), input_tokens: expect.any(Number), output_tokens: expect.any(Number), input_token_details: expect.any(Object), output_token_details: expect.any(Object) },
      });
      expect(events.find((e) => e.type === 'output_audio_buffer.stopped')).toMatchObject({ response_id: responseDone.response.id });
      expect(events.find((e) => e.type === 'input_audio_buffer.dtmf_event_received')).toMatchObject({ event: '5', received_at: expect.any(Number) });
      expect(events.at(-1)).toMatchObject({ error: { type: 'invalid_request_error', code: 'test', message: 'scripted' } });
      expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
      expect(emulator.call(callId)).toMatchObject({ state: 'accepted', sockets: 1, scriptStep: 4 });
    });

    it("plays an agent turn for the client's response.create, speaking the quoted instructions", async () => {
      const callId = await acceptedCall();
      const sideband = await attach(callId);
      const greeting = { type: 'response.create', response: { instructions: "Say exactly 'Hi, you've reached Acme.'" } };
      sideband.send(greeting);
      await sideband.next('output_audio_buffer.stopped');
      expect(shape(sideband.events)).toEqual(['session.created', ...AGENT_TURN]);
      expect((await sideband.next('response.output_audio_transcript.done')).transcript).toBe("Hi, you've reached Acme.");
      expect(emulator.clientEvents(callId)).toEqual([greeting]);
    });

    it('waits after a tool call for its function_call_output and response.create', async () => {
      const callId = await acceptedCall([{ caller: 'Sales, please.' }, { tool: 'transfer_call', args: { target: 'sales' } }, { agent: 'Connecting you now.' }]);
      const sideband = await attach(callId);
      const call = await sideband.next('response.function_call_arguments.done');
      expect(call).toMatchObject({ name: 'transfer_call', call_id: expect.stringMatching(/^fc_/) });
      expect(JSON.parse(call.arguments)).toEqual({ target: 'sales' });
      await sideband.next('response.done');
      await sleep(60);
      expect(sideband.events.at(-1)?.type).toBe('response.done');
      expect(emulator.call(callId)).toMatchObject({ waitingForToolOutput: true });

      const output = { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '{"ok":true}' } };
      sideband.send(output);
      await sleep(30);
      expect(sideband.events.at(-1)?.type).toBe('response.done');
      sideband.send({ type: 'response.create' });
      const said = await sideband.next('response.output_audio_transcript.done');
      expect(said.transcript).toBe('Connecting you now.');
      expect(emulator.clientEvents(callId)).toEqual([output, { type: 'response.create' }]);
    });

    it('continues the script on a re-attached socket after a drop, without replaying', async () => {
      const callId = await acceptedCall([{ caller: 'First words.' }, { drop: true }, { caller: 'Second words.' }]);
      const first = await attach(callId);
      expect((await first.closed).code).toBe(1006);
      expect(emulator.call(callId)).toMatchObject({ state: 'accepted', sockets: 0 });
      await sleep(30);

      const second = await attach(callId);
      const completed = await second.next('conversation.item.input_audio_transcription.completed');
      expect(completed.transcript).toBe('Second words.');
      expect(shape(first.events)).toEqual(['session.created', ...CALLER_TURN]);
      expect(shape(second.events)).toEqual(['session.created', ...CALLER_TURN]);
      expect(second.events.some((e) => e.transcript === 'First words.')).toBe(false);
    });

    it('ends the call on a scripted hang-up: close 1006, then 404', async () => {
      const callId = await acceptedCall(SCRIPTS['hangup-mid-sentence']);
      const sideband = await attach(callId);
      expect((await sideband.closed).code).toBe(1006);
      expect(shape(sideband.events)).toEqual(['session.created', 'input_audio_buffer.speech_started', 'conversation.item.input_audio_transcription.delta']);
      expect(emulator.call(callId)).toMatchObject({ state: 'ended', endedBy: 'caller', sockets: 0 });
      await expect(client.realtime.calls.hangup(callId)).rejects.toMatchObject({ status: 404 });
    });

    it('ends the call on endCall(): close 1006 on every socket', async () => {
      const callId = await acceptedCall();
      const [a, b] = [await attach(callId), await attach(callId)];
      emulator.endCall(callId, 'caller-hangup');
      expect((await a.closed).code).toBe(1006);
      expect((await b.closed).code).toBe(1006);
      await expect(client.realtime.calls.refer(callId, { target_uri: 'tel:+14155550123' })).rejects.toMatchObject({ status: 404 });
    });

    it('plays the built-in question script: two caller turns, an answer, then the caller hangs up', async () => {
      const callId = await acceptedCall(SCRIPTS.question);
      const sideband = await attach(callId);
      expect((await sideband.closed).code).toBe(1006);
      expect(shape(sideband.events)).toEqual(['session.created', ...CALLER_TURN, ...AGENT_TURN, ...CALLER_TURN]);
    });

    it.each([
      ['transfer', 'transfer_call', { target: 'sales' }],
      ['agent-ends', 'end_call', {}],
    ] as const)('plays the built-in %s script up to its %s tool call', async (name, tool, args) => {
      const callId = await acceptedCall(SCRIPTS[name]);
      const sideband = await attach(callId);
      const call = await sideband.next('response.function_call_arguments.done');
      expect(call.name).toBe(tool);
      expect(JSON.parse(call.arguments)).toEqual(args);
    });
  });

  describe('MCP', () => {
    const ORDERS = { type: 'mcp' as const, server_label: 'orders', server_url: 'https://mcp.example.com/mcp', allowed_tools: ['lookup_order'], require_approval: 'never' as const };
    const LISTING = ['conversation.item.added', 'mcp_list_tools.in_progress', 'mcp_list_tools.completed', 'conversation.item.done'];
    const MCP_CALL = [
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.mcp_call_arguments.delta',
      'response.mcp_call_arguments.done',
      'response.mcp_call.in_progress',
      'response.mcp_call.completed',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ];

    async function mcpCall(script: readonly ScriptStep[], tools: CallAcceptParams['tools'] = [ORDERS]): Promise<Sideband> {
      const { callId } = await emulator.placeCall({ dialed: DIALED, caller: CALLER, script });
      await client.realtime.calls.accept(callId, { ...SESSION, tools });
      return attach(callId);
    }

    it("lists an accepted session's MCP servers as the call starts, then plays a call the engine answers itself", async () => {
      const sideband = await mcpCall([{ mcp: { server: 'orders', tool: 'lookup_order', args: { order: 'A-17' }, output: 'Shipped on Monday.' } }, { agent: 'It shipped on Monday.' }]);
      await sideband.next('output_audio_buffer.stopped');
      const { events } = sideband;
      expect(shape(events)).toEqual(['session.created', ...LISTING, ...MCP_CALL, ...AGENT_TURN]);

      const listed = events.find((e) => e.type === 'conversation.item.done')!;
      expect(listed.item).toMatchObject({ type: 'mcp_list_tools', server_label: 'orders', tools: [{ name: 'lookup_order', input_schema: expect.any(Object) }] });
      expect(events.filter((e) => e.type.startsWith('mcp_list_tools.')).map((e) => e.item_id)).toEqual([listed.item.id, listed.item.id]);

      const done = events.find((e) => e.type === 'response.output_item.done')!;
      expect(done.item).toEqual({ id: expect.stringMatching(/^mcp_/), type: 'mcp_call', server_label: 'orders', name: 'lookup_order', arguments: '{"order":"A-17"}', approval_request_id: null, output: 'Shipped on Monday.', error: null });
      expect(events.find((e) => e.type === 'response.mcp_call_arguments.done')).toMatchObject({ item_id: done.item.id, arguments: '{"order":"A-17"}', response_id: done.response_id });
      expect(events.filter((e) => e.type === 'conversation.item.done').at(-1)?.item).toEqual(done.item);
      expect(events.find((e) => e.type === 'response.done')?.response).toMatchObject({ id: done.response_id, status: 'completed', output: [done.item] });
    });

    it('plays a failed call with the error on its item', async () => {
      const sideband = await mcpCall([{ mcp: { server: 'orders', tool: 'lookup_order', args: {}, error: { type: 'http_error', code: 502, message: 'Bad gateway' } } }, { mcp: { server: 'orders', tool: 'lookup_order', error: 'No such order' } }]);
      await until(() => sideband.events.filter((e) => e.type === 'response.done').length === 2, 'two responses');
      expect(sideband.events.filter((e) => e.type === 'response.mcp_call.failed')).toHaveLength(2);
      expect(sideband.events.filter((e) => e.type === 'response.output_item.done').map((e) => [e.item.output, e.item.error])).toEqual([
        [null, { type: 'http_error', code: 502, message: 'Bad gateway' }],
        [null, { type: 'tool_execution_error', message: 'No such order' }],
      ]);
    });

    it('fails the listing of a server OpenAI could not reach (a .invalid host)', async () => {
      const sideband = await mcpCall([], [{ ...ORDERS, server_url: 'https://mcp.unreachable.invalid/mcp' }]);
      const failed = await sideband.next('mcp_list_tools.failed');
      expect(shape(sideband.events)).toEqual(['session.created', 'conversation.item.added', 'mcp_list_tools.in_progress', 'mcp_list_tools.failed']);
      expect(sideband.events[1].item).toMatchObject({ id: failed.item_id, server_label: 'orders' });
    });

    it('refuses a script step calling a server the session lacks, or a tool allowed_tools leaves out', async () => {
      const sideband = await mcpCall([{ mcp: { server: 'billing', tool: 'x', output: '' } }, { mcp: { server: 'orders', tool: 'cancel_order', output: '' } }]);
      await until(() => sideband.events.filter((e) => e.type === 'error').length === 2, 'two errors');
      expect(sideband.events.filter((e) => e.type === 'error').map((e) => e.error.message)).toEqual([
        "The script calls MCP server 'billing', which the session does not have.",
        "The script calls MCP tool 'cancel_order', which allowed_tools of server 'orders' leaves out.",
      ]);
    });

    it('lists a server a session.update adds, once, and refuses a bad one naming the event', async () => {
      const callId = await acceptedCall();
      const sideband = await attach(callId);
      await sideband.next('session.created');
      sideband.send({ type: 'session.update', event_id: 'evt_bad', session: { type: 'realtime', tools: [{ type: 'mcp', server_label: 'orders' }] } });
      const refused = await sideband.next('error');
      expect(refused.error).toMatchObject({ param: 'session.tools[0].server_url', code: 'missing_required_parameter', event_id: 'evt_bad' });

      const update = { type: 'session.update', event_id: 'switchboard_mcp_setup', session: { type: 'realtime', tools: [{ type: 'function', name: 'end_call', parameters: { type: 'object', properties: {} } }, ORDERS], tool_choice: 'auto' } };
      sideband.send(update);
      await sideband.next('mcp_list_tools.completed');
      sideband.send(update);
      await sideband.next('conversation.item.done');
      await until(() => sideband.events.filter((e) => e.type === 'session.updated').length === 2, 'two session.updated');
      await sleep(30);
      expect(shape(sideband.events)).toEqual(['session.created', 'error', 'session.updated', ...LISTING, 'session.updated']);
      expect(sideband.events.find((e) => e.type === 'session.updated')?.session.tools).toEqual(update.session.tools);
    });
  });

  describe('webhooks', () => {
    let receiver: Server;
    let hooked: OpenAIEmulator;
    const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
    /** What the receiver does with its next requests; then 200. */
    const plan: (number | 'hang')[] = [];

    beforeAll(async () => {
      receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          requests.push({ headers: req.headers, body });
          const next = plan.shift() ?? 200;
          if (next !== 'hang') res.writeHead(next, next >= 300 && next < 400 ? { location: '/elsewhere' } : {}).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const { port } = receiver.address() as AddressInfo;
      hooked = await startOpenAIEmulator({ apiKey: API_KEY, webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: SECRET }, retrySchedule: [20, 40, 80], webhookTimeoutMs: 100 });
    });
    beforeEach(() => {
      requests.length = 0;
      plan.length = 0;
    });
    afterAll(async () => {
      await hooked.close();
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    });

    it('signs the Standard Webhooks known-answer vectors', () => {
      expect(signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
      const openaiPayload = '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}';
      expect(signWebhook('whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=', 'wh_685c059ae39c8190af8c71ed1022a24d', 1750861210, openaiPayload)).toBe('v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=');
    });

    it('delivers realtime.call.incoming signed like OpenAI, verifiable independently and by the SDK', async () => {
      const placed = await hooked.placeCall({ dialed: DIALED, caller: CALLER });
      expect(placed.firstAttempts).toEqual([{ webhookId: placed.webhookId, attempt: 1, status: 200, at: expect.any(Number) }]);
      const [{ headers, body }] = requests;
      expect(headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)', 'webhook-id': placed.webhookId });
      expect(body).toBe(placed.body);

      const timestamp = Number(headers['webhook-timestamp']);
      expect(Math.abs(Date.now() / 1000 - timestamp)).toBeLessThan(5);
      const expected = createHmac('sha256', Buffer.from(SECRET.slice('whsec_'.length), 'base64')).update(`${headers['webhook-id']}.${timestamp}.${body}`).digest();
      const signatures = String(headers['webhook-signature']).split(' ').map((s) => Buffer.from(s.replace(/^v1,/, ''), 'base64'));
      expect(signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected))).toBe(true);

      const event = await new OpenAI({ apiKey: API_KEY, baseURL: hooked.baseURL }).webhooks.unwrap(body, headers as Record<string, string>, SECRET);
      expect(event).toEqual({ object: 'event', id: expect.stringMatching(/^evt_/), type: 'realtime.call.incoming', created_at: expect.any(Number), data: { call_id: placed.callId, sip_headers: placed.sipHeaders } });
      expect(Object.keys(JSON.parse(body))).toEqual(['object', 'id', 'type', 'created_at', 'data']);
      expect(placed.sipHeaders).toEqual([
        { name: 'From', value: expect.stringMatching(/^"\+14067704205" <sip:\+14067704205@[\d.]+>;tag=\w+$/) },
        { name: 'To', value: expect.stringMatching(/^sip:proj_\w+@sip\.api\.openai\.com;transport=tls$/) },
        { name: 'Call-ID', value: expect.any(String) },
        { name: 'x-number', value: '17134810111' },
      ]);
    });

    it('retries failures (5xx, 3xx, timeouts) on the schedule with the same webhook-id and stops on 2xx', async () => {
      plan.push(500, 302, 'hang');
      const placed = await hooked.placeCall({ dialed: DIALED, caller: 'anonymous' });
      await until(() => hooked.webhookAttempts(placed.callId).length === 4, 'four attempts');
      await sleep(120);
      expect(hooked.webhookAttempts(placed.callId)).toEqual([
        { webhookId: placed.webhookId, attempt: 1, status: 500, at: expect.any(Number) },
        { webhookId: placed.webhookId, attempt: 2, status: 302, at: expect.any(Number) },
        { webhookId: placed.webhookId, attempt: 3, error: expect.stringContaining('no answer within 100 ms'), at: expect.any(Number) },
        { webhookId: placed.webhookId, attempt: 4, status: 200, at: expect.any(Number) },
      ]);
      expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([placed.webhookId]));
      const signed = requests.map((r) => signWebhook(SECRET, placed.webhookId, Number(r.headers['webhook-timestamp']), r.body));
      expect(requests.map((r) => r.headers['webhook-signature'])).toEqual(signed);
    });

    it('gives up when the schedule is exhausted', async () => {
      plan.push(503, 503, 503, 503, 503);
      const { callId } = await hooked.placeCall({ dialed: DIALED, caller: CALLER });
      await until(() => hooked.webhookAttempts(callId).length === 4, 'four attempts');
      await sleep(150);
      expect(hooked.webhookAttempts(callId).map((d) => d.status)).toEqual([503, 503, 503, 503]);
    });

    it('delivers duplicates concurrently under one webhook-id', async () => {
      const placed = await hooked.placeCall({ dialed: DIALED, caller: CALLER, duplicateDeliveries: 3 });
      expect(placed.firstAttempts).toHaveLength(3);
      expect(requests.map((r) => r.headers['webhook-id'])).toEqual([placed.webhookId, placed.webhookId, placed.webhookId]);
      expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    });
  });
});
