/**
 * The shape of the three DynamoDB tables, shared by the CDK stateful stack and the local
 * embedded DynamoDB, so both create exactly the same keys and index.
 */
export const NUMBERS_TABLE = {
  partitionKey: 'number',
} as const;

/** What history listings show; the history indexes project these (not the transcripts). */
export const CALL_SUMMARY_ATTRIBUTES = [
  'caller', 'endedAt', 'durationSeconds', 'outcome', 'reason', 'rejectStatus', 'transferTarget', 'label', 'decisionMs',
] as const;

export const CALLS_TABLE = {
  partitionKey: 'callId',
  /** History by dialed number, newest first: partition `number`, sort `startedAt` (ISO 8601). */
  byNumberIndex: { name: 'byNumber', partitionKey: 'number', sortKey: 'startedAt', nonKeyAttributes: CALL_SUMMARY_ATTRIBUTES },
  /** All calls, newest first, one UTC day per partition: partition `day` (YYYY-MM-DD), sort `startedAt`. */
  byDayIndex: { name: 'byDay', partitionKey: 'day', sortKey: 'startedAt', nonKeyAttributes: [...CALL_SUMMARY_ATTRIBUTES, 'number'] },
  /**
   * Live calls by number, for `maxConcurrentCalls`: sparse (only records with `liveNumber`,
   * set while a call is being answered or live) and keys only, so counting reads little.
   */
  liveByNumberIndex: { name: 'liveByNumber', partitionKey: 'liveNumber', sortKey: 'startedAt' },
  /** Epoch seconds after which DynamoDB deletes the record. */
  ttlAttribute: 'expiresAt',
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
  /** Epoch seconds after which DynamoDB deletes the item: the same as its call record's. */
  ttlAttribute: 'expiresAt',
} as const;

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
