import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  type KeySchemaElement,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_SECRETS_TABLE, LOCAL_SECRETS_TABLE_NAME, TABLES, type TableNames, type TableShape } from '../core/store/tables';

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

/**
 * Creates the numbers, calls and call entries tables as core/store/tables.ts describes them (the
 * description the deployed tables are built from), and brings a table created by an older
 * Switchboard (a `switchboard dev` data dir) to that shape, keeping its items.
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const table of Object.keys(TABLES) as (keyof TableNames)[]) await ensureTable(client, createTableInput(names[table], TABLES[table]));
}

/**
 * The secrets of a local Switchboard in its embedded DynamoDB (core/store/tables.ts
 * LOCAL_SECRETS_TABLE): what `switchboard secrets set ... --endpoint` stores and `switchboard dev`
 * reads, the tool signing secret (item `tool-signing-secret`) and the tool secrets (items
 * `tool:<NAME>`). The values are kept as given, in the dev data dir in plain text: for local work only.
 */
export class LocalSecrets {
  constructor(private readonly client: DynamoDBClient) {}

  /** Creates the table if it is missing (a data dir from before it, or a first `secrets set`). */
  async ensureTable(): Promise<void> {
    await ensureTable(this.client, createTableInput(LOCAL_SECRETS_TABLE_NAME, LOCAL_SECRETS_TABLE));
  }

  signingSecret(): Promise<string | undefined> {
    return this.get('tool-signing-secret');
  }

  setSigningSecret(value: string): Promise<void> {
    return this.put('tool-signing-secret', value);
  }

  /** What `switchboard dev` signs lookups with, written at its start (derived from its webhook secret). */
  lookupSigningSecret(): Promise<string | undefined> {
    return this.get('lookup-signing-secret');
  }

  setLookupSigningSecret(value: string): Promise<void> {
    return this.put('lookup-signing-secret', value);
  }

  /** The value of `{{secret:NAME}}`, or undefined when none was stored. */
  toolSecret(name: string): Promise<string | undefined> {
    return this.get(`tool:${name}`);
  }

  setToolSecret(name: string, value: string): Promise<void> {
    return this.put(`tool:${name}`, value);
  }

  private async get(name: string): Promise<string | undefined> {
    try {
      const { Item } = await this.client.send(new GetItemCommand({ TableName: LOCAL_SECRETS_TABLE_NAME, Key: { name: { S: name } }, ConsistentRead: true }));
      return Item?.value?.S;
    } catch (err) {
      // The table is made at dev's start and by the first `secrets set`: before either, nothing is stored.
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }

  private async put(name: string, value: string): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: LOCAL_SECRETS_TABLE_NAME, Item: { name: { S: name }, value: { S: value } } }));
  }
}

/** The CreateTable request for a table of this shape. */
function createTableInput(TableName: string, shape: TableShape): CreateTableCommandInput {
  const keySchema = (partitionKey: string, sortKey?: string): KeySchemaElement[] => [
    { AttributeName: partitionKey, KeyType: 'HASH' },
    ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  const keyAttributes = [shape.partitionKey, shape.sortKey, ...shape.indexes.flatMap((i) => [i.partitionKey, i.sortKey])].filter((a): a is string => a !== undefined);
  return {
    TableName,
    BillingMode: shape.billingMode,
    AttributeDefinitions: [...new Set(keyAttributes)].map((AttributeName) => {
      const AttributeType = shape.keyTypes[AttributeName];
      if (!AttributeType) throw new Error(`core/store/tables.ts: key attribute "${AttributeName}" has no type in keyTypes`);
      return { AttributeName, AttributeType };
    }),
    KeySchema: keySchema(shape.partitionKey, shape.sortKey),
    ...(shape.indexes.length > 0 && {
      GlobalSecondaryIndexes: shape.indexes.map((i) => ({
        IndexName: i.name,
        KeySchema: keySchema(i.partitionKey, i.sortKey),
        Projection: i.nonKeyAttributes ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.nonKeyAttributes] } : { ProjectionType: 'KEYS_ONLY' },
      })),
    }),
  };
}

/**
 * Creates the table if missing. A table of another shape (indexes added or changed since it was
 * created) is rebuilt: dynalite's UpdateTable changes throughput only, it cannot add or drop an
 * index. Its items are copied to `<name>.rebuilding` first and back into the new table, and a
 * rebuild cut short (the process killed) resumes from that copy on the next start, so no step
 * loses an item.
 */
async function ensureTable(client: DynamoDBClient, wanted: CreateTableCommandInput): Promise<void> {
  const name = wanted.TableName!;
  const backup = `${name}.rebuilding`;
  let existing = await describe(client, name);
  const pending = await describe(client, backup);
  if (existing && sameShape(existing, wanted) && !pending) return;

  if (existing && !sameShape(existing, wanted)) {
    // The copy is keyed like the old table and has no indexes: it only has to hold the items.
    const keys = new Set(existing.KeySchema!.map((k) => k.AttributeName));
    if (!pending) {
      await createTable(client, {
        TableName: backup,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: existing.KeySchema,
        AttributeDefinitions: existing.AttributeDefinitions!.filter((a) => keys.has(a.AttributeName)),
      });
    }
    await copyItems(client, name, backup);
    await deleteTable(client, name);
    existing = undefined;
  }
  if (!existing) await createTable(client, wanted);
  if (pending || (await describe(client, backup))) {
    await copyItems(client, backup, name);
    await deleteTable(client, backup);
  }
}

/** What a table's readers and writers depend on: keys, attribute types, indexes, billing. */
function shapeOf(table: TableDescription | CreateTableCommandInput): string {
  const keys = (schema: KeySchemaElement[] = []) => schema.map((k) => `${k.KeyType}:${k.AttributeName}`).join(',');
  const billing = 'BillingModeSummary' in table ? table.BillingModeSummary?.BillingMode : 'BillingMode' in table ? table.BillingMode : undefined;
  return JSON.stringify({
    keys: keys(table.KeySchema),
    attributes: (table.AttributeDefinitions ?? []).map((a) => `${a.AttributeName}:${a.AttributeType}`).sort(),
    indexes: (table.GlobalSecondaryIndexes ?? [])
      .map((i) => ({ name: i.IndexName, keys: keys(i.KeySchema), projection: i.Projection?.ProjectionType, include: [...(i.Projection?.NonKeyAttributes ?? [])].sort() }))
      .sort((a, b) => a.name!.localeCompare(b.name!)),
    localIndexes: (table.LocalSecondaryIndexes ?? []).map((i) => i.IndexName).sort(),
    billing: billing ?? 'PROVISIONED',
  });
}

function sameShape(table: TableDescription, wanted: CreateTableCommandInput): boolean {
  return shapeOf(table) === shapeOf(wanted);
}

async function describe(client: DynamoDBClient, TableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

async function createTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  await client.send(new CreateTableCommand(input));
  await until(async () => (await describe(client, input.TableName!))?.TableStatus === 'ACTIVE', `table ${input.TableName} to become ACTIVE`);
}

async function deleteTable(client: DynamoDBClient, TableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName }));
  await until(async () => (await describe(client, TableName)) === undefined, `table ${TableName} to be deleted`);
}

/** Copies every item (idempotent: puts of whole items), 25 per batch as BatchWriteItem allows. */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ExclusiveStartKey }));
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      let requests: Record<string, WriteRequest[]> | undefined = { [to]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
      while (requests && Object.keys(requests).length > 0) {
        requests = (await client.send(new BatchWriteItemCommand({ RequestItems: requests }))).UnprocessedItems;
      }
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`local DynamoDB: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
