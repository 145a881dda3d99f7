/**
 * The OpenAI emulator's GPT-Live side over real loopback HTTP and WebSocket: calls offered to both
 * the Realtime and the Live API, Live call control through the official `openai` SDK
 * (`client.live.sessions.*`), and the Live sideband through a plain `ws` client.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { SessionAcceptParams } from 'openai/resources/live/sessions';
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import WebSocket from 'ws';
import { startOpenAIEmulator, type OpenAIEmulator, type ScriptStep } from '../../local/openai-emulator';
import { openEventSocket, sleep, until, type EventSocket as Sideband, type ServerEvent } from '../support/event-socket';

const API_KEY = 'sk-emulator-live-test-key';
const SECRET = `whsec_${Buffer.from('a 32-byte key for live emulator!').toString('base64')}`;
const DIALED = '+17134810111';
const CALLER = '+14067704205';
const REALTIME: CallAcceptParams = { type: 'realtime', model: 'gpt-realtime-2.1', instructions: 'You are the front desk.' };
const BACKEND = {
  model: 'gpt-5.6-luna',
  instructions: 'Look orders up with lookup_order.',
  tools: [
    { type: 'function' as const, name: 'lookup_order', description: 'Find an order', parameters: { type: 'object', properties: { id: { type: 'string' } } } },
    { type: 'web_search' as const },
  ],
  tool_choice: 'auto' as const,
  parallel_tool_calls: true,
};
const LIVE: SessionAcceptParams = {
  session: {
    type: 'live',
    model: 'gpt-live-1',
    instructions: 'You answer the phone for Acme. Be brief.',
    audio: { output: { voice: 'marin' } },
    delegation: { type: 'responses', responses: BACKEND },
  },
};

function attachUrl(emulator: OpenAIEmulator, sessionId: string): string {
  return `${emulator.url.replace(/^http/, 'ws')}/v1/live/sessions/${encodeURIComponent(sessionId)}/attach`;
}

function openSideband(emulator: OpenAIEmulator, sessionId: string, key = API_KEY): Promise<Sideband> {
  return openEventSocket(attachUrl(emulator, sessionId), { Authorization: `Bearer ${key}` });
}

/** The words of the transcript deltas of one kind, concatenated as the guide says to. */
const transcript = (events: ServerEvent[], type: 'session.input_transcript.delta' | 'session.output_transcript.delta') =>
  events.filter((e) => e.type === type).map((e) => e.delta).join('');

const nested = (events: ServerEvent[], type: string) => events.filter((e) => e.type === 'response.event' && e.event.type === type);

describe('OpenAI emulator: GPT-Live', () => {
  let emulator: OpenAIEmulator;
  let client: OpenAI;
  let receiver: Server;
  const deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];
  const sidebands: Sideband[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: SECRET }, timing: { stepDelayMs: 5, msPerWord: 0 } });
    client = new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0 });
  });
  afterEach(() => {
    for (const sideband of sidebands.splice(0)) sideband.ws.terminate();
  });
  afterAll(async () => {
    await emulator.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  async function placeBoth(script?: readonly ScriptStep[]) {
    const placed = await emulator.placeCall({ dialed: DIALED, caller: CALLER, offer: ['realtime', 'live'], script });
    return { callId: placed.callId, sessionId: placed.liveSessionId!, placed };
  }

  async function liveCall(script?: readonly ScriptStep[], accept: SessionAcceptParams = LIVE): Promise<string> {
    const { sessionId } = await placeBoth(script);
    await client.live.sessions.accept(sessionId, accept);
    return sessionId;
  }

  async function attach(sessionId: string): Promise<Sideband> {
    const sideband = await openSideband(emulator, sessionId);
    sidebands.push(sideband);
    return sideband;
  }

  describe('a call offered to both APIs', () => {
    it('fires realtime.call.incoming, then live.transport.incoming, for one SIP call, both signed', async () => {
      deliveries.length = 0;
      const { callId, sessionId, placed } = await placeBoth();
      expect(callId).toMatch(/^rtc_/);
      expect(sessionId).toMatch(/^live_/);
      expect(deliveries).toHaveLength(2);

      const [realtime, live] = await Promise.all(deliveries.map((d) => client.webhooks.unwrap(d.body, d.headers as Record<string, string>, SECRET)));
      expect(realtime).toMatchObject({ object: 'event', type: 'realtime.call.incoming', data: { call_id: callId, sip_headers: placed.sipHeaders, sip_media_security: 'srtp' } });
      expect(live).toMatchObject({ object: 'event', type: 'live.transport.incoming', data: { type: 'sip', session_id: sessionId, sip_headers: placed.sipHeaders, sip_media_security: 'srtp' } });
      const callIdHeader = (headers: { name: string; value: string }[]) => headers.filter((h) => h.name === 'Call-ID').map((h) => h.value);
      expect(callIdHeader((live as any).data.sip_headers)).toEqual(callIdHeader((realtime as any).data.sip_headers));
      expect(callIdHeader(placed.sipHeaders)).toHaveLength(1);

      expect(placed.webhooks.map((w) => [w.surface, w.type, w.id])).toEqual([
        ['realtime', 'realtime.call.incoming', callId],
        ['live', 'live.transport.incoming', sessionId],
      ]);
      expect(deliveries.map((d) => d.headers['webhook-id'])).toEqual(placed.webhooks.map((w) => w.webhookId));
      expect(new Set(placed.webhooks.map((w) => w.webhookId)).size).toBe(2);
      expect(emulator.webhookAttempts(sessionId)).toEqual([{ webhookId: placed.webhooks[1].webhookId, attempt: 1, status: 200, at: expect.any(Number) }]);
      expect(emulator.call(callId)).toEqual(emulator.call(sessionId));
      expect(emulator.call(sessionId)).toMatchObject({ callId, liveSessionId: sessionId, offeredTo: ['realtime', 'live'], state: 'ringing', surface: undefined });
    });

    it('sends the webhooks in the order given, and the deprecated live.call.incoming (no data.type) when asked', async () => {
      deliveries.length = 0;
      const placed = await emulator.placeCall({ dialed: DIALED, caller: CALLER, offer: ['live', 'realtime'], liveEvent: 'live.call.incoming' });
      const events = deliveries.map((d) => JSON.parse(d.body));
      expect(events.map((e) => e.type)).toEqual(['live.call.incoming', 'realtime.call.incoming']);
      expect(events[0].data).toEqual({ session_id: placed.liveSessionId, sip_headers: placed.sipHeaders, sip_media_security: 'srtp' });
      expect(placed.webhookId).toBe(placed.webhooks[0].webhookId);
    });

    it('keeps a call offered only to Realtime as before: one webhook, no media security, no Live session', async () => {
      deliveries.length = 0;
      const placed = await emulator.placeCall({ dialed: DIALED, caller: CALLER });
      expect(deliveries).toHaveLength(1);
      expect(JSON.parse(placed.body).data).toEqual({ call_id: placed.callId, sip_headers: placed.sipHeaders });
      expect(placed.liveSessionId).toBeUndefined();
    });

    it('lets the first accept win: after a Live accept the Realtime API refuses the call', async () => {
      const { callId, sessionId } = await placeBoth();
      await client.live.sessions.accept(sessionId, LIVE);
      expect(emulator.call(callId)).toMatchObject({ state: 'accepted', surface: 'live', liveAcceptedWith: LIVE, acceptedWith: undefined });

      await expect(client.realtime.calls.accept(callId, REALTIME)).rejects.toMatchObject({ status: 400, code: 'call_already_accepted' });
      await expect(client.realtime.calls.reject(callId, { status_code: 486 })).rejects.toMatchObject({ status: 400, code: 'call_already_accepted' });
      await expect(client.realtime.calls.hangup(callId)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('Live API') });
      await expect(openSideband(emulator, sessionId).then((s) => (sidebands.push(s), s.ws.readyState))).resolves.toBe(WebSocket.OPEN);
      const realtimeSideband = new WebSocket(`${emulator.url.replace(/^http/, 'ws')}/v1/realtime?call_id=${callId}`, { headers: { Authorization: `Bearer ${API_KEY}` } });
      const status = await new Promise((resolve) => realtimeSideband.once('unexpected-response', (_req, res) => resolve(res.statusCode)));
      expect(status).toBe(404);
      await expect(client.live.sessions.accept(sessionId, LIVE)).rejects.toMatchObject({ status: 400, code: 'call_already_accepted' });
      expect(emulator.call(sessionId)?.state).toBe('accepted');
      expect(emulator.received(callId).map((r) => [r.verb, r.status])).toEqual([['accept', 400], ['reject', 400], ['hangup', 400]]);
    });

    it('lets the first accept win: after a Realtime accept the Live API refuses the call', async () => {
      const { callId, sessionId } = await placeBoth();
      await client.realtime.calls.accept(callId, REALTIME);
      await expect(client.live.sessions.accept(sessionId, LIVE)).rejects.toMatchObject({ status: 400, code: 'call_already_accepted' });
      await expect(client.live.sessions.reject(sessionId, { status_code: 486 })).rejects.toMatchObject({ status: 400, code: 'call_already_accepted' });
      await expect(client.live.sessions.hangup(sessionId)).rejects.toMatchObject({ status: 400, code: 'session_not_accepted' });
      await expect(openSideband(emulator, sessionId)).rejects.toMatchObject({ status: 404 });
      expect(emulator.call(sessionId)).toMatchObject({ state: 'accepted', surface: 'realtime', acceptedWith: REALTIME, liveAcceptedWith: undefined });
    });

    it('ends the call for both APIs once one rejects it', async () => {
      const { callId, sessionId } = await placeBoth();
      await client.live.sessions.reject(sessionId, { status_code: 486 });
      expect(emulator.call(callId)).toMatchObject({ state: 'rejected', rejectedWith: { status_code: 486 } });
      await expect(client.realtime.calls.accept(callId, REALTIME)).rejects.toMatchObject({ status: 404 });
      await expect(client.live.sessions.accept(sessionId, LIVE)).rejects.toMatchObject({ status: 404 });
    });

    it('answers 404 to both when the caller hung up while ringing', async () => {
      const placed = await emulator.placeCall({ dialed: DIALED, caller: CALLER, offer: ['realtime', 'live'], hangUpWhileRinging: true });
      await expect(client.live.sessions.accept(placed.liveSessionId!, LIVE)).rejects.toMatchObject({ status: 404, code: 'session_not_found' });
      expect(emulator.call(placed.liveSessionId!)?.state).toBe('missed');
    });

    it('offers a call to Live alone: the Realtime API does not know it', async () => {
      const placed = await emulator.placeCall({ dialed: DIALED, caller: CALLER, offer: ['live'] });
      expect(placed.webhooks.map((w) => w.type)).toEqual(['live.transport.incoming']);
      await expect(client.realtime.calls.accept(placed.callId, REALTIME)).rejects.toMatchObject({ status: 404 });
      await client.live.sessions.accept(placed.liveSessionId!, LIVE);
      expect(emulator.call(placed.liveSessionId!)).toMatchObject({ offeredTo: ['live'], surface: 'live', state: 'accepted' });
    });
  });

  describe('Live call control', () => {
    it('refuses a wrong key with 401 and an unknown session with 404, recording both', async () => {
      const { sessionId } = await placeBoth();
      const wrong = new OpenAI({ apiKey: 'sk-not-the-key', baseURL: emulator.baseURL, maxRetries: 0 });
      await expect(wrong.live.sessions.accept(sessionId, LIVE)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      expect(emulator.call(sessionId)?.state).toBe('ringing');
      await expect(client.live.sessions.accept('live_unknown', LIVE)).rejects.toMatchObject({ status: 404, code: 'session_not_found' });
      expect(emulator.received(sessionId)).toEqual([{ verb: 'accept', body: LIVE, status: 401, at: expect.any(Number) }]);
      expect(emulator.received('live_unknown').map((r) => r.status)).toEqual([404]);
    });

    const session = LIVE.session;
    const withBackend = (extra: Record<string, unknown>) => ({ ...session, delegation: { type: 'responses', responses: { ...BACKEND, ...extra } } });
    it.each([
      ['an unknown field in session', { ...session, voice: 'marin' }, 'session.voice', 'unknown_parameter'],
      ['an unknown field deep in session', { ...session, audio: { output: { voice: 'marin', speed: 1.1 } } }, 'session.audio.output.speed', 'unknown_parameter'],
      ['a missing type', { ...session, type: undefined }, 'session.type', 'missing_required_parameter'],
      ['the Realtime type', { ...session, type: 'realtime' }, 'session.type', 'invalid_value'],
      ['a missing model', { ...session, model: undefined }, 'session.model', 'missing_required_parameter'],
      ['an unknown model', { ...session, model: 'gpt-realtime-2.1' }, 'session.model', 'model_not_found'],
      ['an audio format (SIP negotiates it)', { ...session, audio: { format: { type: 'audio/pcmu', rate: 8000 } } }, 'session.audio.format', 'unsupported_parameter'],
      ['an mcp backend tool', withBackend({ tools: [{ type: 'mcp', server_label: 'crm', server_url: 'https://mcp.example.com' }] }), 'session.delegation.responses.tools[0].type', 'invalid_value'],
      ['a file_search backend tool', withBackend({ tools: [{ type: 'file_search' }] }), 'session.delegation.responses.tools[0].type', 'invalid_value'],
      ['a function tool with an unknown field', withBackend({ tools: [{ type: 'function', name: 'f', input_schema: {} }] }), 'session.delegation.responses.tools[0].input_schema', 'unknown_parameter'],
      ['a Responses delegation without a model', { ...session, delegation: { type: 'responses', responses: { tools: [] } } }, 'session.delegation.responses.model', 'missing_required_parameter'],
      ['an unknown delegation type', { ...session, delegation: { type: 'agents' } }, 'session.delegation.type', 'invalid_value'],
    ])('refuses %s with 400 naming the param', async (_, body, param, code) => {
      const { sessionId } = await placeBoth();
      await expect(client.live.sessions.accept(sessionId, { session: body } as unknown as SessionAcceptParams)).rejects.toMatchObject({ status: 400, param, code });
      expect(emulator.call(sessionId)?.state).toBe('ringing');
    });

    it('refuses an unknown field next to session', async () => {
      const { sessionId } = await placeBoth();
      await expect(client.live.sessions.accept(sessionId, { ...LIVE, model: 'gpt-live-1' } as unknown as SessionAcceptParams)).rejects.toMatchObject({ status: 400, param: 'model' });
    });

    it('takes the minimal session and client delegation', async () => {
      const { sessionId } = await placeBoth();
      const { data, response } = await client.live.sessions.accept(sessionId, { session: { type: 'live', model: 'gpt-live-1', delegation: { type: 'client' } } }).withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('0');
      expect(data).toBeFalsy();
    });

    it('requires a reject status code from 300 to 699', async () => {
      const { sessionId } = await placeBoth();
      await expect(client.live.sessions.reject(sessionId, {} as never)).rejects.toMatchObject({ status: 400, param: 'status_code', code: 'missing_required_parameter' });
      await expect(client.live.sessions.reject(sessionId, { status_code: 200 })).rejects.toMatchObject({ status: 400, param: 'status_code' });
      await client.live.sessions.reject(sessionId, { status_code: 302 });
      expect(emulator.call(sessionId)).toMatchObject({ state: 'rejected', rejectedWith: { status_code: 302 } });
    });

    it('injects faults by session id, as for the Realtime API', async () => {
      const { sessionId } = await placeBoth();
      emulator.failNext(sessionId, 'accept', { status: 503 });
      await expect(client.live.sessions.accept(sessionId, LIVE)).rejects.toMatchObject({ status: 503 });
      await client.live.sessions.accept(sessionId, LIVE);
      expect(emulator.received(sessionId).map((r) => r.status)).toEqual([503, 200]);
    });

    it('transfers with /refer: 200, then session.closed and the call leaves', async () => {
      const sessionId = await liveCall();
      const sideband = await attach(sessionId);
      await expect(client.live.sessions.refer(sessionId, { target_uri: ' ' })).rejects.toMatchObject({ status: 400, param: 'target_uri' });
      await expect(client.live.sessions.refer(sessionId, {} as never)).rejects.toMatchObject({ status: 400, code: 'missing_required_parameter' });
      await client.live.sessions.refer(sessionId, { target_uri: 'tel:+14155550123' });
      const closed = await sideband.next('session.closed');
      expect(closed).toMatchObject({ reason: 'remote_hangup', usage: { seconds: expect.any(Number) }, session: { id: sessionId, model: 'gpt-live-1', status: 'active' } });
      expect(await sideband.closed).toMatchObject({ code: 1000 });
      expect(emulator.call(sessionId)).toMatchObject({ state: 'transferred', referredTo: 'tel:+14155550123' });
      await expect(client.live.sessions.hangup(sessionId)).rejects.toMatchObject({ status: 404 });
    });

    it('ends the call with /hangup: session.closed close_requested, a clean close, then 404', async () => {
      const sessionId = await liveCall();
      const sideband = await attach(sessionId);
      await client.live.sessions.hangup(sessionId);
      expect(await sideband.next('session.closed')).toMatchObject({ reason: 'close_requested' });
      expect(await sideband.closed).toMatchObject({ code: 1000 });
      expect(emulator.call(sessionId)).toMatchObject({ state: 'ended', endedBy: 'agent', sockets: 0 });
      await expect(client.live.sessions.hangup(sessionId)).rejects.toMatchObject({ status: 404 });
      await expect(openSideband(emulator, sessionId)).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('the Live sideband', () => {
    it('refuses a wrong key with 401 and a session not accepted yet with 404', async () => {
      const { sessionId } = await placeBoth();
      await expect(openSideband(emulator, sessionId)).rejects.toMatchObject({ status: 404 });
      await client.live.sessions.accept(sessionId, LIVE);
      await expect(openSideband(emulator, sessionId, 'sk-wrong')).rejects.toMatchObject({ status: 401 });
    });

    it('plays a script: greeting, transcripts, a two-call batch under the batch rule, DTMF, usage, hang-up', async () => {
      const sessionId = await liveCall([
        { caller: 'Hi, can you check my two orders please?' },
        { tool: 'lookup_order', args: { id: 'A1' } },
        { tool: 'lookup_order', args: { id: 'B2' } },
        { agent: 'Both of your orders have shipped.' },
        { dtmf: '12#' },
        { hangup: true },
      ]);
      const sideband = await attach(sessionId);
      sideband.send({ type: 'session.instructions.append', event_id: 'greet_1', delegation_id: null, content: "Greet the caller now. Say exactly 'Thanks for calling Acme, how can I help?'" });
      expect(await sideband.next('session.instructions.appended')).toMatchObject({ client_event_id: 'greet_1', start_ms: expect.any(Number), end_ms: expect.any(Number) });

      // The greeting comes first, then the caller's words, each as fragments with timeline offsets.
      await sideband.next('session.input_transcript.delta');
      const firstInput = sideband.events.findIndex((e) => e.type === 'session.input_transcript.delta');
      expect(transcript(sideband.events.slice(0, firstInput), 'session.output_transcript.delta')).toBe('Thanks for calling Acme, how can I help?');
      const delegation = await sideband.next('session.delegation.created');
      expect(transcript(sideband.events, 'session.input_transcript.delta')).toBe('Hi, can you check my two orders please?');
      for (const delta of sideband.events.filter((e) => e.type.endsWith('_transcript.delta'))) {
        expect(Object.keys(delta).sort()).toEqual(['delta', 'end_ms', 'event_id', 'start_ms', 'type']);
        expect(delta.end_ms).toBeGreaterThanOrEqual(delta.start_ms);
      }
      expect(sideband.events.some((e) => /transcript\.(done|completed)/.test(e.type))).toBe(false);

      // One delegation, two function calls, collected from the nested output_item.done.
      expect(delegation.delegation).toMatchObject({ id: expect.any(String), target: 'responses', type: 'delegation', response_id: expect.any(String) });
      const delegationId = delegation.delegation.id;
      await until(() => nested(sideband.events, 'response.output_item.done').length === 2, 'two function calls');
      const calls = nested(sideband.events, 'response.output_item.done').map((e) => {
        expect(e.delegation_id).toBe(delegationId);
        return e.event.item;
      });
      expect(calls).toEqual([
        expect.objectContaining({ type: 'function_call', name: 'lookup_order', arguments: '{"id":"A1"}', call_id: expect.any(String), status: 'completed' }),
        expect.objectContaining({ type: 'function_call', name: 'lookup_order', arguments: '{"id":"B2"}', call_id: expect.any(String) }),
      ]);
      expect(calls[0].call_id).not.toBe(calls[1].call_id);
      await sleep(30);
      expect(emulator.call(sessionId)).toMatchObject({ waitingForToolOutput: true });
      expect(transcript(sideband.events, 'session.output_transcript.delta')).not.toContain('shipped');

      // The batch rule: a response.create before every output is in is refused, and the batch waits on.
      sideband.send({ type: 'response.item.create', item: { type: 'function_call_output', call_id: calls[0].call_id, output: '{"status":"shipped"}' } });
      sideband.send({ type: 'response.create', event_id: 'early' });
      const early = await sideband.next('error', (e) => e.client_event_id === 'early');
      expect(early.error).toMatchObject({ type: 'invalid_request_error', code: 'tool_outputs_pending', message: expect.stringContaining(calls[1].call_id), client_event_id: 'early' });
      await sleep(30);
      expect(emulator.call(sessionId)).toMatchObject({ waitingForToolOutput: true });

      const before = sideband.events.length;
      sideband.send({ type: 'response.item.create', item: { type: 'function_call_output', call_id: calls[1].call_id, output: '{"status":"shipped"}' } });
      sideband.send({ type: 'response.create', event_id: 'go' });
      await sideband.next('session.output_transcript.delta', (e) => sideband.events.indexOf(e) > before);
      const after = sideband.events.slice(before);
      const completed = nested(after, 'response.completed');
      expect(completed).toHaveLength(1);
      expect(completed[0]).toMatchObject({ delegation_id: delegationId, event: { response: { status: 'completed', output: [], usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number) } } } });
      expect(nested(after, 'response.output_text.done')[0].event.text).toContain('shipped');

      // Then the model speaks, the caller presses keys, and hangs up.
      const closed = await sideband.next('session.closed');
      expect(transcript(sideband.events, 'session.output_transcript.delta')).toBe('Thanks for calling Acme, how can I help?Both of your orders have shipped.');
      expect(sideband.events.filter((e) => e.type === 'transport.dtmf.received').map((e) => e.event)).toEqual(['1', '2', '#']);
      expect(closed).toMatchObject({ reason: 'remote_hangup', session: { id: sessionId, delegation: { type: 'responses' } } });
      expect(await sideband.closed).toMatchObject({ code: 1000 });

      // Usage is a cumulative snapshot: it only grows, and the final one is in session.closed.
      const usage = sideband.events.filter((e) => e.type === 'session.usage.updated').map((e) => e.usage.seconds);
      expect(usage.length).toBeGreaterThanOrEqual(5);
      usage.forEach((seconds, i) => expect(seconds).toBeGreaterThan(i === 0 ? 0 : usage[i - 1]));
      expect(closed.usage.seconds).toBe(usage.at(-1));
      // Both responses of the delegation carry backend token usage.
      expect(nested(sideband.events, 'response.completed').map((e) => e.event.response.usage.total_tokens)).toEqual([expect.any(Number), expect.any(Number)]);

      expect(emulator.call(sessionId)).toMatchObject({ state: 'ended', endedBy: 'caller' });
      await expect(client.live.sessions.hangup(sessionId)).rejects.toMatchObject({ status: 404 });
      expect(emulator.clientEvents(sessionId).map((e: any) => e.type)).toEqual([
        'session.instructions.append',
        'response.item.create',
        'response.create',
        'response.item.create',
        'response.create',
      ]);
    });

    it('survives a dropped socket: the session lives, a re-attach continues where the script was', async () => {
      const sessionId = await liveCall([{ caller: 'First words.' }, { drop: true }, { caller: 'Second words.' }, { agent: 'And my answer.' }]);
      const first = await attach(sessionId);
      expect(await first.closed).toMatchObject({ code: 1006 });
      expect(transcript(first.events, 'session.input_transcript.delta')).toBe('First words.');
      expect(emulator.call(sessionId)).toMatchObject({ state: 'accepted', sockets: 0 });

      const second = await attach(sessionId);
      await until(() => transcript(second.events, 'session.output_transcript.delta') === 'And my answer.', 'the answer');
      expect(transcript(second.events, 'session.input_transcript.delta')).toBe('Second words.');
      const seconds = [...first.events, ...second.events].filter((e) => e.type === 'session.usage.updated').map((e) => e.usage.seconds);
      expect([...seconds].sort((a, b) => a - b)).toEqual(seconds);
      expect(new Set(seconds).size).toBe(seconds.length);
    });

    it('says session.closed remote_hangup when the caller hangs up', async () => {
      const sessionId = await liveCall();
      const sideband = await attach(sessionId);
      emulator.endCall(sessionId);
      expect(await sideband.next('session.closed')).toMatchObject({ reason: 'remote_hangup' });
      expect(await sideband.closed).toMatchObject({ code: 1000 });
      expect(emulator.call(sessionId)).toMatchObject({ state: 'ended', endedBy: 'caller' });
    });

    it('closes on session.close with close_requested, echoing its event_id', async () => {
      const sessionId = await liveCall();
      const sideband = await attach(sessionId);
      sideband.send({ type: 'session.close', event_id: 'bye' });
      expect(await sideband.next('session.closed')).toMatchObject({ reason: 'close_requested', client_event_id: 'bye' });
      expect(emulator.call(sessionId)).toMatchObject({ state: 'ended', endedBy: 'agent' });
    });

    it('answers malformed and unknown client events with error events, recording them', async () => {
      const sessionId = await liveCall();
      const sideband = await attach(sessionId);
      sideband.ws.send('not json');
      sideband.send({ type: 'conversation.item.create', event_id: 'e1' });
      sideband.send({ type: 'session.start', event_id: 'e2', session: { model: 'gpt-live-1' } });
      // The field is `content`: `instructions` is refused as unknown.
      sideband.send({ type: 'session.instructions.append', event_id: 'e3', instructions: 'Say hi', delegation_id: null });
      sideband.send({ type: 'session.instructions.append', event_id: 'e4', content: 'Say hi' });
      sideband.send({ type: 'session.instructions.append', event_id: 'e5', content: 'Say hi', delegation_id: 'dlg_1' });
      await until(() => sideband.events.filter((e) => e.type === 'error').length === 6, 'six errors');
      const errors = sideband.events.filter((e) => e.type === 'error').map((e) => e.error);
      expect(errors).toEqual([
        expect.objectContaining({ code: 'invalid_json' }),
        expect.objectContaining({ code: 'invalid_value', param: 'type', client_event_id: 'e1' }),
        expect.objectContaining({ code: 'invalid_value', param: 'type', client_event_id: 'e2' }),
        expect.objectContaining({ code: 'unknown_parameter', param: 'instructions', client_event_id: 'e3' }),
        expect.objectContaining({ code: 'missing_required_parameter', param: 'delegation_id', client_event_id: 'e4' }),
        expect.objectContaining({ code: 'invalid_value', param: 'delegation_id', client_event_id: 'e5' }),
      ]);
      expect(emulator.clientEvents(sessionId)).toHaveLength(6);
      expect(emulator.clientEvents(sessionId)[0]).toBe('not json');
      expect(emulator.call(sessionId)?.state).toBe('accepted');
    });

    it('updates only the delegation: session.updated, and immutable_field_update for the rest', async () => {
      const sessionId = await liveCall();
      const sideband = await attach(sessionId);
      sideband.send({ type: 'session.update', event_id: 'u1', session: { instructions: 'Be rude.' } });
      expect((await sideband.next('error')).error).toMatchObject({ code: 'immutable_field_update', param: 'session.instructions', client_event_id: 'u1' });
      sideband.send({ type: 'session.update', event_id: 'u2', session: { delegation: { type: 'responses', responses: { model: 'gpt-5.6' } } } });
      const updated = await sideband.next('session.updated');
      expect(updated).toMatchObject({ client_event_id: 'u2', session: { delegation: { type: 'responses', responses: { model: 'gpt-5.6', tools: BACKEND.tools } } } });
    });

    it('acknowledges DTMF sent to the trunk, one key per event', async () => {
      const sessionId = await liveCall();
      const sideband = await attach(sessionId);
      sideband.send({ type: 'transport.dtmf.send', event: '5', event_id: 'd1' });
      sideband.send({ type: 'transport.dtmf.send', event: '55' });
      expect(await sideband.next('transport.dtmf.sent')).toMatchObject({ event: '5', client_event_id: 'd1' });
      expect((await sideband.next('error')).error).toMatchObject({ param: 'event' });
    });
  });
});
