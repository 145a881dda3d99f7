import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import type { CallRecord } from '../../core/calls/record';
import { parseNumberConfig, type NumberConfig } from '../../core/numbers/config';
import { silentLog } from '../../core/runtime/log';
import { startDevStack, type DevStack } from '../../local/dev-stack';
import { startOpenAIEmulator, type ConversationScript, type OpenAIEmulator } from '../../local/openai-emulator';
import { runCli } from '../support/cli';
import { API_KEY, eventually, freePort, WEBHOOK_SECRET } from '../support/local-stack';
import { startSignedEndpoint } from '../support/signed-endpoint';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const SIGNING_SECRET = 'whsec_' + Buffer.from('the-signing-key-deliveries-are-signed-with').toString('base64');
const DIALED = '+17134810111';
const SCRIPT: ConversationScript = [{ pause: 50 }, { caller: 'Where is my order?' }, { agent: 'It ships tomorrow.' }, { hangup: true }];

/** The business's CRM: verifies each delivery with the delivery signing secret, answers 204 unless told otherwise. */
const startReceiver = () => startSignedEndpoint(SIGNING_SECRET, '/voice/calls', (res) => res.writeHead(204).end());

const status = (code: number, headers: Record<string, string> = {}) => (res: ServerResponse) => res.writeHead(code, headers).end();

describe('deliveries of finished calls (switchboard dev, the emulator, a real receiver)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let emulator: OpenAIEmulator;
  let stack: DevStack;
  let dataDir: string;
  let port: number;

  const start = async (deliveries: boolean, defaultNotify?: NumberConfig['notify']) => {
    stack = await startDevStack({
      port,
      dataDir,
      openai: { apiKey: API_KEY, baseURL: emulator.baseURL, timeoutMs: 1000 },
      webhookSecret: WEBHOOK_SECRET,
      log: silentLog,
      worker: { timings: { heartbeatMs: 200, holdSeconds: 2 } },
      tools: { signingSecret: SIGNING_SECRET },
      ...(deliveries && { deliveries: { backoffScale: 0.001, pollMs: 50, timeoutMs: 300, ...(defaultNotify && { defaultNotify }) } }),
    });
  };
  const configure = (notify: Partial<NumberConfig['notify']> = {}) => stack.numbers.put(parseNumberConfig({ ...example, notify: { url: receiver.url, ...notify } }));
  const ended = (callId: string) =>
    eventually(async () => {
      const r = await stack.calls.get(callId);
      return r && r.outcome !== 'active' ? r : undefined;
    }, 10_000);
  const attempts = (callId: string, n: number) =>
    eventually(async () => {
      const r = await stack.calls.get(callId);
      return (r?.deliveries?.length ?? 0) >= n ? r!.deliveries! : undefined;
    }, 10_000);

  beforeEach(async () => {
    receiver = await startReceiver();
    dataDir = await mkdtemp(join(tmpdir(), 'switchboard-deliveries-'));
    port = await freePort();
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: WEBHOOK_SECRET }, retrySchedule: [100, 200] });
    await start(true);
  });
  afterEach(async () => {
    await emulator.close();
    await stack.close();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('delivers each finished call once, signed, with the whole call as `calls show --json` prints it', async () => {
    await configure();
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: SCRIPT });
    await ended(callId);
    const [attempt] = await attempts(callId, 1);
    expect(attempt).toMatchObject({ event: 'call.ended', attempt: 1, outcome: 'delivered', status: 204 });

    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    const body = JSON.parse(delivery.body);
    expect(delivery.verified).toEqual(body);
    expect(delivery.headers['webhook-id']).toBe(`${callId}.call.ended`);
    const shown = JSON.parse((await runCli(['calls', 'show', callId, '--json', '--endpoint', stack.dynamodb.endpoint])).stdout) as CallRecord;
    const { deliveries: _deliveries, ...call } = shown;
    expect(body).toEqual({ type: 'call.ended', timestamp: expect.any(String), version: 1, data: call });
    // As docs/delivery-v1.schema.json documents it.
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(JSON.parse(readFileSync(join(__dirname, '../../docs/delivery-v1.schema.json'), 'utf8')));
    expect(validate(body) ? [] : validate.errors).toEqual([]);
    expect(body.data.transcript.map((t: { text: string }) => t.text)).toEqual([example.agent.greeting, 'Where is my order?', 'It ships tomorrow.']);

    // Nothing more arrives: the attempt written to the record is no new delivery.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
    const human = await runCli(['calls', 'show', callId, '--endpoint', stack.dynamodb.endpoint]);
    expect(human.stdout).toMatch(/deliveries:\n {4}call\.ended #1 at .*: delivered \(HTTP 204\) in \d+ ms/);
  });

  it('retries 500s, timeouts and 429s (after their Retry-After), with the same webhook-id, until delivered', async () => {
    await configure();
    receiver.answerNext(status(500), (res) => setTimeout(() => res.writeHead(200).end(), 1_000).unref(), status(429, { 'retry-after': '1' }));
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: SCRIPT });
    const tried = await attempts(callId, 4);
    expect(tried.map((a) => [a.outcome, a.status, a.error])).toEqual([
      ['will-retry', 500, 'the endpoint answered 500'],
      ['will-retry', undefined, 'no answer in time'],
      ['will-retry', 429, 'the endpoint answered 429'],
      ['delivered', 204, undefined],
    ]);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([`${callId}.call.ended`]));
    // The 429 said to wait a second, longer than the (shortened) schedule's wait.
    const [, , third, fourth] = receiver.received;
    expect(fourth.at - third.at).toBeGreaterThanOrEqual(950);
  });

  it('never retries a 400: given up at once, and the record says why', async () => {
    await configure();
    receiver.answerNext(status(400));
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: SCRIPT });
    const [attempt] = await attempts(callId, 1);
    expect(attempt).toMatchObject({ outcome: 'gave-up', status: 400, error: expect.stringContaining('not retried') });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
  });

  it('delivers rejected and missed calls only to a number subscribed to them', async () => {
    await configure({ events: ['call.rejected'] });
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14155550199' });
    const [attempt] = await attempts(callId, 1);
    expect(attempt).toMatchObject({ event: 'call.rejected', outcome: 'delivered' });
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ type: 'call.rejected', data: { outcome: 'rejected', reason: 'caller-blocked' } });

    const answered = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: SCRIPT });
    await ended(answered.callId);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
  });

  it('delivers a call whose worker stopped right after it ended: from what is stored, not from memory', async () => {
    await stack.close();
    await start(false);
    await configure();
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: SCRIPT });
    await ended(callId);
    // The host that ran the call stops without having delivered it; the next one finds it.
    await stack.close();
    expect(receiver.received).toHaveLength(0);
    await start(true);
    const [attempt] = await attempts(callId, 1);
    expect(attempt).toMatchObject({ outcome: 'delivered' });
    expect(receiver.received).toHaveLength(1);
  });

  it("delivers the calls of a number without a notify of its own to the host's default", async () => {
    await stack.close();
    await start(true, { url: `${receiver.url}?default`, events: ['call.ended', 'call.rejected'], allowPrivateNetwork: true });
    await stack.numbers.put(parseNumberConfig(example));
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14155550199' });
    const [attempt] = await attempts(callId, 1);
    expect(attempt).toMatchObject({ event: 'call.rejected', outcome: 'delivered' });
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ type: 'call.rejected', data: { callId } });
  });

  it('redelivers with `switchboard calls redeliver`, with the same webhook-id', async () => {
    await configure();
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: SCRIPT });
    await attempts(callId, 1);
    const result = await runCli(['calls', 'redeliver', callId, '--endpoint', stack.dynamodb.endpoint], { env: { SWITCHBOARD_TOOL_SIGNING_SECRET: SIGNING_SECRET } });
    expect(result).toMatchObject({ code: 0, stdout: `delivered call.ended of ${callId} to ${receiver.url} (HTTP 204)\n` });
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([`${callId}.call.ended`, `${callId}.call.ended`]);
    expect((await stack.calls.get(callId))!.deliveries!.at(-1)).toMatchObject({ outcome: 'delivered', redelivery: true });

    const unknown = await runCli(['calls', 'redeliver', 'rtc_nope', '--endpoint', stack.dynamodb.endpoint]);
    expect(unknown).toMatchObject({ code: 3, stderr: expect.stringContaining('no call rtc_nope') });
  });
});

describe('the analysis of a finished call, before its delivery (switchboard dev, the emulated Responses API)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let emulator: OpenAIEmulator;
  let stack: DevStack;
  let port: number;
  const FIELDS = {
    type: 'object',
    properties: {
      order_number: { type: ['string', 'null'] },
      callback_promised: { type: 'boolean' },
      topic: { type: 'string', enum: ['order', 'billing', 'other'] },
    },
    required: ['order_number', 'callback_promised', 'topic'],
    additionalProperties: false,
  };
  const ORDER_SCRIPT: ConversationScript = [{ pause: 50 }, { caller: 'My order A-17 never arrived.' }, { agent: 'I will look into order A-17 and call you back.' }, { hangup: true }];

  beforeEach(async () => {
    receiver = await startReceiver();
    port = await freePort();
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: WEBHOOK_SECRET }, retrySchedule: [100, 200] });
    stack = await startDevStack({
      port,
      openai: { apiKey: API_KEY, baseURL: emulator.baseURL, timeoutMs: 1000 },
      webhookSecret: WEBHOOK_SECRET,
      log: silentLog,
      worker: { timings: { heartbeatMs: 200, holdSeconds: 2 } },
      tools: { signingSecret: SIGNING_SECRET },
      // The analysis waits 20 s and 60 s between attempts; a thousandth of that here.
      deliveries: { backoffScale: 0.001, pollMs: 50, timeoutMs: 300 },
    });
    await stack.numbers.put(
      parseNumberConfig({ ...example, notify: { url: receiver.url }, analysis: { fields: FIELDS, instructions: 'topic is what the call was about.' } }),
    );
  });
  afterEach(async () => {
    await emulator.close();
    await stack.close();
    await receiver.close();
  });
  const delivered = (n = 1) => eventually(() => receiver.received.length >= n && receiver.received, 10_000);

  it('stores the summary and the fields (matching the schema) on the record before the delivery, which carries them', async () => {
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: ORDER_SCRIPT });
    const [delivery] = await delivered();
    const record = (await stack.calls.get(callId))!;
    expect(record.analysis).toMatchObject({ status: 'done', model: 'gpt-5.6-luna', summary: expect.stringContaining('My order A-17 never arrived.'), usage: { inputTokens: expect.any(Number) } });
    const fields = (record.analysis as { fields: Record<string, unknown> }).fields;
    const validate = new Ajv({ strict: false }).compile(FIELDS);
    expect(validate(fields) ? [] : validate.errors).toEqual([]);
    expect(JSON.parse(delivery.body).data.analysis).toEqual(record.analysis);

    // One request: the transcript and the timeline in, the number's schema under strict structured outputs.
    const [request] = emulator.responsesRequests();
    const body = request.body as { model: string; input: string; instructions: string; store: boolean; text: { format: { schema: { properties: Record<string, unknown> }; strict: boolean } } };
    expect(body).toMatchObject({ model: 'gpt-5.6-luna', store: false, text: { format: { type: 'json_schema', strict: true } } });
    expect(body.input).toContain('caller: My order A-17 never arrived.');
    expect(body.instructions).toContain('topic is what the call was about.');
    expect(body.text.format.schema.properties.fields).toEqual(FIELDS);

    const shown = await runCli(['calls', 'show', callId, '--endpoint', stack.dynamodb.endpoint]);
    expect(shown.stdout).toMatch(/\n {2}summary: Summary: .*A-17/);
    expect(shown.stdout).toMatch(/\n {2}cost: \$\d/);
  });

  it('retries a 429 and a 500, then records it', async () => {
    emulator.failNext('*', 'responses', { status: 429 });
    emulator.failNext('*', 'responses', { status: 500 });
    const { callId } = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: ORDER_SCRIPT });
    await delivered();
    expect(emulator.responsesRequests().map((r) => r.status)).toEqual([429, 500, 200]);
    expect((await stack.calls.get(callId))!.analysis).toMatchObject({ status: 'done' });
  });

  it('records a failed analysis with its reason and delivers without it: after the last attempt, and at once on a refusal', async () => {
    emulator.failNext('*', 'responses', { status: 503, times: 3 });
    const first = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: ORDER_SCRIPT });
    const [delivery] = await delivered();
    expect((await stack.calls.get(first.callId))!.analysis).toMatchObject({ status: 'failed', attempts: 3, error: expect.stringContaining('OpenAI answered 503') });
    expect(JSON.parse(delivery.body).data.analysis).toMatchObject({ status: 'failed' });

    emulator.failNext('*', 'responses', { refusal: 'I can’t help with that.' });
    const second = await emulator.placeCall({ dialed: DIALED, caller: '+14067704205', script: ORDER_SCRIPT });
    await delivered(2);
    expect((await stack.calls.get(second.callId))!.analysis).toMatchObject({ status: 'failed', attempts: 1, error: 'the model refused: I can’t help with that.' });
  });
});
