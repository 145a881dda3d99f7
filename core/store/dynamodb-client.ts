import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
