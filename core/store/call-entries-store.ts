import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { addUsage, inSpokenOrder, SIDEBAND_USAGE_FIELDS, type CallAction, type TokenUsage, type TranscriptEntry, type TranscriptionUsage } from '../calls/record';
import { CALL_ENTRIES_TABLE } from './tables';

/** One item of the call entries table: a transcript entry, an action, or what one response or transcription used. */
export interface EntryItem {
  callId: string;
  /**
   * The sort key: `t#<item id>`, `a#<ISO time>#<seq>`, `u#<response id>` or, for the
   * transcription of what the caller said, `u#t#<item id>` (see CALL_ENTRIES_TABLE).
   */
  entry: string;
  /** Same as the call record's, so both go together. */
  expiresAt?: number;
  [field: string]: unknown;
}

/** DynamoDB's most items in one BatchWriteItem. */
export const MAX_ITEMS_PER_BATCH = 25;

export function transcriptItem(callId: string, { id, role, text, at }: TranscriptEntry, expiresAt: number | undefined): EntryItem {
  return { callId, entry: `t#${id}`, role, text, at, expiresAt };
}

/** `seq` orders actions taken in the same millisecond. */
export function actionItem(callId: string, action: CallAction, seq: number, expiresAt: number | undefined): EntryItem {
  return { callId, entry: `a#${action.at}#${String(seq).padStart(4, '0')}`, action, expiresAt };
}

/** `key`: the response's id, or `t#<item id>` for a transcription; a second delivery overwrites the first. */
export function usageItem(callId: string, key: string, usage: TokenUsage | TranscriptionUsage, expiresAt: number | undefined): EntryItem {
  return { callId, entry: `u#${key}`, ...usage, expiresAt };
}

/** The usage a `u#` item holds: the fields it has, as numbers (an item stored before the detail has only the totals). */
function usageOf(item: EntryItem): Partial<TokenUsage> {
  const usage: Partial<TokenUsage> = {};
  for (const field of SIDEBAND_USAGE_FIELDS) if (item[field] !== undefined) usage[field] = Number(item[field]);
  return usage;
}

/** An item's table key as one string: what tells two items apart. */
export function entryKey(item: EntryItem): string {
  return `${item.callId} ${item.entry}`;
}

/** The transcript entry an item holds, if it holds one. */
export function transcriptEntryOf(item: EntryItem): TranscriptEntry | undefined {
  if (!item.entry.startsWith('t#')) return undefined;
  return { role: item.role as TranscriptEntry['role'], text: String(item.text), at: String(item.at), id: item.entry.slice(2) };
}

/** What was said and done on a call, as stored in the entries table. */
export interface CallEntries {
  transcript: TranscriptEntry[];
  actions: CallAction[];
  usage: TokenUsage;
}

/**
 * The call entries table. Writes are BatchWriteItem puts: an entry's key says what it is, so a
 * second delivery of the same words overwrites them rather than adding a copy, and no condition
 * (which a batch cannot carry) is needed.
 */
export class CallEntriesStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes up to MAX_ITEMS_PER_BATCH items with distinct keys in one request. Returns the items
   * DynamoDB left unprocessed (throttling); the caller tries them again later.
   */
  async write(items: readonly EntryItem[]): Promise<EntryItem[]> {
    const { UnprocessedItems } = await this.db.send(
      new BatchWriteCommand({ RequestItems: { [this.tableName]: items.map((Item) => ({ PutRequest: { Item } })) } }),
    );
    return (UnprocessedItems?.[this.tableName] ?? []).map((request) => request.PutRequest?.Item as EntryItem);
  }

  /** Everything stored for a call: transcript in spoken order, actions in the order taken, usage summed (see addUsage). */
  async read(callId: string): Promise<CallEntries> {
    const entries: CallEntries = { transcript: [], actions: [], usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } };
    for (const item of await this.query(callId)) {
      const transcript = transcriptEntryOf(item);
      if (transcript) entries.transcript.push(transcript);
      else if (item.entry.startsWith('a#')) entries.actions.push(item.action as CallAction);
      else if (item.entry.startsWith('u#')) entries.usage = addUsage(entries.usage, usageOf(item));
    }
    entries.transcript = inSpokenOrder(entries.transcript);
    return entries;
  }

  /** A call's usage entries summed (see addUsage): what the call is priced by. */
  async usage(callId: string): Promise<TokenUsage> {
    return (await this.query(callId, 'u#')).reduce<TokenUsage>((sum, item) => addUsage(sum, usageOf(item)), { inputTokens: 0, outputTokens: 0, totalTokens: 0 });
  }

  /** A call's actions in the order taken (what a worker taking the call over needs to know). */
  async actions(callId: string): Promise<CallAction[]> {
    return (await this.query(callId, 'a#')).map((item) => item.action as CallAction);
  }

  private async query(callId: string, prefix?: string): Promise<EntryItem[]> {
    const items: EntryItem[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: prefix ? '#c = :c AND begins_with(#e, :p)' : '#c = :c',
          ExpressionAttributeNames: { '#c': CALL_ENTRIES_TABLE.partitionKey, ...(prefix && { '#e': CALL_ENTRIES_TABLE.sortKey }) },
          ExpressionAttributeValues: { ':c': callId, ...(prefix && { ':p': prefix }) },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      items.push(...((page.Items ?? []) as EntryItem[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}
