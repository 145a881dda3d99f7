/**
 * Delivery of finished calls to the business (the number's `notify` endpoint): which event a
 * record's ending is, what the endpoint receives, and what to do after each attempt. Pure, so
 * the rules are tested in one place; core/delivery/deliver-call.ts does the I/O.
 */
import type { CallRecord, Outcome } from '../calls/record';

export const DELIVERY_EVENTS = ['call.ended', 'call.rejected', 'call.missed'] as const;
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number];

/** The version of the body's shape (docs/deliveries.md); a change a receiver could trip on makes a new one. */
export const DELIVERY_BODY_VERSION = 1;

/** One attempt to deliver, as the call's record keeps it (`calls show` prints them). */
export interface DeliveryAttempt {
  event: DeliveryEvent;
  /** 1 for the first attempt of this delivery (a redelivery counts afresh). */
  attempt: number;
  at: string;
  outcome: 'delivered' | 'will-retry' | 'gave-up';
  /** The endpoint's HTTP status, when it answered. */
  status?: number;
  /** What went wrong, in words: never a secret. */
  error?: string;
  durationMs: number;
  /** When the next attempt is due (`will-retry`). */
  retryAt?: string;
  /** Asked for with `switchboard calls redeliver`. */
  redelivery?: true;
}

/** The event a record that has just closed is, by its outcome; undefined while the call is not over. */
export function eventOfOutcome(outcome: Outcome | string | undefined): DeliveryEvent | undefined {
  switch (outcome) {
    case 'completed':
    case 'transferred':
    case 'failed':
      return 'call.ended';
    case 'rejected':
      return 'call.rejected';
    case 'missed':
      return 'call.missed';
    default:
      return undefined;
  }
}

/**
 * The Standard Webhooks `webhook-id`: the same for every attempt of a call's event (a redelivery
 * included), so a receiver that has it already can drop the repeat.
 */
export function deliveryId(callId: string, event: DeliveryEvent): string {
  return `${callId}.${event}`;
}

/** What the endpoint receives: Standard Webhooks' `{ type, timestamp, data }`, `data` the call as `calls show --json` prints it. */
export function deliveryBody(event: DeliveryEvent, record: CallRecord, timestamp: string): string {
  const { deliveries: _deliveries, ...call } = record;
  return JSON.stringify({ type: event, timestamp, version: DELIVERY_BODY_VERSION, data: call });
}

/**
 * The wait before each retry, in seconds: quick at first (an endpoint restarting), then longer,
 * adding up to a little over 24 hours across 16 attempts. No wait is over SQS's 12-hour bound on
 * a message's visibility.
 */
export const RETRY_SCHEDULE_SECONDS = [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 21600, 21600, 21600] as const;
export const MAX_DELIVERY_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length + 1;
const MAX_WAIT_SECONDS = 12 * 3600;

/** How one attempt ended, as the sender saw it. */
export type AttemptResult =
  | { kind: 'answered'; status: number; retryAfter?: string }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; detail: string }
  /** The request could not be made (a refused address, a bad url): no retry can change that. */
  | { kind: 'refused'; detail: string };

export type AfterAttempt = { kind: 'delivered' } | { kind: 'retry'; delaySeconds: number; error: string } | { kind: 'give-up'; error: string };

/**
 * After attempt `attempt` (1-based): delivered on 2xx; retried on a timeout, a connection that
 * failed, 5xx, 408 and 429 (after `Retry-After` when the endpoint gives one and it is longer than
 * the schedule's wait); given up on any other status, on a request that could not be made, and
 * after the last attempt. `scale` shortens the schedule (local testing).
 */
export function afterAttempt(result: AttemptResult, attempt: number, now: number, scale = 1): AfterAttempt {
  let error: string;
  let retryAfterSeconds = 0;
  switch (result.kind) {
    case 'answered':
      if (result.status >= 200 && result.status < 300) return { kind: 'delivered' };
      error = `the endpoint answered ${result.status}`;
      if (result.status !== 408 && result.status !== 429 && result.status < 500) return { kind: 'give-up', error: `${error}; not retried (only timeouts, 408, 429 and 5xx are)` };
      retryAfterSeconds = parseRetryAfter(result.retryAfter, now) ?? 0;
      break;
    case 'timeout':
      error = 'no answer in time';
      break;
    case 'unreachable':
      error = result.detail;
      break;
    case 'refused':
      return { kind: 'give-up', error: result.detail };
  }
  if (attempt >= MAX_DELIVERY_ATTEMPTS) return { kind: 'give-up', error: `${error}; gave up after ${attempt} attempts` };
  const scheduled = RETRY_SCHEDULE_SECONDS[attempt - 1] * scale;
  return { kind: 'retry', delaySeconds: Math.min(Math.max(scheduled, retryAfterSeconds), MAX_WAIT_SECONDS), error };
}

/** `Retry-After` as seconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Whether the record shows this event delivered already (a repeat of the message is then dropped). */
export function alreadyDelivered(record: Pick<CallRecord, 'deliveries'>, event: DeliveryEvent): boolean {
  return (record.deliveries ?? []).some((a) => a.event === event && a.outcome === 'delivered');
}
