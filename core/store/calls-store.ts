import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { inSpokenOrder, type CallAction, type CallRecord, type Outcome, type TranscriptEntry } from '../calls/record';
import { CallEntriesStore, type CallEntries } from './call-entries-store';
import { CALL_SUMMARY_ATTRIBUTES, CALLS_TABLE, type TableNames } from './tables';

/**
 * What the webhook path keeps on a record besides what users read: which handler is deciding
 * the call (`claimToken` until `claimUntil`), whether OpenAI answered the accept or reject
 * (`answered`), and whether the call worker was handed the call (`queued`).
 */
export interface StoredCall extends CallRecord {
  claimToken?: string;
  claimUntil?: number;
  answered?: boolean;
  queued?: boolean;
  acceptUnconfirmed?: boolean;
  liveNumber?: string;
  leaseOwner?: string;
  leaseUntil?: number;
  /** How often a worker took the call: more than once means one took it over. */
  leases?: number;
  /** Epoch seconds after which DynamoDB deletes the record (and the call's entries). */
  expiresAt?: number;
}

export interface NewCall {
  callId: string;
  number: string;
  caller: string;
  startedAt: string;
  webhookId: string;
  outcome: Outcome;
  reason?: string;
  rejectStatus?: number;
  label?: string;
  claimToken: string;
  claimUntil: number;
  /** Set while the call is being answered or live (feeds the `liveByNumber` index). */
  liveNumber?: string;
}

/** A call as history listings show it (no transcript or actions). */
export type CallSummary = Omit<CallRecord, 'transcript' | 'actions' | 'usage' | 'webhookId'>;

export interface CallsPage {
  calls: CallSummary[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  cursor?: string;
}

/** OpenAI ends every Realtime session after 60 minutes, so no older call can still be live. */
const SESSION_CAP_MS = 60 * 60 * 1000;

const SUMMARY_FIELDS = ['callId', 'number', 'startedAt', ...CALL_SUMMARY_ATTRIBUTES] as const;
const PUBLIC_FIELDS = [
  'callId', 'number', 'caller', 'startedAt', 'endedAt', 'durationSeconds', 'outcome', 'reason', 'rejectStatus',
  'transferTarget', 'decisionMs', 'label', 'webhookId',
] as const;

/**
 * The calls table: one record per call, history by number through the `byNumber` index; read
 * together with the call's entries (what was said and done) as users see a call.
 */
export class CallsStore {
  private readonly tableName: string;
  private readonly entries: CallEntriesStore;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    tables: Pick<TableNames, 'calls' | 'entries'>,
    private readonly retentionDays: number,
  ) {
    this.tableName = tables.calls;
    this.entries = new CallEntriesStore(db, tables.entries);
  }

  /** Creates the record unless one exists; returns the existing one otherwise. */
  async create(call: NewCall): Promise<{ created: true } | { created: false; existing: StoredCall }> {
    const expiresAt = Math.floor(Date.parse(call.startedAt) / 1000) + this.retentionDays * 86400;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...call, answered: false, queued: false, day: call.startedAt.slice(0, 10), [CALLS_TABLE.ttlAttribute]: expiresAt },
          ConditionExpression: 'attribute_not_exists(callId)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        const existing = err.Item ? (unmarshall(err.Item) as StoredCall) : await this.getStored(call.callId);
        if (existing) return { created: false, existing };
      }
      throw err;
    }
  }

  /** Takes over a record whose claim expired (its handler died) or was released. */
  async takeOver(callId: string, previousToken: string | undefined, claimToken: string, claimUntil: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId },
        UpdateExpression: 'SET claimToken = :new, claimUntil = :until',
        ConditionExpression: previousToken === undefined ? 'attribute_not_exists(claimToken)' : 'claimToken = :old',
        ExpressionAttributeValues: { ':new': claimToken, ':until': claimUntil, ...(previousToken !== undefined && { ':old': previousToken }) },
      }),
    );
  }

  /** Records what OpenAI answered (and what we decided), as long as this handler still holds the claim. */
  async settle(
    callId: string,
    claimToken: string,
    fields: Partial<
      Pick<StoredCall, 'outcome' | 'reason' | 'rejectStatus' | 'label' | 'liveNumber' | 'answered' | 'queued' | 'decisionMs' | 'endedAt' | 'acceptUnconfirmed'>
    >,
  ): Promise<void> {
    const set = Object.entries(fields).filter(([, v]) => v !== undefined);
    const live = fields.outcome === 'active';
    const names = Object.fromEntries(set.map(([k], i) => [`#f${i}`, k]));
    const values = Object.fromEntries(set.map(([, v], i) => [`:f${i}`, v]));
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId },
        UpdateExpression: `SET ${set.map((_, i) => `#f${i} = :f${i}`).join(', ')}${live ? '' : ' REMOVE liveNumber'}`,
        ConditionExpression: 'claimToken = :claim',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':claim': claimToken },
      }),
    );
  }

  /** Gives the claim up so that OpenAI's retry of the webhook can decide the call afresh. */
  async release(callId: string, claimToken: string): Promise<void> {
    await this.conditional(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { callId },
        ConditionExpression: 'claimToken = :claim AND answered = :no',
        ExpressionAttributeValues: { ':claim': claimToken, ':no': false },
      }),
    );
  }

  /** Calls to a number being answered or live (within OpenAI's session cap, in case a record was never closed). */
  async countLive(number: string, now: number): Promise<number> {
    let count = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: CALLS_TABLE.liveByNumberIndex.name,
          KeyConditionExpression: 'liveNumber = :n AND startedAt >= :since',
          ExpressionAttributeValues: { ':n': number, ':since': new Date(now - SESSION_CAP_MS).toISOString() },
          Select: 'COUNT',
          ExclusiveStartKey,
        }),
      );
      count += page.Count ?? 0;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return count;
  }

  async getStored(callId: string): Promise<StoredCall | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { callId }, ConsistentRead: true }));
    return Item as StoredCall | undefined;
  }

  /** The record as users read it, with what was said and done on the call. */
  async get(callId: string): Promise<CallRecord | undefined> {
    const [item, entries] = await Promise.all([this.getStored(callId), this.entries.read(callId)]);
    return item && toRecord(item, entries);
  }

  /**
   * Newest first. By number through the `byNumber` index; otherwise day by day through the
   * `byDay` index, back to `oldestDay` (the retention horizon by default).
   */
  async list(opts: { number?: string; outcome?: Outcome; limit: number; cursor?: string; since?: string; now?: number }): Promise<CallsPage> {
    const now = opts.now ?? Date.now();
    const since = opts.since ?? new Date(now - this.retentionDays * 86400_000).toISOString();
    const cursor = opts.cursor ? (JSON.parse(Buffer.from(opts.cursor, 'base64url').toString('utf8')) as ListCursor) : undefined;
    const calls: CallSummary[] = [];
    let day = cursor?.day ?? new Date(now).toISOString().slice(0, 10);
    let startKey = cursor?.key;
    const index = opts.number ? CALLS_TABLE.byNumberIndex : CALLS_TABLE.byDayIndex;
    while (calls.length < opts.limit) {
      const page: QueryCommandOutput = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#p = :p AND startedAt >= :since',
          ExpressionAttributeNames: { '#p': index.partitionKey },
          ExpressionAttributeValues: { ':p': opts.number ?? day, ':since': since, ...(opts.outcome && { ':outcome': opts.outcome }) },
          ...(opts.outcome && { FilterExpression: 'outcome = :outcome' }),
          ScanIndexForward: false,
          Limit: opts.limit - calls.length,
          ExclusiveStartKey: startKey,
        }),
      );
      calls.push(...(page.Items ?? []).map(toSummary));
      startKey = page.LastEvaluatedKey;
      if (startKey) continue;
      if (opts.number) break;
      day = previousDay(day);
      if (day < since.slice(0, 10)) break;
    }
    const more = startKey !== undefined || (!opts.number && day >= since.slice(0, 10));
    return { calls, cursor: more ? encodeCursor({ day, key: startKey }) : undefined };
  }

  private async conditional(command: UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.db.send(command as UpdateCommand);
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}

interface ListCursor {
  day: string;
  key?: Record<string, unknown>;
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

/** Records written before the entries table kept their transcript, actions and usage on the record: both are read. */
function toRecord(item: StoredCall, entries: CallEntries): CallRecord {
  const record: Record<string, unknown> = {};
  for (const field of PUBLIC_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  const legacy = item as unknown as Record<string, unknown>;
  return {
    ...(record as unknown as CallRecord),
    transcript: inSpokenOrder([...((item.transcript ?? []) as TranscriptEntry[]), ...entries.transcript]),
    actions: [...((item.actions ?? []) as CallAction[]), ...entries.actions],
    usage: {
      inputTokens: Number(legacy.inputTokens ?? 0) + entries.usage.inputTokens,
      outputTokens: Number(legacy.outputTokens ?? 0) + entries.usage.outputTokens,
      totalTokens: Number(legacy.totalTokens ?? 0) + entries.usage.totalTokens,
    },
  };
}
