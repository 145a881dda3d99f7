import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CallRecord } from '../../core/calls/record';
import { parseNumberConfig } from '../../core/numbers/config';
import type { ConversationScript } from '../../local/openai-emulator';
import { runCli } from '../support/cli';
import { eventually, startLocalStack, type LocalStack } from '../support/local-stack';

/**
 * GPT-Live calls through the whole local stack: both webhooks of one SIP call, the number's
 * engine answering and the other offer acknowledged, the Live accept, and the worker on the Live
 * sideband (greeting, transcript, a tool batch, transfer, hang-up, DTMF, usage, re-attach).
 */

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const DIALED = '+17134810111';
const CALLER = '+14067704205';
const TOOL_SIGNING_SECRET = 'whsec_' + Buffer.from('the-tool-signing-key-of-the-live-tests').toString('base64');

describe('GPT-Live calls (local stack, emulator offering both APIs, a real tool endpoint)', () => {
  let local: LocalStack;
  let orders: Server;
  const ordered: unknown[] = [];

  beforeAll(async () => {
    orders = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        ordered.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"shipped"}');
      });
    });
    await new Promise<void>((resolve) => orders.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => orders.close(() => resolve())));

  beforeEach(async () => {
    local = await startLocalStack({ stack: { worker: { timings: { heartbeatMs: 200, holdSeconds: 2, hangupTimeoutMs: 2000, transferTimeoutMs: 1500 } }, tools: { signingSecret: TOOL_SIGNING_SECRET } } });
  });
  afterEach(() => local.close());

  const configure = (engine: 'live' | 'realtime') =>
    local.stack.numbers.put(
      parseNumberConfig({
        ...example,
        agent:
          engine === 'live'
            ? { engine: 'live', instructions: 'Warm and brief. Delegate orders.', greeting: example.agent.greeting, backend: { instructions: 'Use lookup_order for orders.' } }
            : example.agent,
        tools: [
          {
            name: 'lookup_order',
            description: 'Look up an order',
            parameters: { type: 'object', properties: { order: { type: 'string' } } },
            url: `http://127.0.0.1:${(orders.address() as AddressInfo).port}/orders`,
          },
        ],
      }),
    );
  const ended = (id: string) =>
    eventually(async () => {
      const r = await local.stack.calls.get(id);
      return r && r.outcome !== 'active' ? r : undefined;
    }, 15_000);
  const place = (script: ConversationScript) => local.emulator.placeCall({ dialed: DIALED, caller: CALLER, offer: ['realtime', 'live'], script });

  it('answers a Live number through the Live API only, and acknowledges the Realtime offer of the same call', async () => {
    await configure('live');
    const placed = await place([{ pause: 100 }, { caller: 'Where is order A-17?' }, { tool: 'lookup_order', args: { order: 'A-17' } }, { tool: 'lookup_order', args: { order: 'B-2' } }, { agent: 'Both orders have shipped.' }, { dtmf: '1' }, { hangup: true }]);
    const liveId = placed.liveSessionId!;
    const record: CallRecord = await ended(liveId);

    expect(local.emulator.received(placed.callId).map((r) => r.verb)).toEqual([]);
    expect(local.emulator.received(liveId).map((r) => r.verb)).toEqual(['accept']);
    expect(local.webhooks.map((w) => [w.eventType, w.result])).toEqual(expect.arrayContaining([['realtime.call.incoming', 'other-engine'], ['live.transport.incoming', 'accepted']]));
    expect(await local.stack.calls.get(placed.callId)).toBeUndefined();

    expect(record).toMatchObject({ callId: liveId, engine: 'live', model: 'gpt-live-1', outcome: 'completed', reason: 'caller-hung-up', sipCallId: expect.any(String) });
    // The acknowledged offer is kept with the call it was an offer of, and calls show names it.
    expect(record.otherEngineOffers).toEqual([placed.callId]);
    expect((await runCli(['calls', 'show', liveId, '--endpoint', local.stack.dynamodb.endpoint])).stdout).toContain(`also offered by Realtime as ${placed.callId}, acknowledged and not answered`);
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ['agent', example.agent.greeting],
      ['caller', 'Where is order A-17?'],
      ['agent', 'Both orders have shipped.'],
    ]);
    // Both calls of the batch ran, each answered, then one response.create.
    expect(ordered).toEqual(expect.arrayContaining([expect.objectContaining({ arguments: { order: 'A-17' } }), expect.objectContaining({ arguments: { order: 'B-2' } })]));
    const sent = local.emulator.clientEvents(liveId) as { type: string }[];
    expect(sent.filter((e) => e.type === 'response.item.create')).toHaveLength(2);
    expect(sent.filter((e) => e.type === 'response.create')).toHaveLength(1);
    expect(sent.findIndex((e) => e.type === 'response.create')).toBeGreaterThan(sent.map((e) => e.type).lastIndexOf('response.item.create'));
    expect(record.actions.filter((a) => a.type === 'tool-result').map((a) => a.outcome)).toEqual(['ok', 'ok']);
    expect(record.actions).toContainEqual(expect.objectContaining({ type: 'dtmf', key: '1' }));
    expect(record.usage.liveSeconds).toBeGreaterThan(0);
    // $0.05 a minute billed per second, plus the backend's tokens at gpt-5.6-luna's rates ($0.20 in, $0.25 cache writes, $1.20 out per 1M).
    expect(record.backendModel).toBe('gpt-5.6-luna');
    const { inputTextTokens = 0, cachedTextTokens = 0, cacheWriteTextTokens = 0, outputTextTokens = 0 } = record.usage;
    expect(record.usage.inputTokens).toBeGreaterThan(0);
    const backendUsd = ((inputTextTokens - cachedTextTokens - cacheWriteTextTokens) * 0.2 + cachedTextTokens * 0.02 + cacheWriteTextTokens * 0.25 + outputTextTokens * 1.2) / 1e6;
    expect(record.cost).toEqual({
      totalUsd: expect.closeTo((record.usage.liveSeconds! / 60) * 0.05 + backendUsd, 12),
      parts: { session: { usd: expect.closeTo((record.usage.liveSeconds! / 60) * 0.05, 12) }, transcription: { usd: 0 }, backend: { usd: expect.closeTo(backendUsd, 12) } },
    });
  });

  it('has switchboard status warn about GPT-Live numbers while no GPT-Live call was answered, and not once one was', async () => {
    await configure('live');
    const status = () => runCli(['status', '--endpoint', local.stack.dynamodb.endpoint]);
    expect((await status()).stdout).toContain('no GPT-Live call was answered this month, though +17134810111 is on GPT-Live: check that the OpenAI webhook subscribes to live.transport.incoming');
    const placed = await place([{ pause: 50 }, { caller: 'Hi.' }, { hangup: true }]);
    await ended(placed.liveSessionId!);
    expect((await status()).stdout).not.toContain('no GPT-Live call was answered');
  });

  it('accepts once however often, and however concurrently, both webhooks are delivered', async () => {
    await configure('live');
    const placed = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, offer: ['realtime', 'live'], duplicateDeliveries: 3, script: [{ pause: 50 }, { caller: 'Hi.' }, { hangup: true }] });
    await ended(placed.liveSessionId!);
    expect(local.emulator.received(placed.liveSessionId!).map((r) => r.verb)).toEqual(['accept']);
    expect(local.emulator.received(placed.callId)).toEqual([]);
    // Three copies of each webhook, at once: one accept, the other copies duplicates or in progress.
    expect(local.webhooks.filter((w) => w.eventType === 'live.transport.incoming').length).toBeGreaterThanOrEqual(3);
    expect(local.webhooks.filter((w) => w.eventType === 'realtime.call.incoming').map((w) => w.result)).toEqual(['other-engine', 'other-engine', 'other-engine']);
    expect(local.webhooks.filter((w) => w.result === 'accepted')).toHaveLength(1);
    expect((await local.stack.calls.get(placed.liveSessionId!))?.otherEngineOffers).toEqual([placed.callId]);
  });

  it('answers a Realtime number through the Realtime API only, and acknowledges the Live offer', async () => {
    await configure('realtime');
    const placed = await place([{ pause: 100 }, { caller: 'Hello?' }, { hangup: true }]);
    const record = await ended(placed.callId);
    expect(local.emulator.received(placed.liveSessionId!).map((r) => r.verb)).toEqual([]);
    expect(local.emulator.received(placed.callId).map((r) => r.verb)).toEqual(['accept']);
    expect(record).not.toHaveProperty('engine');
    expect(record.otherEngineOffers).toEqual([placed.liveSessionId]);
    expect(local.webhooks.map((w) => [w.eventType, w.result])).toEqual(expect.arrayContaining([['live.transport.incoming', 'other-engine']]));
  });

  it('transfers through the Live API after the tool call, and records it', async () => {
    await configure('live');
    const placed = await place([{ pause: 100 }, { caller: 'Sales, please.' }, { tool: 'transfer_call', args: { target: 'sales' } }]);
    const record = await ended(placed.liveSessionId!);
    expect(local.emulator.received(placed.liveSessionId!).map((r) => r.verb)).toEqual(['accept', 'refer']);
    expect(record).toMatchObject({ outcome: 'transferred', transferTarget: 'tel:+17135550100' });
  });

  it.each([
    ['answers 500', { status: 500 }, 'refer-failed-500', 200],
    // The watchdog (1.5 s here) sees the session stay after the 200.
    ['answers 200 but the call never leaves', { ignore: true as const }, 'call-did-not-leave', 2500],
  ])('tells the model and records it when the Live refer %s, and the call goes on', async (_, fault, reason, pauseMs) => {
    await configure('live');
    local.emulator.failNext('*', 'refer', { ...fault, times: 1 });
    const placed = await place([{ pause: 100 }, { caller: 'Sales, please.' }, { tool: 'transfer_call', args: { target: 'sales' } }, { pause: pauseMs }, { caller: 'Oh well, bye.' }, { hangup: true }]);
    const record = await ended(placed.liveSessionId!);
    expect(record.actions).toContainEqual(expect.objectContaining({ type: 'transfer-failed', target: 'sales', reason }));
    expect(local.emulator.clientEvents(placed.liveSessionId!)).toContainEqual(expect.objectContaining({ type: 'session.instructions.append', content: expect.stringContaining('The transfer to sales did not go through') }));
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
    expect(record.transcript.map((t) => t.text)).toContain('Oh well, bye.');
  });

  it('records SIP call progress, and a leg that fails during a transfer as the transfer failing, at once', async () => {
    await configure('live');
    local.emulator.failNext('*', 'refer', { ignore: true, times: 1 });
    const placed = await place([
      { pause: 100 },
      { caller: 'Sales, please.' },
      { tool: 'transfer_call', args: { target: 'sales' } },
      { transport: 'ringing' },
      { transport: { failed: { code: 'busy_here', message: 'Busy Here' } } },
      { pause: 300 },
      { caller: 'Oh well, bye.' },
      { hangup: true },
    ]);
    const record = await ended(placed.liveSessionId!);
    expect(record.actions.filter((a) => a.type === 'call-progress').map(({ type: _, at: __, ...rest }) => rest)).toEqual([
      { stage: 'ringing' },
      { stage: 'failed', code: 'busy_here', message: 'Busy Here' },
    ]);
    // Before the watchdog (1.5 s here) would have called it call-did-not-leave.
    expect(record.actions.filter((a) => a.type === 'transfer-failed')).toEqual([expect.objectContaining({ target: 'sales', reason: 'transport-failed-busy_here' })]);
    expect(local.emulator.clientEvents(placed.liveSessionId!)).toContainEqual(expect.objectContaining({ type: 'session.instructions.append', content: expect.stringContaining('The transfer to sales did not go through') }));
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
  });

  it('hangs up through the Live API once the goodbye has been said', async () => {
    await configure('live');
    const placed = await place([{ pause: 100 }, { caller: 'That is all, bye.' }, { tool: 'end_call', args: {} }, { agent: 'Goodbye!' }]);
    const record = await ended(placed.liveSessionId!);
    expect(local.emulator.received(placed.liveSessionId!).map((r) => r.verb)).toEqual(['accept', 'hangup']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'agent-hung-up' });
    expect(record.transcript.map((t) => t.text)).toContain('Goodbye!');
  });

  it("wraps up and hangs up at the number's maxCallSeconds", async () => {
    // The worker's clock runs 1799.4 s ahead: the number's 1800 s limit comes 0.6 s into the call.
    await local.close();
    local = await startLocalStack({ stack: { worker: { timings: { heartbeatMs: 200, holdSeconds: 2, hangupTimeoutMs: 2000 }, now: () => Date.now() + 1_799_400 } } });
    await configure('live');
    const placed = await place([{ pause: 50 }, { caller: 'Let me tell you a long story.' }]);
    const record = await ended(placed.liveSessionId!);
    expect(local.emulator.clientEvents(placed.liveSessionId!)).toContainEqual(expect.objectContaining({ type: 'session.instructions.append', content: expect.stringContaining('time allowed for this call is up') }));
    expect(local.emulator.received(placed.liveSessionId!).map((r) => r.verb)).toEqual(['accept', 'hangup']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'max-duration' });
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'time-limit', 'hangup']);
  });

  it('re-attaches after the sideband drops, with no line stored twice and no tool run twice', async () => {
    await configure('live');
    ordered.length = 0;
    const placed = await place([{ pause: 100 }, { caller: 'Order A-17?' }, { tool: 'lookup_order', args: { order: 'A-17' } }, { drop: true }, { agent: 'It has shipped.' }, { hangup: true }]);
    const record = await ended(placed.liveSessionId!);
    expect(record.actions.map((a) => a.type)).toContain('reattached');
    expect(ordered).toHaveLength(1);
    const texts = record.transcript.map((t) => t.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(texts).toContain('It has shipped.');
  });
});
