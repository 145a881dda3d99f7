import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNumberConfig } from '../../core/numbers/config';
import { MAX_WEBHOOK_BODY_BYTES } from '../../core/webhook/handle-webhook';
import { startHttpHost } from '../../local/http-host';
import { signWebhook } from '../../local/openai-emulator';
import { startCli } from '../support/cli';
import { API_KEY, freePort, startLocalStack, WEBHOOK_SECRET, type LocalStack } from '../support/local-stack';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));

function signed(body: string, webhookId = `wh_${Math.random().toString(16).slice(2)}`): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return { 'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(WEBHOOK_SECRET, webhookId, timestamp, body) };
}

const incoming = (data: unknown) => JSON.stringify({ object: 'event', id: 'evt_1', type: 'realtime.call.incoming', created_at: 1, data });

/** Sends raw bytes and resolves with what the server answered (or '' when it closed without answering). */
function rawRequest(port: number, text: string, opts: { endAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(text);
    if (opts.endAfterMs !== undefined) setTimeout(() => socket.destroy(), opts.endAfterMs);
  });
}

describe('the local webhook host against payloads no retry can fix and misbehaving clients', () => {
  let local: LocalStack;
  beforeEach(async () => {
    local = await startLocalStack();
    await local.stack.numbers.put(parseNumberConfig(example));
  });
  afterEach(() => local.close());

  it.each<[string, string, string]>([
    ['a signed body of null', 'null', 'body-not-an-event'],
    ['a signed JSON array', '[1,2]', 'body-not-an-event'],
    ['a SIP header whose value is not a string', incoming({ call_id: 'rtc_badheader', sip_headers: [{ name: 'From', value: 42 }] }), 'invalid-sip-headers'],
    ['a SIP header whose name is not a string', incoming({ call_id: 'rtc_badname', sip_headers: [{ name: null, value: 'x' }] }), 'invalid-sip-headers'],
    ['a SIP header list of strings', incoming({ call_id: 'rtc_strings', sip_headers: ['From: x'] }), 'invalid-sip-headers'],
    ['a call id that walks the call-control path', incoming({ call_id: '../../v1/realtime/calls/rtc_other/hangup', sip_headers: [] }), 'invalid-call-id'],
    ['a call id too long for a DynamoDB key', incoming({ call_id: `rtc_${'a'.repeat(3000)}`, sip_headers: [] }), 'invalid-call-id'],
    ['a call id that is not a string', incoming({ call_id: 7, sip_headers: [] }), 'invalid-call-id'],
  ])('answers 400 to %s: stored nothing, sent nothing to OpenAI', async (_, body, reason) => {
    const response = await fetch(local.stack.webhookUrl, { method: 'POST', headers: signed(body), body });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ result: 'bad-request', reason });
    expect(local.webhooks).toEqual([expect.objectContaining({ result: 'bad-request', status: 400, reason })]);
    const page = await local.stack.calls.list({ limit: 10 });
    expect(page.calls).toEqual([]);
  });

  it('reads a 200 KB From header of "<" in linear time and still answers the call', async () => {
    const callId = 'rtc_longfrom';
    const headers = [{ name: 'From', value: '<'.repeat(200_000) }, { name: 'x-number', value: '17134810111' }];
    const { firstAttempts } = await local.emulator.placeCall({ callId, dialed: '17134810111', caller: 'anonymous', sipHeaders: headers });
    expect(firstAttempts.map((a) => a.status)).toEqual([200]);
    expect(await local.stack.calls.get(callId)).toMatchObject({ outcome: 'active', caller: 'anonymous' });
  }, 5000); // the quadratic regex took about 13 s on this header

  it('refuses a body over the cap with 413 from its declared length, before reading it', async () => {
    const size = MAX_WEBHOOK_BODY_BYTES + 1;
    const answer = await rawRequest(Number(new URL(local.stack.url).port), `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n{"a":`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('refuses a chunked body once it grows past the cap', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const chunks = Array.from({ length: 5 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const answer = await rawRequest(Number(new URL(local.stack.url).port), `POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });
});

describe('the local HTTP host', () => {
  it('answers 408 and closes a request whose body stops arriving, once the request timeout passes', async () => {
    const host = await startHttpHost({ 'POST /echo': async (_, body) => ({ status: 200, body }) }, { maxBodyBytes: 1024, requestTimeoutMs: 300 });
    try {
      const answer = await rawRequest(host.port, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part');
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(await (await fetch(`${host.url}/echo`, { method: 'POST', body: 'whole' })).text()).toBe('whole');
    } finally {
      await host.close();
    }
  });
});

describe('`switchboard dev` against clients that misbehave', () => {
  it('survives a client that disconnects mid-body', async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-host-'));
    const dev = await startCli(['dev', '--port', String(port), '--dynamodb-port', '0', '--data-dir', dataDir], /switchboard dev: webhook/, {
      OPENAI_API_KEY: API_KEY,
      OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET,
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    try {
      const head = 'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":';
      expect(await rawRequest(port, head, { endAfterMs: 100 })).toBe('');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      expect(await dev.stop()).toBe(0);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
