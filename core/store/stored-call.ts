import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CallRecord, TokenUsage } from '../calls/record';
import type { CallEntries } from './call-entries-store';

/**
 * A call's record as the calls table holds it: what users read, and what the webhook and the
 * call worker keep on it besides. The webhook's claim: which handler is deciding the call
 * (`claimToken` until `claimUntil`), whether OpenAI answered the accept or reject (`answered`),
 * and whether the call worker was handed the call (`queued`). The worker's lease: which worker
 * holds the call (`leaseOwner` until `leaseUntil`).
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
  /**
   * The sum of the call's usage entries when the worker ended it (the analysis's is on the record
   * apart): what a listing prices the call by without reading its entries. Never added to them.
   */
  usageAtEnd?: TokenUsage;
  /** How often a worker took the call: more than once means one took it over. */
  leases?: number;
  /** Epoch seconds after which DynamoDB deletes the record (and the call's entries). */
  expiresAt?: number;
}

/** The record as stored (read consistently: the webhook and the worker decide on what it says). */
export async function getStoredCall(db: DynamoDBDocumentClient, tableName: string, callId: string): Promise<StoredCall | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { callId }, ConsistentRead: true }));
  return Item as StoredCall | undefined;
}

/**
 * What a record written before the call entries table kept on itself: its transcript, actions
 * and token usage (`transcript`, `actions`, `inputTokens`, `outputTokens`, `totalTokens`).
 *
 * Why this is still read: the call entries table shipped on 2026-11-30 (commit 5fe7c7f); a
 * record written by a release before it holds what was said and done on the call only here.
 * Without this read `calls show` would show such a call empty, and a worker taking over a call
 * that was live across the update would greet again and run its tool calls twice.
 *
 * When to drop it: a record expires its stack's retention after the call (default
 * DEFAULT_CALL_RETENTION_DAYS, 90), so on the default the last one expires by 2027-02-28
 * (2026-11-30 + 90 days); DynamoDB takes up to a few days more to delete an expired item, and
 * reads return it meanwhile. Drop this function, its use in CallHistoryStore.get and
 * LiveCallStore.acquireLease, and worker-store.test.ts's "reads records from before the entries
 * table" in the first release on or after 2027-03-07. Its notes must say so: a stack updated
 * to the entries table after 2026-11-30, or deployed with a longer `callRetentionDays` (up to
 * 3650, lib/settings.ts), still holds such records, whose calls would then show without
 * transcript, actions or usage.
 */
export function entriesOnRecord(item: StoredCall): CallEntries {
  const legacy = item as unknown as Record<string, unknown>;
  return {
    transcript: item.transcript ?? [],
    actions: item.actions ?? [],
    usage: {
      inputTokens: Number(legacy.inputTokens ?? 0),
      outputTokens: Number(legacy.outputTokens ?? 0),
      totalTokens: Number(legacy.totalTokens ?? 0),
    },
  };
}
