/**
 * A stateful stack deployed from the last release must update with `cdk deploy` alone and keep
 * its data. `released/data-tables.json` is that release's tables as synthesized (prod stage); when
 * a release ships, replace it with the new release's tables (and its `release` line), so the next
 * change is checked against what is then deployed.
 *
 * What CloudFormation allows on an existing AWS::DynamoDB::GlobalTable (TableV2): the key schema
 * and an index's keys or projection cannot change in place ("Update requires: Updates are not
 * supported" on GlobalSecondaryIndex KeySchema and Projection), and "You can only create or delete
 * one global secondary index in a single stack operation"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html#cfn-dynamodb-globaltable-globalsecondaryindexes,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-globalsecondaryindex.html).
 */
import released from './released/data-tables.json';
import { buildApp } from './app';

type Index = { IndexName: string; KeySchema: unknown; Projection: unknown };
type Table = { Type: string; Properties: Record<string, any> };

const before = released.resources as Record<string, Table>;
const after = buildApp({ stage: 'prod' }).dataTemplate().toJSON().Resources as Record<string, Table>;
const byName = (list: Index[] = []) => new Map(list.map((i) => [i.IndexName, i]));

describe(`updating the tables of a stack deployed from the last release (${released.release})`, () => {
  it.each(Object.keys(before))('%s keeps its logical ID, type and primary key', (id) => {
    expect(after[id]?.Type).toBe(before[id]!.Type);
    expect(after[id]!.Properties.KeySchema).toEqual(before[id]!.Properties.KeySchema);
    expect(after[id]!.Properties.LocalSecondaryIndexes).toEqual(before[id]!.Properties.LocalSecondaryIndexes);
  });

  it.each(Object.keys(before))('%s keeps the type of every attribute it defined', (id) => {
    const types = (table: Table) => new Map((table.Properties.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).map((a) => [a.AttributeName, a.AttributeType]));
    const old = types(before[id]!);
    for (const [name, type] of types(after[id]!)) if (old.has(name)) expect({ name, type }).toEqual({ name, type: old.get(name) });
  });

  it.each(Object.keys(before))('%s changes no index in place, and creates or deletes at most one', (id) => {
    const old = byName(before[id]!.Properties.GlobalSecondaryIndexes);
    const now = byName(after[id]!.Properties.GlobalSecondaryIndexes);
    for (const [name, index] of now) if (old.has(name)) expect(index).toEqual(old.get(name));
    const created = [...now.keys()].filter((name) => !old.has(name));
    const deleted = [...old.keys()].filter((name) => !now.has(name));
    expect(created.length + deleted.length).toBeLessThanOrEqual(1);
  });

  it.each(Object.keys(before))('%s keeps its time-to-live attribute', (id) => {
    expect(after[id]!.Properties.TimeToLiveSpecification).toEqual(before[id]!.Properties.TimeToLiveSpecification);
  });

  // A stream may be added: StreamSpecification updates with "No interruption", and can be modified
  // on a table with one replica, as these have
  // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-streamspecification.html);
  // the keys and indexes are held above whether or not it is. A stream once there stays as it is:
  // removing or changing it disables it, and a pipe reading a disabled stream is unusable for good
  // (a re-enabled stream has a new ARN: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html).
  it.each(Object.keys(before))('%s may gain a stream, on its one replica, and never loses or changes one', (id) => {
    const stream = before[id]!.Properties.StreamSpecification;
    if (stream !== undefined) expect(after[id]!.Properties.StreamSpecification).toEqual(stream);
    else if (after[id]!.Properties.StreamSpecification !== undefined) expect(after[id]!.Properties.Replicas).toHaveLength(1);
  });
});
