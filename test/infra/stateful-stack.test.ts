import { Match } from 'aws-cdk-lib/assertions';
import { CALL_ENTRIES_TABLE, CALL_SUMMARY_ATTRIBUTES, CALLS_TABLE, type IndexShape, NUMBERS_TABLE } from '../../core/store/tables';
import { randomInt } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signStandardWebhook } from '../../core/webhook/signature';
import { standardWebhooksSecret } from '../../core/webhook/secret-provider';
import { STATEFUL_LOGICAL_IDS, TOOL_SIGNING_KEY_LENGTH } from '../../lib/stateful-stack';
import { buildApp } from './app';

describe('stateful stack', () => {
  const dev = buildApp();
  const prod = buildApp({ stage: 'prod' });

  it('is named after the stage and tagged', () => {
    expect(dev.data.stackName).toBe('Switchboard-dev-Data');
    expect(prod.data.stackName).toBe('Switchboard-prod-Data');
    expect(prod.data.tags.tagValues()).toEqual({ app: 'switchboard', stage: 'prod' });
    expect(prod.data.terminationProtection).toBe(true);
    expect(dev.data.terminationProtection).toBe(false);
  });

  it('keeps its logical IDs (renaming one would replace a table and lose its data)', () => {
    const resources = dev.dataTemplate().toJSON().Resources as Record<string, { Type: string }>;
    const stateful = Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type !== 'AWS::CDK::Metadata').map(([id, r]) => [id, r.Type]));
    expect(stateful).toEqual({
      NumbersTable: 'AWS::DynamoDB::GlobalTable',
      CallsTable: 'AWS::DynamoDB::GlobalTable',
      CallEntriesTable: 'AWS::DynamoDB::GlobalTable',
      OpenAiApiKeySecret: 'AWS::SecretsManager::Secret',
      WebhookSigningSecret: 'AWS::SecretsManager::Secret',
      ToolSigningSecret: 'AWS::SecretsManager::Secret',
    });
    expect(Object.values(STATEFUL_LOGICAL_IDS).sort()).toEqual(Object.keys(stateful).sort());
  });

  it('creates the numbers table on demand, with point-in-time recovery and encryption', () => {
    dev.dataTemplate().hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: NUMBERS_TABLE.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: false }, // false = encrypted with the AWS owned key (DynamoDB's default)
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('creates the calls table with its history indexes, live-calls index and TTL, each index projecting what tables.ts says', () => {
    const index = (i: IndexShape) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        ...(i.sortKey ? [{ AttributeName: i.sortKey, KeyType: 'RANGE' }] : []),
      ],
      Projection: i.nonKeyAttributes ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.nonKeyAttributes] } : { ProjectionType: 'KEYS_ONLY' },
    });
    const calls = dev.dataTemplate().toJSON().Resources[STATEFUL_LOGICAL_IDS.callsTable];
    expect(calls.Properties).toMatchObject({
      KeySchema: [{ AttributeName: CALLS_TABLE.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: CALLS_TABLE.ttlAttribute, Enabled: true },
      Replicas: [expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    expect(calls.Properties.GlobalSecondaryIndexes).toEqual(CALLS_TABLE.indexes.map(index));
    expect(CALLS_TABLE.indexes.map((i) => i.name)).toEqual(['byNumber', 'byDay', 'liveByNumber', 'byDayWithNumber']);
  });

  it("streams the calls table's changes, both images (the delivery pipe's source), and no other table's", () => {
    const resources = dev.dataTemplate().toJSON().Resources;
    expect(resources[STATEFUL_LOGICAL_IDS.callsTable].Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(resources[STATEFUL_LOGICAL_IDS.numbersTable].Properties).not.toHaveProperty('StreamSpecification');
    expect(resources[STATEFUL_LOGICAL_IDS.callEntriesTable].Properties).not.toHaveProperty('StreamSpecification');
    // Exported by its attribute, for the call stack's pipe to read.
    const outputs = dev.dataTemplate().toJSON().Outputs as Record<string, { Value: unknown; Export: { Name: string } }>;
    const stream = Object.values(outputs).find((o) => o.Export.Name === 'Switchboard-dev-Data:CallsTableStreamArn');
    expect(stream?.Value).toEqual({ 'Fn::GetAtt': [STATEFUL_LOGICAL_IDS.callsTable, 'StreamArn'] });
  });

  it('projects every field of a call summary into the indexes history is read through', () => {
    // `calls list` shows what the index returns: a field not projected is an empty column.
    const summaryFields = ['callId', 'number', 'startedAt', ...CALL_SUMMARY_ATTRIBUTES];
    const deployed = prod.dataTemplate().toJSON().Resources[STATEFUL_LOGICAL_IDS.callsTable].Properties.GlobalSecondaryIndexes as {
      IndexName: string;
      KeySchema: { AttributeName: string }[];
      Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
    }[];
    for (const read of [CALLS_TABLE.byNumberIndex, CALLS_TABLE.byDayIndex]) {
      const index = deployed.find((i) => i.IndexName === read.name);
      expect(index).toBeDefined();
      const projected = [CALLS_TABLE.partitionKey, ...index!.KeySchema.map((k) => k.AttributeName), ...(index!.Projection.NonKeyAttributes ?? [])];
      expect({ index: read.name, missing: summaryFields.filter((f) => index!.Projection.ProjectionType !== 'ALL' && !projected.includes(f)) }).toEqual({ index: read.name, missing: [] });
    }
  });

  it('creates the call entries table keyed by call and entry, with TTL and point-in-time recovery', () => {
    const entries = dev.dataTemplate().toJSON().Resources[STATEFUL_LOGICAL_IDS.callEntriesTable];
    expect(entries.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: CALL_ENTRIES_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: CALL_ENTRIES_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: expect.arrayContaining([
        { AttributeName: CALL_ENTRIES_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: CALL_ENTRIES_TABLE.sortKey, AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: CALL_ENTRIES_TABLE.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: false },
      Replicas: [expect.objectContaining({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
    expect(entries.Properties).not.toHaveProperty('GlobalSecondaryIndexes');
  });

  it('destroys the tables of a dev stage', () => {
    for (const id of [STATEFUL_LOGICAL_IDS.numbersTable, STATEFUL_LOGICAL_IDS.callsTable, STATEFUL_LOGICAL_IDS.callEntriesTable]) {
      const table = dev.dataTemplate().toJSON().Resources[id];
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.Replicas[0].DeletionProtectionEnabled).toBe(false);
    }
  });

  it('retains the tables and secrets of any other stage, with deletion protection', () => {
    const resources = prod.dataTemplate().toJSON().Resources;
    for (const id of Object.values(STATEFUL_LOGICAL_IDS)) {
      expect(resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    for (const id of [STATEFUL_LOGICAL_IDS.numbersTable, STATEFUL_LOGICAL_IDS.callsTable, STATEFUL_LOGICAL_IDS.callEntriesTable]) {
      expect(resources[id].Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    }
  });

  it('creates the two OpenAI secrets empty (the user puts the values in)', () => {
    const secrets = dev.dataTemplate().findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets).sort()).toEqual([STATEFUL_LOGICAL_IDS.openAiApiKey, STATEFUL_LOGICAL_IDS.toolSigningSecret, STATEFUL_LOGICAL_IDS.webhookSecret]);
    for (const [id, secret] of Object.entries(secrets)) {
      if (id === STATEFUL_LOGICAL_IDS.toolSigningSecret) continue;
      expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
      expect(secret.Properties).not.toHaveProperty('SecretString');
      expect(secret.Properties).not.toHaveProperty('Name');
      expect(secret.Properties.Description).toMatch(/put-secret-value/);
    }
  });

  it('generates the tool signing secret at deploy: a base64 key that makes a Standard Webhooks secret (whsec_<key>)', () => {
    const secret = dev.dataTemplate().toJSON().Resources[STATEFUL_LOGICAL_IDS.toolSigningSecret];
    expect(secret.Properties).toEqual({
      Description: expect.stringMatching(/whsec_.*switchboard secrets get tool-signing-secret/),
      // Letters and digits only (ExcludePunctuation, no space): every character is in the base64 alphabet.
      GenerateSecretString: { PasswordLength: TOOL_SIGNING_KEY_LENGTH, ExcludePunctuation: true, IncludeSpace: false },
    });
    expect(secret.Properties).not.toHaveProperty('Name');
    // A multiple of 4: base64 without padding, 36 bytes of key.
    expect(TOOL_SIGNING_KEY_LENGTH % 4).toBe(0);
    // What CloudFormation may generate, as the workers sign with it, verified by the Standard Webhooks library.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const generated = Array.from({ length: TOOL_SIGNING_KEY_LENGTH }, () => alphabet[randomInt(alphabet.length)]).join('');
    const whsec = standardWebhooksSecret(generated);
    expect(Buffer.from(generated, 'base64')).toHaveLength((TOOL_SIGNING_KEY_LENGTH / 4) * 3);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'call_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(whsec, 'call_1', timestamp, '{"tool":"lookup_order"}') };
    expect(new Webhook(whsec).verify('{"tool":"lookup_order"}', headers)).toEqual({ tool: 'lookup_order' });
    // A value stored by hand with its prefix is used as it is.
    expect(standardWebhooksSecret(`${whsec}\n`)).toBe(whsec);
  });

  it('uses generated names only', () => {
    for (const table of Object.values(dev.dataTemplate().findResources('AWS::DynamoDB::GlobalTable'))) {
      expect(table.Properties).not.toHaveProperty('TableName');
    }
  });

  it('exports what the call stack imports under stable names', () => {
    const outputs = dev.dataTemplate().toJSON().Outputs as Record<string, { Export: { Name: string } }>;
    expect(Object.values(outputs).map((o) => o.Export.Name).sort()).toEqual([
      'Switchboard-dev-Data:CallEntriesTableName',
      'Switchboard-dev-Data:CallsTableName',
      'Switchboard-dev-Data:CallsTableStreamArn',
      'Switchboard-dev-Data:NumbersTableName',
      'Switchboard-dev-Data:OpenAiApiKeyArn',
      'Switchboard-dev-Data:ToolSigningSecretArn',
      'Switchboard-dev-Data:WebhookSecretArn',
    ]);
  });
});
