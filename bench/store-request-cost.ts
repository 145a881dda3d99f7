import { request, Agent } from 'node:http';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { LOCAL_TABLE_NAMES } from '../core/store/tables';
import type { LocalDynamoDB } from '../local/dynamodb';
import { round, runConcurrently } from './stats';

export interface StoreRequestCost {
  /** CPU of this process per UpdateItem made with the AWS SDK's document client. */
  sdkMicros: number;
  /** The same UpdateItem as a bare HTTP POST (keep-alive, no signing, no SDK). */
  bareHttpMicros: number;
}

/**
 * What one DynamoDB write costs the process that makes it, with the SDK and without: the part of
 * the worker's CPU per stored event that is the client's, not Switchboard's.
 */
export async function benchStoreRequestCost(dynamodb: LocalDynamoDB, requests = 3000, concurrency = 16): Promise<StoreRequestCost> {
  const db = createDocumentClient({ endpoint: dynamodb.endpoint });
  const key = (i: number) => `rtc_cost_${i % 100}`;
  const sdk = (i: number) =>
    db.send(new UpdateCommand({ TableName: LOCAL_TABLE_NAMES.calls, Key: { callId: key(i) }, UpdateExpression: 'ADD totalTokens :t', ExpressionAttributeValues: { ':t': 1 } }));
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const bare = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ TableName: LOCAL_TABLE_NAMES.calls, Key: { callId: { S: key(i) } }, UpdateExpression: 'ADD totalTokens :t', ExpressionAttributeValues: { ':t': { N: '1' } } });
      const req = request(
        {
          host: '127.0.0.1',
          port: dynamodb.port,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'DynamoDB_20120810.UpdateItem',
            // dynalite checks that a signature is there, not what it says.
            authorization: 'AWS4-HMAC-SHA256 Credential=local/20261130/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'x-amz-date': '20261130T000000Z',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`dynalite answered ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const cpuPerRequest = async (send: (i: number) => Promise<unknown>) => {
    let i = 0;
    await runConcurrently(requests / 3, concurrency, async () => void (await send(i++)));
    const before = process.cpuUsage();
    await runConcurrently(requests, concurrency, async () => void (await send(i++)));
    const used = process.cpuUsage(before);
    return round((used.user + used.system) / requests, 0);
  };
  try {
    return { sdkMicros: await cpuPerRequest(sdk), bareHttpMicros: await cpuPerRequest(bare) };
  } finally {
    agent.destroy();
    db.destroy();
  }
}
