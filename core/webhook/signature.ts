import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { SecretProvider } from './secret-provider';

/** Why a webhook request was refused. None of them is a server fault: answer 4xx. */
export type WebhookRejection = 'missing-headers' | 'invalid-timestamp' | 'stale-timestamp' | 'future-timestamp' | 'bad-signature';

/** The request is not a genuine, fresh webhook from OpenAI. */
export class WebhookSignatureError extends Error {
  constructor(
    readonly reason: WebhookRejection,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/** The configured signing secret is unusable: a deployment error that no request can fix. */
export class WebhookSecretFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSecretFormatError';
  }
}

const DEFAULT_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = 'whsec_';

/**
 * Verifies a Standard Webhooks signature (what OpenAI signs webhooks with) against an injected
 * clock. Throws WebhookSignatureError / WebhookSecretFormatError; returns nothing on success.
 */
export function verifyWebhookSignature(args: {
  /** Exactly the bytes received: re-serialised JSON no longer matches the signature. */
  rawBody: string;
  /** In any letter case: webhook-id, webhook-timestamp, webhook-signature. */
  headers: Record<string, string | undefined>;
  /** The full 'whsec_<base64>' string shown by OpenAI. */
  secret: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}): void {
  const { rawBody, headers, secret, nowSeconds, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = args;
  // The secret first: a misconfigured deployment should say so on every request, whatever it carries.
  const key = signingKey(secret);

  const id = headerValue(headers, 'webhook-id');
  const timestamp = headerValue(headers, 'webhook-timestamp');
  const signatures = headerValue(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    const missing = [['webhook-id', id], ['webhook-timestamp', timestamp], ['webhook-signature', signatures]]
      .filter(([, value]) => !value)
      .map(([name]) => name);
    throw new WebhookSignatureError('missing-headers', `webhook request is missing the ${missing.join(', ')} header(s)`);
  }

  checkTimestamp(timestamp, nowSeconds, toleranceSeconds);

  // Signed over the header strings as received, not as re-formatted numbers.
  const expected = Buffer.from(signatureOf(key, id, timestamp, rawBody));
  if (!v1Signatures(signatures).some((signature) => sameBytes(Buffer.from(signature), expected))) {
    throw new WebhookSignatureError(
      'bad-signature',
      'webhook signature does not match: the body was altered, or it was signed with another secret',
    );
  }
}

/**
 * The `webhook-signature` value for a Standard Webhooks delivery: `v1,` + base64 HMAC-SHA256 of
 * `id.timestamp.body`, keyed by the base64 after `whsec_`. What Switchboard signs with (tool calls,
 * and whatever else it sends to the user's systems) and what the emulator signs OpenAI's webhooks
 * with; the verifier above checks the same bytes. Throws WebhookSecretFormatError for a secret
 * without `whsec_` or with a part that is not base64.
 */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${signatureOf(signingKey(secret), id, String(timestampSeconds), body)}`;
}

function signatureOf(key: Buffer, id: string, timestamp: string, body: string): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/**
 * A signing secret of its own for `purpose`, derived from `secret` with HKDF-SHA256. Who holds the
 * derived secret can verify what Switchboard signs with it, and cannot work back to `secret`: a
 * user's endpoint trusted with it cannot forge what `secret` signs (OpenAI's webhooks). Throws
 * WebhookSecretFormatError as signing would.
 */
export function deriveSigningSecret(secret: string, purpose: string): string {
  return SECRET_PREFIX + Buffer.from(hkdfSync('sha256', signingKey(secret), Buffer.alloc(0), `switchboard ${purpose}`, 32)).toString('base64');
}

/** Throws WebhookSecretFormatError, saying what is wrong, unless `secret` is a signing secret as OpenAI shows it. */
export function checkWebhookSecretFormat(secret: string): void {
  signingKey(secret);
}

/**
 * The HMAC key: the base64 after `whsec_`. An unprefixed secret is refused rather than guessed:
 * the openai SDK would use it as raw UTF-8 bytes, Standard Webhooks libraries would base64-decode
 * it, and only one of the two can be right.
 */
function signingKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new WebhookSecretFormatError(
      'the webhook signing secret must be the full "whsec_..." string shown by OpenAI when the webhook was created; ' +
        'store it again including the "whsec_" prefix',
    );
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new WebhookSecretFormatError(
      'the webhook signing secret is not valid: after "whsec_" it must be base64; ' +
        'store the secret exactly as OpenAI showed it, without spaces, quotes or line breaks',
    );
  }
  return Buffer.from(encoded, 'base64');
}

/** A header by its lower-case name, in any letter case (API Gateway lowercases, others need not). */
export function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value) return value;
  }
  return undefined;
}

function checkTimestamp(timestamp: string, nowSeconds: number, toleranceSeconds: number): void {
  if (!/^\d{1,15}$/.test(timestamp)) {
    throw new WebhookSignatureError('invalid-timestamp', `webhook-timestamp ${JSON.stringify(timestamp.slice(0, 40))} is not an integer of unix seconds`);
  }
  const age = nowSeconds - Number(timestamp);
  if (age > toleranceSeconds) {
    throw new WebhookSignatureError('stale-timestamp', `webhook-timestamp is ${age} s old (tolerance ${toleranceSeconds} s)`);
  }
  if (-age > toleranceSeconds) {
    throw new WebhookSignatureError(
      'future-timestamp',
      `webhook-timestamp is ${-age} s in the future (tolerance ${toleranceSeconds} s): is this host's clock right?`,
    );
  }
}

/** The `v1` signatures of a `webhook-signature` header (`v1,<base64> v1,<base64>`); other versions are ignored. */
function v1Signatures(header: string): string[] {
  return header
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => entry.slice('v1,'.length));
}

/** Constant time for equal lengths; timingSafeEqual throws on unequal lengths, so check that first. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies with the cached secret; on a bad signature re-reads the secret once and tries again
 * (rotation). A malformed secret is re-read too, so storing the corrected value takes effect
 * without a restart. Other rejections (headers, timestamp) do not depend on the secret.
 */
export async function verifyWithSecretProvider(args: {
  rawBody: string;
  headers: Record<string, string | undefined>;
  secrets: SecretProvider;
  nowSeconds: number;
}): Promise<void> {
  const { secrets, ...request } = args;
  try {
    verifyWebhookSignature({ ...request, secret: await secrets.get() });
  } catch (error) {
    if (!dependsOnSecret(error)) throw error;
    verifyWebhookSignature({ ...request, secret: await secrets.refresh() });
  }
}

function dependsOnSecret(error: unknown): boolean {
  return (error instanceof WebhookSignatureError && error.reason === 'bad-signature') || error instanceof WebhookSecretFormatError;
}
