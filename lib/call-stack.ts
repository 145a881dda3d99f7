import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { OUTPUTS } from '../core/runtime/contract';
import { CALLS_TABLE } from '../core/store/tables';
import { CallDeliveries, type CallDeliveriesProps } from './constructs/call-deliveries';
import { CallHandoffQueue } from './constructs/call-handoff-queue';
import { CallWorkers } from './constructs/call-workers';
import { Operations } from './constructs/operations';
import { WebhookReceiver } from './constructs/webhook-receiver';
import type { NetworkingMode } from './settings';

export interface CallStackProps extends StackProps {
  readonly numbersTable: ITableV2;
  readonly callsTable: ITableV2;
  readonly callEntriesTable: ITableV2;
  readonly openAiApiKey: ISecret;
  readonly webhookSecret: ISecret;
  /**
   * What Switchboard signs with: HTTP tool calls (the call workers) and finished-call deliveries
   * (the delivery Lambda) read it, nothing else does.
   */
  readonly toolSigningSecret: ISecret;
  /** Tool secrets are the Secrets Manager secrets named `<prefix>NAME` (lib/settings.ts toolSecretsPrefix). */
  readonly toolSecretsPrefix: string;
  /** Printed as the SipUri output (or the hint on how to set the project id). */
  readonly sipUri: string;
  readonly callRetentionDays: number;
  /** Reserved concurrency of the webhook Lambda; undefined reserves none. */
  readonly webhookReservedConcurrency?: number;
  /** Keep the log groups when the stack is destroyed (false for disposable dev stages). */
  readonly retainLogs: boolean;
  readonly networking: NetworkingMode;
  readonly workerMinTasks: number;
  readonly workerMaxTasks: number;
  readonly callsPerTask: number;
  readonly alarmEmail?: string;
  /** Where the calls of numbers without their own `notify` are delivered (lib/settings.ts notifyUrl, notifyEvents). */
  readonly defaultNotify?: CallDeliveriesProps['defaultNotify'];
  /** US dollars: the budget alarm fires when the month's estimated OpenAI spend passes it; printed as an output. */
  readonly monthlyBudgetUsd?: number;
}

/**
 * Everything stateless on the call path: webhook receiver, call queue, call workers, deliveries of
 * finished calls, operations. It holds no data of its own, so it can be destroyed and redeployed
 * freely (deliveries waiting to retry in the delivery queue go with it).
 */
export class CallStack extends Stack {
  public readonly webhook: WebhookReceiver;
  public readonly handoffQueue: CallHandoffQueue;
  public readonly workers: CallWorkers;
  public readonly deliveries: CallDeliveries;
  public readonly operations: Operations;

  constructor(scope: Construct, id: string, props: CallStackProps) {
    super(scope, id, props);

    // The stateful stack's resources arrive through named exports ("<data stack>:<Name>") rather
    // than CDK's generated references: the names are stable and readable (policies and cdk-nag
    // acknowledgements can name them), and CloudFormation refuses to delete the stateful stack
    // while this one still uses them.
    const numbersTable = importTable(this, 'NumbersTable', props.numbersTable, []);
    const callsTable = importTable(this, 'CallsTable', props.callsTable, CALLS_TABLE.indexes.map((index) => index.name), { stream: true });
    const callEntriesTable = importTable(this, 'CallEntriesTable', props.callEntriesTable, []);
    const openAiApiKey = importSecret(this, 'OpenAiApiKey', props.openAiApiKey);
    const webhookSecret = importSecret(this, 'WebhookSecret', props.webhookSecret);
    const toolSigningSecret = importSecret(this, 'ToolSigningSecret', props.toolSigningSecret);

    const logRemovalPolicy = props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // The id stays 'CallQueue' (the construct's name before it was CallHandoffQueue): it is the
    // queues' logical ID prefix, and a new one would replace both queues, dropping queued calls.
    this.handoffQueue = new CallHandoffQueue(this, 'CallQueue');

    this.webhook = new WebhookReceiver(this, 'WebhookReceiver', {
      numbers: numbersTable,
      calls: callsTable,
      entries: callEntriesTable,
      queue: this.handoffQueue.queue,
      webhookSecret,
      openAiApiKey,
      callRetentionDays: props.callRetentionDays,
      ...(props.webhookReservedConcurrency !== undefined && { reservedConcurrency: props.webhookReservedConcurrency }),
      logRemovalPolicy,
    });

    this.workers = new CallWorkers(this, 'CallWorkers', {
      numbers: numbersTable,
      calls: callsTable,
      entries: callEntriesTable,
      queue: this.handoffQueue.queue,
      openAiApiKey,
      toolSigningSecret,
      toolSecretsPrefix: props.toolSecretsPrefix,
      networking: props.networking,
      minTasks: props.workerMinTasks,
      maxTasks: props.workerMaxTasks,
      callsPerTask: props.callsPerTask,
      callRetentionDays: props.callRetentionDays,
      logRemovalPolicy,
    });

    // The id is the logical ID prefix of the delivery queues: a new one would replace them,
    // dropping the deliveries waiting to retry and those given up.
    this.deliveries = new CallDeliveries(this, 'CallDeliveries', {
      numbers: numbersTable,
      calls: callsTable,
      entries: callEntriesTable,
      toolSigningSecret,
      openAiApiKey,
      callRetentionDays: props.callRetentionDays,
      ...(props.defaultNotify && { defaultNotify: props.defaultNotify }),
      logRemovalPolicy,
    });

    this.operations = new Operations(this, 'Operations', {
      webhook: this.webhook,
      queue: this.handoffQueue,
      workers: this.workers,
      deliveries: this.deliveries,
      callsPerTask: props.callsPerTask,
      ...(props.alarmEmail && { alarmEmail: props.alarmEmail }),
      ...(props.monthlyBudgetUsd !== undefined && { monthlyBudgetUsd: props.monthlyBudgetUsd }),
    });

    // Output keys are shared with the CLI (`switchboard ... --stack`), which reads them back.
    const output = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });
    output(OUTPUTS.webhookUrl, this.webhook.url, 'Paste into OpenAI: platform settings > Project > Webhooks, event realtime.call.incoming');
    output(OUTPUTS.sipUri, props.sipUri, 'Set as the SIP URI destination of your Wavix numbers');
    output(OUTPUTS.numbersTable, numbersTable.tableName, 'DynamoDB table of number configs');
    output(OUTPUTS.callsTable, callsTable.tableName, 'DynamoDB table of call records');
    output(OUTPUTS.callEntriesTable, callEntriesTable.tableName, 'DynamoDB table of what was said and done on each call');
    output(OUTPUTS.callQueueUrl, this.handoffQueue.queue.queueUrl, 'SQS queue of answered calls');
    output(OUTPUTS.openAiApiKeySecretArn, openAiApiKey.secretArn, 'Put your OpenAI API key here (aws secretsmanager put-secret-value)');
    output(OUTPUTS.webhookSecretArn, webhookSecret.secretArn, 'Put the OpenAI webhook signing secret (whsec_...) here');
    output(OUTPUTS.toolSigningSecretArn, toolSigningSecret.secretArn, 'HTTP tool calls and finished-call deliveries are signed with this secret: `switchboard secrets get tool-signing-secret` prints it (whsec_...) for your endpoints to verify them');
    output(OUTPUTS.toolSecretsPrefix, props.toolSecretsPrefix, 'Tool secrets ({{secret:NAME}} in tool headers) are the Secrets Manager secrets named <prefix>NAME: store one with `switchboard secrets set tool:NAME`');
    output(OUTPUTS.clusterName, this.workers.cluster.clusterName, 'ECS cluster of the call workers');
    output(OUTPUTS.serviceName, this.workers.service.serviceName, 'ECS service of the call workers');
    output(OUTPUTS.callRetentionDays, String(props.callRetentionDays), 'Days a call record is kept before DynamoDB expires it');
    output(OUTPUTS.deliveryQueueUrl, this.deliveries.queue.queueUrl, 'Where `switchboard calls redeliver` puts a call to deliver again');
    if (props.monthlyBudgetUsd !== undefined) {
      output(OUTPUTS.monthlyBudgetUsd, String(props.monthlyBudgetUsd), 'US dollars a month: the budget alarm fires when the month\'s estimated OpenAI spend passes it (`switchboard status` shows the spend)');
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.operations.alarmTopic.topicArn, description: 'SNS topic the alarms notify: subscribe to it' });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName, description: 'CloudWatch dashboard' });
  }
}

/** Exports a stateful resource's attribute as `<producer stack>:<id><attribute>`; returns its import. */
function exportFrom(resource: Construct, id: string, attribute: string, value: string): string {
  const producer = Stack.of(resource);
  return producer.exportValue(value, { name: `${producer.stackName}:${id}${attribute}` });
}

/** `stream`: the table's stream ARN is exported too (`<id>StreamArn`); the table must have a stream. */
function importTable(consumer: Stack, id: string, table: ITableV2, indexNames: string[], options: { stream?: boolean } = {}): ITableV2 {
  if (Stack.of(table) === consumer) return table;
  if (options.stream && !table.tableStreamArn) throw new Error(`${table.node.path}: the call stack reads this table's stream, but it has none (dynamoStream)`);
  return TableV2.fromTableAttributes(consumer, id, {
    // The ARN is built from the name, in this stack's account and region (the stacks share both).
    tableName: exportFrom(table, id, 'Name', table.tableName),
    ...(indexNames.length > 0 && { globalIndexes: indexNames }),
    ...(options.stream && { tableStreamArn: exportFrom(table, id, 'StreamArn', table.tableStreamArn!) }),
  });
}

function importSecret(consumer: Stack, id: string, secret: ISecret): ISecret {
  if (Stack.of(secret) === consumer) return secret;
  return Secret.fromSecretCompleteArn(consumer, id, exportFrom(secret, id, 'Arn', secret.secretArn));
}
