import { chargeOf, costWithCarrier, matchCarrierCharges, type CallForCharge, type CarrierCharge } from '../../core/wavix/carrier-charge';
import { cdrTime, type WavixCdr } from '../../core/wavix/wavix-client';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const NUMBER = '+17134810111';
const CALLER = '+14155550199';

/** A call that started `at` seconds after T0. */
function call(callId: string, at: number, more: Partial<CallForCharge> = {}): CallForCharge {
  return { callId, number: NUMBER, caller: CALLER, startedAt: new Date(T0 + at * 1000).toISOString(), durationSeconds: 60, outcome: 'completed', ...more };
}

/** A CDR as Wavix writes one: whole-second date, digits without '+'. */
function cdr(uuid: string, at: number, more: Partial<WavixCdr> = {}): WavixCdr {
  return {
    uuid,
    call_id: uuid,
    date: new Date(T0 + Math.floor(at) * 1000).toISOString(),
    from: '14155550199',
    to: '17134810111',
    disposition: 'answered',
    duration: 60,
    destination: 'proj_abc@sip.api.openai.com;transport=tls',
    per_minute: '0.0059',
    charge: '0.0059',
    ...more,
  };
}

const match = (calls: CallForCharge[], cdrs: WavixCdr[]) => matchCarrierCharges(calls, cdrs);
const only = (c: CallForCharge, cdrs: WavixCdr[]): CarrierCharge => match([c], cdrs).charges[0];

describe('matching calls to Wavix CDRs', () => {
  describe('by SIP Call-ID, exactly', () => {
    it.each<[string, Partial<WavixCdr>, string]>([
      ["the CDR's sip_call_id", { sip_call_id: 'a84b4c76e66710@pc33.example.com' }, 'a84b4c76e66710@pc33.example.com'],
      ["Wavix's uuid as the whole Call-ID", {}, 'cdr-1'],
      ["Wavix's uuid as the Call-ID's part before @", {}, 'cdr-1@95.211.82.14'],
    ])('%s', (_, fields, sipCallId) => {
      // Far from the call's start and of another length: only the id ties them.
      expect(only(call('rtc_1', 0, { sipCallId }), [cdr('cdr-1', 300, { duration: 5, ...fields })])).toEqual({ usd: 0.0059, cdr: 'cdr-1', match: 'sip-call-id' });
    });

    it('before number and time: the CDR with its Call-ID wins over a closer one', () => {
      const result = match([call('rtc_1', 0, { sipCallId: 'sip-1' })], [cdr('near', 0), cdr('far', 8, { sip_call_id: 'sip-1', charge: '0.0118' })]);
      expect(result.charges).toEqual([{ usd: 0.0118, cdr: 'far', match: 'sip-call-id' }]);
      expect(result.unused.map((c) => c.uuid)).toEqual(['near']);
    });

    it('never pairs a call with a CDR that carries another Call-ID', () => {
      expect(only(call('rtc_1', 0, { sipCallId: 'sip-1' }), [cdr('other', 0, { sip_call_id: 'sip-2' })])).toMatchObject({ unmatched: 'no-cdr' });
    });

    it('falls back to number and time when no CDR carries the Call-ID', () => {
      expect(only(call('rtc_1', 0, { sipCallId: 'sip-1' }), [cdr('cdr-1', 1)])).toEqual({ usd: 0.0059, cdr: 'cdr-1', match: 'number-and-time' });
    });
  });

  describe('by number, start and duration', () => {
    it.each<[string, CallForCharge, WavixCdr, CarrierCharge | { unmatched: string }]>([
      ['within the tolerances', call('rtc_1', 0.4), cdr('cdr-1', 3, { duration: 57 }), { usd: 0.0059, cdr: 'cdr-1', match: 'number-and-time' }],
      ['10 s apart', call('rtc_1', 0), cdr('cdr-1', 10), { usd: 0.0059, cdr: 'cdr-1', match: 'number-and-time' }],
      ['more than 10 s apart', call('rtc_1', 0), cdr('cdr-1', 11), { unmatched: 'no-cdr' }],
      ['more than 5 s longer', call('rtc_1', 0), cdr('cdr-1', 0, { duration: 66 }), { unmatched: 'no-cdr' }],
      ['a call without a duration (rejected)', call('rtc_1', 0, { durationSeconds: undefined, outcome: 'rejected' }), cdr('cdr-1', 0, { duration: 0, charge: '0' }), { usd: 0, cdr: 'cdr-1', match: 'number-and-time' }],
      ['another number', call('rtc_1', 0), cdr('cdr-1', 0, { to: '17134810122' }), { unmatched: 'no-cdr' }],
      ["Wavix's number with a '+'", call('rtc_1', 0), cdr('cdr-1', 0, { to: '+17134810111' }), { usd: 0.0059, cdr: 'cdr-1', match: 'number-and-time' }],
      ['a CDR without a date', call('rtc_1', 0), cdr('cdr-1', 0, { date: null }), { unmatched: 'no-cdr' }],
    ])('%s', (_, c, d, expected) => {
      expect(only(c, [d])).toMatchObject(expected);
    });

    it("reads Wavix's number without '+' as the E.164 number it is", () => {
      expect(only(call('rtc_1', 0, { number: '+442071838750' }), [cdr('uk', 0, { to: '442071838750' })])).toMatchObject({ match: 'number-and-time', cdr: 'uk' });
    });

    it('takes the closest CDR', () => {
      const result = match([call('rtc_1', 0)], [cdr('late', 7), cdr('close', 1), cdr('longer', 0, { duration: 64 })]);
      expect(result.charges[0]).toMatchObject({ cdr: 'close' });
      expect(result.unused.map((c) => c.uuid)).toEqual(['late', 'longer']);
    });

    it('never gives one CDR to two calls: the closer call has it, the other is unmatched', () => {
      const result = match([call('rtc_a', 0), call('rtc_b', 6)], [cdr('only', 0)]);
      expect(result.charges[0]).toMatchObject({ cdr: 'only' });
      expect(result.charges[1]).toEqual({ unmatched: 'no-cdr', detail: 'the Wavix CDRs that fit it fit other calls better', candidates: ['only'] });
    });

    it('pairs calls close together with their own CDRs, in order', () => {
      const calls = [call('rtc_a', 0), call('rtc_b', 3), call('rtc_c', 6)];
      const result = match(calls, [cdr('c', 6.2), cdr('a', 0.3), cdr('b', 3.1)]);
      expect(result.charges.map((c) => ('cdr' in c ? c.cdr : c.unmatched))).toEqual(['a', 'b', 'c']);
      expect(result.unused).toEqual([]);
    });

    it('tells two calls at once apart by their durations', () => {
      const result = match([call('rtc_short', 0, { durationSeconds: 20 }), call('rtc_long', 0, { durationSeconds: 95 })], [cdr('long', 0, { duration: 96 }), cdr('short', 0, { duration: 21 })]);
      expect(result.charges.map((c) => 'cdr' in c && c.cdr)).toEqual(['short', 'long']);
    });

    it('tells two calls at once apart by their callers', () => {
      const calls = [call('rtc_1', 0, { caller: '+14155550101' }), call('rtc_2', 0, { caller: '+14155550102' })];
      const result = match(calls, [cdr('two', 0, { from: '14155550102' }), cdr('one', 0, { from: '14155550101' })]);
      expect(result.charges.map((c) => 'cdr' in c && c.cdr)).toEqual(['one', 'two']);
    });
  });

  describe('ambiguous: left unmatched rather than guessed', () => {
    it('two calls at once, alike, and two CDRs', () => {
      const result = match([call('rtc_a', 0), call('rtc_b', 0.5)], [cdr('x', 0), cdr('y', 0)]);
      expect(result.charges).toEqual([
        { unmatched: 'ambiguous', detail: '2 Wavix CDRs fit it about as well (within 1 s)', candidates: ['x', 'y'] },
        { unmatched: 'ambiguous', detail: '2 Wavix CDRs fit it about as well (within 1 s)', candidates: ['x', 'y'] },
      ]);
      expect(result.unused.map((c) => c.uuid)).toEqual(['x', 'y']);
    });

    it('one call and two CDRs that fit it alike', () => {
      expect(only(call('rtc_1', 0), [cdr('x', 0), cdr('y', 0)])).toEqual({ unmatched: 'ambiguous', detail: '2 Wavix CDRs fit it about as well (within 1 s)', candidates: ['x', 'y'] });
    });

    it('two calls that fit one CDR alike', () => {
      const result = match([call('rtc_a', 0), call('rtc_b', 0.5)], [cdr('x', 0)]);
      expect(result.charges).toEqual([
        { unmatched: 'ambiguous', detail: 'its Wavix CDR fits another call about as well (within 1 s)', candidates: ['x'] },
        { unmatched: 'ambiguous', detail: 'its Wavix CDR fits another call about as well (within 1 s)', candidates: ['x'] },
      ]);
    });

    it('is not ambiguous when one fit is clearly closer', () => {
      const result = match([call('rtc_a', 0), call('rtc_b', 2)], [cdr('x', 0), cdr('y', 2)]);
      expect(result.charges.map((c) => 'cdr' in c && c.cdr)).toEqual(['x', 'y']);
    });

    it('several CDRs with the same Call-ID', () => {
      expect(only(call('rtc_1', 0, { sipCallId: 'sip-1' }), [cdr('x', 0, { sip_call_id: 'sip-1' }), cdr('y', 0, { sip_call_id: 'sip-1' })])).toEqual({
        unmatched: 'ambiguous',
        detail: '2 Wavix CDRs carry its SIP Call-ID',
        candidates: ['x', 'y'],
      });
    });
  });

  describe('unmatched, with the reason', () => {
    it.each<[string, CallForCharge, WavixCdr[], CarrierCharge]>([
      ['no CDR at all', call('rtc_1', 0), [], { unmatched: 'no-cdr', detail: 'no Wavix CDR of a call to 17134810111 dated within 10 s of its start and 5 s of its duration' }],
      [
        'no CDR, a call without a duration',
        call('rtc_1', 0, { durationSeconds: undefined, outcome: 'missed' }),
        [],
        { unmatched: 'no-cdr', detail: 'no Wavix CDR of a call to 17134810111 dated within 10 s of its start' },
      ],
      ['a call still live', call('rtc_1', 0, { outcome: 'active', durationSeconds: undefined }), [], { unmatched: 'in-progress', detail: 'the call has not ended, and Wavix writes its CDR after' }],
      [
        'a call whose dialed number is unknown',
        call('rtc_1', 0, { number: 'unknown' }),
        [cdr('cdr-1', 0)],
        { unmatched: 'unknown-number', detail: 'the dialed number is unknown (no SIP header named it) and no CDR carries its SIP Call-ID' },
      ],
    ])('%s', (_, c, cdrs, expected) => {
      expect(only(c, cdrs)).toEqual(expected);
    });

    it('a CDR whose charge does not read as an amount: matched, unpriced', () => {
      expect(only(call('rtc_1', 0), [cdr('cdr-1', 0, { charge: null })])).toEqual({
        unpriced: "Wavix's CDR cdr-1 has no charge that reads as an amount (null)",
        cdr: 'cdr-1',
        match: 'number-and-time',
      });
    });
  });

  it('gives one answer per call, in order, and the CDRs left over', () => {
    const calls = [call('rtc_id', 100, { sipCallId: 'sip-9' }), call('rtc_time', 0), call('rtc_none', 500)];
    const cdrs = [cdr('spare', 200), cdr('t', 1, { charge: '0.0118' }), cdr('i', 100, { sip_call_id: 'sip-9' })];
    const result = match(calls, cdrs);
    expect(result.charges.map((c) => ('match' in c ? `${c.match} ${c.cdr}` : c.unmatched))).toEqual(['sip-call-id i', 'number-and-time t', 'no-cdr']);
    expect(result.unused.map((c) => c.uuid)).toEqual(['spare']);
  });
});

describe('the cost of both parts', () => {
  it.each<[string, number | undefined, CarrierCharge, number | undefined]>([
    ['both known', 0.068, { usd: 0.0059, cdr: 'x', match: 'number-and-time' }, 0.0739],
    ['OpenAI unpriced', undefined, { usd: 0.0059, cdr: 'x', match: 'number-and-time' }, undefined],
    ['no CDR', 0.068, { unmatched: 'no-cdr', detail: '' }, undefined],
    ['CDR unpriced', 0.068, { unpriced: 'x', cdr: 'x', match: 'sip-call-id' }, undefined],
  ])('%s', (_, openai, carrier, total) => {
    const sum = costWithCarrier(openai, carrier);
    if (total === undefined) expect(sum).toBeUndefined();
    else expect(sum).toBeCloseTo(total, 10);
  });

  it.each<[unknown, number | undefined]>([
    ['0.0059', 0.0059],
    ['0', 0],
    [0.01, 0.01],
    ['', undefined],
    [null, undefined],
    ['n/a', undefined],
    ['-1', undefined],
  ])('reads the charge %j as %s', (charge, usd) => {
    expect(chargeOf({ charge: charge as string })).toBe(usd);
  });
});

describe("Wavix's CDR dates", () => {
  it.each<[string | null, string | undefined]>([
    ['2023-08-28T15:43:31.000Z', '2023-08-28T15:43:31.000Z'],
    ['2023-08-28T15:43:31+02:00', '2023-08-28T13:43:31.000Z'],
    ['2023-08-28 15:43:31', '2023-08-28T15:43:31.000Z'],
    [null, undefined],
    ['yesterday', undefined],
  ])('%j -> %s', (date, iso) => {
    const at = cdrTime({ date });
    expect(at === undefined ? undefined : new Date(at).toISOString()).toBe(iso);
  });
});
