import { performance } from 'node:perf_hooks';
import { BatchGetCommand, BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startConsoleServer } from '../console/server/console-server';
import { CallHistoryStore } from '../core/store/call-history-store';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { NumbersStore } from '../core/store/numbers-store';
import { CALLS_TABLE, LOCAL_TABLE_NAMES } from '../core/store/tables';
import { demoNumber } from '../local/simulation';
import { startDynaliteWithNumber } from './dynalite-process';
import { percentile, round } from './stats';

const NUMBER = '+17134810111';
/** A minute's call, summed as the worker keeps it on the record when the call ends. */
const USAGE = {
  inputTokens: 9000, outputTokens: 1500, totalTokens: 10500,
  inputTextTokens: 3000, inputAudioTokens: 6000, cachedTextTokens: 2000, cachedAudioTokens: 1000, outputTextTokens: 300, outputAudioTokens: 1200,
  transcriptionSeconds: 30,
};
const OTHER_NUMBER = '+17134810122';
const PAGE = 25;

export interface PageLatency {
  /** Which page, in words. */
  page: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ConsoleCallsResult {
  calls: number;
  pages: PageLatency[];
  /** The same reads as the newest page, made straight with the SDK: what no page can do with less. */
  floor: PageLatency;
  /** The newest page's p50 and p99 over the floor's. */
  p50Ratio: number;
  p99Ratio: number;
  /** The overview over the whole history (30 days: every call of it priced). */
  overviewMs: number;
}

/**
 * The console's calls page with `calls` calls in the history, over HTTP as the page asks for it
 * (`GET /api/calls`, with the token): the newest page, a page 20 pages back (by its cursor), a
 * number's newest page and an outcome's, each `samples` times. The floor is the newest page's
 * DynamoDB work done directly: a Query of 25 on the day index, then one BatchGetItem of the 25
 * records' price fields. Then the overview once, which prices every call of the last 30 days.
 */
export async function benchConsoleCalls(opts: { calls: number; samples: number }): Promise<ConsoleCallsResult> {
  const now = new Date();
  const dynamodb = await startDynaliteWithNumber(demoNumber());
  const db = createDocumentClient({ endpoint: dynamodb.endpoint });
  await seed(db, opts.calls, now);
  const history = new CallHistoryStore(db, LOCAL_TABLE_NAMES, 90);
  const server = await startConsoleServer({ data: { numbers: new NumbersStore(db, LOCAL_TABLE_NAMES.numbers), calls: history, description: dynamodb.endpoint }, port: 0, now: () => now });
  const token = new URL(server.url).hash.slice('#token='.length);
  const api = async (path: string) => {
    const res = await fetch(`${server.origin}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as { calls: unknown[]; cursor: string | null };
  };
  const floorPage = async () => {
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: LOCAL_TABLE_NAMES.calls,
        IndexName: CALLS_TABLE.byDayIndex.name,
        KeyConditionExpression: '#day = :day',
        ExpressionAttributeNames: { '#day': 'day' },
        ExpressionAttributeValues: { ':day': now.toISOString().slice(0, 10) },
        ScanIndexForward: false,
        Limit: PAGE,
      }),
    );
    const names = { '#o': 'outcome', '#m': 'model', '#u': 'usageAtEnd' };
    await db.send(new BatchGetCommand({ RequestItems: { [LOCAL_TABLE_NAMES.calls]: { Keys: Items.map((item) => ({ callId: item.callId })), ProjectionExpression: 'callId, #o, #m, #u', ExpressionAttributeNames: names } } }));
    return Items.length;
  };
  try {
    // A page 20 back is reached by following cursors once; its cursor is then asked for each time.
    let deep: string | null = null;
    for (let i = 0; i < 20; i++) deep = (await api(`/calls${deep ? `?cursor=${encodeURIComponent(deep)}` : ''}`)).cursor;
    const kinds: [string, () => Promise<unknown>][] = [
      ['newest', () => api('/calls')],
      ['20 pages back (cursor)', () => api(`/calls?cursor=${encodeURIComponent(deep!)}`)],
      ['a number\'s newest', () => api(`/calls?number=${encodeURIComponent(OTHER_NUMBER)}`)],
      ['rejected only', () => api('/calls?outcome=rejected')],
      ['floor', floorPage],
    ];
    const times = new Map<string, number[]>(kinds.map(([name]) => [name, []]));
    // Warm both paths, then take turns so that the machine's drift falls on all of them alike.
    for (const [, run] of kinds) await run();
    for (let i = 0; i < opts.samples; i++) {
      for (const [name, run] of kinds) {
        const started = performance.now();
        await run();
        times.get(name)!.push(performance.now() - started);
      }
    }
    const latency = (page: string): PageLatency => {
      const samples = times.get(page)!;
      return { page, samples: samples.length, p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)) };
    };
    const pages = kinds.filter(([name]) => name !== 'floor').map(([name]) => latency(name));
    const floor = latency('floor');
    const overviewStarted = performance.now();
    await api('/overview');
    const overviewMs = round(performance.now() - overviewStarted, 0);
    return { calls: opts.calls, pages, floor, p50Ratio: round(pages[0].p50Ms / floor.p50Ms, 2), p99Ratio: round(pages[0].p99Ms / floor.p99Ms, 2), overviewMs };
  } finally {
    await server.close();
    await dynamodb.close();
  }
}

/** `calls` finished calls over the last ten days, newest now; one in five to another number, one in ten turned away. */
async function seed(db: ReturnType<typeof createDocumentClient>, calls: number, now: Date): Promise<void> {
  const spacingMs = (10 * 86400_000) / calls;
  const items = Array.from({ length: calls }, (_, i) => {
    const startedAt = new Date(now.getTime() - 1000 - i * spacingMs).toISOString();
    return {
      callId: `rtc_bench${String(i).padStart(6, '0')}`,
      number: i % 5 === 0 ? OTHER_NUMBER : NUMBER,
      caller: '+14155550100',
      startedAt,
      day: startedAt.slice(0, 10),
      outcome: i % 10 === 0 ? 'rejected' : 'completed',
      ...(i % 10 === 0
        ? { reason: 'unknown-number', rejectStatus: 404 }
        : { reason: 'caller-hung-up', durationSeconds: 60, model: 'gpt-realtime-2.1', transcriptionModel: 'gpt-live-transcribe', usageAtEnd: USAGE }),
      decisionMs: 20 + (i % 50),
    };
  });
  const batches = Array.from({ length: Math.ceil(calls / 25) }, (_, i) => items.slice(i * 25, i * 25 + 25));
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let batch = batches.pop(); batch; batch = batches.pop()) {
        await db.send(new BatchWriteCommand({ RequestItems: { [LOCAL_TABLE_NAMES.calls]: batch.map((Item) => ({ PutRequest: { Item } })) } }));
      }
    }),
  );
}
