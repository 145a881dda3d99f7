import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { parseNumberConfig } from '../../core/numbers/config';
import { CallHistoryStore } from '../../core/store/call-history-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { startConsoleServer, type ConsoleServer } from '../../console/server/console-server';
import { demoNumber } from '../../local/simulation';
import { statusOf } from '../support/raw-request';

/**
 * The console's API over a real local DynamoDB, as the page and as anyone else on the machine
 * would call it: the token, the same-origin rule, the version check, and history that pages.
 */

const NOW = new Date('2026-12-02T12:00:00.000Z');
const CALLS = 10_000;

describe('the console API', () => {
  let dynamodb: LocalDynamoDB;
  let server: ConsoleServer;
  let token: string;
  let numbers: NumbersStore;
  const db = () => createDocumentClient({ endpoint: dynamodb.endpoint });

  const api = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    fetch(`${server.origin}/api${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body !== undefined && { 'content-type': 'application/json', origin: server.origin }),
        ...init.headers,
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
    numbers = new NumbersStore(db(), LOCAL_TABLE_NAMES.numbers);
    await numbers.put(demoNumber());
    // 10,000 calls over the last ten days, one in four to GPT-Live, every tenth turned away.
    const items = Array.from({ length: CALLS }, (_, i) => {
      const startedAt = new Date(NOW.getTime() - (i + 1) * 86.4e3).toISOString();
      return {
        callId: `rtc_seed${String(i).padStart(5, '0')}`,
        number: '+17134810111',
        caller: '+14155550100',
        startedAt,
        day: startedAt.slice(0, 10),
        outcome: i % 10 === 0 ? 'rejected' : 'completed',
        ...(i % 10 === 0 && { reason: 'unknown-number', rejectStatus: 404 }),
        ...(i % 4 === 0 && { engine: 'live' }),
        durationSeconds: 30,
        decisionMs: 20 + (i % 50),
      };
    });
    const batches = Array.from({ length: CALLS / 25 }, (_, i) => items.slice(i * 25, i * 25 + 25));
    const client = db();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let batch = batches.pop(); batch; batch = batches.pop()) {
          await client.send(new BatchWriteCommand({ RequestItems: { [LOCAL_TABLE_NAMES.calls]: batch.map((Item) => ({ PutRequest: { Item } })) } }));
        }
      }),
    );
    const calls = new CallHistoryStore(db(), LOCAL_TABLE_NAMES, 90);
    server = await startConsoleServer({ data: { numbers, calls, description: dynamodb.endpoint, monthlyBudgetUsd: 50 }, port: 0, now: () => NOW });
    token = new URL(server.url).hash.slice('#token='.length);
  }, 120000);

  afterAll(async () => {
    await server?.close();
    await dynamodb?.close();
  });

  it('refuses every API request without the token, and says where to get it', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: token }] as Record<string, string>[]) {
      const res = await fetch(`${server.origin}/api/numbers`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      expect(await res.text()).toContain('open the address `switchboard console` printed');
    }
  });

  it('serves its pages without the token, with headers that keep other sites out', async () => {
    const res = await fetch(`${server.origin}/calls?outcome=rejected`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="app">');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses writes from another origin, or without one, and writes not sent as JSON', async () => {
    const put = (headers: Record<string, string>) =>
      fetch(`${server.origin}/api/numbers/+17134810111/enabled`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify({ enabled: false, version: 1 }) });
    expect((await put({ origin: 'http://localhost.evil.example', 'content-type': 'application/json' })).status).toBe(403);
    expect((await put({ 'content-type': 'application/json' })).status).toBe(403);
    expect((await put({ origin: server.origin, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await numbers.get('+17134810111'))?.config.enabled).toBe(true);
  });

  it('answers only under its own host name (a DNS name rebound to 127.0.0.1 reaches nothing)', async () => {
    const status = await statusOf(`${server.origin}/api/numbers`, { headers: { host: `rebound.example:${new URL(server.origin).port}`, authorization: `Bearer ${token}` } });
    expect(status).toBe(403);
  });

  it('trades a launch code for the token once', async () => {
    const code = new URL(server.launchUrl()).hash.slice('#launch='.length);
    const launch = () => fetch(`${server.origin}/api/launch`, { method: 'POST', headers: { origin: server.origin, 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    const first = await launch();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ token });
    expect((await launch()).status).toBe(401);
  });

  it('pages through 10,000 calls 25 at a time, newest first, without reading them all', async () => {
    const first = (await (await api('/calls')).json()) as { calls: { callId: string; startedAt: string; cost?: unknown }[]; cursor: string };
    expect(first.calls).toHaveLength(25);
    expect(first.calls[0].callId).toBe('rtc_seed00000');
    const second = (await (await api(`/calls?cursor=${first.cursor}`)).json()) as { calls: { callId: string }[] };
    expect(second.calls.map((c) => c.callId)).toEqual(Array.from({ length: 25 }, (_, i) => `rtc_seed${String(25 + i).padStart(5, '0')}`));
  });

  it('filters by outcome, engine, number and time range, and refuses a filter it cannot read', async () => {
    const page = async (query: string) => (await (await api(`/calls?${query}`)).json()) as { calls: { callId: string; outcome: string; engine: string; startedAt: string }[] };
    expect((await page('outcome=rejected')).calls.every((c) => c.outcome === 'rejected')).toBe(true);
    const live = await page('engine=live');
    expect(live.calls).toHaveLength(25);
    expect(live.calls.every((c) => c.engine === 'live')).toBe(true);
    const range = await page('since=2026-12-01T00:00&until=2026-12-01T01:00');
    expect(range.calls.length).toBeGreaterThan(0);
    expect(range.calls.every((c) => c.startedAt >= '2026-12-01T00:00' && c.startedAt <= '2026-12-01T01:00:00.000Z')).toBe(true);
    expect((await page('number=+17134810122')).calls).toEqual([]);

    // A number with one GPT-Live call among 600, 40 days back (out of the overview's window): the
    // engine is on no index, so the page stops after reading 500 and says so, with a cursor to go on.
    const rare = Array.from({ length: 600 }, (_, i) => {
      const startedAt = new Date(NOW.getTime() - 40 * 86400_000 - i * 60_000).toISOString();
      return { callId: `rtc_rare${String(i).padStart(3, '0')}`, number: '+17134810155', caller: '+14155550100', startedAt, day: startedAt.slice(0, 10), outcome: 'completed', ...(i === 7 && { engine: 'live' }) };
    });
    for (let i = 0; i < rare.length; i += 25) {
      await db().send(new BatchWriteCommand({ RequestItems: { [LOCAL_TABLE_NAMES.calls]: rare.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
    const sparse = (await (await api('/calls?number=%2B17134810155&engine=live')).json()) as { calls: { callId: string }[]; cursor: string | null; notice?: string };
    expect(sparse).toMatchObject({ calls: [{ callId: 'rtc_rare007' }], cursor: expect.any(String), notice: expect.stringMatching(/this page read 5\d\d calls and found 1 answered by GPT-Live; "Older" reads on/) });

    for (const [query, message] of [
      ['outcome=great', 'outcome must be one of'],
      ['engine=steam', 'engine must be realtime or live'],
      ['number=support', 'is not a valid phone number'],
      ['since=yesterday', 'since "yesterday" is not a time'],
      ['since=2026-12-02&until=2026-12-01', 'is after "until"'],
      ['cursor=bm90IGEgY3Vyc29y', 'cursor is not one the console gave'],
    ]) {
      const res = await api(`/calls?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain(message);
    }
  });

  it('checks a config as `numbers validate` does, with each problem on its line', async () => {
    const text = JSON.stringify({ label: 'x', enabled: true, agent: { voice: 'cedar', instructions: 'Hi', turnDetection: { type: 'server_vad', threshold: 0.5 } } }, null, 2);
    const check = (await (await api('/numbers/+17134810122/check', { method: 'POST', body: { text } })).json()) as { valid: boolean; problems: { path: string; line: number; message: string }[] };
    expect(check.valid).toBe(false);
    expect(check.problems).toContainEqual(expect.objectContaining({ path: 'agent.turnDetection.threshold', line: 9, message: expect.stringContaining('OpenAI refuses it for SIP sessions') }));
    const broken = (await (await api('/numbers/+17134810122/check', { method: 'POST', body: { text: '{\n  "label": "x",\n  "enabled": tru\n}' } })).json()) as { problems: { line: number; message: string }[] };
    expect(broken.problems).toEqual([expect.objectContaining({ line: 3, message: expect.stringContaining('not valid JSON') })]);
  });

  it('adds a number on version 0, saves on the version read, and refuses a save over a newer version (409) without storing it', async () => {
    const text = JSON.stringify({ ...demoNumber(), number: undefined, label: 'New line' });
    const added = await api('/numbers/+17134810144', { method: 'PUT', body: { text, version: 0 } });
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ number: '+17134810144', version: 1 });
    const again = await api('/numbers/+17134810144', { method: 'PUT', body: { text, version: 0 } });
    expect(again.status).toBe(409);

    await numbers.put(parseNumberConfig({ ...demoNumber(), number: '+17134810144', label: 'Edited elsewhere' }), { expectedVersion: 1 });
    const stale = await api('/numbers/+17134810144', { method: 'PUT', body: { text: JSON.stringify({ ...demoNumber(), number: undefined, label: 'Mine' }), version: 1 } });
    expect(stale.status).toBe(409);
    const body = (await stale.json()) as { error: string; current: { version: number; config: { label: string } } };
    expect(body.error).toContain('changed since version 1 was read');
    expect(body.current).toMatchObject({ version: 2, config: { label: 'Edited elsewhere' } });
    expect((await numbers.get('+17134810144'))?.config.label).toBe('Edited elsewhere');

    const invalid = await api('/numbers/+17134810144', { method: 'PUT', body: { text: '{"enabled": true}', version: 2 } });
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { problems: unknown[] }).problems).toContainEqual(expect.objectContaining({ path: 'agent', line: 1 }));
    expect((await numbers.get('+17134810144'))?.version).toBe(2);

    // The refused saves stored no version: the two that were stored are kept, newest first.
    const versions = (await (await api('/numbers/+17134810144/versions')).json()) as { versions: { version: number; config: { label: string }; text: string }[] };
    expect(versions.versions.map((v) => [v.version, v.config.label])).toEqual([[2, 'Edited elsewhere'], [1, 'New line']]);
    expect(versions.versions[1].text).toContain('"label": "New line"');
    expect((await api('/numbers/+17134810199/versions')).status).toBe(404);
  });

  it('lists numbers with their calls today, and the overview from the records', async () => {
    const listed = (await (await api('/numbers')).json()) as { numbers: { number: string; callsToday: number; engine: string }[] };
    // Calls started every 86.4 s back from noon: 500 of them since midnight.
    expect(listed.numbers.find((n) => n.number === '+17134810111')).toMatchObject({ callsToday: 500, engine: 'realtime' });
    const overview = (await (await api('/overview')).json()) as { days: { day: string; calls: number }[]; rejects: unknown[]; decisionMs: { p50: number; p99: number }; month: { budgetUsd: number } };
    expect(overview.days).toHaveLength(30);
    expect(overview.days.at(-1)).toMatchObject({ day: '2026-12-02', calls: 500 });
    expect(overview.days.reduce((sum, d) => sum + d.calls, 0)).toBe(CALLS);
    expect(overview.rejects).toEqual([{ reason: 'unknown-number', count: 1000 }]);
    expect(overview.decisionMs).toEqual({ count: CALLS, p50: 44, p99: 69 });
    expect(overview.month.budgetUsd).toBe(50);
  }, 60000);

  it('says what failed when the data cannot be read, and what it did not find', async () => {
    expect(await (await api('/calls/rtc_missing')).json()).toEqual({ error: 'no call rtc_missing' });
    // A path that is not valid percent-encoding is the request's fault, for the API and the pages alike.
    const garbled = await api('/numbers/%E0%A4%A');
    expect(garbled.status).toBe(400);
    expect(await garbled.json()).toEqual({ error: '"%E0%A4%A" in the path is not valid percent-encoding' });
    expect((await fetch(`${server.origin}/calls/%E0%A4%A`)).status).toBe(400);
    const nowhere = createDocumentClient({ endpoint: 'http://127.0.0.1:9' });
    const broken = await startConsoleServer({ data: { numbers: new NumbersStore(nowhere, 'n'), calls: new CallHistoryStore(nowhere, LOCAL_TABLE_NAMES, 90), description: 'nowhere' }, port: 0 });
    try {
      const res = await fetch(`${broken.origin}/api/numbers`, { headers: { authorization: `Bearer ${new URL(broken.url).hash.slice('#token='.length)}` } });
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: string }).error).toContain('cannot reach the service');
    } finally {
      await broken.close();
    }
  });
});
