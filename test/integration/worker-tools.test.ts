import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { CallRecord } from '../../core/calls/record';
import { parseNumberConfig } from '../../core/numbers/config';
import { silentLog } from '../../core/runtime/log';
import { CallWorker } from '../../core/worker/call-worker';
import { openLiveSideband, openSideband } from '../../core/worker/sideband';
import type { ConversationScript } from '../../local/openai-emulator';
import { API_KEY, eventually, startLocalStack, type LocalStack } from '../support/local-stack';
import { startSignedEndpoint } from '../support/signed-endpoint';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const TOOL_SIGNING_SECRET = 'whsec_' + Buffer.from('the-tool-signing-key-of-this-test-stack').toString('base64');
const ORDERS_API_KEY = 'orders-api-key-9f3b27';
const FILLER = 'One moment while I look that up.';
const ASK: ConversationScript = [
  { pause: 200 },
  { caller: 'Where is my order 1234?' },
  { tool: 'lookup_order', args: { order: '1234', cardNumber: '4111111111111111' } },
  { agent: 'Your order ships tomorrow.' },
  { caller: 'Thanks, bye.' },
  { hangup: true },
];

/** The user's order system: verifies every request with the tool signing secret, answers as told. */
const startOrdersEndpoint = () =>
  startSignedEndpoint(TOOL_SIGNING_SECRET, '/voice/orders', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'shipped', eta: 'tomorrow' })));

describe("a number's HTTP tools, run by the call worker (local stack, emulator, a real endpoint)", () => {
  let local: LocalStack;
  let orders: Awaited<ReturnType<typeof startOrdersEndpoint>>;

  beforeEach(async () => {
    orders = await startOrdersEndpoint();
    local = await startLocalStack({
      stack: {
        worker: { timings: { heartbeatMs: 200, holdSeconds: 2 } },
        tools: { signingSecret: TOOL_SIGNING_SECRET, secret: async (name) => (name === 'orders-api' ? ORDERS_API_KEY : undefined) },
      },
    });
    await local.stack.numbers.put(
      parseNumberConfig({
        ...example,
        tools: [
          {
            name: 'lookup_order',
            description: 'Look up an order by its number',
            parameters: { type: 'object', properties: { order: { type: 'string' }, cardNumber: { type: 'string' } }, required: ['order'] },
            url: orders.url,
            headers: { Authorization: 'Bearer {{secret:orders-api}}' },
            timeoutMs: 1000,
            whileWaiting: FILLER,
            whileWaitingAfterMs: 300,
            redact: ['cardNumber'],
          },
        ],
      }),
    );
  });
  afterEach(async () => {
    await local.close();
    await orders.close();
  });

  async function call(script: ConversationScript): Promise<{ callId: string; record: CallRecord }> {
    const { callId } = await local.emulator.placeCall({ dialed: '17134810111', caller: '+14067704205', script });
    const record = await eventually(async () => {
      const r = await local.stack.calls.get(callId);
      return r && r.outcome !== 'active' ? r : undefined;
    }, 10_000);
    return { callId, record };
  }
  const clientEvents = (callId: string) => local.emulator.clientEvents(callId) as { type: string; [k: string]: unknown }[];
  const toolOutput = (callId: string) =>
    clientEvents(callId).find((e) => e.type === 'conversation.item.create' && (e.item as { type: string }).type === 'function_call_output')?.item as
      | { call_id: string; output: string }
      | undefined;

  it('posts the signed call to the endpoint, gives its answer to the model, and puts the call of the tool on the timeline', async () => {
    const { callId, record } = await call(ASK);
    expect(orders.received).toHaveLength(1);
    const [request] = orders.received;
    const sent = JSON.parse(request.body);
    expect(request.verified).toEqual(sent);
    expect(sent).toEqual({
      call: { callId, number: '+17134810111', caller: '+14067704205', label: 'Support line' },
      tool: 'lookup_order',
      arguments: { order: '1234', cardNumber: '4111111111111111' },
      toolCallId: expect.stringMatching(/^fc_/),
    });
    expect(request.headers['webhook-id']).toBe(sent.toolCallId);
    expect(request.headers.authorization).toBe(`Bearer ${ORDERS_API_KEY}`);
    expect(toolOutput(callId)).toEqual({ type: 'function_call_output', call_id: sent.toolCallId, output: JSON.stringify({ status: 'shipped', eta: 'tomorrow' }) });
    expect(record.transcript.map((t) => t.text)).toContain('Your order ships tomorrow.');
    expect(record.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'tool-call', name: 'lookup_order', arguments: { order: '1234', cardNumber: '[redacted]' } }),
        expect.objectContaining({ type: 'tool-result', name: 'lookup_order', outcome: 'ok', status: 200, durationMs: expect.any(Number), bytes: 37 }),
      ]),
    );
    expect(JSON.stringify(record)).not.toContain(ORDERS_API_KEY);
    expect(JSON.stringify(record)).not.toContain('4111111111111111');
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
  });

  it('says the filler while a slow endpoint keeps the caller waiting, then tells the model it did not answer, and the call goes on', async () => {
    orders.answer((res) => setTimeout(() => res.writeHead(200).end('{}'), 1500).unref());
    const { callId, record } = await call(ASK);
    expect(clientEvents(callId)).toContainEqual({ type: 'response.create', response: { instructions: `Say exactly '${FILLER}'` } });
    expect(JSON.parse(toolOutput(callId)!.output)).toEqual({ error: expect.stringContaining('the lookup_order tool did not answer in time') });
    expect(record.actions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'tool-waiting' }), expect.objectContaining({ type: 'tool-result', outcome: 'timeout' })]));
    expect(record.transcript.map((t) => t.text)).toEqual(expect.arrayContaining([FILLER, 'Thanks, bye.']));
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
  });

  it.each<[string, (res: ServerResponse) => void, string, string]>([
    ['a 500', (res) => res.writeHead(500).end('{"error":"database down"}'), 'http-error', 'it answered with an error'],
    ['an answer that is not JSON', (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('Order 1234: shipped'), 'ok', 'Order 1234: shipped'],
  ])('passes %s on to the model as words it can say', async (_, respond, outcome, words) => {
    orders.answer(respond);
    const { callId, record } = await call(ASK);
    expect(toolOutput(callId)!.output).toContain(words);
    expect(record.actions).toContainEqual(expect.objectContaining({ type: 'tool-result', outcome }));
    expect(record.outcome).toBe('completed');
  });

  it('never sends a tool call twice when the worker lets the call go mid-request: the next worker tells the model it was interrupted', async () => {
    orders.answer((res) => setTimeout(() => res.writeHead(200).end('{"status":"shipped"}'), 1500).unref());
    const { callId } = await local.emulator.placeCall({ dialed: '17134810111', caller: '+14067704205', script: ASK });
    await eventually(() => orders.received.length === 1, 5000);
    // The worker stops (a deploy) while the request is out: the call is handed back, live.
    expect(await local.stack.worker!.drain(Date.now())).toEqual({ ended: 0, handedBack: 1 });
    const next = new CallWorker({
      id: 'the-next-worker',
      source: local.stack.queue,
      store: local.stack.live,
      numbers: local.stack.numbers,
      openai: local.stack.openai,
      connect: (id) => openSideband(id, local.emulator.baseURL, async () => API_KEY, { retryForMs: 5000 }),
      connectLive: (id) => openLiveSideband(id, local.emulator.baseURL, async () => API_KEY, { retryForMs: 5000 }),
      runTool: local.stack.tools!.runTool,
      capacity: 5,
      log: silentLog,
      timings: { heartbeatMs: 200, holdSeconds: 2 },
    });
    next.start();
    try {
      const record = await eventually(async () => {
        const r = await local.stack.calls.get(callId);
        return r && r.outcome !== 'active' ? r : undefined;
      }, 10_000);
      expect(orders.received).toHaveLength(1);
      expect(JSON.parse(toolOutput(callId)!.output)).toEqual({ error: expect.stringContaining('interrupted') });
      expect(record.actions.filter((a) => a.type === 'tool-call')).toHaveLength(1);
      expect(record.actions).toContainEqual(expect.objectContaining({ type: 'tool-result', outcome: 'interrupted' }));
      expect(record.transcript.map((t) => t.text)).toContain('Thanks, bye.');
      expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
    } finally {
      await next.drain(Date.now());
    }
  });
  it("adds the number's MCP servers once attached, their secrets filled by the worker, and puts their calls on the timeline", async () => {
    const config = (await local.stack.numbers.get('+17134810111'))!.config;
    await local.stack.numbers.put(
      parseNumberConfig({
        ...config,
        mcp: [{ label: 'orders', url: 'https://mcp.example.com/mcp', allowedTools: ['track_parcel'], headers: { Authorization: 'Bearer {{secret:orders-api}}' } }],
      }),
      { expectedVersion: 1 },
    );
    const { callId, record } = await call([
      { pause: 200 },
      { caller: 'Where is my parcel?' },
      { mcp: { server: 'orders', tool: 'track_parcel', args: { parcel: 'P-9' }, output: '{"status":"out for delivery"}' } },
      { agent: 'It is out for delivery.' },
      { hangup: true },
    ]);
    // The accept carries no MCP server and no secret: the webhook holds none.
    expect(JSON.stringify(local.emulator.received(callId)[0].body)).not.toContain('mcp');
    const update = clientEvents(callId).find((e) => e.type === 'session.update') as { session: { tools: Record<string, unknown>[] } } | undefined;
    expect(update?.session.tools).toContainEqual(
      expect.objectContaining({ type: 'mcp', server_label: 'orders', server_url: 'https://mcp.example.com/mcp', require_approval: 'never', headers: { Authorization: `Bearer ${ORDERS_API_KEY}` } }),
    );
    expect(record.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'mcp-set-up', servers: ['orders'] }),
        expect.objectContaining({ type: 'mcp-call', server: 'orders', tool: 'track_parcel', arguments: { parcel: 'P-9' }, outcome: 'completed' }),
      ]),
    );
    expect(JSON.stringify(record)).not.toContain(ORDERS_API_KEY);
    expect(record.transcript.map((t) => t.text)).toContain('It is out for delivery.');
  });
});
