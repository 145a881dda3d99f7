import type { CallRecord } from '../../core/calls/record';
import { readDeliveryMessage } from '../../core/delivery/deliver-call';
import {
  afterAttempt,
  alreadyDelivered,
  deliveryBody,
  deliveryId,
  eventOfOutcome,
  MAX_DELIVERY_ATTEMPTS,
  parseRetryAfter,
  RETRY_SCHEDULE_SECONDS,
} from '../../core/delivery/delivery-plan';
import { checkNumberConfig, parseNumberConfig } from '../../core/numbers/config';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('which event a closed record is', () => {
  it.each([
    ['completed', 'call.ended'],
    ['transferred', 'call.ended'],
    ['failed', 'call.ended'],
    ['rejected', 'call.rejected'],
    ['missed', 'call.missed'],
    ['active', undefined],
    ['pending', undefined],
  ])('%s -> %s', (outcome, event) => {
    expect(eventOfOutcome(outcome)).toBe(event);
  });
});

describe('what to do after an attempt', () => {
  it('is done on 2xx', () => {
    expect(afterAttempt({ kind: 'answered', status: 204 }, 1, NOW)).toEqual({ kind: 'delivered' });
  });
  it.each([500, 502, 503, 408, 429])('retries %s on the schedule', (status) => {
    expect(afterAttempt({ kind: 'answered', status }, 1, NOW)).toEqual({ kind: 'retry', delaySeconds: 30, error: `the endpoint answered ${status}` });
    expect(afterAttempt({ kind: 'answered', status }, 5, NOW)).toMatchObject({ kind: 'retry', delaySeconds: 600 });
  });
  it.each([400, 401, 403, 404, 410, 422])('never retries %s', (status) => {
    expect(afterAttempt({ kind: 'answered', status }, 1, NOW)).toEqual({ kind: 'give-up', error: `the endpoint answered ${status}; not retried (only timeouts, 408, 429 and 5xx are)` });
  });
  it('retries timeouts and connections that failed', () => {
    expect(afterAttempt({ kind: 'timeout' }, 1, NOW)).toMatchObject({ kind: 'retry', error: 'no answer in time' });
    expect(afterAttempt({ kind: 'unreachable', detail: 'ECONNREFUSED: connect' }, 2, NOW)).toMatchObject({ kind: 'retry', delaySeconds: 60, error: 'ECONNREFUSED: connect' });
  });
  it('gives up on a request that cannot be made', () => {
    expect(afterAttempt({ kind: 'refused', detail: '10.0.0.5 is a private address' }, 1, NOW)).toEqual({ kind: 'give-up', error: '10.0.0.5 is a private address' });
  });
  it('honours a Retry-After longer than the schedule, in seconds or as a date, and at most 12 hours', () => {
    expect(afterAttempt({ kind: 'answered', status: 429, retryAfter: '120' }, 1, NOW)).toMatchObject({ delaySeconds: 120 });
    expect(afterAttempt({ kind: 'answered', status: 503, retryAfter: 'Tue, 01 Dec 2026 12:05:00 GMT' }, 1, NOW)).toMatchObject({ delaySeconds: 300 });
    expect(afterAttempt({ kind: 'answered', status: 429, retryAfter: '5' }, 1, NOW)).toMatchObject({ delaySeconds: 30 });
    expect(afterAttempt({ kind: 'answered', status: 429, retryAfter: '999999' }, 1, NOW)).toMatchObject({ delaySeconds: 12 * 3600 });
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
  it('keeps trying for at least 24 hours, then gives up', () => {
    const waited = RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(24 * 3600);
    expect(afterAttempt({ kind: 'timeout' }, MAX_DELIVERY_ATTEMPTS - 1, NOW)).toMatchObject({ kind: 'retry' });
    expect(afterAttempt({ kind: 'timeout' }, MAX_DELIVERY_ATTEMPTS, NOW)).toEqual({ kind: 'give-up', error: `no answer in time; gave up after ${MAX_DELIVERY_ATTEMPTS} attempts` });
  });
  it('shortens the schedule by a scale (local testing)', () => {
    expect(afterAttempt({ kind: 'timeout' }, 1, NOW, 0.01)).toMatchObject({ delaySeconds: 0.3 });
  });
});

describe('the body and its id', () => {
  const record: CallRecord = {
    callId: 'rtc_1',
    number: '+17134810111',
    caller: '+14067704205',
    startedAt: '2026-12-01T11:59:00.000Z',
    outcome: 'completed',
    transcript: [],
    actions: [],
    usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
    deliveries: [{ event: 'call.ended', attempt: 1, at: '2026-12-01T12:00:00.000Z', outcome: 'will-retry', durationMs: 5 }],
  };
  it('is Standard Webhooks\' { type, timestamp, data }, versioned, without the attempts (they change on every attempt)', () => {
    const body = JSON.parse(deliveryBody('call.ended', record, '2026-12-01T12:00:01.000Z'));
    expect(body).toEqual({ type: 'call.ended', timestamp: '2026-12-01T12:00:01.000Z', version: 1, data: { ...record, deliveries: undefined } });
    expect(body.data).not.toHaveProperty('deliveries');
  });
  it('has a webhook-id stable per call and event', () => {
    expect(deliveryId('rtc_1', 'call.ended')).toBe('rtc_1.call.ended');
  });
  it('knows a delivered event', () => {
    expect(alreadyDelivered(record, 'call.ended')).toBe(false);
    expect(alreadyDelivered({ deliveries: [...record.deliveries!, { ...record.deliveries![0], outcome: 'delivered' }] }, 'call.ended')).toBe(true);
  });
});

describe('the delivery queue\'s messages', () => {
  it('reads the stream\'s outcome and a redelivery\'s event, and nothing else', () => {
    expect(readDeliveryMessage('{"callId":"rtc_1","outcome":"completed"}')).toEqual({ callId: 'rtc_1', event: 'call.ended' });
    expect(readDeliveryMessage('{"callId":"rtc_1","event":"call.missed","redelivery":true}')).toEqual({ callId: 'rtc_1', event: 'call.missed', redelivery: true });
    expect(readDeliveryMessage('{"callId":"rtc_1","outcome":"active"}')).toBeUndefined();
    expect(readDeliveryMessage('not json')).toBeUndefined();
    expect(readDeliveryMessage('{"outcome":"completed"}')).toBeUndefined();
  });
});

describe("a number's notify config", () => {
  it('defaults to call.ended', () => {
    expect(parseNumberConfig({ number: '+17134810111', agent: { instructions: 'x' }, notify: { url: 'https://crm.example.com/calls' } }).notify).toEqual({
      url: 'https://crm.example.com/calls',
      events: ['call.ended'],
      allowPrivateNetwork: false,
    });
  });
  it.each([
    [{ url: 'http://crm.example.com/calls' }, /http:\/\/ is allowed only to this machine/],
    [{ url: 'https://crm.example.com/calls', events: ['call.started'] }, /an event is one of call.ended, call.rejected, call.missed/],
    [{ url: 'https://crm.example.com/calls', events: [] }, /at least one event/],
    [{ url: 'https://crm.example.com/calls', events: ['call.ended', 'call.ended'] }, /listed twice/],
  ])('refuses %j', (notify, message) => {
    expect(checkNumberConfig({ number: '+17134810111', agent: { instructions: 'x' }, notify }).problems).toEqual([expect.objectContaining({ message: expect.stringMatching(message) })]);
  });
});
