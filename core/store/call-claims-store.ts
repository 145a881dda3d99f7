import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LookupRecord } from '../calls/lookup';
import type { Outcome } from '../calls/record';
import { SESSION_CAP_MS } from '../openai/limits';
import { conditionalWrite } from './dynamodb-client';
import { getStoredCall, type StoredCall } from './stored-call';
import { CALLS_TABLE, type TableNames } from './tables';

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
  lookup?: LookupRecord;
  sipCallId?: string;
  engine?: 'live';
  /** What an accepted call is answered with, for its cost. */
  model?: string;
  transcriptionModel?: string;
  /** The Responses model a GPT-Live call delegates to. */
  backendModel?: string;
}

/** What the webhook records of OpenAI's answer and of its own decision. */
export type CallAnswer = Partial<
  Pick<StoredCall, 'outcome' | 'reason' | 'rejectStatus' | 'label' | 'liveNumber' | 'answered' | 'queued' | 'decisionMs' | 'endedAt' | 'acceptUnconfirmed'>
>;

/** What the webhook path needs of the calls table (the benchmarks run it on other stores). */
export type CallClaims = Pick<CallClaimsStore, 'create' | 'takeOver' | 'recordAnswer' | 'deleteUnanswered' | 'countLive' | 'recordOtherEngineOffer'>;

/**
 * The webhook's claim on a call: the record it creates for each call, which makes one handler
 * the call's decider (`claimToken` until `claimUntil`) however often OpenAI delivers the
 * webhook, and what it records of OpenAI's answer while it holds the claim. Also the count of a
 * number's live calls that the decision rests on (the `liveByNumber` index the claims keep).
 */
export class CallClaimsStore {
  private readonly tableName: string;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    tables: Pick<TableNames, 'calls'>,
    private readonly retentionDays: number,
  ) {
    this.tableName = tables.calls;
  }

  /** Creates the record unless one exists; returns the existing one otherwise. */
  async create(call: NewCall): Promise<{ created: true } | { created: false; existing: StoredCall }> {
    const expiresAt = Math.floor(Date.parse(call.startedAt) / 1000) + this.retentionDays * 86400;
    const put = await conditionalWrite(
      this.db,
      new PutCommand({
        TableName: this.tableName,
        Item: { ...call, answered: false, queued: false, day: call.startedAt.slice(0, 10), [CALLS_TABLE.ttlAttribute]: expiresAt },
        ConditionExpression: 'attribute_not_exists(callId)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    if (put.written) return { created: true };
    const { Item } = put.refusal;
    const existing = Item ? (unmarshall(Item) as StoredCall) : await getStoredCall(this.db, this.tableName, call.callId);
    if (existing) return { created: false, existing };
    throw put.refusal;
  }

  /** Takes over a record whose claim expired (its handler died) or was given up. */
  async takeOver(callId: string, previousToken: string | undefined, claimToken: string, claimUntil: number): Promise<boolean> {
    const update = await conditionalWrite(
      this.db,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId },
        UpdateExpression: 'SET claimToken = :new, claimUntil = :until',
        ConditionExpression: previousToken === undefined ? 'attribute_not_exists(claimToken)' : 'claimToken = :old',
        ExpressionAttributeValues: { ':new': claimToken, ':until': claimUntil, ...(previousToken !== undefined && { ':old': previousToken }) },
      }),
    );
    return update.written;
  }

  /**
   * Records what OpenAI answered (and what we decided), as long as this handler still holds the
   * claim; throws when it does not. A call that is not live leaves the `liveByNumber` index.
   */
  async recordAnswer(callId: string, claimToken: string, answer: CallAnswer): Promise<void> {
    const set = Object.entries(answer).filter(([, v]) => v !== undefined);
    const live = answer.outcome === 'active';
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

  /**
   * Deletes the record, if this handler still holds the claim and OpenAI did not answer, so that
   * OpenAI's retry of the webhook finds no record and decides the call afresh.
   */
  async deleteUnanswered(callId: string, claimToken: string): Promise<void> {
    await conditionalWrite(
      this.db,
      new DeleteCommand({
        TableName: this.tableName,
        Key: { callId },
        ConditionExpression: 'claimToken = :claim AND answered = :no',
        ExpressionAttributeValues: { ':claim': claimToken, ':no': false },
      }),
    );
  }

  /**
   * An offer of a SIP call by the API that does not answer the number, kept with the SIP call
   * (CALLS_TABLE.otherEngineOffersKey) for the answered call's record to name: a set, so a
   * redelivered webhook adds nothing, and it may come before or after the answered call's record.
   */
  async recordOtherEngineOffer(sipCallId: string, offerId: string, offeredAt: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { callId: CALLS_TABLE.otherEngineOffersKey(sipCallId) },
        UpdateExpression: 'ADD offerIds :id SET #ttl = if_not_exists(#ttl, :expires)',
        ExpressionAttributeNames: { '#ttl': CALLS_TABLE.ttlAttribute },
        ExpressionAttributeValues: { ':id': new Set([offerId]), ':expires': Math.floor(offeredAt / 1000) + this.retentionDays * 86400 },
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
}
