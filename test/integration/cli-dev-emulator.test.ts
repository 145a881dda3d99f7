import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '../../core/calls/record';
import { verifyWebhookSignature } from '../../core/webhook/signature';
import { runCli, startCli, ROOT } from '../support/cli';
import { freePort, startLocalStack, type LocalStack } from '../support/local-stack';
import { statusOf } from '../support/raw-request';

const EXAMPLE = join(ROOT, 'examples/support-line.json');
/** No OpenAI anywhere: `dev --emulator` must need none of it. */
const NO_OPENAI = { OPENAI_API_KEY: '', OPENAI_WEBHOOK_SECRET: '', OPENAI_BASE_URL: '' };

describe('switchboard dev --emulator and switchboard call', () => {
  let dataDir: string;
  let port: number;
  let endpoint: string;
  let dev: Awaited<ReturnType<typeof startCli>>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchboard-dev-emulator-'));
    port = await freePort();
    const dynamodbPort = await freePort();
    endpoint = `http://127.0.0.1:${dynamodbPort}`;
    dev = await startCli(['dev', '--emulator', '--fast', '--port', String(port), '--dynamodb-port', String(dynamodbPort), '--data-dir', dataDir], /place a call:/, NO_OPENAI);
  });

  afterAll(async () => {
    await dev?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts without an OpenAI key or webhook secret and says how to place a call', () => {
    expect(dev.output()).toContain(`switchboard dev: webhook http://127.0.0.1:${port}/webhook, DynamoDB ${endpoint}`);
    expect(dev.output()).toContain('tools: generated a tool signing secret');
    expect(dev.output()).toContain(`place a call: npx switchboard call <number>`);
    expect(dev.output()).toContain(`--port ${port}`);
  });

  it('places a call that is answered, greeted and recorded', async () => {
    expect((await runCli(['numbers', 'put', '+17134810111', '--file', EXAMPLE, '--endpoint', endpoint])).code).toBe(0);
    const call = await runCli(['call', '+1 713 481 0111', '--from', '+14067704200', '--port', String(port), '--json']);
    expect(call.code).toBe(0);
    const record = JSON.parse(call.stdout) as CallRecord;
    expect(record).toMatchObject({ number: '+17134810111', caller: '+14067704200', outcome: 'completed', reason: 'caller-hung-up' });
    expect(record.transcript[0]).toMatchObject({ role: 'agent', text: 'Thanks for calling Wavix support, this is Alex. How can I help?' });
    expect(record.actions).toContainEqual(expect.objectContaining({ type: 'greeting' }));
    expect(call.stderr).toContain('webhook: accepted');
    expect(call.stderr).toMatch(/caller: Hi, what time do you open tomorrow\?\n.*agent : We open at nine/);

    const list = await runCli(['calls', 'list', '--json', '--endpoint', endpoint]);
    expect(JSON.parse(list.stdout).calls).toContainEqual(expect.objectContaining({ callId: record.callId, outcome: 'completed' }));
  });

  it('prints the timeline for people, and says how to configure a number it does not know', async () => {
    const call = await runCli(['call', '+17134810999', '--port', String(port)]);
    expect(call.code).toBe(0);
    expect(call.stdout).toMatch(/^call rtc_\w+\n  \+14067704205 -> \+17134810999, answered by Realtime\n/);
    expect(call.stdout).toContain('outcome rejected (unknown-number), SIP 404');
    expect(call.stderr).toContain(`npx switchboard numbers put +17134810999 --file <config.json> --endpoint ${endpoint}`);
  });

  it.each([
    ['a number that is not one', ['call', 'support'], 'error: number "support" is not a valid phone number'],
    ['an unknown scenario', ['call', '+17134810111', '--scenario', 'party'], 'error: unknown scenario "party"'],
    ['a tool the number lacks', ['call', '+17134810111', '--scenario', 'tool:lookup_order'], 'error: scenario "tool:lookup_order": +17134810111 has no tool "lookup_order" (it has no tools)'],
  ])('refuses %s with exit code 2', async (_, args, message) => {
    const call = await runCli([...args, '--port', String(port)]);
    expect(call.code).toBe(2);
    expect(call.stderr).toContain(message);
  });

  it.each([
    ['from a web page (Origin)', (): Record<string, string> => ({ 'content-type': 'application/json', origin: 'https://example.com' }), 403],
    ['to another host name (DNS rebinding)', (): Record<string, string> => ({ 'content-type': 'application/json', host: `attacker.example:${port}` }), 403],
    ['without a JSON body (a form post)', (): Record<string, string> => ({ 'content-type': 'text/plain' }), 415],
  ])('refuses a control request %s', async (_, headers, status) => {
    expect(await statusOf(`http://127.0.0.1:${port}/emulator/calls`, { method: 'POST', headers: headers(), body: JSON.stringify({ number: '+17134810111' }) })).toBe(status);
  });
});

describe('switchboard call without switchboard dev --emulator', () => {
  it('says clearly that no dev runs on the port', async () => {
    const closed = await freePort();
    const call = await runCli(['call', '+17134810111', '--port', String(closed)]);
    expect(call).toMatchObject({ code: 1, stderr: `error: no switchboard dev is running on port ${closed}: start one with \`npx switchboard dev --emulator\` (or pass the --port it runs on)\n` });
  });

  it('is refused by a dev that talks to OpenAI', async () => {
    const local: LocalStack = await startLocalStack();
    try {
      const call = await runCli(['call', '+17134810111', '--port', new URL(local.stack.url).port]);
      expect(call.code).toBe(1);
      expect(call.stderr).toContain('error: this switchboard dev talks to OpenAI, not the built-in emulator: start it with `npx switchboard dev --emulator`');
    } finally {
      await local.close();
    }
  });
});

describe('switchboard simulate --file', () => {
  let dir: string;
  let endpoint: Server;
  const requests: { path?: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-simulate-file-'));
    endpoint = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        requests.push({ path: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'shipped' }));
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/orders`;
  });

  afterAll(async () => {
    await new Promise((resolve) => endpoint.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const orderLine = () => ({
    number: '+17134810122',
    label: 'Order line',
    agent: { instructions: 'You look up orders with lookup_order.', greeting: 'Orders, this is Sam.' },
    tools: [{ name: 'lookup_order', description: 'Look up an order', url, headers: { Authorization: 'Bearer {{secret:orders-api}}' }, record: 'full' }],
  });

  it("calls the config's tool at the user's local endpoint, signed, with its secret from the environment", async () => {
    const file = join(dir, 'order-line.json');
    await writeFile(file, JSON.stringify(orderLine()));
    const result = await runCli(['simulate', '--file', file, '--scenario', 'tool:lookup_order', '--fast', '--json'], { env: { SWITCHBOARD_TOOL_SECRET_ORDERS_API: 'orders-key', SWITCHBOARD_TOOL_SIGNING_SECRET: '' } });
    expect(result.code).toBe(0);
    const record = JSON.parse(result.stdout) as CallRecord;
    expect(record).toMatchObject({ number: '+17134810122', label: 'Order line', outcome: 'completed', reason: 'caller-hung-up' });
    expect(record.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'tool-call', name: 'lookup_order', arguments: {} }),
        expect.objectContaining({ type: 'tool-result', name: 'lookup_order', outcome: 'ok', status: 200 }),
      ]),
    );
    expect(result.stderr).toContain(`configured +17134810122 (Order line) from ${file}`);

    expect(requests).toHaveLength(1);
    const [sent] = requests;
    expect(sent.path).toBe('/orders');
    expect(sent.headers.authorization).toBe('Bearer orders-key');
    // The signing secret is printed once, and it is the one the call was signed with.
    const secret = /tools: signed with a signing secret generated for this run .*: (whsec_\S+)/.exec(result.stderr)?.[1];
    expect(secret).toBeDefined();
    expect(() => verifyWebhookSignature({ rawBody: sent.body, headers: sent.headers as Record<string, string>, secret: secret!, nowSeconds: Math.floor(Date.now() / 1000) })).not.toThrow();
  });

  it('refuses an invalid config with every problem and exit code 2, before any call', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ ...orderLine(), number: 'x', greeting: 'Hi' }));
    const result = await runCli(['simulate', '--file', file, '--fast']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: ${file} is not a valid number config:`);
    expect(result.stderr).toContain('greeting: unknown field "greeting": it belongs inside "agent"');
    expect(result.stdout).toBe('');
  });

  it('refuses a tool scenario for a tool the number lacks', async () => {
    const result = await runCli(['simulate', '--scenario', 'tool:lookup_order', '--fast']);
    expect(result).toMatchObject({ code: 2, stderr: 'error: scenario "tool:lookup_order": +17134810111 has no tool "lookup_order" (it has no tools)\n' });
  });
});
