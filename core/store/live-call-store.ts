import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Outcome } from '../calls/record';
import { CallEntriesStore, type EntryItem } from './call-entries-store';
import { conditionalWrite } from './dynamodb-client';
import { entriesOnRecord, getStoredCall, type StoredCall } from './stored-call';
import type { TableNames } from './tables';

export interface CallEnding {
  outcome: Exclude<Outcome, 'pending' | 'active'>;
  reason?: string;
  transferTarget?: string;
  endedAt: string;
  durationSeconds: number;
}

/** What the call worker needs of the tables (the benchmarks also run it on a store that keeps nothing). */
export type LiveCalls = Pick<LiveCallStore, 'get' | 'acquireLease' | 'renewLease' | 'releaseLease' | 'writeEntries' | 'finish'>;

/** An UpdateItem on a call's record, without the table and key. */
type UpdateParts = Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>;

/**
 * What the call worker writes as a call happens: on the call's record, the lease that makes one
 * worker the call's owner and how the call ended; in the entries table, what was said and done.
 */
export class LiveCallStore {
  private readonly entries: CallEntriesStore;
  private readonly tableName: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    tables: Pick<TableNames, 'calls' | 'entries'>,
  ) {
    this.tableName = tables.calls;
    this.entries = new CallEntriesStore(db, tables.entries);
  }

  /** The record as stored, lease included. */
  get(callId: string): Promise<StoredCall | undefined> {
    return getStoredCall(this.db, this.tableName, callId);
  }

  /**
   * Makes `owner` the call's worker until `until` (epoch ms), if the call is live and nobody
   * else holds an unexpired lease. Returns the record, or undefined when the lease was not had.
   * A call leased before (a worker died or handed it back) comes with the actions taken on it,
   * so that the new owner neither greets again nor runs a tool call twice.
   */
  async acquireLease(callId: string, owner: string, until: number, now: number): Promise<StoredCall | undefined> {
    const lease = new UpdateCommand({
      TableName: this.tableName,
      Key: { callId },
      UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until ADD leases :one',
      ConditionExpression: 'outcome = :active AND (attribute_not_exists(leaseOwner) OR leaseUntil < :now OR leaseOwner = :owner)',
      ExpressionAttributeValues: { ':owner': owner, ':until': until, ':now': now, ':active': 'active', ':one': 1 },
      ReturnValues: 'ALL_NEW',
    });
    const leased = await conditionalWrite(this.db, lease);
    if (!leased.written) return undefined;
    const call = leased.attributes as StoredCall;
    // Records written before the entries table kept their actions on the record (see entriesOnRecord).
    const { actions } = entriesOnRecord(call);
    return { ...call, actions: (call.leases ?? 1) > 1 ? [...actions, ...(await this.entries.actions(callId))] : actions };
  }

  /** Extends the lease; false when it was lost (expired and taken, or the call ended). */
  async renewLease(callId: string, owner: string, until: number): Promise<boolean> {
    return this.conditional({
      UpdateExpression: 'SET leaseUntil = :until',
      ConditionExpression: 'leaseOwner = :owner AND outcome = :active',
      ExpressionAttributeValues: { ':owner': owner, ':until': until, ':active': 'active' },
    }, callId);
  }

  /** Gives the call up so another worker can take it at once. */
  async releaseLease(callId: string, owner: string): Promise<void> {
    await this.conditional({
      UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
      ConditionExpression: 'leaseOwner = :owner',
      ExpressionAttributeValues: { ':owner': owner },
    }, callId);
  }

  /** Writes entries of any calls in one request; returns those left unprocessed (see CallEntriesStore.write). */
  writeEntries(items: readonly EntryItem[]): Promise<EntryItem[]> {
    return this.entries.write(items);
  }

  /**
   * Records how the call ended, once: a record that is no longer live is left as it is. With it,
   * the call's usage as its entries sum it (`usageAtEnd`, for listings to price the call by); a
   * failure to read it leaves it out, and listings then read the entries.
   */
  async finish(callId: string, ending: CallEnding): Promise<boolean> {
    const usageAtEnd = await this.entries.usage(callId).catch(() => undefined);
    const fields = Object.entries({ ...ending, usageAtEnd }).filter(([, v]) => v !== undefined);
    return this.conditional({
      UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :f${i}`).join(', ')} REMOVE liveNumber, leaseOwner, leaseUntil`,
      ConditionExpression: 'outcome = :active',
      ExpressionAttributeNames: Object.fromEntries(fields.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: { ...Object.fromEntries(fields.map(([, v], i) => [`:f${i}`, v])), ':active': 'active' },
    }, callId);
  }

  /** Updates the call's record if the update's condition holds; false when it did not. */
  private async conditional(update: UpdateParts, callId: string): Promise<boolean> {
    return (await conditionalWrite(this.db, new UpdateCommand({ TableName: this.tableName, Key: { callId }, ...update }))).written;
  }
}
