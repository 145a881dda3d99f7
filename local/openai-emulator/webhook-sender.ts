/** Delivers webhooks the way OpenAI does: Standard Webhooks signatures, retries on a schedule. */
import * as http from 'node:http';
import * as https from 'node:https';
import { signStandardWebhook } from '../../core/webhook/signature';
import type { WebhookAttempt } from './calls';
import type { Timers } from './timers';

/** Signs as OpenAI does, with the one Standard Webhooks signer Switchboard itself sends with. */
export const signWebhook = signStandardWebhook;

/** Delays between attempts: the Standard Webhooks schedule, stretched to OpenAI's "up to 72 hours". */
export const OPENAI_RETRY_SCHEDULE_MS = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000, 36_000, 36_000, 36_000, 36_000].map((s) => s * 1000);

const USER_AGENT = 'OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)';

const succeeded = (attempt: WebhookAttempt): boolean => attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;

export class WebhookSender {
  private readonly inFlight = new Set<http.ClientRequest>();
  private closed = false;

  constructor(
    private readonly target: { url: string; secret: string },
    private readonly retryScheduleMs: readonly number[],
    private readonly timeoutMs: number,
    private readonly timers: Timers,
  ) {}

  /** Delivers one copy: resolves with its first attempt and keeps retrying in the background. */
  deliver(webhookId: string, body: string, record: (attempt: WebhookAttempt) => void): Promise<WebhookAttempt> {
    return this.attempt(webhookId, body, 1, record);
  }

  /** Stops retries and abandons deliveries in flight. */
  close(): void {
    this.closed = true;
    for (const req of this.inFlight) req.destroy();
  }

  private async attempt(webhookId: string, body: string, attempt: number, record: (attempt: WebhookAttempt) => void): Promise<WebhookAttempt> {
    const made = await this.post(webhookId, body, attempt);
    if (this.closed) return made;
    record(made);
    const delay = this.retryScheduleMs[attempt - 1];
    if (!succeeded(made) && delay !== undefined) {
      this.timers.after(delay, () => void this.attempt(webhookId, body, attempt + 1, record));
    }
    return made;
  }

  private post(webhookId: string, body: string, attempt: number): Promise<WebhookAttempt> {
    const at = Date.now();
    const timestamp = Math.floor(at / 1000);
    const url = new URL(this.target.url);
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': USER_AGENT,
      'webhook-id': webhookId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(this.target.secret, webhookId, timestamp, body),
    };
    return new Promise((resolve) => {
      let resolved = false;
      const resolveWith = (result: { status: number } | { error: string }) => {
        if (resolved) return;
        resolved = true;
        clearTimeout(timeout);
        this.inFlight.delete(req);
        resolve({ webhookId, attempt, ...result, at });
      };
      // A fresh connection per attempt (agent: false): no pooled socket can be half-closed under us.
      const send = url.protocol === 'https:' ? https.request : http.request;
      const req = send(url, { method: 'POST', headers, agent: false }, (res) => {
        res.resume();
        resolveWith({ status: res.statusCode ?? 0 });
      });
      const timeout = setTimeout(() => {
        resolveWith({ error: `no answer within ${this.timeoutMs} ms` });
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (error) => resolveWith({ error: error.message }));
      this.inFlight.add(req);
      req.end(body);
    });
  }
}
