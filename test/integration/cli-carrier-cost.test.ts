import { randomUUID } from 'node:crypto';
import type { TokenUsage } from '../../core/calls/record';
import { DEFAULT_CALL_RETENTION_DAYS } from '../../core/runtime/contract';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { usageItem } from '../../core/store/call-entries-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { LiveCallStore } from '../../core/store/live-call-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { startWavixEmulator, type EmulatedCdr, type WavixEmulator } from '../../local/wavix-emulator';
import { runCli } from '../support/cli';

const KEY = 'wavix-test-key';
const NUMBERS_ONLY = 'wavix-numbers-key';
const SUPPORT = '+17134810111';
const SALES = '+17134810122';
const CALLER = '+14155550199';
const SIP_CALL_ID = 'a84b4c76e66710@sip.wavix.example';
/** gpt-realtime-2: 1000 text tokens in at $4/1M, 1000 audio tokens out at $64/1M = $0.068. */
const MODEL = 'gpt-realtime-2';
const USAGE: TokenUsage = {
  inputTokens: 1000, outputTokens: 1000, totalTokens: 2000,
  inputTextTokens: 1000, inputAudioTokens: 0, cachedTextTokens: 0, cachedAudioTokens: 0, outputTextTokens: 0, outputAudioTokens: 1000,
};

interface StoredCall {
  callId: string;
  number: string;
  startedAt: string;
  outcome: 'completed' | 'rejected';
  durationSeconds?: number;
  sipCallId?: string;
}

/** The calls `switchboard calls cost --carrier` reads, with the CDRs Wavix would have of them. */
describe('switchboard calls cost --carrier (local DynamoDB, Wavix emulator)', () => {
  let dynamodb: LocalDynamoDB;
  let wavix: WavixEmulator;
  const now = Date.now();
  /** `minutesAgo` before the test began, and `plusSeconds`; Wavix's dates are whole seconds. */
  const at = (minutesAgo: number, plusSeconds = 0) => new Date(now - minutesAgo * 60_000 + plusSeconds * 1000).toISOString();
  const wavixDate = (iso: string) => iso.replace(/\.\d+Z$/, '.000Z');

  const calls: StoredCall[] = [
    // Its CDR carries its SIP Call-ID, dated 5 s off: only the id ties them.
    { callId: 'rtc_by_id', number: SUPPORT, startedAt: at(30), outcome: 'completed', durationSeconds: 60, sipCallId: SIP_CALL_ID },
    // Stored before records kept the Call-ID: matched by number and time.
    { callId: 'rtc_by_time', number: SUPPORT, startedAt: at(20), outcome: 'completed', durationSeconds: 125 },
    // No CDR.
    { callId: 'rtc_no_cdr', number: SALES, startedAt: at(10), outcome: 'completed', durationSeconds: 30 },
    // Turned away: Wavix's CDR is `failed`, which Wavix lists only with disposition=all.
    { callId: 'rtc_rejected', number: SUPPORT, startedAt: at(5), outcome: 'rejected' },
    // Before --since 1h.
    { callId: 'rtc_old', number: SUPPORT, startedAt: at(120), outcome: 'completed', durationSeconds: 60 },
  ];
  const cdr = (uuid: string, date: string, more: Partial<EmulatedCdr> = {}): EmulatedCdr => ({
    uuid, call_id: uuid, date: wavixDate(date), from: CALLER.slice(1), to: SUPPORT.slice(1), disposition: 'answered', duration: 60,
    destination: 'proj_abc@sip.api.openai.com;transport=tls', per_minute: '0.0059', charge: '0.0059', ...more,
  });
  const cdrs = [
    cdr('cdr-by-id', at(30, 5), { sip_call_id: SIP_CALL_ID }),
    cdr('cdr-by-time', at(20, 1), { duration: 126, charge: '0.0177' }),
    cdr('cdr-rejected', at(5), { disposition: 'failed', duration: 0, charge: '0' }),
    cdr('cdr-stray', at(40)),
    cdr('cdr-old', at(120)),
    cdr('cdr-placed', at(20, 1), { type: 'placed', from: SUPPORT.slice(1), to: '14155550100', charge: '0.0100' }),
  ];

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['calls', 'cost', ...args, '--endpoint', dynamodb.endpoint], { env: { WAVIX_API_KEY: KEY, WAVIX_API_URL: wavix.url, ...env } });
  const cdrRequests = () => wavix.requests().map((r) => r.path).filter((p) => p.startsWith('/v1/cdr'));

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
    const db = createDocumentClient({ endpoint: dynamodb.endpoint });
    const claims = new CallClaimsStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS);
    const live = new LiveCallStore(db, LOCAL_TABLE_NAMES);
    // As the webhook and the call worker store a call.
    for (const c of calls) {
      const claimToken = randomUUID();
      const base = { callId: c.callId, number: c.number, caller: CALLER, startedAt: c.startedAt, webhookId: `wh_${c.callId}`, claimToken, claimUntil: Date.now() + 20_000, ...(c.sipCallId && { sipCallId: c.sipCallId }) };
      if (c.outcome === 'rejected') {
        await claims.create({ ...base, outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603 });
        await claims.recordAnswer(c.callId, claimToken, { outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603, answered: true });
        continue;
      }
      await claims.create({ ...base, outcome: 'active', liveNumber: c.number, model: MODEL });
      await claims.recordAnswer(c.callId, claimToken, { outcome: 'active', liveNumber: c.number, answered: true, queued: true });
      expect(await live.writeEntries([usageItem(c.callId, `resp_${c.callId}`, USAGE, undefined)])).toEqual([]);
      const endedAt = new Date(Date.parse(c.startedAt) + c.durationSeconds! * 1000).toISOString();
      expect(await live.finish(c.callId, { outcome: 'completed', endedAt, durationSeconds: c.durationSeconds! })).toBe(true);
    }
  });
  afterAll(() => dynamodb.close());

  beforeEach(async () => {
    wavix = await startWavixEmulator({ apiKey: KEY, restrictedKeys: { [NUMBERS_ONLY]: { numbers: 'read', calls: 'none' } }, numbers: [], cdrs });
  });
  afterEach(() => wavix.close());

  it("lists each call with OpenAI's cost, Wavix's charge, both together and how it was matched, then the totals", async () => {
    const result = await cli(['--carrier', '--since', '1h']);
    expect(result.code).toBe(0);
    const short = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, '');
    const [header, ...lines] = result.stdout.trimEnd().split('\n');
    // The table's columns where its headings start (a cell may be empty); the totals' two.
    const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index);
    const cells = (line: string) => (line.startsWith('20') ? starts.map((start, i) => line.slice(start, starts[i + 1]).trim()) : line.split(/ {2,}/));
    expect([header, ...lines].map(cells)).toEqual([
      ['STARTED (UTC)', 'NUMBER', 'CALLER', 'DURATION', 'OPENAI', 'CARRIER', 'TOTAL', 'MATCH', 'CALL ID'],
      [short(at(5)), SUPPORT, CALLER, '', '$0', '$0', '$0', 'number-and-time', 'rtc_rejected'],
      [short(at(10)), SALES, CALLER, '30s', '$0.0680', '-', '', 'unmatched: no-cdr', 'rtc_no_cdr'],
      [short(at(20)), SUPPORT, CALLER, '2m05s', '$0.0680', '$0.0177', '$0.0857', 'number-and-time', 'rtc_by_time'],
      [short(at(30)), SUPPORT, CALLER, '1m00s', '$0.0680', '$0.0059', '$0.0739', 'sip-call-id', 'rtc_by_id'],
      ['OpenAI', '$0.2040 for 4 calls'],
      ['Wavix', '$0.0236 for 3 calls (1 call without a charge, not in it); 1 CDR matching no call, $0.0059'],
      ['total', '$0.1596 for the 3 calls with both known'],
    ]);
    expect(result.stderr).toBe(
      'rtc_no_cdr: no carrier charge (no-cdr): no Wavix CDR of a call to 17134810122 dated within 10 s of its start and 5 s of its duration\n' +
        'Wavix CDRs that match no call (calls that did not reach Switchboard, or whose records are no longer kept): cdr-stray\n',
    );
  });

  it('asks Wavix for every inbound CDR of the range (a day more each side), every disposition', async () => {
    await cli(['--carrier', '--since', '1h']);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const from = day(Date.parse(at(60)) - 10_000 - 86_400_000);
    expect(cdrRequests()).toEqual([expect.stringMatching(new RegExp(`^/v1/cdrs\\?from=${from}&to=\\d{4}-\\d\\d-\\d\\d&type=received&disposition=all&page=1&per_page=50$`))]);
    const to = new URL(cdrRequests()[0], wavix.url).searchParams.get('to')!;
    expect(Date.parse(`${to}T00:00:00Z`)).toBeGreaterThan(now);
  });

  it('prints JSON for programs', async () => {
    const result = await cli(['--carrier', '--since', '1h', '--json']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.calls.map((c: { callId: string; carrier: unknown; totalUsd: number | null }) => [c.callId, c.carrier, c.totalUsd])).toEqual([
      ['rtc_rejected', { usd: 0, cdr: 'cdr-rejected', match: 'number-and-time' }, 0],
      ['rtc_no_cdr', { unmatched: 'no-cdr', detail: 'no Wavix CDR of a call to 17134810122 dated within 10 s of its start and 5 s of its duration' }, null],
      ['rtc_by_time', { usd: 0.0177, cdr: 'cdr-by-time', match: 'number-and-time' }, expect.closeTo(0.0857, 10)],
      ['rtc_by_id', { usd: 0.0059, cdr: 'cdr-by-id', match: 'sip-call-id' }, expect.closeTo(0.0739, 10)],
    ]);
    expect(out.calls[3]).toMatchObject({ number: SUPPORT, caller: CALLER, durationSeconds: 60, outcome: 'completed', sipCallId: SIP_CALL_ID, openai: { totalUsd: expect.closeTo(0.068, 10) } });
    expect(out.calls[1]).toMatchObject({ sipCallId: null });
    expect(out.totals).toEqual({
      calls: 4,
      openaiUsd: expect.closeTo(0.204, 10),
      openaiPriced: 4,
      carrierUsd: expect.closeTo(0.0236, 10),
      carrierPriced: 3,
      totalUsd: expect.closeTo(0.1596, 10),
      bothPriced: 3,
      unmatchedCdrs: 1,
      unmatchedCdrsUsd: 0.0059,
    });
    expect(out.unmatchedCdrs).toEqual([expect.objectContaining({ uuid: 'cdr-stray', charge: '0.0059' })]);
    expect(Date.parse(out.until) - Date.parse(out.since)).toBeGreaterThanOrEqual(3_600_000);
  });

  it("with --number, only that number's calls, and Wavix is asked for its CDRs only", async () => {
    const result = await cli(['--carrier', '--since', '1h', '--number', '+1 (713) 481-0122', '--json']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.calls.map((c: { callId: string }) => c.callId)).toEqual(['rtc_no_cdr']);
    expect(out.unmatchedCdrs).toEqual([]);
    expect(cdrRequests()).toEqual([expect.stringContaining('&to_search=17134810122&page=1&per_page=50')]);
  });

  it('reads every page of CDRs', async () => {
    // 60 calls to another number in the range push the others onto page 2 and count as matching no call.
    wavix.addCdrs(...Array.from({ length: 60 }, (_, i) => cdr(`other-${i}`, at(50, i), { to: '17134819999', charge: '0.001' })));
    const result = await cli(['--carrier', '--since', '1h', '--json']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.totals).toMatchObject({ carrierPriced: 3, carrierUsd: expect.closeTo(0.0236, 10), unmatchedCdrs: 61, unmatchedCdrsUsd: expect.closeTo(0.0659, 10) });
    expect(cdrRequests().map((p) => new URL(p, wavix.url).searchParams.get('page'))).toEqual(['1', '2']);
  });

  it("falls back to Wavix's older path, /v1/cdr, when /v1/cdrs is not there", async () => {
    await wavix.close();
    wavix = await startWavixEmulator({ apiKey: KEY, numbers: [], cdrs, cdrPaths: ['/v1/cdr'] });
    wavix.addCdrs(...Array.from({ length: 60 }, (_, i) => cdr(`other-${i}`, at(50, i), { to: '17134819999' })));
    const result = await cli(['--carrier', '--since', '1h', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).totals).toMatchObject({ carrierPriced: 3, bothPriced: 3 });
    expect(cdrRequests().map((p) => `${p.split('?')[0]} page ${new URL(p, wavix.url).searchParams.get('page')}`)).toEqual(['/v1/cdrs page 1', '/v1/cdr page 1', '/v1/cdr page 2']);
  });

  describe('fails clearly', () => {
    it.each<[string, string[], NodeJS.ProcessEnv, number, string]>([
      [
        'without --carrier',
        ['--since', '1h'],
        {},
        2,
        "error: calls cost needs --carrier for now: it adds Wavix's charge for each call (WAVIX_API_KEY, a key with calls read access); OpenAI's part alone is `switchboard calls list --sum`\n",
      ],
      [
        'without WAVIX_API_KEY',
        ['--carrier'],
        { WAVIX_API_KEY: '' },
        2,
        'error: WAVIX_API_KEY is not set: create an API key in the Wavix portal (Administration > API keys) with calls read access and export it\n',
      ],
      ['with a --since that is not a time', ['--carrier', '--since', 'lately'], {}, 2, 'error: --since "lately" is not a time: use e.g. 30m, 24h, 7d, 2w or a date like 2026-11-20\n'],
      ['with a key Wavix does not know (401)', ['--carrier'], { WAVIX_API_KEY: 'nope' }, 1, 'error: Wavix refused the API key (401: Unauthenticated.): check WAVIX_API_KEY\n'],
      [
        'with a key that may not read calls (403)',
        ['--carrier'],
        { WAVIX_API_KEY: NUMBERS_ONLY },
        1,
        'error: the Wavix API key lacks permission to read call records (CDRs) (GET /v1/cdrs answered 403: This action is unauthorized.): set WAVIX_API_KEY to a key with calls read access\n',
      ],
    ])('%s', async (_, args, env, code, stderr) => {
      expect(await cli(args, env)).toEqual({ code, stdout: '', stderr });
    });

    it('asks Wavix nothing when an argument is wrong', async () => {
      expect(await cli(['--carrier', '--number', 'support'])).toMatchObject({ code: 2, stderr: expect.stringContaining('number "support" is not a valid phone number') });
      expect(await cli(['--since', '1h'])).toMatchObject({ code: 2 });
      expect(await cli(['--carrier'], { WAVIX_API_KEY: '' })).toMatchObject({ code: 2 });
      expect(wavix.requests()).toEqual([]);
    });
  });
});
