import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NumberConfig } from '../numbers/config';
import { conditionalWrite } from './dynamodb-client';

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

/** The numbers table: one item per E.164 number, holding its validated config. */
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
    const current = opts.expectedVersion ?? (await this.get(valid.number))?.version ?? 0;
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

  /** Returns false when there was nothing to delete. */
  async delete(number: string): Promise<boolean> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: { number }, ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  async list(): Promise<StoredNumber[]> {
    const items: StoredNumber[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey }));
      items.push(...(page.Items ?? []).map(toStored));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items.sort((a, b) => a.config.number.localeCompare(b.config.number));
  }
}

function toStored(item: Record<string, unknown>): StoredNumber {
  return { config: item.config as NumberConfig, version: Number(item.version ?? 1), updatedAt: String(item.updatedAt ?? '') };
}
