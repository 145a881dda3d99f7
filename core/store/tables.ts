/**
 * The shape of the three DynamoDB tables: keys, key attribute types, indexes and what they
 * project, TTL, billing. The one description both the CDK stateful stack (lib/stateful-stack.ts)
 * and the local embedded DynamoDB (local/dynamodb.ts) build their tables from, and the stores
 * read index names and attributes from; test/infra/table-shapes.test.ts holds the deployed
 * tables against the local ones.
 */

/** A key attribute's DynamoDB type: S string, N number, B binary. */
export type KeyAttributeType = 'S' | 'N' | 'B';

export interface IndexShape {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Projected besides the keys (INCLUDE); absent: keys only (KEYS_ONLY). */
  readonly nonKeyAttributes?: readonly string[];
}

export interface TableShape {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** The type of every attribute that is a key of the table or of one of its indexes. */
  readonly keyTypes: Readonly<Record<string, KeyAttributeType>>;
  /**
   * The global secondary indexes, in the order they were added to the deployed table (a new one
   * goes last, so the template of an update changes by that index alone).
   */
  readonly indexes: readonly IndexShape[];
  /** Epoch seconds after which DynamoDB deletes the item. */
  readonly ttlAttribute?: string;
  readonly billingMode: 'PAY_PER_REQUEST';
}

export const NUMBERS_TABLE = {
  partitionKey: 'number',
  keyTypes: { number: 'S' },
  indexes: [],
  billingMode: 'PAY_PER_REQUEST',
} as const;

/** What history listings show; the history indexes project these (not the transcripts). */
export const CALL_SUMMARY_ATTRIBUTES = [
  'caller', 'endedAt', 'durationSeconds', 'outcome', 'reason', 'rejectStatus', 'transferTarget', 'label', 'decisionMs',
] as const;

/** History by dialed number, newest first: partition `number`, sort `startedAt` (ISO 8601). */
const byNumberIndex = { name: 'byNumber', partitionKey: 'number', sortKey: 'startedAt', nonKeyAttributes: CALL_SUMMARY_ATTRIBUTES } as const;

/**
 * All calls, newest first, one UTC day per partition: partition `day` (YYYY-MM-DD), sort
 * `startedAt`. Projects `number` too (a listing of all numbers' calls shows each call's number).
 *
 * Migration from `byDay` (added 2026-12-01). The release before deployed `byDay` with the same
 * keys but without `number`, so `calls list` without `--number` showed an empty NUMBER column in
 * AWS (the local table had it). A projection cannot change in place, and CloudFormation creates or
 * deletes only one global secondary index per table per stack update (AWS::DynamoDB::GlobalTable
 * GlobalSecondaryIndexes:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html#cfn-dynamodb-globaltable-globalsecondaryindexes),
 * so this is done in two releases, each one `cdk deploy`, each one index operation:
 *   1. This release: create `byDayWithNumber` (its name is new, so it is one creation) and read
 *      from it (`CALLS_TABLE.byDayIndex` is what the calls store queries); keep `byDay`
 *      (`RETIRED_BY_DAY_INDEX`) unchanged. No record is touched: DynamoDB backfills the new index
 *      from the table, and indexes every write meanwhile
 *      (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html).
 *      Backfill: CloudFormation does not wait for it ("CloudFormation does not wait for the index
 *      to become active", same page), so the update completes while the index is still CREATING.
 *      Until it is ACTIVE (minutes for a small table, longer for millions of calls) a query of it
 *      fails with `ValidationException: Cannot read from backfilling global secondary index:
 *      byDayWithNumber`: `calls list` without `--number` and `status` report that error and work
 *      again once the index is ACTIVE; `calls list --number` (byNumber), `calls show`, the webhook
 *      and the call workers never read this index and are unaffected. No history is lost or
 *      hidden for longer than the backfill. (A CLI of this release against a stack not yet
 *      updated gets `The table does not have the specified index: byDayWithNumber` until
 *      `cdk deploy`; a `switchboard dev` data dir is rebuilt to the new shape by ensureTables.)
 *   2. The first release on or after 2027-03-01: delete `byDay` (one deletion). Only once every
 *      deployed stack has run release 1 (a stack updated straight from the release before would
 *      need a creation and a deletion in one update, which CloudFormation refuses); that release's
 *      notes must say so, and test/infra/released/data-tables.json must then be release 1's tables.
 */
const byDayIndex = {
  name: 'byDayWithNumber',
  partitionKey: 'day',
  sortKey: 'startedAt',
  nonKeyAttributes: [...CALL_SUMMARY_ATTRIBUTES, 'number'],
} as const;

/**
 * The history index of the release before `byDayWithNumber`, kept as deployed (projection frozen
 * here, not derived from CALL_SUMMARY_ATTRIBUTES, so it can never change in place) until it is
 * dropped on or after 2027-03-01 (see `byDayIndex`). Nothing of this release reads it (the CLI of
 * the release before does).
 */
export const RETIRED_BY_DAY_INDEX = {
  name: 'byDay',
  partitionKey: 'day',
  sortKey: 'startedAt',
  nonKeyAttributes: ['caller', 'endedAt', 'durationSeconds', 'outcome', 'reason', 'rejectStatus', 'transferTarget', 'label', 'decisionMs'],
} as const satisfies IndexShape;

/**
 * Live calls by number, for `maxConcurrentCalls`: sparse (only records with `liveNumber`,
 * set while a call is being answered or live) and keys only, so counting reads little.
 */
const liveByNumberIndex = { name: 'liveByNumber', partitionKey: 'liveNumber', sortKey: 'startedAt' } as const;

export const CALLS_TABLE = {
  partitionKey: 'callId',
  keyTypes: { callId: 'S', number: 'S', startedAt: 'S', day: 'S', liveNumber: 'S' },
  byNumberIndex,
  byDayIndex,
  liveByNumberIndex,
  indexes: [byNumberIndex, RETIRED_BY_DAY_INDEX, liveByNumberIndex, byDayIndex],
  /** Epoch seconds after which DynamoDB deletes the record. */
  ttlAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
  /**
   * Besides one record per call, one item per SIP call that the other API offered too, under this
   * key: the ids of the offers the number's engine did not answer (`offerIds`, a string set). It
   * has no `day`, `number` or `liveNumber`, so no index or listing holds it, and no `outcome`, so
   * the stream's filters pass none of its changes on (lib/constructs/call-deliveries.ts).
   */
  otherEngineOffersKey: (sipCallId: string) => `sip#${sipCallId}`,
} as const;

/**
 * What was said and done on each call, one item per transcript entry, action and response's
 * token usage: the call worker writes them for many calls at once (BatchWriteItem), which it
 * cannot do with updates to the calls' records. Sort key `entry`: `t#<OpenAI item id>` (the same
 * words are stored once, however often delivered), `a#<ISO time>#<seq>`, `u#<response id>`.
 */
export const CALL_ENTRIES_TABLE = {
  partitionKey: 'callId',
  sortKey: 'entry',
  keyTypes: { callId: 'S', entry: 'S' },
  indexes: [],
  /** Epoch seconds after which DynamoDB deletes the item: the same as its call record's. */
  ttlAttribute: 'expiresAt',
  billingMode: 'PAY_PER_REQUEST',
} as const;

/** Every table, under the same keys as its name in `TableNames` (and type-checked against TableShape here). */
export const TABLES: { readonly [K in keyof TableNames]: TableShape } = {
  numbers: NUMBERS_TABLE,
  calls: CALLS_TABLE,
  entries: CALL_ENTRIES_TABLE,
};

/** Fixed table names for local use (`switchboard dev`, `simulate`, `--endpoint`). */
export const LOCAL_TABLE_NAMES = {
  numbers: 'switchboard-numbers',
  calls: 'switchboard-calls',
  entries: 'switchboard-call-entries',
} as const;

export interface TableNames {
  numbers: string;
  calls: string;
  entries: string;
}

/**
 * Secrets of a local Switchboard (`switchboard dev`): the tool signing secret and the tool
 * secrets, stored by `switchboard secrets set ... --endpoint` (item `name`: `tool-signing-secret`
 * or `tool:<NAME>`, attribute `value`). Local only, never deployed: in AWS they live in Secrets
 * Manager. Kept apart from TABLES, which are the deployed tables.
 */
export const LOCAL_SECRETS_TABLE = {
  partitionKey: 'name',
  keyTypes: { name: 'S' },
  indexes: [],
  billingMode: 'PAY_PER_REQUEST',
} as const satisfies TableShape;

export const LOCAL_SECRETS_TABLE_NAME = 'switchboard-secrets';
