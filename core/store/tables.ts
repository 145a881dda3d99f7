/**
 * The shape of the two DynamoDB tables, shared by the CDK stateful stack and the local
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

/** Fixed table names for local use (`switchboard dev`, `simulate`, `--endpoint`). */
export const LOCAL_TABLE_NAMES = {
  numbers: 'switchboard-numbers',
  calls: 'switchboard-calls',
} as const;

export interface TableNames {
  numbers: string;
  calls: string;
}
