import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Outcome } from '../calls/record';
import { CallEntriesStore, type EntryItem } from './call-entries-store';
import type { StoredCall } from './calls-store';
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

  async get(callId: string): Promise<StoredCall | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { callId }, ConsistentRead: true }));
    return Item as StoredCall | undefined;
  }

  /**
   * Makes `owner` the call's worker until `until` (epoch ms), if the call is live and nobody
   * else holds an unexpired lease. Returns the record, or undefined when the lease was not had.
   * A call leased before (a worker died or handed it back) comes with the actions taken on it,
   * so that the new owner neither greets again nor runs a tool call twice.
   */
  async acquireLease(callId: string, owner: string, until: number, now: number): Promise<StoredCall | undefined> {
    let call: StoredCall;
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { callId },
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until ADD leases :one',
          ConditionExpression: 'outcome = :active AND (attribute_not_exists(leaseOwner) OR leaseUntil < :now OR leaseOwner = :owner)',
          ExpressionAttributeValues: { ':owner': owner, ':until': until, ':now': now, ':active': 'active', ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      call = Attributes as StoredCall;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
    // Records written before the entries table kept their actions on the record.
    const actions = call.actions ?? [];
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

  /** Records how the call ended, once: a record that is no longer live is left as it is. */
  async finish(callId: string, ending: CallEnding): Promise<boolean> {
    const fields = Object.entries(ending).filter(([, v]) => v !== undefined);
    return this.conditional({
      UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :f${i}`).join(', ')} REMOVE liveNumber, leaseOwner, leaseUntil`,
      ConditionExpression: 'outcome = :active',
      ExpressionAttributeNames: Object.fromEntries(fields.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: { ...Object.fromEntries(fields.map(([, v], i) => [`:f${i}`, v])), ':active': 'active' },
    }, callId);
  }

  private async conditional(update: UpdateParts, callId: string): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({ TableName: this.tableName, Key: { callId }, ...update }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
