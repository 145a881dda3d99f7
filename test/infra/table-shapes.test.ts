/**
 * The tables as deployed (the synthesized stateful stack) against the tables as created locally
 * (local/dynamodb.ts `ensureTables` on the embedded DynamoDB, read back with DescribeTable), so the
 * two cannot drift apart again: `switchboard dev` and the integration tests run on the local ones,
 * users run on the deployed ones.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type TableDescription,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { createDynamoDBClient } from '../../core/store/dynamodb-client';
import { CALL_SUMMARY_ATTRIBUTES, CALLS_TABLE, LOCAL_TABLE_NAMES, TABLES as SHAPES, type TableNames } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { STATEFUL_LOGICAL_IDS } from '../../lib/stateful-stack';
import { buildApp } from './app';

/** Everything about a table that the code reading and writing it depends on, in one comparable form. */
interface Shape {
  keySchema: string[];
  attributeTypes: Record<string, string>;
  globalIndexes: Record<string, { keySchema: string[]; projection: string; nonKeyAttributes: string[] }>;
  localIndexes: string[];
  billingMode: string;
  stream: string;
}

type Key = { AttributeName?: string; KeyType?: string };
type Index = { IndexName?: string; KeySchema?: Key[]; Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] } };

const keys = (schema: Key[] = []) => schema.map((k) => `${k.KeyType}:${k.AttributeName}`);
const indexes = (list: Index[] = []) =>
  Object.fromEntries(
    list.map((i) => [
      i.IndexName!,
      {
        keySchema: keys(i.KeySchema),
        projection: i.Projection?.ProjectionType ?? '',
        // DynamoDB keeps no order among projected attributes; CloudFormation and the local table list them as given.
        nonKeyAttributes: [...(i.Projection?.NonKeyAttributes ?? [])].sort(),
      },
    ]),
  );

/** AWS::DynamoDB::GlobalTable properties, as `cdk deploy` would create the table. */
function deployedShape(properties: Record<string, any>): Shape {
  return {
    keySchema: keys(properties.KeySchema),
    attributeTypes: Object.fromEntries((properties.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).map((a) => [a.AttributeName, a.AttributeType])),
    globalIndexes: indexes(properties.GlobalSecondaryIndexes),
    localIndexes: Object.keys(indexes(properties.LocalSecondaryIndexes)),
    billingMode: properties.BillingMode ?? 'PROVISIONED',
    stream: properties.StreamSpecification?.StreamViewType ?? 'none',
  };
}

/** DescribeTable of the local table. */
function localShape(table: TableDescription): Shape {
  return {
    keySchema: keys(table.KeySchema),
    attributeTypes: Object.fromEntries((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName!, a.AttributeType!])),
    globalIndexes: indexes(table.GlobalSecondaryIndexes),
    localIndexes: Object.keys(indexes(table.LocalSecondaryIndexes)),
    billingMode: table.BillingModeSummary?.BillingMode ?? 'PROVISIONED',
    stream: table.StreamSpecification?.StreamEnabled ? table.StreamSpecification.StreamViewType! : 'none',
  };
}

/**
 * The one difference by design: the deployed calls table streams its changes to the delivery pipe
 * (lib/constructs/call-deliveries.ts); dynalite keeps no streams, and `switchboard dev` finds the
 * calls to deliver by reading them (local/local-deliveries.ts). No store reads a stream, so the
 * local tables are compared as if deployed without one, and the deployed streams are held here.
 */
const DEPLOYED_STREAMS: Record<keyof TableNames, string> = { numbers: 'none', calls: 'NEW_AND_OLD_IMAGES', entries: 'none' };
const withoutStream = (shape: Shape): Shape => ({ ...shape, stream: 'none' });

const TABLES: [keyof TableNames, string][] = [
  ['numbers', STATEFUL_LOGICAL_IDS.numbersTable],
  ['calls', STATEFUL_LOGICAL_IDS.callsTable],
  ['entries', STATEFUL_LOGICAL_IDS.callEntriesTable],
];

describe('tables as deployed = tables as created locally', () => {
  const resources = buildApp({ stage: 'prod' }).dataTemplate().toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  let dynamodb: LocalDynamoDB;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    client = createDynamoDBClient({ endpoint: dynamodb.endpoint });
    await ensureTables(client, LOCAL_TABLE_NAMES);
  });
  afterAll(async () => {
    client.destroy();
    await dynamodb.close();
  });

  it('covers every table the stateful stack deploys', () => {
    const deployed = Object.entries(resources).filter(([, r]) => r.Type.startsWith('AWS::DynamoDB::')).map(([id]) => id);
    expect(deployed.sort()).toEqual(TABLES.map(([, id]) => id).sort());
  });

  it.each(TABLES)('%s: keys, attribute types, indexes and projections, billing and streams', async (name, logicalId) => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: LOCAL_TABLE_NAMES[name] }));
    const deployed = deployedShape(resources[logicalId]!.Properties);
    expect(localShape(Table!)).toEqual(withoutStream(deployed));
    expect(deployed.stream).toBe(DEPLOYED_STREAMS[name]);
  });

  it.each(TABLES)('%s: time to live', async (name, logicalId) => {
    // dynalite implements no TTL (no UpdateTimeToLive; DescribeTimeToLive always answers DISABLED),
    // so locally nothing expires; the deployed TTL must be on the attribute the stores write
    // (`expiresAt`, from the same description in core/store/tables.ts).
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: LOCAL_TABLE_NAMES[name] }));
    expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
    const expected = SHAPES[name].ttlAttribute;
    const ttl = resources[logicalId]!.Properties.TimeToLiveSpecification;
    expect(ttl && { attribute: ttl.AttributeName, enabled: ttl.Enabled }).toEqual(expected && { attribute: expected, enabled: true });
  });
});

describe('a local table created by an older Switchboard (a `switchboard dev` data dir)', () => {
  const deployedCalls = withoutStream(deployedShape(buildApp().dataTemplate().toJSON().Resources[STATEFUL_LOGICAL_IDS.callsTable].Properties));
  /** The calls table as ensureTables created it until 2026-12-01: `byDay` (with `number`), no `byDayWithNumber`. */
  const olderCallsTable = (TableName: string): CreateTableCommandInput => ({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['callId', 'number', 'startedAt', 'day', 'liveNumber'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    KeySchema: [{ AttributeName: 'callId', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      ['byNumber', 'number', [...CALL_SUMMARY_ATTRIBUTES]],
      ['byDay', 'day', [...CALL_SUMMARY_ATTRIBUTES, 'number']],
      ['liveByNumber', 'liveNumber', undefined],
    ].map(([IndexName, partitionKey, include]) => ({
      IndexName: IndexName as string,
      KeySchema: [
        { AttributeName: partitionKey as string, KeyType: 'HASH' },
        { AttributeName: 'startedAt', KeyType: 'RANGE' },
      ],
      Projection: include ? { ProjectionType: 'INCLUDE', NonKeyAttributes: include as string[] } : { ProjectionType: 'KEYS_ONLY' },
    })),
  });
  const record = (n: number) => ({
    callId: { S: `rtc_old_${n}` },
    number: { S: '+17134810111' },
    caller: { S: '+14067704205' },
    startedAt: { S: `2026-11-30T10:00:0${n}.000Z` },
    day: { S: '2026-11-30' },
    outcome: { S: 'completed' },
    expiresAt: { N: '1900000000' },
  });

  let dynamodb: LocalDynamoDB;
  let client: DynamoDBClient;
  beforeEach(async () => {
    dynamodb = await startLocalDynamoDB();
    client = createDynamoDBClient({ endpoint: dynamodb.endpoint });
  });
  afterEach(async () => {
    client.destroy();
    await dynamodb.close();
  });

  async function expectCurrentShapeWithItems(count: number): Promise<void> {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: LOCAL_TABLE_NAMES.calls }));
    expect(localShape(Table!)).toEqual(deployedCalls);
    const { Items } = await client.send(new ScanCommand({ TableName: LOCAL_TABLE_NAMES.calls }));
    expect(Items?.map((item) => item.callId!.S).sort()).toEqual(Array.from({ length: count }, (_, i) => `rtc_old_${i + 1}`));
    // History of all numbers is read through the new index, which has the number.
    const day = await client.send(
      new QueryCommand({
        TableName: LOCAL_TABLE_NAMES.calls,
        IndexName: CALLS_TABLE.byDayIndex.name,
        KeyConditionExpression: '#d = :d',
        ExpressionAttributeNames: { '#d': CALLS_TABLE.byDayIndex.partitionKey },
        ExpressionAttributeValues: { ':d': { S: '2026-11-30' } },
      }),
    );
    expect(day.Items?.map((item) => item.number?.S)).toEqual(Array(count).fill('+17134810111'));
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames?.sort()).toEqual(Object.values(LOCAL_TABLE_NAMES).sort());
  }

  it('is brought to the current shape, keeping its items', async () => {
    await client.send(new CreateTableCommand(olderCallsTable(LOCAL_TABLE_NAMES.calls)));
    for (const n of [1, 2, 3]) await client.send(new PutItemCommand({ TableName: LOCAL_TABLE_NAMES.calls, Item: record(n) }));

    await ensureTables(client, LOCAL_TABLE_NAMES);
    await expectCurrentShapeWithItems(3);
    await ensureTables(client, LOCAL_TABLE_NAMES); // and left alone from then on
    await expectCurrentShapeWithItems(3);
  });

  it('finishes a rebuild that was cut short after the old table was deleted', async () => {
    // The process died between deleting the old table and filling the new one: only the copy is left.
    await client.send(
      new CreateTableCommand({
        TableName: `${LOCAL_TABLE_NAMES.calls}.rebuilding`,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'callId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'callId', KeyType: 'HASH' }],
      }),
    );
    // dynalite creates a table a moment after answering, as DynamoDB does: a put before then is refused.
    await waitUntilTableExists({ client, minDelay: 1, maxWaitTime: 10 }, { TableName: `${LOCAL_TABLE_NAMES.calls}.rebuilding` });
    for (const n of [1, 2]) await client.send(new PutItemCommand({ TableName: `${LOCAL_TABLE_NAMES.calls}.rebuilding`, Item: record(n) }));

    await ensureTables(client, LOCAL_TABLE_NAMES);
    await expectCurrentShapeWithItems(2);
  });
});
