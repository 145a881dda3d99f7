import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '../../core/calls/record';
import { parseNumberConfig } from '../../core/numbers/config';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../local/openai-emulator';
import { runCli } from '../support/cli';
import { startSignedEndpoint, type SignedEndpoint } from '../support/signed-endpoint';
import { startLocalStack, type LocalStack } from '../support/local-stack';

/**
 * `switchboard try` as a user runs it (a child process) against the emulator's text session:
 * the session it sets up, the conversation it prints, the tools it calls on a real endpoint.
 */

const API_KEY = 'sk-try-switchboard';
const TOOL_SIGNING_SECRET = 'whsec_' + Buffer.from('the-tool-signing-key-of-switchboard-try').toString('base64');
const ORDERS_TOKEN = 'tok_try_5b1e0c';

describe('switchboard try (the CLI against the emulator, tools on a real endpoint)', () => {
  let emulator: OpenAIEmulator;
  let orders: SignedEndpoint;
  let ordersUrl: string;
  let dir: string;
  let file: string;
  const sessions: unknown[][] = [];

  beforeAll(async () => {
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, onClientEvent: (id, event) => (id.startsWith('sess_') ? sessions.at(-1)?.push(event) : undefined) });
    orders = await startSignedEndpoint(TOOL_SIGNING_SECRET, '/voice/orders', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"shipped","eta":"tomorrow"}'));
    ordersUrl = orders.url;
    dir = await mkdtemp(join(tmpdir(), 'switchboard-try-'));
    file = join(dir, 'order-line.json');
    await writeFile(
      file,
      JSON.stringify({
        number: '+17134810111',
        label: 'Order line',
        agent: { instructions: 'You are Alex of the order line. The caller is {{first_name}}, calling from {{caller}}.', greeting: 'Hi {{first_name}}, this is Alex.' },
        transfers: [{ name: 'sales', description: 'The sales team', target: '+17135550100' }],
        tools: [
          {
            name: 'lookup_order',
            description: 'Look up an order by its number',
            parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] },
            url: ordersUrl,
            headers: { Authorization: 'Bearer {{secret:orders-api}}' },
          },
        ],
      }),
    );
  });

  afterAll(async () => {
    await emulator.close();
    await orders.close();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => sessions.push([]));

  const env = { OPENAI_BASE_URL: '', OPENAI_API_KEY: API_KEY, SWITCHBOARD_TOOL_SIGNING_SECRET: TOOL_SIGNING_SECRET, SWITCHBOARD_TOOL_SECRET_ORDERS_API: ORDERS_TOKEN };
  const tryIt = (args: string[], input?: string) => runCli(['try', ...args], { env: { ...env, OPENAI_BASE_URL: emulator.baseURL }, input });
  const sessionUpdate = () => sessions.at(-1)!.find((e) => (e as { type: string }).type === 'session.update') as { session: Record<string, unknown> };

  it('sets the session up as the number would be answered, greets, and prints the conversation', async () => {
    const result = await tryIt(['--file', file, '--from', '+14067704205', '--var', 'first_name=Dana', '--say', 'Hello there']);
    expect(result.code).toBe(0);
    expect(sessionUpdate().session).toMatchObject({
      type: 'realtime',
      instructions: 'You are Alex of the order line. The caller is Dana, calling from +14067704205.',
      output_modalities: ['text'],
      tools: [expect.objectContaining({ name: 'transfer_call' }), expect.objectContaining({ name: 'end_call' }), expect.objectContaining({ name: 'lookup_order' })],
    });
    expect(result.stdout).toMatch(/\[greeting\]\n.*agent : Hi Dana, this is Alex\.\n.*caller: Hello there\n.*agent : You said: Hello there\n/);
    expect(result.stderr).toContain('switchboard try: +17134810111 (Order line) on gpt-realtime-2.1, as +14067704205 calling');
    expect(result.stderr).toMatch(/conversation ended: completed \(caller-hung-up\); tokens: \d+ in, \d+ out/);
  });

  it('runs an HTTP tool for real: signed, its secret filled in, its answer given to the agent', async () => {
    const before = orders.received.length;
    const result = await tryIt(['--file', file, '--say', 'lookup_order {"order":"A17"}', '--json']);
    expect(result.code).toBe(0);
    expect(orders.received.length).toBe(before + 1);
    const request = orders.received.at(-1)!;
    // Signed as a Standard Webhook: the library verified it and gave back the body.
    expect(request.verified).toEqual(JSON.parse(request.body));
    expect(request.headers.authorization).toBe(`Bearer ${ORDERS_TOKEN}`);
    expect(JSON.parse(request.body)).toMatchObject({ tool: 'lookup_order', arguments: { order: 'A17' }, call: { number: '+17134810111', label: 'Order line' } });

    const record = JSON.parse(result.stdout) as CallRecord;
    expect(record).toMatchObject({ number: '+17134810111', outcome: 'completed', reason: 'caller-hung-up', usage: { totalTokens: expect.any(Number) } });
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ['agent', 'Hi , this is Alex.'],
      ['caller', 'lookup_order {"order":"A17"}'],
      ['agent', 'Here is what I found: {"status":"shipped","eta":"tomorrow"}'],
    ]);
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'tool-call', 'tool-result']);
    expect(record.actions[2]).toMatchObject({ name: 'lookup_order', outcome: 'ok', status: 200 });
    // The timeline went to stderr, so stdout is the record alone; the secret is in neither.
    expect(result.stderr).toContain('[tool-result] name=lookup_order outcome=ok status=200');
    expect(result.stdout + result.stderr).not.toContain(ORDERS_TOKEN);
  });

  it('with --dry-run shows the request a tool call would send, secrets as their references, and sends nothing', async () => {
    const before = orders.received.length;
    const result = await tryIt(['--file', file, '--dry-run', '--say', 'lookup_order {"order":"A17"}']);
    expect(result.code).toBe(0);
    expect(orders.received.length).toBe(before);
    expect(result.stdout).toContain(`[tool-dry-run] name=lookup_order request={"method":"POST","url":"${ordersUrl}","headers":{"Authorization":"Bearer {{secret:orders-api}}"}`);
    expect(result.stdout).toContain('"arguments":{"order":"A17"}');
    expect(result.stdout).toContain('agent : Here is what I found: {"error":"the lookup_order tool was not run (a dry run)');
  });

  it('shows a transfer and ends the conversation there', async () => {
    const result = await tryIt(['--file', file, '--json', '--say', 'transfer_call {"target":"sales"}', '--say', 'never said']);
    const record = JSON.parse(result.stdout) as CallRecord;
    expect(record).toMatchObject({ outcome: 'transferred', transferTarget: 'tel:+17135550100' });
    expect(record.actions).toContainEqual(expect.objectContaining({ type: 'transfer', target: 'sales', uri: 'tel:+17135550100' }));
    expect(record.transcript.map((t) => t.text)).not.toContain('never said');
  });

  it('shows the agent hanging up after its goodbye', async () => {
    const result = await tryIt(['--file', file, '--json', '--say', 'end_call please']);
    const record = JSON.parse(result.stdout) as CallRecord;
    expect(record).toMatchObject({ outcome: 'completed', reason: 'agent-hung-up' });
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'end-call', 'hangup']);
  });

  it('reads the caller\'s lines from stdin when no --say is given', async () => {
    const result = await tryIt(['--file', file], 'first line\n\nsecond line\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/caller: first line\n.*agent : You said: first line\n.*caller: second line\n.*agent : You said: second line\n/);
  });

  it('refuses what it cannot try, saying why', async () => {
    expect(await tryIt([])).toMatchObject({ code: 2, stderr: expect.stringContaining('say which number to try') });
    const noKey = await runCli(['try', '--file', file, '--say', 'hi'], { env: { ...env, OPENAI_API_KEY: '', OPENAI_BASE_URL: emulator.baseURL } });
    expect(noKey).toMatchObject({ code: 2, stderr: expect.stringContaining('OPENAI_API_KEY is not set') });
    const badKey = await runCli(['try', '--file', file, '--say', 'hi'], { env: { ...env, OPENAI_API_KEY: 'sk-wrong', OPENAI_BASE_URL: emulator.baseURL } });
    expect(badKey).toMatchObject({ code: 1, stderr: expect.stringMatching(/OpenAI refused the session \(HTTP 401\).*check OPENAI_API_KEY/) });
    expect(await tryIt(['+17135550000', '--file', file])).toMatchObject({ code: 2, stderr: expect.stringContaining('configures +17134810111, not +17135550000') });
  });
});

describe('switchboard try on a GPT-Live number: its backend, on the Responses API of the emulator', () => {
  let emulator: OpenAIEmulator;
  let orders: SignedEndpoint;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    emulator = await startOpenAIEmulator({ apiKey: API_KEY });
    // Slower than the tool's whileWaitingAfterMs (1 s by default), so a Realtime agent would say its whileWaiting.
    orders = await startSignedEndpoint(TOOL_SIGNING_SECRET, '/orders', (res) => void setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"shipped"}'), 1300));
    dir = await mkdtemp(join(tmpdir(), 'switchboard-try-live-'));
    file = join(dir, 'live-line.json');
    await writeFile(
      file,
      JSON.stringify({
        number: '+17134810111',
        agent: {
          engine: 'live',
          instructions: 'Warm and brief. Delegate anything about orders.',
          greeting: 'Thanks for calling, this is Alex.',
          backend: { instructions: 'Orders: look them up with lookup_order. The caller is {{caller}}.', reasoning: { effort: 'low' } },
        },
        transfers: [{ name: 'sales', description: 'The sales team', target: '+17135550100' }],
        tools: [
          {
            name: 'lookup_order',
            description: 'Look up an order by its number',
            parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] },
            url: orders.url,
            whileWaiting: 'One moment.',
          },
        ],
      }),
    );
  });

  afterAll(async () => {
    await emulator.close();
    await orders.close();
    await rm(dir, { recursive: true, force: true });
  });

  const env = { OPENAI_API_KEY: API_KEY, SWITCHBOARD_TOOL_SIGNING_SECRET: TOOL_SIGNING_SECRET };
  const tryIt = (args: string[], key = API_KEY) => runCli(['try', '--file', file, '--from', '+14067704205', ...args], { env: { ...env, OPENAI_API_KEY: key, OPENAI_BASE_URL: emulator.baseURL } });
  const bodies = (from: number) => emulator.responsesRequests().slice(from).map((r) => r.body as Record<string, unknown>);

  it('greets word for word as the voice does, and hands each caller line to the backend with its instructions and tools', async () => {
    const from = emulator.responsesRequests().length;
    const result = await tryIt(['--say', 'Hello there', '--say', 'Still there?', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("switchboard try: +17134810111 on gpt-5.6-luna, the backend gpt-live-1 hands the caller's requests to, as +14067704205 calling");
    const [first, second] = bodies(from);
    expect(first).toMatchObject({
      model: 'gpt-5.6-luna',
      instructions: 'Orders: look them up with lookup_order. The caller is +14067704205.',
      reasoning: { effort: 'low' },
      tools: [expect.objectContaining({ name: 'transfer_call' }), expect.objectContaining({ name: 'end_call' }), expect.objectContaining({ type: 'function', name: 'lookup_order' })],
      input: [{ role: 'assistant', content: 'Thanks for calling, this is Alex.' }, { role: 'user', content: 'Hello there' }],
    });
    expect(first).not.toHaveProperty('previous_response_id');
    // The conversation goes on from the backend's last response: only what is new is sent.
    expect(second).toMatchObject({ input: [{ role: 'user', content: 'Still there?' }], previous_response_id: expect.stringMatching(/^resp_/) });
    const record = JSON.parse(result.stdout) as CallRecord;
    expect(record).toMatchObject({ engine: 'live', outcome: 'completed', reason: 'caller-hung-up', usage: { totalTokens: expect.any(Number) } });
    expect(record.transcript.map((t) => [t.role, t.text])).toEqual([
      ['agent', 'Thanks for calling, this is Alex.'],
      ['caller', 'Hello there'],
      ['agent', 'You said: Hello there'],
      ['caller', 'Still there?'],
      ['agent', 'You said: Still there?'],
    ]);
  });

  it('runs the backend\'s tool call for real and gives it the output, never saying whileWaiting (the Live voice talks meanwhile)', async () => {
    const from = emulator.responsesRequests().length;
    const result = await tryIt(['--say', 'lookup_order {"order":"A17"}', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(orders.received.at(-1)!.body)).toMatchObject({ tool: 'lookup_order', arguments: { order: 'A17' } });
    const [, answered] = bodies(from);
    expect(answered).toMatchObject({ input: [{ type: 'function_call_output', call_id: expect.stringMatching(/^call_/), output: '{"status":"shipped"}' }], previous_response_id: expect.any(String) });
    const record = JSON.parse(result.stdout) as CallRecord;
    expect(record.transcript.at(-1)).toMatchObject({ role: 'agent', text: 'Here is what I found: {"status":"shipped"}' });
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'tool-call', 'tool-result']);
    expect(record.transcript.map((t) => t.text)).not.toContain('One moment.');
  });

  it('shows a transfer and ends the conversation there', async () => {
    const record = JSON.parse((await tryIt(['--json', '--say', 'transfer_call {"target":"sales"}', '--say', 'never said'])).stdout) as CallRecord;
    expect(record).toMatchObject({ outcome: 'transferred', transferTarget: 'tel:+17135550100' });
    expect(record.transcript.map((t) => t.text)).not.toContain('never said');
  });

  it('says when OpenAI refuses the backend\'s request', async () => {
    expect(await tryIt(['--say', 'hi'], 'sk-wrong')).toMatchObject({ code: 1, stderr: expect.stringMatching(/OpenAI refused the backend's response \(HTTP 401\).*check OPENAI_API_KEY/) });
  });
});

describe('switchboard try against a stored number (switchboard dev\'s tables)', () => {
  let local: LocalStack;

  beforeAll(async () => {
    local = await startLocalStack();
    await local.stack.numbers.put(parseNumberConfig({ number: '+17134810111', agent: { instructions: 'You are Alex.', greeting: 'Hello from the stored config.' } }));
  });
  afterAll(() => local.close());

  it('reads the config from --endpoint', async () => {
    const result = await runCli(['try', '+1 713 481 0111', '--endpoint', local.stack.dynamodb.endpoint, '--say', 'hi'], {
      env: { OPENAI_BASE_URL: local.emulator.baseURL, OPENAI_API_KEY: 'sk-test-switchboard' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('agent : Hello from the stored config.');
  });

  it('says when the number is not configured', async () => {
    const result = await runCli(['try', '+17135550000', '--endpoint', local.stack.dynamodb.endpoint, '--say', 'hi'], { env: { OPENAI_BASE_URL: local.emulator.baseURL, OPENAI_API_KEY: 'sk-test-switchboard' } });
    expect(result).toMatchObject({ code: 3, stderr: expect.stringContaining('+17135550000 is not configured') });
  });
});
