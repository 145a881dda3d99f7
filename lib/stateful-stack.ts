import { CfnResource, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CALL_ENTRIES_TABLE, CALL_SUMMARY_ATTRIBUTES, CALLS_TABLE, NUMBERS_TABLE } from '../core/store/tables';

export interface StatefulStackProps extends StackProps {
  /**
   * Keep the data when the stack goes: RETAIN the tables and secrets and turn on deletion
   * protection. False only for disposable (dev) stages.
   */
  readonly retainData: boolean;
}

/**
 * Logical IDs of the stateful resources. They are pinned: renaming a construct or moving it in the
 * tree must never make CloudFormation replace a table (and lose its data) or a secret.
 */
export const STATEFUL_LOGICAL_IDS = {
  numbersTable: 'NumbersTable',
  callsTable: 'CallsTable',
  callEntriesTable: 'CallEntriesTable',
  openAiApiKey: 'OpenAiApiKeySecret',
  webhookSecret: 'WebhookSigningSecret',
} as const;

/**
 * What outlives a deployment: the numbers, calls and call entries tables and the two secrets.
 * Everything else (the call stack) can be destroyed and recreated without losing anything.
 */
export class StatefulStack extends Stack {
  public readonly numbersTable: TableV2;
  public readonly callsTable: TableV2;
  public readonly callEntriesTable: TableV2;
  public readonly openAiApiKey: Secret;
  public readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const common = {
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retainData,
      removalPolicy,
      // Encrypted at rest with a key DynamoDB owns (no KMS cost or key policy to manage). Switch to
      // TableEncryptionV2.customerManagedKey(...) if your compliance rules require your own key.
      encryption: TableEncryptionV2.dynamoOwnedKey(),
    };

    this.numbersTable = new TableV2(this, 'NumbersTable', {
      ...common,
      partitionKey: { name: NUMBERS_TABLE.partitionKey, type: AttributeType.STRING },
    });

    const { byNumberIndex, byDayIndex, liveByNumberIndex } = CALLS_TABLE;
    // Same keys and projections as the local embedded DynamoDB (local/dynamodb.ts).
    const historyIndex = (index: { name: string; partitionKey: string; sortKey: string }) => ({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: { name: index.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...CALL_SUMMARY_ATTRIBUTES],
    });
    this.callsTable = new TableV2(this, 'CallsTable', {
      ...common,
      partitionKey: { name: CALLS_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: CALLS_TABLE.ttlAttribute,
      globalSecondaryIndexes: [
        historyIndex(byNumberIndex),
        historyIndex(byDayIndex),
        {
          indexName: liveByNumberIndex.name,
          partitionKey: { name: liveByNumberIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: liveByNumberIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
    });

    this.callEntriesTable = new TableV2(this, 'CallEntriesTable', {
      ...common,
      partitionKey: { name: CALL_ENTRIES_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: CALL_ENTRIES_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: CALL_ENTRIES_TABLE.ttlAttribute,
    });

    this.openAiApiKey = emptySecret(this, 'OpenAiApiKey', 'OpenAI API key (sk-...) Switchboard uses for call control and the sideband. Fill it with `aws secretsmanager put-secret-value`.', removalPolicy);
    this.webhookSecret = emptySecret(this, 'WebhookSecret', 'OpenAI webhook signing secret (whsec_...) Switchboard verifies webhooks with. Fill it with `aws secretsmanager put-secret-value`.', removalPolicy);

    pinLogicalId(this.numbersTable, STATEFUL_LOGICAL_IDS.numbersTable);
    pinLogicalId(this.callsTable, STATEFUL_LOGICAL_IDS.callsTable);
    pinLogicalId(this.callEntriesTable, STATEFUL_LOGICAL_IDS.callEntriesTable);
    pinLogicalId(this.openAiApiKey, STATEFUL_LOGICAL_IDS.openAiApiKey);
    pinLogicalId(this.webhookSecret, STATEFUL_LOGICAL_IDS.webhookSecret);
  }
}

/**
 * A secret created without a value: the user puts the real one in after deploy. CloudFormation
 * creates an empty secret when neither SecretString nor GenerateSecretString is given; the L2
 * construct always asks for a generated one, so that property is removed.
 */
function emptySecret(scope: Construct, id: string, description: string, removalPolicy: RemovalPolicy): Secret {
  const secret = new Secret(scope, id, { description, removalPolicy });
  (secret.node.defaultChild as CfnResource).addPropertyDeletionOverride('GenerateSecretString');
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason: 'The value is issued by OpenAI (API key, webhook signing secret) and can only be rotated in the OpenAI dashboard; the user stores the new value with `aws secretsmanager put-secret-value` and the hosts re-read it (the cache refreshes after a signature check fails), so no Secrets Manager rotation Lambda could do this.',
  });
  return secret;
}

function pinLogicalId(construct: Construct, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
