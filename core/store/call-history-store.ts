import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { addUsage, inSpokenOrder, type CallRecord, type Outcome } from '../calls/record';
import { costOfRecord } from '../pricing/call-cost';
import { CallEntriesStore, type CallEntries } from './call-entries-store';
import { batchGetAll } from './dynamodb-client';
import { entriesOnRecord, getStoredCall, type StoredCall } from './stored-call';
import { CALL_SUMMARY_ATTRIBUTES, CALLS_TABLE, RETIRED_BY_DAY_INDEX, type TableNames } from './tables';

/** A call as history listings show it (no transcript or actions). */
export type CallSummary = Omit<CallRecord, 'transcript' | 'actions' | 'usage' | 'webhookId' | 'lookup' | 'deliveries' | 'analysis' | 'cost'>;

export interface CallsPage {
  calls: CallSummary[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  cursor?: string;
  /** Something the reader should know about this page (read from the older day index: no numbers). */
  notice?: string;
}

/** A `cursor` that is not one `list` gave (garbage, or a page of another filter's index). */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super(`"${cursor}" is not a cursor of this history`);
    this.name = 'InvalidCursorError';
  }
}

const SUMMARY_FIELDS = ['callId', 'number', 'startedAt', ...CALL_SUMMARY_ATTRIBUTES] as const;
/** What costOfRecord reads of a record, besides its usage. */
const COST_FIELDS = ['callId', 'startedAt', 'outcome', 'engine', 'model', 'transcriptionModel', 'backendModel', 'analysis', 'usageAtEnd'] as const;
/** Records read whole at once by a listing: a few, so a long listing does not flood the table. */
const RECORD_READS_AT_ONCE = 8;
const PUBLIC_FIELDS = [
  'callId', 'number', 'caller', 'startedAt', 'endedAt', 'durationSeconds', 'outcome', 'reason', 'rejectStatus',
  'transferTarget', 'decisionMs', 'label', 'webhookId', 'lookup', 'deliveries', 'analysis', 'model', 'transcriptionModel', 'backendModel', 'sipCallId', 'engine',
] as const;

/**
 * Call history as users read it (the CLI, `simulate`, the console): one call whole, with what
 * was said and done on it from the entries table, or pages of calls newest first, by number
 * through the `byNumber` index or day by day through the day index. Reads only.
 */
export class CallHistoryStore {
  private readonly tableName: string;
  private readonly entries: CallEntriesStore;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    tables: Pick<TableNames, 'calls' | 'entries'>,
    /** How far back listings look by default: the retention, as no older call is kept. */
    private readonly retentionDays: number,
  ) {
    this.tableName = tables.calls;
    this.entries = new CallEntriesStore(db, tables.entries);
  }

  /**
   * The record as users read it, with what was said and done on the call. Listings that read
   * records only for their cost leave out the other engine's offers (`otherEngineOffers: false`),
   * a read that waits on the record's own.
   */
  async get(callId: string, opts: { otherEngineOffers?: boolean } = {}): Promise<CallRecord | undefined> {
    const [item, entries] = await Promise.all([getStoredCall(this.db, this.tableName, callId), this.entries.read(callId)]);
    if (!item) return undefined;
    const offers = opts.otherEngineOffers !== false && item.sipCallId ? await this.otherEngineOffers(item.sipCallId, callId) : [];
    return toRecord(item, entries, offers);
  }

  /**
   * What each call cost, and its engine, for listings (`calls list`, `status`, the console): read
   * 100 records to a request (BatchGetItem, only what the price needs), each priced by the usage
   * the worker summed when it ended the call (`usageAtEnd`). A call with no usage to sum (turned
   * away, missed) costs nothing; a call still live, or ended before the sum was kept, is read
   * whole (`getMany`).
   */
  async costsOf(callIds: readonly string[]): Promise<Map<string, Pick<CallRecord, 'cost' | 'engine'>>> {
    const costs = new Map<string, Pick<CallRecord, 'cost' | 'engine'>>();
    const whole: string[] = [];
    const names = Object.fromEntries(COST_FIELDS.map((field, i) => [`#p${i}`, field]));
    const keys = [...new Set(callIds)].map((callId) => ({ callId }));
    const items = await batchGetAll(this.db, this.tableName, keys, { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names });
    for (const item of items as StoredCall[]) {
      const usage = item.usageAtEnd ?? (item.outcome === 'rejected' || item.outcome === 'missed' ? { inputTokens: 0, outputTokens: 0, totalTokens: 0 } : undefined);
      if (!usage) whole.push(item.callId);
      else costs.set(item.callId, { cost: costOfRecord({ ...item, transcript: [], actions: [], usage }), ...(item.engine && { engine: item.engine }) });
    }
    for (const record of await this.getMany(whole, { otherEngineOffers: false })) {
      costs.set(record.callId, { ...(record.cost && { cost: record.cost }), ...(record.engine && { engine: record.engine }) });
    }
    return costs;
  }

  /** Calls read whole, as `get` reads each, 8 at a time; in the order asked for, those not found left out. */
  async getMany(callIds: readonly string[], opts: { otherEngineOffers?: boolean } = {}): Promise<CallRecord[]> {
    const records: (CallRecord | undefined)[] = new Array(callIds.length);
    let next = 0;
    const reader = async () => {
      while (next < callIds.length) {
        const i = next++;
        records[i] = await this.get(callIds[i], opts);
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECORD_READS_AT_ONCE, callIds.length) }, reader));
    return records.filter((record): record is CallRecord => record !== undefined);
  }

  /** The other API's offers of the same SIP call (CALLS_TABLE.otherEngineOffersKey), the record's own id left out. */
  private async otherEngineOffers(sipCallId: string, callId: string): Promise<string[]> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { callId: CALLS_TABLE.otherEngineOffersKey(sipCallId) } }));
    const ids = Item?.offerIds instanceof Set ? [...(Item.offerIds as Set<string>)] : [];
    return ids.filter((id) => id !== callId).sort();
  }

  /**
   * Newest first. By number through the `byNumber` index; otherwise day by day through the day
   * index (`CALLS_TABLE.byDayIndex`), back to `since` (the retention horizon by default), from
   * `until` (inclusive; now by default).
   */
  async list(opts: { number?: string; outcome?: Outcome; limit: number; cursor?: string; since?: string; until?: string; now?: number }): Promise<CallsPage> {
    const now = opts.now ?? Date.now();
    const since = opts.since ?? new Date(now - this.retentionDays * 86400_000).toISOString();
    const cursor = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    const calls: CallSummary[] = [];
    const until = opts.until;
    let day = cursor?.day ?? (opts.until ?? new Date(now).toISOString()).slice(0, 10);
    let startKey = cursor?.key;
    let index: { name: string; partitionKey: string } = opts.number ? CALLS_TABLE.byNumberIndex : CALLS_TABLE.byDayIndex;
    let notice: string | undefined;
    const query = async (input: QueryCommand['input']): Promise<QueryCommandOutput> => {
      try {
        return await this.db.send(new QueryCommand(input));
      } catch (err) {
        // DynamoDB refuses a start key that does not fit the index queried.
        if (opts.cursor && input.ExclusiveStartKey === cursor?.key && (err as Error).name === 'ValidationException' && /starting key/i.test((err as Error).message)) {
          throw new InvalidCursorError(opts.cursor);
        }
        if (index !== CALLS_TABLE.byDayIndex || !dayIndexNotReady(err)) throw err;
        // Just after the update that adds it, or against a stack not yet updated: the older day
        // index has the same keys (a cursor means the same in both) but not the dialed number.
        index = RETIRED_BY_DAY_INDEX;
        notice = `the history index ${CALLS_TABLE.byDayIndex.name} is not ready yet (DynamoDB is still building it, or the stack predates it): the dialed numbers are missing from this list; --number lists a number's calls in full`;
        return this.db.send(new QueryCommand({ ...input, IndexName: index.name }));
      }
    };
    while (calls.length < opts.limit) {
      const page = await query({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: until ? '#p = :p AND startedAt BETWEEN :since AND :until' : '#p = :p AND startedAt >= :since',
        ExpressionAttributeNames: { '#p': index.partitionKey },
        ExpressionAttributeValues: { ':p': opts.number ?? day, ':since': since, ...(until && { ':until': until }), ...(opts.outcome && { ':outcome': opts.outcome }) },
        ...(opts.outcome && { FilterExpression: 'outcome = :outcome' }),
        ScanIndexForward: false,
        Limit: opts.limit - calls.length,
        ExclusiveStartKey: startKey,
      });
      calls.push(...(page.Items ?? []).map(toSummary));
      startKey = page.LastEvaluatedKey;
      if (startKey) continue;
      if (opts.number) break;
      day = previousDay(day);
      if (day < since.slice(0, 10)) break;
    }
    const more = startKey !== undefined || (!opts.number && day >= since.slice(0, 10));
    return { calls, cursor: more ? encodeCursor({ day, key: startKey }) : undefined, ...(notice && { notice }) };
  }
}

/** DynamoDB's answers while an index is backfilling, or to a table that does not have it. */
function dayIndexNotReady(err: unknown): boolean {
  return (
    (err as { name?: string }).name === 'ValidationException' &&
    /backfilling global secondary index|does not have the specified index/i.test((err as Error).message)
  );
}

interface ListCursor {
  day: string;
  key?: Record<string, unknown>;
}

function decodeCursor(text: string): ListCursor {
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ListCursor;
  } catch {
    throw new InvalidCursorError(text);
  }
}

function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86400_000).toISOString().slice(0, 10);
}

function toSummary(item: Record<string, unknown>): CallSummary {
  const summary: Record<string, unknown> = {};
  for (const field of SUMMARY_FIELDS) if (item[field] !== undefined) summary[field] = item[field];
  return summary as CallSummary;
}

/**
 * The record's public fields with the call's entries (those of the entries table, after any kept
 * on the record: see entriesOnRecord) and the other API's offers of its SIP call.
 */
function toRecord(item: StoredCall, entries: CallEntries, otherEngineOffers: string[]): CallRecord {
  const record: Record<string, unknown> = {};
  for (const field of PUBLIC_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  const onRecord = entriesOnRecord(item);
  const read: CallRecord = {
    ...(record as unknown as CallRecord),
    ...(otherEngineOffers.length > 0 && { otherEngineOffers }),
    transcript: inSpokenOrder([...onRecord.transcript, ...entries.transcript]),
    actions: [...onRecord.actions, ...entries.actions],
    usage: addUsage(onRecord.usage, entries.usage),
  };
  return { ...read, cost: costOfRecord(read) };
}
