import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, type DeleteCommand, type PutCommand, type UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';

/**
 * A DynamoDB client. `endpoint` points it at a local DynamoDB (which accepts any
 * credentials); otherwise the SDK's own resolution applies, `AWS_ENDPOINT_URL_DYNAMODB` included.
 */
export function createDynamoDBClient(opts: { endpoint?: string } = {}): DynamoDBClient {
  return new DynamoDBClient(
    opts.endpoint
      ? { endpoint: opts.endpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {},
  );
}

/** The document client the stores use (plain JavaScript values in and out). */
export function createDocumentClient(opts: { endpoint?: string; client?: DynamoDBClient } = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(opts.client ?? createDynamoDBClient(opts), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * How a conditional write went: written (with the item's attributes, when the write asked for
 * them with ReturnValues), or refused by its condition (DynamoDB's refusal, which holds the item
 * as it was when the write asked for it with ReturnValuesOnConditionCheckFailure).
 */
export type ConditionalWrite =
  | { written: true; attributes: Record<string, NativeAttributeValue> | undefined }
  | { written: false; refusal: ConditionalCheckFailedException };

/** Sends a write that carries a condition: a refusal by the condition is an answer, any other error throws. */
export async function conditionalWrite(db: DynamoDBDocumentClient, command: PutCommand | UpdateCommand | DeleteCommand): Promise<ConditionalWrite> {
  try {
    const { Attributes } = await db.send(command as UpdateCommand);
    return { written: true, attributes: Attributes };
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return { written: false, refusal: err };
    throw err;
  }
}

/** BatchGetItem's most keys a request. */
const BATCH_GET_KEYS = 100;

/**
 * The items of `keys` that exist, read 100 keys a request (BatchGetItem), in no particular order.
 * Keys DynamoDB leaves unread (throttling, or 16 MB in one answer) are asked for again after a
 * pause that doubles.
 */
export async function batchGetAll(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, NativeAttributeValue>[],
  projection?: { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> },
): Promise<Record<string, NativeAttributeValue>[]> {
  const items: Record<string, NativeAttributeValue>[] = [];
  for (let at = 0; at < keys.length; at += BATCH_GET_KEYS) {
    let unread = keys.slice(at, at + BATCH_GET_KEYS);
    for (let attempt = 0; unread.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const read = await db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: [...unread], ...projection } } }));
      items.push(...(read.Responses?.[tableName] ?? []));
      unread = read.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return items;
}
