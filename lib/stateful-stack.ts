import { CfnResource, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  Billing,
  type GlobalSecondaryIndexPropsV2,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
  type TablePropsV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type IndexShape, type KeyAttributeType, TABLES, type TableShape } from '../core/store/tables';

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
  toolSigningSecret: 'ToolSigningSecret',
} as const;

/**
 * Characters of the generated tool signing key: letters and digits only (all in the base64
 * alphabet), a multiple of 4 (base64 without padding), so `whsec_<key>` is a Standard Webhooks
 * secret as generated: 36 bytes of HMAC key, within the 24 to 64 the specification recommends.
 */
export const TOOL_SIGNING_KEY_LENGTH = 48;

/**
 * What outlives a deployment: the numbers, calls and call entries tables, the two OpenAI secrets
 * and the tool signing secret the user's endpoints verify tool calls with. Everything else (the
 * call stack) can be destroyed and recreated without losing anything.
 */
export class StatefulStack extends Stack {
  public readonly numbersTable: TableV2;
  public readonly callsTable: TableV2;
  public readonly callEntriesTable: TableV2;
  public readonly openAiApiKey: Secret;
  public readonly webhookSecret: Secret;
  /** The base64 key of the Standard Webhooks secret (`whsec_<key>`) HTTP tool calls are signed with. */
  public readonly toolSigningSecret: Secret;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const common = {
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retainData,
      removalPolicy,
      // Encrypted at rest with a key DynamoDB owns (no KMS cost or key policy to manage). Switch to
      // TableEncryptionV2.customerManagedKey(...) if your compliance rules require your own key.
      encryption: TableEncryptionV2.dynamoOwnedKey(),
    };

    // Keys, indexes, projections and TTL come from core/store/tables.ts, the description the local
    // embedded DynamoDB (local/dynamodb.ts) is built from too; test/infra/table-shapes.test.ts holds
    // the two against each other, test/infra/stateful-update.test.ts holds each update against what
    // the last release deployed (see CALLS_TABLE.byDayIndex for the index migration under way).
    this.numbersTable = new TableV2(this, 'NumbersTable', { ...common, ...tableProps(TABLES.numbers) });
    this.callsTable = new TableV2(this, 'CallsTable', {
      ...common,
      ...tableProps(TABLES.calls),
      // A finished call is delivered from the table's own change log: the call stack's pipe reads
      // the stream and passes on only a record's closing (lib/constructs/call-deliveries.ts), so a
      // worker that dies as the call ends loses no delivery. Both images, because the closing is a
      // change (outcome active -> completed, answered false -> true), not a state. Adding a stream
      // to a deployed table is an update in place (no replacement, no data touched); never turn it
      // off: a re-enabled stream gets a new ARN and the pipe reading the old one stops for good.
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.callEntriesTable = new TableV2(this, 'CallEntriesTable', { ...common, ...tableProps(TABLES.entries) });

    this.openAiApiKey = emptySecret(this, 'OpenAiApiKey', 'OpenAI API key (sk-...) Switchboard uses for call control and the sideband. Fill it with `aws secretsmanager put-secret-value`.', removalPolicy);
    this.webhookSecret = emptySecret(this, 'WebhookSecret', 'OpenAI webhook signing secret (whsec_...) Switchboard verifies webhooks with. Fill it with `aws secretsmanager put-secret-value`.', removalPolicy);

    // Switchboard's own secret, never OpenAI's webhook secret: a third party's endpoint that can
    // verify tool calls must not be able to forge OpenAI's webhooks. Generated at deploy, so it
    // needs no manual step; the user reads it (`switchboard secrets get tool-signing-secret`) to
    // configure their endpoint.
    this.toolSigningSecret = new Secret(this, 'ToolSigningSecret', {
      description:
        'Switchboard tool signing secret: the base64 key of the Standard Webhooks secret (whsec_<this value>) the call workers sign HTTP tool calls with. Print it with `switchboard secrets get tool-signing-secret`.',
      removalPolicy,
      generateSecretString: { passwordLength: TOOL_SIGNING_KEY_LENGTH, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.toolSigningSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The tool signing secret is configured on the user\'s own endpoints, which a Secrets Manager rotation cannot reach: a scheduled rotation would make every endpoint refuse the tool calls. The user rotates it on their schedule with `switchboard secrets set tool-signing-secret` (or put-secret-value) and updates the endpoints; the workers re-read it within 5 minutes, no restart.',
    });

    pinLogicalId(this.numbersTable, STATEFUL_LOGICAL_IDS.numbersTable);
    pinLogicalId(this.callsTable, STATEFUL_LOGICAL_IDS.callsTable);
    pinLogicalId(this.callEntriesTable, STATEFUL_LOGICAL_IDS.callEntriesTable);
    pinLogicalId(this.openAiApiKey, STATEFUL_LOGICAL_IDS.openAiApiKey);
    pinLogicalId(this.webhookSecret, STATEFUL_LOGICAL_IDS.webhookSecret);
    pinLogicalId(this.toolSigningSecret, STATEFUL_LOGICAL_IDS.toolSigningSecret);
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

const ATTRIBUTE_TYPES: Record<KeyAttributeType, AttributeType> = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY };
const BILLING: Record<TableShape['billingMode'], Billing> = { PAY_PER_REQUEST: Billing.onDemand() };

/** A table's keys, indexes, TTL and billing, as core/store/tables.ts describes them. */
function tableProps(shape: TableShape): Pick<TablePropsV2, 'partitionKey' | 'sortKey' | 'globalSecondaryIndexes' | 'timeToLiveAttribute' | 'billing'> {
  const key = (name: string): Attribute => {
    const type = shape.keyTypes[name];
    if (!type) throw new Error(`core/store/tables.ts: key attribute "${name}" has no type in keyTypes`);
    return { name, type: ATTRIBUTE_TYPES[type] };
  };
  const index = (i: IndexShape): GlobalSecondaryIndexPropsV2 => ({
    indexName: i.name,
    partitionKey: key(i.partitionKey),
    ...(i.sortKey && { sortKey: key(i.sortKey) }),
    ...(i.nonKeyAttributes
      ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...i.nonKeyAttributes] }
      : { projectionType: ProjectionType.KEYS_ONLY }),
  });
  return {
    partitionKey: key(shape.partitionKey),
    ...(shape.sortKey && { sortKey: key(shape.sortKey) }),
    ...(shape.indexes.length > 0 && { globalSecondaryIndexes: shape.indexes.map(index) }),
    ...(shape.ttlAttribute && { timeToLiveAttribute: shape.ttlAttribute }),
    billing: BILLING[shape.billingMode],
  };
}

function pinLogicalId(construct: Construct, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
