import { createHmac } from 'node:crypto';
import { cachedSecret } from '../../core/webhook/secret-provider';
import {
  verifyWebhookSignature,
  verifyWithSecretProvider,
  WebhookSecretFormatError,
  WebhookSignatureError,
  type WebhookRejection,
} from '../../core/webhook/signature';

/** Known-answer vectors from the Realtime SIP reference (section 2): Standard Webhooks' shared vector, then the openai SDK's. */
const VECTORS = [
  {
    name: 'Standard Webhooks vector',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
  {
    name: 'openai SDK vector',
    secret: 'whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=',
    id: 'wh_685c059ae39c8190af8c71ed1022a24d',
    timestamp: 1750861210,
    body: '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}',
    signature: 'v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=',
  },
];

const [SW, OPENAI] = VECTORS;
const OTHER_SECRET = 'whsec_' + Buffer.from('another secret, another webhook').toString('base64');

function sign(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/** The Standard Webhooks vector as a request, with mixed-case header names as some proxies send them. */
function request(overrides: {
  headers?: Record<string, string | undefined>;
  rawBody?: string;
  secret?: string;
  nowSeconds?: number;
  toleranceSeconds?: number;
} = {}) {
  return {
    rawBody: SW.body,
    secret: SW.secret,
    nowSeconds: SW.timestamp,
    ...overrides,
    headers: {
      'Webhook-Id': SW.id,
      'Webhook-Timestamp': String(SW.timestamp),
      'Webhook-Signature': SW.signature,
      ...overrides.headers,
    },
  };
}

function rejection(run: () => void): WebhookRejection | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.reason;
    throw error;
  }
}

describe('verifyWebhookSignature', () => {
  it.each(VECTORS)('accepts the $name (lower-case headers)', (vector) => {
    expect(() =>
      verifyWebhookSignature({
        rawBody: vector.body,
        headers: {
          'webhook-id': vector.id,
          'webhook-timestamp': String(vector.timestamp),
          'webhook-signature': vector.signature,
        },
        secret: vector.secret,
        nowSeconds: vector.timestamp,
      }),
    ).not.toThrow();
  });

  it('accepts the openai SDK vector with upper-case headers', () => {
    expect(() =>
      verifyWebhookSignature({
        rawBody: OPENAI.body,
        headers: {
          'WEBHOOK-ID': OPENAI.id,
          'WEBHOOK-TIMESTAMP': String(OPENAI.timestamp),
          'WEBHOOK-SIGNATURE': OPENAI.signature,
        },
        secret: OPENAI.secret,
        nowSeconds: OPENAI.timestamp + 10,
      }),
    ).not.toThrow();
  });

  const tamperedSignature = 'v1,' + Buffer.alloc(32, 7).toString('base64');
  const oldSecretSignature = sign(OTHER_SECRET, SW.id, String(SW.timestamp), SW.body);
  const reserialised = JSON.stringify(JSON.parse(SW.body)); // '{"test":2432232314}': same JSON, other bytes

  it.each<[string, WebhookRejection | 'accepted', Parameters<typeof request>[0]]>([
    ['mixed-case headers', 'accepted', {}],
    ['rotation: the old secret\'s signature, then the valid one', 'accepted', { headers: { 'Webhook-Signature': `${oldSecretSignature} ${SW.signature}` } }],
    ['rotation: the valid one first', 'accepted', { headers: { 'Webhook-Signature': `${SW.signature} ${oldSecretSignature}` } }],
    ['a v2 entry beside the valid v1', 'accepted', { headers: { 'Webhook-Signature': `v2,abc ${SW.signature}` } }],
    ['just inside the tolerance, old', 'accepted', { nowSeconds: SW.timestamp + 300 }],
    ['just inside the tolerance, ahead', 'accepted', { nowSeconds: SW.timestamp - 300 }],
    ['a custom tolerance', 'accepted', { nowSeconds: SW.timestamp + 600, toleranceSeconds: 600 }],
    ['one second too old', 'stale-timestamp', { nowSeconds: SW.timestamp + 301 }],
    ['an hour old', 'stale-timestamp', { nowSeconds: SW.timestamp + 3600 }],
    ['one second too far ahead', 'future-timestamp', { nowSeconds: SW.timestamp - 301 }],
    ['a re-serialised body', 'bad-signature', { rawBody: reserialised }],
    ['a body with a trailing newline', 'bad-signature', { rawBody: SW.body + '\n' }],
    ['another secret', 'bad-signature', { secret: OTHER_SECRET }],
    ['another webhook-id', 'bad-signature', { headers: { 'Webhook-Id': 'msg_other' } }],
    ['a tampered signature', 'bad-signature', { headers: { 'Webhook-Signature': tamperedSignature } }],
    ['only a v2 signature', 'bad-signature', { headers: { 'Webhook-Signature': SW.signature.replace('v1,', 'v2,') } }],
    ['a signature of the wrong length', 'bad-signature', { headers: { 'Webhook-Signature': 'v1,abc' } }],
    ['an empty v1 signature', 'bad-signature', { headers: { 'Webhook-Signature': 'v1,' } }],
    ['a signature without version', 'bad-signature', { headers: { 'Webhook-Signature': SW.signature.slice('v1,'.length) } }],
    ['no webhook-id', 'missing-headers', { headers: { 'Webhook-Id': undefined } }],
    ['an empty webhook-timestamp', 'missing-headers', { headers: { 'Webhook-Timestamp': '' } }],
    ['no webhook-signature', 'missing-headers', { headers: { 'Webhook-Signature': undefined } }],
    ['a timestamp in milliseconds', 'future-timestamp', { headers: { 'Webhook-Timestamp': `${SW.timestamp}000` } }],
    ['a non-numeric timestamp', 'invalid-timestamp', { headers: { 'Webhook-Timestamp': 'yesterday' } }],
    ['a fractional timestamp', 'invalid-timestamp', { headers: { 'Webhook-Timestamp': `${SW.timestamp}.5` } }],
    ['a negative timestamp', 'invalid-timestamp', { headers: { 'Webhook-Timestamp': `-${SW.timestamp}` } }],
    ['a 20-digit timestamp', 'invalid-timestamp', { headers: { 'Webhook-Timestamp': '9'.repeat(20) } }],
  ])('%s -> %s', (_, outcome, overrides) => {
    expect(rejection(() => verifyWebhookSignature(request(overrides)))).toBe(outcome);
  });

  it('signs the timestamp as received: a leading zero is part of the signed content', () => {
    const timestamp = `0${SW.timestamp}`;
    const headers = { 'webhook-id': SW.id, 'webhook-timestamp': timestamp, 'webhook-signature': sign(SW.secret, SW.id, timestamp, SW.body) };
    expect(() => verifyWebhookSignature({ rawBody: SW.body, headers, secret: SW.secret, nowSeconds: SW.timestamp })).not.toThrow();
  });

  it('names the missing headers', () => {
    expect(() => verifyWebhookSignature(request({ headers: { 'Webhook-Id': undefined, 'Webhook-Signature': undefined } }))).toThrow(
      'webhook request is missing the webhook-id, webhook-signature header(s)',
    );
  });

  it.each([
    ['without the whsec_ prefix', SW.secret.slice('whsec_'.length), /full "whsec_\.\.\." string shown by OpenAI/],
    ['with a trailing newline', `${SW.secret}\n`, /must be base64/],
    ['in quotes', `"${SW.secret}"`, /full "whsec_\.\.\." string/],
    ['with nothing after the prefix', 'whsec_', /must be base64/],
  ])('refuses a secret %s as a configuration error', (_, secret, message) => {
    const verify = () => verifyWebhookSignature(request({ secret }));
    expect(verify).toThrow(WebhookSecretFormatError);
    expect(verify).toThrow(message);
  });

  it('reports a bad secret before looking at the request', () => {
    expect(() => verifyWebhookSignature(request({ secret: 'sk-not-a-webhook-secret', headers: { 'Webhook-Id': undefined } }))).toThrow(
      WebhookSecretFormatError,
    );
  });

  it('never puts the secret in an error message', () => {
    const secret = SW.secret.slice('whsec_'.length);
    expect(() => verifyWebhookSignature(request({ secret }))).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
  });
});

const OLD_SECRET = 'whsec_' + Buffer.from('the secret before rotation').toString('base64');
const NEW_SECRET = 'whsec_' + Buffer.from('the secret after rotation').toString('base64');
const FORGER_SECRET = 'whsec_' + Buffer.from('a secret OpenAI never issued').toString('base64');
const NOW = 1759480406;
const BODY = '{"object":"event","id":"evt_1","type":"realtime.call.incoming","created_at":1759480405,"data":{"call_id":"rtc_1","sip_headers":[]}}';

function webhook(secret: string, id = 'wh_1', timestamp = NOW) {
  return {
    rawBody: BODY,
    headers: { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(secret, id, String(timestamp), BODY) },
  };
}

/** Answers `first` on the first load and `then` on every later one, counting loads. */
function rotatingLoader(first: string, then: string) {
  let calls = 0;
  return jest.fn(async () => (++calls === 1 ? first : then));
}

describe('verifyWithSecretProvider', () => {
  it('verifies a webhook signed with a rotated secret by re-reading it once', async () => {
    const load = rotatingLoader(OLD_SECRET, NEW_SECRET);
    const secrets = cachedSecret(load);
    await expect(verifyWithSecretProvider({ ...webhook(NEW_SECRET), secrets, nowSeconds: NOW })).resolves.toBeUndefined();
    expect(load).toHaveBeenCalledTimes(2);

    // The new secret is cached from then on.
    await verifyWithSecretProvider({ ...webhook(NEW_SECRET, 'wh_2'), secrets, nowSeconds: NOW });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('verifies with the cached secret without re-reading it', async () => {
    const load = rotatingLoader(OLD_SECRET, NEW_SECRET);
    const secrets = cachedSecret(load);
    await verifyWithSecretProvider({ ...webhook(OLD_SECRET), secrets, nowSeconds: NOW });
    await verifyWithSecretProvider({ ...webhook(OLD_SECRET, 'wh_2'), secrets, nowSeconds: NOW });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('re-reads at most once per forged webhook, then rejects it', async () => {
    const load = rotatingLoader(OLD_SECRET, NEW_SECRET);
    const secrets = cachedSecret(load);
    for (const [calls, id] of [[2, 'wh_1'], [3, 'wh_2'], [4, 'wh_3']] as const) {
      const error = await verifyWithSecretProvider({ ...webhook(FORGER_SECRET, id), secrets, nowSeconds: NOW }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebhookSignatureError);
      expect(error).toMatchObject({ reason: 'bad-signature' });
      expect(load).toHaveBeenCalledTimes(calls);
    }
  });

  it.each([
    ['a stale timestamp', { ...webhook(NEW_SECRET, 'wh_1', NOW - 3600) }, 'stale-timestamp'],
    ['missing headers', { rawBody: BODY, headers: {} }, 'missing-headers'],
  ])('does not re-read the secret for %s', async (_, request, reason) => {
    const load = rotatingLoader(OLD_SECRET, NEW_SECRET);
    await expect(verifyWithSecretProvider({ ...request, secrets: cachedSecret(load), nowSeconds: NOW })).rejects.toMatchObject({ reason });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('re-reads a malformed secret, so storing the corrected one needs no restart', async () => {
    const unprefixed = NEW_SECRET.slice('whsec_'.length);
    const load = rotatingLoader(unprefixed, NEW_SECRET);
    await verifyWithSecretProvider({ ...webhook(NEW_SECRET), secrets: cachedSecret(load), nowSeconds: NOW });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('reports a secret that is still malformed after the re-read', async () => {
    const unprefixed = NEW_SECRET.slice('whsec_'.length);
    const secrets = cachedSecret(rotatingLoader(unprefixed, unprefixed));
    await expect(verifyWithSecretProvider({ ...webhook(NEW_SECRET), secrets, nowSeconds: NOW })).rejects.toThrow(WebhookSecretFormatError);
  });

  it('passes a failure to load the secret through', async () => {
    const secrets = cachedSecret(() => Promise.reject(new Error('AccessDeniedException')));
    await expect(verifyWithSecretProvider({ ...webhook(NEW_SECRET), secrets, nowSeconds: NOW })).rejects.toThrow('AccessDeniedException');
  });
});
