import { afterClose, attachFailedEnding, durationSeconds, MAX_QUICK_DROPS, reattachFailedEnding } from '../../core/worker/ending';
import { CallNotFoundError, handshakeFailure, retryDelayMs } from '../../core/worker/sideband';
import { PROTECTION_RENEW_MS, protectionRequest } from '../../service/task-protection';

const gone = new CallNotFoundError('rtc_1');
const refused = new Error('sideband answered HTTP 503');

describe('how a call ends', () => {
  it.each([
    ['404, accept confirmed', gone, false, { outcome: 'failed', reason: 'call-not-found' }],
    ['404, accept unconfirmed', gone, true, { outcome: 'failed', reason: 'accept-unconfirmed' }],
    ['unreachable', refused, false, { outcome: 'failed', reason: 'sideband-unreachable: sideband answered HTTP 503' }],
  ])('first attach fails: %s', (_, err, unconfirmed, ending) => {
    expect(attachFailedEnding(err, unconfirmed)).toEqual(ending);
  });

  it.each([
    ['404: the caller hung up', gone, { outcome: 'completed', reason: 'caller-hung-up' }],
    ['unreachable', refused, { outcome: 'failed', reason: 'sideband-lost: sideband answered HTTP 503' }],
  ])('re-attach fails: %s', (_, err, ending) => {
    expect(reattachFailedEnding(err)).toEqual(ending);
  });

  const transferred = { outcome: 'transferred' as const, transferTarget: 'tel:+17135550100' };
  it.each([
    ['abrupt close, nothing sent: may be a drop', 1006, '', undefined, 0, { kind: 'reattach', delayMs: 0 }],
    ['clean close, nothing sent', 1000, 'call ended', undefined, 0, { kind: 'reattach', delayMs: 0 }],
    ['close after our refer', 1000, '', transferred, 0, { kind: 'finish', ending: transferred, hangUp: false }],
    ['close after our refer, even abrupt', 1006, '', transferred, 3, { kind: 'finish', ending: transferred, hangUp: false }],
    ['fatal session error', 4001, 'bad session', undefined, 0, { kind: 'finish', ending: { outcome: 'failed', reason: 'session-closed: 4001 bad session' }, hangUp: true }],
    ['second quick drop: back off', 1006, '', undefined, 2, { kind: 'reattach', delayMs: 400 }],
    ['too many quick drops', 1006, '', undefined, MAX_QUICK_DROPS, { kind: 'finish', ending: { outcome: 'failed', reason: 'sideband-keeps-closing' }, hangUp: true }],
  ])('socket closes: %s', (_, code, reason, leaving, quickDrops, next) => {
    expect(afterClose(code, reason, leaving, quickDrops)).toEqual(next);
  });

  it.each([
    [0, 1234, 1.2],
    [0, 1250, 1.3],
    [5000, 4000, 0],
  ])('duration from %i to %i ms is %d s', (from, to, seconds) => {
    expect(durationSeconds(from, to)).toBe(seconds);
  });
});

describe('opening the sideband', () => {
  it.each([
    [404, 'not-found'],
    [401, 'unauthorized'],
    [403, 'fatal'],
    [400, 'fatal'],
    [408, 'transient'],
    [429, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
  ])('HTTP %i is %s', (status, failure) => {
    expect(handshakeFailure(status)).toBe(failure);
  });

  it('backs off by doubling, up to 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(retryDelayMs)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
  });
});

describe('task scale-in protection', () => {
  const on = { ProtectionEnabled: true, ExpiresInMinutes: 70 };
  const off = { ProtectionEnabled: false };
  const NOW = 1_000_000_000;
  it.each([
    ['first call', true, undefined, on],
    ['still holding, recently protected', true, { protected: true, at: NOW - 60_000 }, undefined],
    ['still holding, protection getting old', true, { protected: true, at: NOW - PROTECTION_RENEW_MS }, on],
    ['holding again after idle', true, { protected: false, at: NOW }, on],
    ['idle after calls', false, { protected: true, at: NOW }, off],
    ['still idle', false, { protected: false, at: NOW - 10 * PROTECTION_RENEW_MS }, undefined],
    ['idle at start', false, undefined, off],
  ])('%s', (_, holding, last, request) => {
    expect(protectionRequest(holding, last, NOW)).toEqual(request);
  });
});
