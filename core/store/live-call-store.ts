import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CallAction, Outcome, TokenUsage, TranscriptEntry } from '../calls/record';
import type { StoredCall } from './calls-store';

export interface CallEnding {
  outcome: Exclude<Outcome, 'pending' | 'active'>;
  reason?: string;
  transferTarget?: string;
  endedAt: string;
  durationSeconds: number;
}

/** What the call worker needs of the calls table (the benchmarks also run it on a store that keeps nothing). */
export type LiveCalls = Pick<LiveCallStore, 'get' | 'acquireLease' | 'renewLease' | 'releaseLease' | 'append' | 'finish'>;

/** An UpdateItem on a call's record, without the table and key. */
type UpdateParts = Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>;

/** What one write adds to a live call's record. */
export interface CallUpdate {
  transcript: TranscriptEntry[];
  actions: CallAction[];
  usage?: TokenUsage;
}

/**
 * What the call worker writes on a live call's record, as it happens: the lease that makes one
 * worker the call's owner, transcript entries (each stored once), actions, token usage, and
 * how the call ended.
 */
export class LiveCallStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get(callId: string): Promise<StoredCall | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { callId }, ConsistentRead: true }));
    return Item as StoredCall | undefined;
  }

  /**
   * Makes `owner` the call's worker until `until` (epoch ms), if the call is live and nobody
   * else holds an unexpired lease. Returns the record, or undefined when the lease was not had.
   */
  async acquireLease(callId: string, owner: string, until: number, now: number): Promise<StoredCall | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { callId },
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: 'outcome = :active AND (attribute_not_exists(leaseOwner) OR leaseUntil < :now OR leaseOwner = :owner)',
          ExpressionAttributeValues: { ':owner': owner, ':until': until, ':now': now, ':active': 'active' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as StoredCall;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
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

  /**
   * Adds what happened on the call in one write: transcript entries, each stored once however
   * often it is delivered (a re-attached socket replays them), actions in order, and token
   * usage. Returns the entries that were new. Throws when the call has no record.
   */
  async append(callId: string, update: CallUpdate): Promise<TranscriptEntry[]> {
    let entries = update.transcript;
    // A conflict means another delivery stored some of the entries first: leave those out and try again.
    for (let attempt = 1; ; attempt++) {
      if (entries.length === 0 && update.actions.length === 0 && !update.usage) return [];
      try {
        await this.db.send(new UpdateCommand({ TableName: this.tableName, Key: { callId }, ...appendExpression({ ...update, transcript: entries }) }));
        return entries;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException) || attempt === 3) throw err;
      }
      const stored = (await this.get(callId)) as (StoredCall & { transcriptIds?: Set<string> }) | undefined;
      if (!stored) throw new Error(`call ${callId} has no record to add to`);
      entries = entries.filter((e) => !stored.transcriptIds?.has(e.id));
    }
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

function appendExpression({ transcript, actions, usage }: CallUpdate): UpdateParts {
  const set: string[] = [];
  const add: string[] = [];
  const conditions = ['attribute_exists(callId)'];
  const values: Record<string, unknown> = {};
  if (transcript.length > 0) {
    set.push('transcript = list_append(if_not_exists(transcript, :none), :entries)');
    add.push('transcriptIds :ids');
    values[':entries'] = transcript;
    values[':ids'] = new Set(transcript.map((e) => e.id));
    transcript.forEach((e, i) => {
      conditions.push(`NOT contains(transcriptIds, :id${i})`);
      values[`:id${i}`] = e.id;
    });
  }
  if (actions.length > 0) {
    set.push('actions = list_append(if_not_exists(actions, :none), :actions)');
    values[':actions'] = actions;
  }
  if (set.length > 0) values[':none'] = [];
  if (usage) {
    add.push('inputTokens :in', 'outputTokens :out', 'totalTokens :total');
    Object.assign(values, { ':in': usage.inputTokens, ':out': usage.outputTokens, ':total': usage.totalTokens });
  }
  return {
    UpdateExpression: [set.length > 0 && `SET ${set.join(', ')}`, add.length > 0 && `ADD ${add.join(', ')}`].filter(Boolean).join(' '),
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeValues: values,
  };
}
