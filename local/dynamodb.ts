import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CALL_ENTRIES_TABLE, CALLS_TABLE, NUMBERS_TABLE, type TableNames } from '../core/store/tables';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;

export interface LocalDynamoDB {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * An embedded DynamoDB (dynalite: the DynamoDB API over HTTP, in Node), in memory or
 * persisted under `dataDir`, on 127.0.0.1.
 */
export async function startLocalDynamoDB(opts: { port?: number; dataDir?: string } = {}): Promise<LocalDynamoDB> {
  const server = dynalite({ path: opts.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    // Requests in flight finish first (dynalite throws if its store closes under one); idle
    // keep-alive connections are closed, so clients see the server gone at once.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Creates the numbers, calls and call entries tables, with the same keys and indexes as the deployed ones, if missing. */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const S = 'S' as const;
  const { byNumberIndex, byDayIndex, liveByNumberIndex } = CALLS_TABLE;
  await createIfMissing(client, names.numbers, {
    AttributeDefinitions: [{ AttributeName: NUMBERS_TABLE.partitionKey, AttributeType: S }],
    KeySchema: [{ AttributeName: NUMBERS_TABLE.partitionKey, KeyType: 'HASH' }],
  });
  const index = (i: { name: string; partitionKey: string; sortKey: string; nonKeyAttributes?: readonly string[] }) => ({
    IndexName: i.name,
    KeySchema: [
      { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: i.nonKeyAttributes ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...i.nonKeyAttributes] } : { ProjectionType: 'KEYS_ONLY' as const },
  });
  await createIfMissing(client, names.calls, {
    AttributeDefinitions: [CALLS_TABLE.partitionKey, 'number', 'startedAt', 'day', 'liveNumber'].map((AttributeName) => ({ AttributeName, AttributeType: S })),
    KeySchema: [{ AttributeName: CALLS_TABLE.partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [index(byNumberIndex), index(byDayIndex), index(liveByNumberIndex)],
  });
  await createIfMissing(client, names.entries, {
    AttributeDefinitions: [CALL_ENTRIES_TABLE.partitionKey, CALL_ENTRIES_TABLE.sortKey].map((AttributeName) => ({ AttributeName, AttributeType: S })),
    KeySchema: [
      { AttributeName: CALL_ENTRIES_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: CALL_ENTRIES_TABLE.sortKey, KeyType: 'RANGE' },
    ],
  });
}

async function createIfMissing(
  client: DynamoDBClient,
  TableName: string,
  shape: Omit<ConstructorParameters<typeof CreateTableCommand>[0], 'TableName' | 'BillingMode'>,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  await client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', ...shape }));
}
