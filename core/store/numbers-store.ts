import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NumberConfig } from '../numbers/config';
import { batchGetAll, conditionalWrite } from './dynamodb-client';

export interface StoredNumber {
  config: NumberConfig;
  /** Increases by one on every write; a write that names an older version is refused. */
  version: number;
  updatedAt: string;
}

export class VersionConflictError extends Error {
  constructor(
    readonly number: string,
    readonly expected: number | undefined,
  ) {
    super(
      expected === undefined
        ? `number ${number} was created by someone else meanwhile; get it again, then put your change`
        : `number ${number} changed since version ${expected} was read; get it again, then put your change`,
    );
    this.name = 'VersionConflictError';
  }
}

/** BatchWriteItem's most items a request. */
const BATCH_WRITE_ITEMS = 25;

/** Where version `version` of a number's config is kept: an item of its own, beside the number's. */
const versionKey = (number: string, version: number) => `${number}#v${version}`;

/**
 * The numbers table: one item per E.164 number, holding its validated config, and one per
 * version a write replaced (`<number>#v<version>`, marked `versionOf`), so an overwritten config
 * is never lost. The webhook reads a number by its key and so never meets a version; listings
 * skip them.
 */
export class NumbersStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get(number: string): Promise<StoredNumber | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { number } }));
    return Item ? toStored(Item) : undefined;
  }

  /**
   * Stores a config, which must come from `parseNumberConfig` (the store does not validate, so
   * that the webhook Lambda, which only reads, does not load the schema). With
   * `expectedVersion`, the write only lands if the stored version is still that one
   * (0 = the number must not exist yet).
   */
  async put(valid: NumberConfig, opts: { expectedVersion?: number; now?: Date } = {}): Promise<StoredNumber> {
    const before = await this.get(valid.number);
    // The version about to be replaced is kept first. What is kept is what was read, so it is
    // that version's config even when the write below is refused (someone wrote meanwhile).
    if (before) await this.db.send(new PutCommand({ TableName: this.tableName, Item: { number: versionKey(valid.number, before.version), versionOf: valid.number, ...before } }));
    const current = opts.expectedVersion ?? before?.version ?? 0;
    const stored: StoredNumber = { config: valid, version: current + 1, updatedAt: (opts.now ?? new Date()).toISOString() };
    const put = await conditionalWrite(
      this.db,
      new PutCommand({
        TableName: this.tableName,
        Item: { number: valid.number, ...stored },
        ...(current === 0
          ? { ConditionExpression: 'attribute_not_exists(#n)', ExpressionAttributeNames: { '#n': 'number' } }
          : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': current } }),
      }),
    );
    if (!put.written) throw new VersionConflictError(valid.number, opts.expectedVersion);
    return stored;
  }

  /**
   * The versions of a number's config, newest first: the current one and those it replaced.
   * Versions replaced before versions were kept (releases before 2026-12-02) are not there.
   */
  async versions(number: string): Promise<StoredNumber[]> {
    const current = await this.get(number);
    if (!current) return [];
    const keys = Array.from({ length: current.version - 1 }, (_, i) => ({ number: versionKey(number, i + 1) }));
    const kept = (await batchGetAll(this.db, this.tableName, keys)).map(toStored);
    return [current, ...kept.sort((a, b) => b.version - a.version)];
  }

  /** Removes the number and its kept versions; false when there was nothing to delete. */
  async delete(number: string): Promise<boolean> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: { number }, ReturnValues: 'ALL_OLD' }),
    );
    if (!Attributes) return false;
    // A number added again starts at version 1: its versions must not be the old ones.
    const keys = Array.from({ length: Number(Attributes.version ?? 1) }, (_, i) => ({ number: versionKey(number, i + 1) }));
    for (let at = 0; at < keys.length; at += BATCH_WRITE_ITEMS) {
      let requests = keys.slice(at, at + BATCH_WRITE_ITEMS).map((Key) => ({ DeleteRequest: { Key } }));
      while (requests.length > 0) {
        const written = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (written.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
    return true;
  }

  async list(): Promise<StoredNumber[]> {
    const items: StoredNumber[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []).filter((item) => item.versionOf === undefined).map(toStored));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items.sort((a, b) => a.config.number.localeCompare(b.config.number));
  }
}

function toStored(item: Record<string, unknown>): StoredNumber {
  return { config: item.config as NumberConfig, version: Number(item.version ?? 1), updatedAt: String(item.updatedAt ?? '') };
}
