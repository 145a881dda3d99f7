import { Webhook } from 'standardwebhooks';
import { signStandardWebhook, verifyWebhookSignature, WebhookSecretFormatError } from '../../core/webhook/signature';

/** The signer tool calls are sent with, checked against known answers and the standardwebhooks package. */
describe('signStandardWebhook', () => {
  it.each([
    ['Standard Webhooks vector', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}', 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='],
    [
      'openai SDK vector',
      'whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=',
      'wh_685c059ae39c8190af8c71ed1022a24d',
      1750861210,
      '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}',
      'v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=',
    ],
  ])('signs the %s', (_, secret, id, timestamp, body, signature) => {
    expect(signStandardWebhook(secret, id, timestamp, body)).toBe(signature);
  });

  const secret = `whsec_${Buffer.from('a tool signing key, 32 bytes long').toString('base64')}`;
  const body = JSON.stringify({ tool: 'lookup_order', arguments: { orderId: 'A-1001', note: 'café ☕' } });

  it('signs as the standardwebhooks package does, and the package verifies it', () => {
    const timestamp = 1_767_225_600;
    const signature = signStandardWebhook(secret, 'call_7Hq2a9', timestamp, body);
    expect(signature).toBe(new Webhook(secret).sign('call_7Hq2a9', new Date(timestamp * 1000), body));
    const now = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'call_7Hq2a9', 'webhook-timestamp': String(now), 'webhook-signature': signStandardWebhook(secret, 'call_7Hq2a9', now, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("is what Switchboard's verifier accepts", () => {
    const headers = { 'webhook-id': 'call_1', 'webhook-timestamp': '1767225600', 'webhook-signature': signStandardWebhook(secret, 'call_1', 1_767_225_600, body) };
    expect(() => verifyWebhookSignature({ rawBody: body, headers, secret, nowSeconds: 1_767_225_600 })).not.toThrow();
  });

  it.each([
    ['without the whsec_ prefix', Buffer.from('key').toString('base64')],
    ['with a part that is not base64', 'whsec_not base64!'],
  ])('refuses a secret %s', (_, bad) => {
    expect(() => signStandardWebhook(bad, 'call_1', 1, body)).toThrow(WebhookSecretFormatError);
  });
});
