import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNumberConfig } from '../../core/numbers/config';
import { startLocalDynamoDB } from '../../local/dynamodb';
import { signWebhook } from '../../local/openai-emulator';
import OpenAI from 'openai';
import { API_KEY, eventually, startLocalStack, WEBHOOK_SECRET, type LocalStack } from '../support/local-stack';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const DIALED = '17134810111';
const NUMBER = '+17134810111';
const CALLER = '+14067704205';

describe('the webhook path (local host, dynalite, OpenAI emulator)', () => {
  let local: LocalStack;

  beforeEach(async () => {
    local = await startLocalStack();
    await local.stack.numbers.put(parseNumberConfig(example));
  });
  afterEach(() => local.close());

  const verbs = (callId: string) => local.emulator.received(callId).map((r) => `${r.verb} ${r.status}`);

  it('accepts a call with the session config built from the number config, records it and queues it', async () => {
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });

    expect(local.emulator.received(callId)).toEqual([
      expect.objectContaining({
        verb: 'accept',
        status: 200,
        body: {
          type: 'realtime',
          model: 'gpt-realtime-2.1',
          instructions: `You are Alex, a friendly support agent for Wavix. The caller's number is ${CALLER}.`,
          audio: {
            input: { transcription: { model: 'gpt-live-transcribe' }, turn_detection: { type: 'semantic_vad', eagerness: 'auto' } },
            output: { voice: 'cedar' },
          },
          tools: [
            expect.objectContaining({ name: 'transfer_call', parameters: expect.objectContaining({ properties: { target: expect.objectContaining({ enum: ['sales', 'billing'] }) } }) }),
            expect.objectContaining({ name: 'end_call' }),
          ],
          tool_choice: 'auto',
        },
      }),
    ]);
    expect(await local.stack.calls.get(callId)).toMatchObject({
      callId,
      number: NUMBER,
      caller: CALLER,
      outcome: 'active',
      label: 'Support line',
      transcript: [],
      actions: [],
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      decisionMs: expect.any(Number),
    });
    const [delivery] = await local.stack.queue.receive(10, 30);
    // The worker runs the call with the config it was answered with.
    expect(delivery.call).toEqual({ callId, number: NUMBER, config: (await local.stack.numbers.get(NUMBER))?.config, greeting: example.agent.greeting });
    expect(local.webhooks).toEqual([expect.objectContaining({ result: 'accepted', status: 200, callId, number: NUMBER, caller: CALLER })]);
  });

  it.each<[string, number, () => Promise<void>, string, string]>([
    ['an unconfigured number', 404, async () => {}, '17135559999', 'unknown-number'],
    ['a disabled number', 480, async () => void (await local.stack.numbers.put(parseNumberConfig({ ...example, enabled: false }))), DIALED, 'number-disabled'],
    ['a blocked caller', 603, async () => void (await local.stack.numbers.put(parseNumberConfig({ ...example, callers: { block: [CALLER] } }))), DIALED, 'caller-blocked'],
  ])('rejects %s with SIP %i', async (_, status, setup, dialed, reason) => {
    await setup();
    const { callId } = await local.emulator.placeCall({ dialed, caller: CALLER });
    expect(local.emulator.received(callId)).toEqual([expect.objectContaining({ verb: 'reject', status: 200, body: { status_code: status } })]);
    expect(await local.stack.calls.get(callId)).toMatchObject({ outcome: 'rejected', reason, rejectStatus: status });
    expect(local.stack.queue.size).toBe(0);
  });

  it('rejects with 486 when the number already has maxConcurrentCalls live calls', async () => {
    await local.stack.numbers.put(parseNumberConfig({ ...example, limits: { maxConcurrentCalls: 2 } }), { expectedVersion: 1 });
    const first = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    const second = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    const third = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    expect([first, second, third].map((c) => verbs(c.callId))).toEqual([['accept 200'], ['accept 200'], ['reject 200']]);
    expect(local.emulator.received(third.callId)[0].body).toEqual({ status_code: 486 });
    expect(await local.stack.calls.get(third.callId)).toMatchObject({ outcome: 'rejected', reason: 'number-busy', rejectStatus: 486 });
  });

  it("answers a number whose stored config names a model OpenAI has shut down with that model's replacement", async () => {
    // Stored before its shutdown; OpenAI now refuses an accept naming it (the emulator does too).
    await local.stack.numbers.put(parseNumberConfig({ ...example, agent: { ...example.agent, model: 'gpt-realtime-mini-2025-10-06' } }), { expectedVersion: 1 });
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    expect(verbs(callId)).toEqual(['accept 200']);
    expect(local.emulator.received(callId)[0].body).toMatchObject({ model: 'gpt-realtime-2.1-mini' });
    expect(await local.stack.calls.get(callId)).toMatchObject({ outcome: 'active' });
  });

  it('accepts once when the same webhook arrives 10 times at once', async () => {
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, duplicateDeliveries: 10 });
    // Deliveries that found the call being decided got 409 and are retried; all end in 2xx.
    await eventually(() => local.emulator.webhookAttempts(callId).filter((d) => d.status === 200).length >= 10 || undefined);
    expect(verbs(callId)).toEqual(['accept 200']);
    expect(local.stack.queue.size).toBe(1);
    expect(local.webhooks.filter((w) => w.result === 'accepted')).toHaveLength(1);
  });

  it('accepts once when OpenAI delivers the same call again with a new webhook-id', async () => {
    const first = await local.emulator.placeCall({ callId: 'rtc_redelivered', dialed: DIALED, caller: CALLER });
    local.emulator.endCall(first.callId);
    const response = await postSigned(local, first.body, 'wh_another_id');
    expect(response.status).toBe(200);
    expect(verbs('rtc_redelivered')).toEqual(['accept 200']);
  });

  it('records a call whose caller hung up before accept as missed, and answers 200', async () => {
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, hangUpWhileRinging: true });
    expect(verbs(callId)).toEqual(['accept 404']);
    expect(local.emulator.webhookAttempts(callId).map((d) => d.status)).toEqual([200]);
    expect(await local.stack.calls.get(callId)).toMatchObject({ outcome: 'missed', reason: 'caller-hung-up', endedAt: expect.any(String) });
    expect(local.stack.queue.size).toBe(0);
  });

  it('answers 502 when accept fails with 500, and accepts on OpenAI\'s retry', async () => {
    local.emulator.failNext('*', 'accept', { status: 500, times: 1 });
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    await eventually(async () => (await local.stack.calls.get(callId))?.outcome === 'active' && local.stack.queue.size === 1);
    expect(verbs(callId)).toEqual(['accept 500', 'accept 200']);
    await eventually(() => local.emulator.webhookAttempts(callId).length === 2);
    expect(local.emulator.webhookAttempts(callId).map((d) => d.status)).toEqual([502, 200]);
  });

  it('records a call as failed, and answers 200, when OpenAI refuses the session config (a retry cannot help)', async () => {
    local.emulator.failNext('*', 'accept', { status: 400, times: 1 });
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    expect(local.emulator.webhookAttempts(callId).map((d) => d.status)).toEqual([200]);
    expect(await local.stack.calls.get(callId)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/^accept-refused: /), endedAt: expect.any(String) });
    expect(local.stack.queue.size).toBe(0);
  });

  it('never accepts twice when accept times out: the call goes to the worker as unconfirmed', async () => {
    local.emulator.failNext('*', 'accept', { delayMs: 1500, times: 1 });
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    await eventually(() => local.stack.queue.size === 1);
    const [delivery] = await local.stack.queue.receive(1, 30);
    expect(delivery.call).toEqual({ callId, number: NUMBER, config: expect.objectContaining({ number: NUMBER }), greeting: example.agent.greeting, acceptUnconfirmed: true });
    expect(local.emulator.webhookAttempts(callId).map((d) => d.status)).toEqual([200]);
    await new Promise((r) => setTimeout(r, 700));
    expect(local.emulator.received(callId).map((r) => r.verb)).toEqual(['accept']);
  });

  it('hands a call whose accept landed but answered after the timeout to the worker, and never re-sends the accept', async () => {
    // The accept is carried out at once; its answer comes after the host's 1 s timeout.
    local.emulator.failNext('*', 'accept', { answerAfterMs: 1500, times: 1 });
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    await eventually(() => local.stack.queue.size === 1);
    expect(await local.stack.calls.get(callId)).toMatchObject({ outcome: 'active' });
    const [delivery] = await local.stack.queue.receive(1, 30);
    expect(delivery.call).toMatchObject({ callId, acceptUnconfirmed: true });
    await eventually(() => local.emulator.received(callId).length > 0, 3000);
    expect(verbs(callId)).toEqual(['accept 200']);
    expect(local.emulator.call(callId)?.state).toBe('accepted');
  });

  it('takes "call already accepted" for an answered call: queued for the worker, not recorded as refused', async () => {
    // Another accept of the same call lands first, while the webhook's own accept is in flight.
    let accepts = 0;
    let client: OpenAI | undefined;
    await local.close();
    local = await startLocalStack({
      emulator: {
        onCallControl: (callId, verb) => {
          if (verb === 'accept' && ++accepts === 1) void client?.realtime.calls.accept(callId, { type: 'realtime', model: 'gpt-realtime-2.1' });
        },
      },
    });
    await local.stack.numbers.put(parseNumberConfig(example));
    client = new OpenAI({ apiKey: API_KEY, baseURL: local.emulator.baseURL, maxRetries: 0 });
    local.emulator.failNext('rtc_accepted_elsewhere', 'accept', { delayMs: 300, times: 1 });
    const { callId } = await local.emulator.placeCall({ callId: 'rtc_accepted_elsewhere', dialed: DIALED, caller: CALLER });
    expect(verbs(callId)).toEqual(['accept 200', 'accept 400']);
    expect(local.emulator.webhookAttempts(callId).map((d) => d.status)).toEqual([200]);
    expect(await local.stack.calls.get(callId)).toMatchObject({ outcome: 'active' });
    expect(local.stack.queue.size).toBe(1);
    expect(local.webhooks).toEqual([expect.objectContaining({ result: 'accepted', callId })]);
  });

  it('answers 5xx while DynamoDB is down, sends nothing to OpenAI, and completes on the retry once it is back', async () => {
    const { port } = local.stack.dynamodb;
    await local.stack.dynamodb.close();
    const placed = local.emulator.placeCall({ callId: 'rtc_dynamo_down', dialed: DIALED, caller: CALLER });
    await placed;
    expect(local.emulator.webhookAttempts('rtc_dynamo_down')[0].status).toBeGreaterThanOrEqual(500);
    expect(local.emulator.received('rtc_dynamo_down')).toEqual([]);

    const restarted = await startLocalDynamoDB({ port, dataDir: join(local.dataDir, 'dynamodb') });
    try {
      // The retry's 200 comes once OpenAI's answer is recorded and the call queued (done side by side).
      await eventually(() => local.emulator.webhookAttempts('rtc_dynamo_down').some((d) => d.status === 200), 8000);
      expect((await local.stack.calls.get('rtc_dynamo_down'))?.outcome).toBe('active');
      expect(verbs('rtc_dynamo_down')).toEqual(['accept 200']);
      expect(local.stack.queue.size).toBe(1);
    } finally {
      await restarted.close();
    }
  });

  it('refuses a webhook with a bad signature: 401, nothing stored, nothing sent to OpenAI', async () => {
    const body = JSON.stringify({ object: 'event', id: 'evt_1', type: 'realtime.call.incoming', created_at: 1, data: { call_id: 'rtc_forged', sip_headers: [{ name: 'x-number', value: DIALED }] } });
    const response = await postSigned(local, body, 'wh_forged', 'whsec_' + Buffer.from('not-the-secret').toString('base64'));
    expect(response.status).toBe(401);
    expect(await local.stack.calls.get('rtc_forged')).toBeUndefined();
    expect(local.emulator.received('rtc_forged')).toEqual([]);
  });

  it.each([
    ['no signature headers', {}],
    ['a stale timestamp', { 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 301) }],
  ])('refuses a webhook with %s', async (_, override) => {
    const body = JSON.stringify({ type: 'realtime.call.incoming', data: { call_id: 'rtc_bad', sip_headers: [] } });
    const headers = Object.keys(override).length === 0 ? {} : signedHeaders(body, 'wh_bad', WEBHOOK_SECRET, Number(Object.values(override)[0]));
    const response = await fetch(local.stack.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect(response.status).toBe(401);
    expect(await local.stack.calls.get('rtc_bad')).toBeUndefined();
  });

  it('refuses a body that is not what was signed (re-serialised JSON)', async () => {
    const body = '{"type": "realtime.call.incoming", "data": {"call_id": "rtc_reserialised", "sip_headers": []}}';
    const headers = signedHeaders(body, 'wh_x', WEBHOOK_SECRET);
    const response = await fetch(local.stack.webhookUrl, { method: 'POST', headers, body: JSON.stringify(JSON.parse(body)) });
    expect(response.status).toBe(401);
    expect(await local.stack.calls.get('rtc_reserialised')).toBeUndefined();
  });

  it('answers 200 to other event types and does nothing', async () => {
    const body = JSON.stringify({ object: 'event', id: 'evt_2', type: 'response.completed', created_at: 1, data: { id: 'resp_123' } });
    const response = await postSigned(local, body, 'wh_other');
    expect(response.status).toBe(200);
    expect(local.webhooks).toEqual([expect.objectContaining({ result: 'ignored', eventType: 'response.completed' })]);
  });
});

function signedHeaders(body: string, webhookId: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, webhookId, timestamp, body),
  };
}

function postSigned(local: LocalStack, body: string, webhookId: string, secret = WEBHOOK_SECRET): Promise<Response> {
  return fetch(local.stack.webhookUrl, { method: 'POST', headers: signedHeaders(body, webhookId, secret), body });
}
