import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { runHttpTool, type HttpToolCall, type HttpToolConfig, type HttpToolHost, type ResolvedAddress } from '../../core/tools/http-tool';
import { TOOL_ANSWER_CUT_BYTES, TOOL_ANSWER_MAX_BYTES } from '../../core/tools/limits';
import { NEVER_LEFT_RETRY_DELAY_MS } from '../../core/outbound/post';
import { jsonLog } from '../../core/runtime/log';
import { freeLoopbackPort } from '../../local/ports';

/**
 * The HTTP tool runner against real HTTP(S) servers on 127.0.0.1. Names that must resolve to
 * private or link-local addresses do so through the injected resolver, and the runner refuses
 * them at the lookup: no test sends anything anywhere but loopback.
 */

const SIGNING_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const ORDERS_TOKEN = `tok_live_${randomBytes(16).toString('hex')}`;
const VERSION = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version as string;

/** Self-signed for localhost, orders.test, 127.0.0.1 and ::1, valid until 2126: for the https test only. */
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcOkdOIC997Hl87YP
865cix5gtDX6eXa+8rRa3PrCy6+hRANCAASs7rnEGfAXImj0kMwWq6og0akRw210
chKMDCCDpzR1wIOa9KsvvtsDZH3AY51qariHF3IuAV1bT6tsTED/nJKC
-----END PRIVATE KEY-----`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBuTCCAV+gAwIBAgIUJxm0jdyVm8ikAhF8SeMORsbuUu4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMTIxMTUxMVoYDzIxMjYxMTA3
MjExNTExWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASs7rnEGfAXImj0kMwWq6og0akRw210chKMDCCDpzR1wIOa9KsvvtsD
ZH3AY51qariHF3IuAV1bT6tsTED/nJKCo4GMMIGJMB0GA1UdDgQWBBStOuluxFbq
ngj3oGu85WFjXu/8fjAfBgNVHSMEGDAWgBStOuluxFbqngj3oGu85WFjXu/8fjA5
BgNVHREEMjAwgglsb2NhbGhvc3SCC29yZGVycy50ZXN0hwR/AAABhxAAAAAAAAAA
AAAAAAAAAAABMAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0EAwIDSAAwRQIhAKAE3ROz
0R1BuVim90MHGBdnu5ezA0u3kq4VLZkGlpAjAiBpmWaFIJq8WVMOQvR/e+cp+OaV
tGFBew/YBV0HucINmA==
-----END CERTIFICATE-----`;

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface Endpoint {
  url: string;
  port: number;
  received: Received[];
  /** TCP connections accepted: 0 proves nothing was sent. */
  connections: number;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    (server as http.Server).closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(server: http.Server | https.Server, scheme: 'http' | 'https', handler: Handler, host = '127.0.0.1', port = 0): Promise<Endpoint> {
  const endpoint: Endpoint = { url: '', port: 0, received: [], connections: 0, close: () => new Promise((resolve) => server.close(() => resolve())) };
  server.on(scheme === 'https' ? 'secureConnection' : 'connection', () => endpoint.connections++);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      endpoint.received.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  endpoint.port = (server.address() as AddressInfo).port;
  endpoint.url = `${scheme}://${host}:${endpoint.port}/tools/lookup_order`;
  return endpoint;
}

const startEndpoint = (handler: Handler, port?: number) => listen(http.createServer(), 'http', handler, '127.0.0.1', port);

/** Answers like a user's endpoint would: verifies the signature with the standardwebhooks package, then answers JSON. */
const verifyingHandler: Handler = (req, res, body) => {
  try {
    new Webhook(SIGNING_SECRET).verify(body, req.headers as Record<string, string>);
  } catch (error) {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (error as Error).message }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'shipped', eta: 'Monday' }));
};

const json = (status: number, value: unknown): Handler => (_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));

/** Everything the runner logged, and a host for it. */
function harness(overrides: Partial<HttpToolHost> = {}) {
  const lines: string[] = [];
  const secrets: Record<string, string> = { 'orders-api': ORDERS_TOKEN };
  const host: HttpToolHost = {
    signingSecret: SIGNING_SECRET,
    secret: async (name) => secrets[name],
    allowLoopback: true,
    log: jsonLog('worker', { write: (line) => lines.push(line) }),
    ...overrides,
  };
  return { host, lines, secrets };
}

/** A resolver that gives `addresses` for every name, in turn per call when given a list of lists, and counts its calls. */
function resolver(...answers: string[][]) {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const addresses = answers[Math.min(calls.length, answers.length) - 1];
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

function toolCall(tool: Partial<HttpToolConfig> & { url: string }, overrides: Partial<HttpToolCall> = {}): HttpToolCall {
  return {
    tool: { name: 'lookup_order', headers: { Authorization: 'Bearer {{secret:orders-api}}' }, ...tool },
    toolCallId: 'call_7Hq2a9',
    rawArguments: JSON.stringify({ orderId: 'A-1001' }),
    call: { callId: 'rtc_u1_9xYz', number: '+17134810111', caller: '+14067704205', label: 'Support line' },
    ...overrides,
  };
}

/** The token never appears in what the runner returned or logged. */
function expectNoSecret(result: unknown, lines: string[]): void {
  expect(JSON.stringify(result)).not.toContain(ORDERS_TOKEN);
  for (const line of lines) expect(line).not.toContain(ORDERS_TOKEN);
}

const errorOf = (output: string) => (JSON.parse(output) as { error: string }).error;

describe('runHttpTool: the request', () => {
  it('POSTs the call and the arguments, signed so the standardwebhooks package verifies it, and gives the JSON answer to the model', async () => {
    const endpoint = await startEndpoint(verifyingHandler);
    const { host, lines } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);

    expect(result).toEqual({
      output: '{"status":"shipped","eta":"Monday"}',
      outcome: 'ok',
      status: 200,
      attempts: 1,
      bytes: 35,
      truncated: false,
      durationMs: expect.any(Number),
      arguments: { orderId: 'A-1001' },
    });
    const [received] = endpoint.received;
    expect(received.method).toBe('POST');
    expect(received.path).toBe('/tools/lookup_order');
    expect(received.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': `switchboard/${VERSION}`,
      authorization: `Bearer ${ORDERS_TOKEN}`,
      'webhook-id': 'call_7Hq2a9',
      'webhook-timestamp': expect.stringMatching(/^\d+$/),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    });
    expect(Math.abs(Number(received.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(JSON.parse(received.body)).toEqual({
      call: { callId: 'rtc_u1_9xYz', number: '+17134810111', caller: '+14067704205', label: 'Support line' },
      tool: 'lookup_order',
      arguments: { orderId: 'A-1001' },
      toolCallId: 'call_7Hq2a9',
    });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'info', message: 'tool call answered', tool: 'lookup_order', toolCallId: 'call_7Hq2a9', callId: 'rtc_u1_9xYz', outcome: 'ok', status: 200 }),
    ]);
    expectNoSecret(result, lines);
  });

  it("keeps Switchboard's own headers whatever the tool's headers say, so the signature covers what it claims", async () => {
    const endpoint = await startEndpoint(verifyingHandler);
    const { host } = harness();
    const forged = { 'Webhook-Id': 'forged', 'Content-Type': 'text/plain', 'User-Agent': 'other', 'X-Tenant': 'acme' };
    const result = await runHttpTool(toolCall({ url: endpoint.url, headers: forged }), host);

    expect(result.outcome).toBe('ok');
    expect(endpoint.received[0].headers).toMatchObject({ 'webhook-id': 'call_7Hq2a9', 'content-type': 'application/json', 'user-agent': `switchboard/${VERSION}`, 'x-tenant': 'acme' });
  });

  it('sends label null for a number without one', async () => {
    const endpoint = await startEndpoint(json(200, {}));
    const { host } = harness();
    await runHttpTool(toolCall({ url: endpoint.url }, { call: { callId: 'rtc_2', number: '+17134810111', caller: 'anonymous' } }), host);
    expect(JSON.parse(endpoint.received[0].body).call).toEqual({ callId: 'rtc_2', number: '+17134810111', caller: 'anonymous', label: null });
  });

  it('gives a text answer as it came', async () => {
    const endpoint = await startEndpoint((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Order A-1001 shipped Monday — tracking 1Z999.'));
    const { host } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);
    expect(result).toMatchObject({ outcome: 'ok', status: 200, output: 'Order A-1001 shipped Monday — tracking 1Z999.' });
  });

  it('redacts the named fields in the returned arguments and the recorded answer, and sends them as the model gave them', async () => {
    const endpoint = await startEndpoint(json(200, { ok: true, card: { cardNumber: '4111111111111111', last4: '1111' } }));
    const { host, lines } = harness();
    const result = await runHttpTool(
      toolCall({ url: endpoint.url, redact: ['cardNumber'], record: 'full' }, { rawArguments: JSON.stringify({ orderId: 'A-1', payment: { cardNumber: '4111111111111111' } }) }),
      host,
    );

    expect(JSON.parse(endpoint.received[0].body).arguments).toEqual({ orderId: 'A-1', payment: { cardNumber: '4111111111111111' } });
    expect(result.arguments).toEqual({ orderId: 'A-1', payment: { cardNumber: '[redacted]' } });
    expect(JSON.parse(result.body!)).toEqual({ ok: true, card: { cardNumber: '[redacted]', last4: '1111' } });
    // The model gets the answer as it is: it may need the field to help the caller.
    expect(JSON.parse(result.output).card.cardNumber).toBe('4111111111111111');
    for (const line of lines) expect(line).not.toContain('4111111111111111');
  });

  it('returns the answer text as body only for record: "full"', async () => {
    const endpoint = await startEndpoint(json(200, { status: 'shipped' }));
    const { host } = harness();
    expect(await runHttpTool(toolCall({ url: endpoint.url }), host)).not.toHaveProperty('body');
    expect(await runHttpTool(toolCall({ url: endpoint.url, record: 'full' }), host)).toMatchObject({ body: '{"status":"shipped"}' });
  });

  it('works over https with the certificate checked against the name', async () => {
    const endpoint = await listen(https.createServer({ key: TLS_KEY, cert: TLS_CERT }), 'https', verifyingHandler);
    const { resolve } = resolver(['127.0.0.1']);
    const url = `https://orders.test:${endpoint.port}/tools/lookup_order`;

    const trusted = await runHttpTool(toolCall({ url }), harness({ resolve, ca: TLS_CERT }).host);
    expect(trusted).toMatchObject({ outcome: 'ok', status: 200, output: '{"status":"shipped","eta":"Monday"}' });

    // Without the certificate's issuer trusted, the handshake fails and nothing is posted.
    const untrusted = await runHttpTool(toolCall({ url }), harness({ resolve }).host);
    expect(untrusted).toMatchObject({ outcome: 'unreachable', attempts: 1, detail: expect.stringContaining('self-signed') });
    expect(endpoint.received).toHaveLength(1);
  });
});

describe('runHttpTool: answers the model cannot use as they are', () => {
  it('gives an answer over the cut size cut, with a note, within the cut size', async () => {
    const answer = JSON.stringify({ orders: Array.from({ length: 400 }, (_, i) => ({ id: `A-${i}`, status: 'shipped — on its way' })) });
    expect(Buffer.byteLength(answer)).toBeGreaterThan(TOOL_ANSWER_CUT_BYTES);
    const endpoint = await startEndpoint((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    const { host } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url, record: 'full' }), host);

    expect(result).toMatchObject({ outcome: 'ok', status: 200, truncated: true, bytes: Buffer.byteLength(answer), body: answer });
    expect(Buffer.byteLength(result.output)).toBeLessThanOrEqual(TOOL_ANSWER_CUT_BYTES);
    expect(result.output).toMatch(new RegExp(`\\n\\[cut: the lookup_order tool's answer was ${Buffer.byteLength(answer)} bytes; only its first \\d+ bytes are above\\]$`));
    expect(answer.startsWith(result.output.slice(0, result.output.lastIndexOf('\n[cut: ')))).toBe(true);
  });

  it('refuses an answer that says it is over the maximum read, without reading it', async () => {
    const endpoint = await startEndpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(TOOL_ANSWER_MAX_BYTES + 1) });
      res.write('{"a":"');
    });
    const { host } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);
    expect(result).toMatchObject({ outcome: 'too-large', status: 200, bytes: 0 });
    expect(errorOf(result.output)).toBe("the lookup_order tool's answer was too large to use");
  });

  it('stops reading an answer without a length at the maximum read', async () => {
    let written = 0;
    let clientLeft = false;
    const LIMIT = 64 * 1024 * 1024;
    const endpoint = await startEndpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.on('close', () => (clientLeft = true));
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!clientLeft && written < LIMIT) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!clientLeft) res.end();
      };
      pump();
    });
    const { host } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url, timeoutMs: 10_000 }), host);

    expect(result).toMatchObject({ outcome: 'too-large', status: 200, bytes: TOOL_ANSWER_MAX_BYTES });
    await until(() => clientLeft);
    expect(written).toBeLessThan(LIMIT);
  });

  it.each([
    [500, { error: 'Traceback (most recent call last): ...' }],
    [404, { error: 'no such order' }],
    [401, { error: 'bad token' }],
  ])('makes a %i an error the agent can say, recording the answer only for record: "full"', async (status, answer) => {
    const endpoint = await startEndpoint(json(status, answer));
    const { host, lines } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url, record: 'full' }), host);

    expect(result).toMatchObject({ outcome: 'http-error', status, attempts: 1, body: JSON.stringify(answer), detail: `the endpoint answered ${status}` });
    expect(JSON.parse(result.output)).toEqual({ error: 'the lookup_order tool failed: it answered with an error' });
    expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ level: 'warn', message: 'tool call failed', outcome: 'http-error', status })]);
  });

  it('does not follow a redirect: an error, and the next address hears nothing', async () => {
    const elsewhere = await startEndpoint(json(200, { status: 'shipped' }));
    const endpoint = await startEndpoint((_req, res) => res.writeHead(307, { location: elsewhere.url }).end());
    const { host } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);

    expect(result).toMatchObject({ outcome: 'redirected', status: 307, detail: expect.stringContaining(`answered 307 to ${elsewhere.url}`) });
    expect(errorOf(result.output)).toBe('the lookup_order tool failed: it answered with a redirect, and redirects are not followed');
    expect(elsewhere.connections).toBe(0);
  });
});

describe('runHttpTool: time', () => {
  it('gives up on an endpoint that does not answer in time, in bounded time', async () => {
    const endpoint = await startEndpoint((_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 3_000).unref());
    const { host } = harness();
    const before = Date.now();
    const result = await runHttpTool(toolCall({ url: endpoint.url, timeoutMs: 300 }), host);

    expect(result).toMatchObject({ outcome: 'timeout', attempts: 1, detail: 'no complete answer within 300 ms' });
    expect(errorOf(result.output)).toBe('the lookup_order tool did not answer in time');
    expect(Date.now() - before).toBeGreaterThanOrEqual(290);
    expect(Date.now() - before).toBeLessThan(1_000);
    expect(endpoint.received).toHaveLength(1);
  });

  it('counts the body in the time: an answer that starts but trickles is a timeout, not retried', async () => {
    const endpoint = await startEndpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
      setTimeout(() => res.end('"late"}'), 3_000).unref();
    });
    const { host } = harness();
    const before = Date.now();
    const result = await runHttpTool(toolCall({ url: endpoint.url, timeoutMs: 300 }), host);

    expect(result).toMatchObject({ outcome: 'timeout', status: 200, attempts: 1 });
    expect(Date.now() - before).toBeLessThan(1_000);
    expect(endpoint.received).toHaveLength(1);
  });

  it('counts reading the secrets in the time', async () => {
    const endpoint = await startEndpoint(json(200, {}));
    const { host } = harness({ secret: () => new Promise<string>((resolve) => setTimeout(() => resolve(ORDERS_TOKEN), 3_000).unref()) });
    const before = Date.now();
    const result = await runHttpTool(toolCall({ url: endpoint.url, timeoutMs: 200 }), host);

    expect(result).toMatchObject({ outcome: 'timeout', attempts: 0 });
    expect(Date.now() - before).toBeLessThan(1_000);
    expect(endpoint.connections).toBe(0);
  });
});

describe('runHttpTool: connection failures', () => {
  it('retries a refused connection once, then says the tool could not be reached', async () => {
    const port = await freeLoopbackPort();
    const { resolve, calls } = resolver(['127.0.0.1']);
    const { host } = harness({ resolve });
    const before = Date.now();
    const result = await runHttpTool(toolCall({ url: `http://localhost:${port}/tools/lookup_order` }), host);

    expect(result).toMatchObject({ outcome: 'unreachable', attempts: 2, detail: expect.stringMatching(/^ECONNREFUSED: .* \(tried twice\)$/) });
    expect(errorOf(result.output)).toBe('the lookup_order tool could not be reached');
    expect(calls).toEqual(['localhost', 'localhost']);
    expect(Date.now() - before).toBeGreaterThanOrEqual(NEVER_LEFT_RETRY_DELAY_MS - 10);
  });

  it('succeeds on the retry when the second connection is accepted', async () => {
    // The first lookup gives 127.0.0.2, where nothing listens on the port (refused); the second the endpoint.
    const endpoint = await startEndpoint(verifyingHandler);
    const { resolve, calls } = resolver(['127.0.0.2'], ['127.0.0.1']);
    const { host } = harness({ resolve });
    const result = await runHttpTool(toolCall({ url: `http://localhost:${endpoint.port}/tools/lookup_order` }), host);

    expect(result).toMatchObject({ outcome: 'ok', status: 200, attempts: 2 });
    expect(calls).toHaveLength(2);
    expect(endpoint.received).toHaveLength(1);
  });

  it('does not retry a connection that broke after the request may have been sent', async () => {
    const endpoint = await startEndpoint((req) => req.socket.destroy());
    const { host } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);

    expect(result).toMatchObject({ outcome: 'unreachable', attempts: 1 });
    expect(endpoint.received).toHaveLength(1);
  });

  it('does not retry an answer that broke off part way', async () => {
    const endpoint = await startEndpoint((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"status":', () => req.socket.destroy());
    });
    const { host } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);

    expect(result).toMatchObject({ outcome: 'unreachable', attempts: 1, detail: 'ECONNRESET: the connection closed before the answer was complete' });
    expect(endpoint.received).toHaveLength(1);
  });

  it('does not retry a name that does not exist', async () => {
    const { resolve, calls } = resolver([]);
    const { host } = harness({ resolve });
    const result = await runHttpTool(toolCall({ url: 'https://orders.invalid/tools/lookup_order' }), host);

    expect(result).toMatchObject({ outcome: 'unreachable', attempts: 1, detail: expect.stringContaining('ENOTFOUND') });
    expect(calls).toHaveLength(1);
  });
});

describe('runHttpTool: where a tool may go', () => {
  it.each([
    ['a private address', ['10.0.0.5'], 'orders.internal.example resolved to 10.0.0.5, a private address: set "allowPrivateNetwork": true'],
    ['the instance metadata service', ['169.254.169.254'], 'resolved to 169.254.169.254, a metadata address: no tool may reach it'],
    ['the ECS credentials endpoint', ['169.254.170.2'], 'a link-local address'],
    ['an IPv6 link-local address', ['fe80::1'], 'resolved to fe80::1, a link-local address'],
    ['a private address as IPv4-mapped IPv6', ['::ffff:10.0.0.5'], 'a private address'],
    ['an allowed address beside a refused one (rebinding)', ['127.0.0.1', '10.0.0.5'], 'resolved to 10.0.0.5'],
  ])('refuses a name that resolves to %s, sending nothing', async (_, addresses, detail) => {
    const endpoint = await startEndpoint(json(200, {}));
    const { resolve, calls } = resolver(addresses);
    const { host, lines } = harness({ resolve });
    const result = await runHttpTool(toolCall({ url: `https://orders.internal.example:${endpoint.port}/tools/lookup_order` }), host);

    expect(result).toMatchObject({ outcome: 'refused-address', attempts: 1, detail: expect.stringContaining(detail) });
    expect(errorOf(result.output)).toBe("the lookup_order tool's address is not allowed");
    expect(calls).toEqual(['orders.internal.example']);
    expect(endpoint.connections).toBe(0);
    expectNoSecret(result, lines);
  });

  it.each([
    ['https://169.254.169.254/latest/meta-data/', 'metadata'],
    ['https://[fd00:ec2::254]/latest/meta-data/', 'metadata'],
    ['https://10.0.0.5/tools/lookup_order', 'private'],
    ['https://[::ffff:a9fe:a9fe]/', 'metadata'],
    ['https://0.0.0.0/', 'unspecified'],
  ])('refuses the address literal %s without a lookup', async (url, cls) => {
    const { resolve, calls } = resolver(['127.0.0.1']);
    const { host } = harness({ resolve });
    const result = await runHttpTool(toolCall({ url }), host);
    expect(result).toMatchObject({ outcome: 'refused-address', attempts: 0, detail: expect.stringContaining(`a ${cls} address`) });
    expect(calls).toEqual([]);
  });

  it('refuses loopback when the host does not allow it (in AWS), and allows it for a tool with allowPrivateNetwork', async () => {
    const endpoint = await startEndpoint(verifyingHandler);
    const { host } = harness({ allowLoopback: false });

    const refused = await runHttpTool(toolCall({ url: endpoint.url }), host);
    expect(refused).toMatchObject({ outcome: 'refused-address', detail: expect.stringContaining('127.0.0.1 is a loopback address') });
    const byName = await runHttpTool(toolCall({ url: `http://localhost:${endpoint.port}/tools/lookup_order` }), harness({ allowLoopback: false, resolve: resolver(['127.0.0.1']).resolve }).host);
    expect(byName).toMatchObject({ outcome: 'refused-address', detail: expect.stringContaining('localhost resolved to 127.0.0.1, a loopback address') });
    expect(endpoint.connections).toBe(0);

    const allowed = await runHttpTool(toolCall({ url: endpoint.url, allowPrivateNetwork: true }), host);
    expect(allowed).toMatchObject({ outcome: 'ok', status: 200 });
    expect(endpoint.received).toHaveLength(1);
  });

  it('sends http:// only to loopback, whatever the name resolves to', async () => {
    const { resolve } = resolver(['10.0.0.5']);
    const { host } = harness({ resolve });
    const result = await runHttpTool(toolCall({ url: 'http://localhost:8080/tools/lookup_order', allowPrivateNetwork: true }), host);
    expect(result).toMatchObject({ outcome: 'refused-address', detail: 'localhost resolved to 10.0.0.5, a private address: http:// may reach only this machine: use https://; nothing was sent' });
  });

  it.each([
    ['http://orders.example.com/lookup', 'http:// is allowed only to this machine'],
    ['ftp://orders.example.com/lookup', 'must start with https://'],
    ['https://user:pw@orders.example.com/lookup', 'must not carry a user name or password'],
    ['orders.example.com/lookup', 'is not a URL'],
  ])('refuses the url %s before any lookup', async (url, problem) => {
    const { resolve, calls } = resolver(['127.0.0.1']);
    const { host } = harness({ resolve });
    const result = await runHttpTool(toolCall({ url }), host);
    expect(result).toMatchObject({ outcome: 'bad-url', attempts: 0, detail: expect.stringContaining(problem) });
    expect(errorOf(result.output)).toBe('the lookup_order tool is not set up correctly: its address is not a usable https address');
    expect(calls).toEqual([]);
  });
});

describe('runHttpTool: secrets', () => {
  it('keeps secret values out of the output, the recorded answer, the detail and the log, even when the endpoint echoes them', async () => {
    const endpoint = await startEndpoint((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ youSent: req.headers.authorization })));
    const { host, lines } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url, record: 'full' }), host);

    expect(endpoint.received[0].headers.authorization).toBe(`Bearer ${ORDERS_TOKEN}`);
    expect(result).toMatchObject({ outcome: 'ok', output: '{"youSent":"Bearer [secret]"}', body: '{"youSent":"Bearer [secret]"}' });
    expectNoSecret(result, lines);
  });

  it.each([
    ['not set', async () => undefined, 'secret "orders-api" has no value'],
    ['empty', async () => ' \n', 'secret "orders-api" has no value'],
    ['unreadable', async () => Promise.reject(new Error('AccessDeniedException: not authorized')), 'secret "orders-api" could not be read: AccessDeniedException'],
  ])('stops at a secret that is %s, sending nothing', async (_, secret, detail) => {
    const endpoint = await startEndpoint(json(200, {}));
    const { host, lines } = harness({ secret });
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);

    expect(result).toMatchObject({ outcome: 'secret-missing', attempts: 0, detail: expect.stringContaining(detail) });
    expect(errorOf(result.output)).toBe('the lookup_order tool is not set up correctly: a secret it needs is missing');
    expect(endpoint.connections).toBe(0);
    expectNoSecret(result, lines);
  });

  it('trims a stored secret and fails, without the value, on one no header can carry', async () => {
    const endpoint = await startEndpoint((req, res) => res.writeHead(200).end(JSON.stringify({ ok: req.headers.authorization === `Bearer ${ORDERS_TOKEN}` })));
    const trimmed = await runHttpTool(toolCall({ url: endpoint.url }), harness({ secret: async () => `${ORDERS_TOKEN}\n` }).host);
    expect(trimmed).toMatchObject({ outcome: 'ok', output: '{"ok":true}' });

    const { host, lines } = harness({ secret: async () => `${ORDERS_TOKEN}\r\nX-Injected: 1` });
    const broken = await runHttpTool(toolCall({ url: endpoint.url }), host);
    expect(broken).toMatchObject({ outcome: 'bad-header', attempts: 0, detail: expect.stringContaining('header "Authorization" has a character no HTTP header may carry') });
    expect(endpoint.received).toHaveLength(1);
    expectNoSecret(broken, lines);
  });

  it('refuses to sign with a signing secret that is not whsec_ + base64, sending nothing', async () => {
    const endpoint = await startEndpoint(json(200, {}));
    const { host } = harness({ signingSecret: 'sk-proj-not-a-signing-secret' });
    const result = await runHttpTool(toolCall({ url: endpoint.url }), host);
    expect(result).toMatchObject({ outcome: 'bad-signing-secret', attempts: 0 });
    expect(JSON.stringify(result)).not.toContain('sk-proj');
    expect(endpoint.connections).toBe(0);
  });
});

describe('runHttpTool: the model’s arguments', () => {
  it('asks the model to call again when its arguments are not JSON, sending nothing', async () => {
    const endpoint = await startEndpoint(json(200, {}));
    const { host, lines } = harness();
    const result = await runHttpTool(toolCall({ url: endpoint.url, redact: ['cardNumber'] }, { rawArguments: '{"cardNumber":"4111111111111111"' }), host);

    expect(result).toMatchObject({ outcome: 'bad-arguments', attempts: 0, arguments: '[redacted]' });
    expect(errorOf(result.output)).toBe('the arguments for the lookup_order tool were not valid JSON: call it again with a JSON object');
    expect(endpoint.connections).toBe(0);
    for (const line of lines) expect(line).not.toContain('4111');
  });

  it('sends no arguments as an empty object', async () => {
    const endpoint = await startEndpoint(json(200, {}));
    await runHttpTool(toolCall({ url: endpoint.url }, { rawArguments: '' }), harness().host);
    expect(JSON.parse(endpoint.received[0].body).arguments).toEqual({});
  });
});

async function until(condition: () => boolean, withinMs = 5_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
