import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ANALYSIS_TIMEOUT_MS } from '../../core/analysis/analysis-plan';
import type { Outcome } from '../../core/calls/record';
import { DELIVERY_TIMEOUT_MS } from '../../core/delivery/deliver-call';
import { type DeliveryEvent, MAX_DELIVERY_ATTEMPTS } from '../../core/delivery/delivery-plan';
import { ENV, METRICS } from '../../core/runtime/contract';
import { CALLS_TABLE } from '../../core/store/tables';
import { bundledLambda } from '../lambda-bundling';

/**
 * How long one invocation may run. A batch's messages run side by side; each is, at most, the
 * call's analysis (one Responses API request of at most ANALYSIS_TIMEOUT_MS, for numbers that ask
 * for one) and then one delivery attempt of at most DELIVERY_TIMEOUT_MS, plus reading the record
 * and entries and recording what happened: 20 s are left for those.
 */
export const DELIVERY_FUNCTION_TIMEOUT_SECONDS = (ANALYSIS_TIMEOUT_MS + DELIVERY_TIMEOUT_MS) / 1000 + 20;

/**
 * Receives of one message before SQS parks it in the dead-letter queue. The sender itself counts
 * attempts (ApproximateReceiveCount, the analysis's retries included) and moves what it gives up
 * after MAX_DELIVERY_ATTEMPTS to the dead-letter queue; this is the safety net for a sender that
 * crashes or times out on a message every time, a few receives above that so it never cuts the
 * schedule short.
 */
export const DELIVERY_MAX_RECEIVE_COUNT = MAX_DELIVERY_ATTEMPTS + 4;

/** Where a call is while it can still close: being answered (`pending`) or live (`active`). */
const OPEN_OUTCOMES = ['pending', 'active'] as const satisfies readonly Outcome[];
/** What an answered call closes with, each one a delivery (`call.ended` or `call.missed`). */
export const CLOSED_OUTCOMES = ['completed', 'transferred', 'failed', 'missed'] as const satisfies readonly Outcome[];

/**
 * The calls-table stream records that are a call's closing, as EventBridge Pipes filter patterns
 * (any one matching passes the record). Filtering happens on the stream record's own fields, the
 * item images in DynamoDB JSON (`{"S": ...}`, `{"BOOL": ...}`): "Event filtering in Amazon
 * EventBridge Pipes", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html,
 * and the example record of "Amazon DynamoDB stream as a source for EventBridge Pipes",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html.
 *
 * - a call that was live (or being answered) and now has an ending: `call.ended` / `call.missed`;
 * - a rejection once OpenAI has it (`answered` false -> true; the claim stores the decision with
 *   `answered: false` before OpenAI hears it, core/store/call-claims-store.ts): `call.rejected`.
 *
 * Nothing else passes: the sender appends its attempts to the same record (`deliveries`,
 * core/store/call-deliveries-store.ts) and sets its analysis there (`analysis`,
 * core/store/call-analysis-store.ts), and those MODIFYs keep the outcome (and `answered`), so
 * they never make a call a delivery again; neither do the claim's INSERT, heartbeats and leases
 * of a live call, usage and entries written after the end, nor the REMOVE of an expired record.
 */
export const CLOSING_FILTERS = [
  {
    eventName: ['MODIFY'],
    dynamodb: {
      OldImage: { outcome: { S: [...OPEN_OUTCOMES] } },
      NewImage: { outcome: { S: [...CLOSED_OUTCOMES] } },
    },
  },
  {
    eventName: ['MODIFY'],
    dynamodb: {
      OldImage: { answered: { BOOL: [false] } },
      NewImage: { outcome: { S: ['rejected'] }, answered: { BOOL: [true] } },
    },
  },
];

/**
 * What the pipe puts on the delivery queue for a record that passed: the call and its new outcome
 * (core/delivery/deliver-call.ts readDeliveryMessage names the event from it), never the record
 * itself: the sender reads the record when it delivers. String values are quoted in the template,
 * as "Amazon EventBridge Pipes input transformation" says for JSON paths that name strings
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html).
 */
export const DELIVERY_INPUT_TEMPLATE = `{"callId": "<$.dynamodb.Keys.${CALLS_TABLE.partitionKey}.S>", "outcome": "<$.dynamodb.NewImage.outcome.S>"}`;

export interface CallDeliveriesProps {
  /** Read (GetItem) for the number's `notify` endpoint and events. */
  readonly numbers: ITableV2;
  /** Needs its stream (NEW_AND_OLD_IMAGES, `tableStreamArn`): the pipe reads the closings from it. */
  readonly calls: ITableV2;
  /** Read (Query): a delivery carries what was said and done on the call. */
  readonly entries: ITableV2;
  /** Deliveries are signed with the tool signing secret (Standard Webhooks, as tool calls are). */
  readonly toolSigningSecret: ISecret;
  /**
   * The OpenAI API key: a number with `analysis` has its calls analysed (one Responses API
   * request) before they are delivered. Never OpenAI's webhook signing secret.
   */
  readonly openAiApiKey: ISecret;
  readonly callRetentionDays: number;
  /**
   * Where the calls of numbers whose config has no `notify` are delivered, and for which events
   * (unset: the Lambda's default, `call.ended`). Unset, those calls are not delivered.
   */
  readonly defaultNotify?: { readonly url: string; readonly events?: readonly DeliveryEvent[] };
  /**
   * Deliveries made at once at most (the event source's maximum concurrency, 2 to 1000): caps what
   * a burst of ended calls does to the user's endpoint and to the account's Lambda concurrency,
   * without the throttling (and spent receives) of reserved concurrency. @default 10
   */
  readonly maxConcurrency?: number;
  /** @default one month */
  readonly logRetention?: RetentionDays;
  /** What happens to the log groups when the stack goes. @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Delivery of finished calls to the number's `notify` endpoint (or the stack's default one), on
 * AWS's own machinery: an EventBridge pipe reads the calls table's stream and puts each call's
 * closing on the delivery queue, which the delivery Lambda (lambda/delivery) consumes: it analyses the call first when
 * the number asks for it (core/delivery/deliver-call.ts), then delivers it. A retry is the same message made
 * visible again after the schedule's wait (core/delivery/delivery-plan.ts); what is given up goes
 * to the dead-letter queue, where an alarm sees it and `aws sqs start-message-move-task` redrives
 * it; `switchboard calls redeliver` puts a call on the queue again.
 */
export class CallDeliveries extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  /** Stream records the pipe could not put on the delivery queue (their batch's metadata, not the calls). */
  public readonly pipeDeadLetterQueue: Queue;
  public readonly handler: NodejsFunction;
  public readonly pipe: CfnPipe;

  constructor(scope: Construct, id: string, props: CallDeliveriesProps) {
    super(scope, id);
    const streamArn = props.calls.tableStreamArn;
    if (!streamArn) throw new Error('CallDeliveries: the calls table has no stream; deliveries are read from it (dynamoStream NEW_AND_OLD_IMAGES)');
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for a queue it consumes: at least six times the function's timeout, so a
      // batch retried after throttling or a timeout is not received again while still running.
      visibilityTimeout: Duration.seconds(6 * DELIVERY_FUNCTION_TIMEOUT_SECONDS),
      // The retry schedule spans a little over a day; four days leave room for a redelivery.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DELIVERY_MAX_RECEIVE_COUNT },
    });

    // The pipe: the calls table's stream in, the closings out onto the delivery queue.
    this.pipeDeadLetterQueue = new Queue(this, 'PipeDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.pipeDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is a dead-letter queue itself: the pipe\'s (DeadLetterConfig), where it records the stream batches it could not put on the delivery queue. SQS redrive only recognises queues named in another queue\'s RedrivePolicy, which a pipe\'s is not.',
    });
    const pipeLogs = new LogGroup(this, 'PipeLogs', { retention: logRetention, removalPolicy: logRemovalPolicy });
    const pipeRole = new Role(this, 'PipeRole', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com'),
      description: 'Switchboard delivery pipe: calls table stream to the delivery queue',
    });
    // DescribeStream, GetRecords, GetShardIterator and ListStreams, on this stream only: what
    // "Event source permissions for Amazon EventBridge Pipes" lists for DynamoDB
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
    props.calls.grantStreamRead(pipeRole);
    this.queue.grantSendMessages(pipeRole);
    this.pipeDeadLetterQueue.grantSendMessages(pipeRole);
    pipeLogs.grantWrite(pipeRole);

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: 'Switchboard: a call\'s closing (calls table stream) onto the delivery queue',
      roleArn: pipeRole.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // From the pipe's creation on: calls that ended before it existed are not delivered.
          startingPosition: 'LATEST',
          batchSize: 10,
          // A batch the queue refuses is halved and retried, then recorded in the pipe's
          // dead-letter queue, so one bad record never holds up the calls after it in its shard.
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          maximumRetryAttempts: 10,
          deadLetterConfig: { arn: this.pipeDeadLetterQueue.queueArn },
        },
        filterCriteria: { filters: CLOSING_FILTERS.map((pattern) => ({ pattern: JSON.stringify(pattern) })) },
      },
      target: this.queue.queueArn,
      targetParameters: { inputTemplate: DELIVERY_INPUT_TEMPLATE },
      logConfiguration: {
        cloudwatchLogsLogDestination: { logGroupArn: pipeLogs.logGroupArn },
        // Errors only, and without execution data: the payload is the call record's images
        // (callers' numbers, labels, lookups).
        level: 'ERROR',
      },
    });
    // The role's policy must exist before the pipe starts reading, or its first polls are refused.
    this.pipe.node.addDependency(pipeRole);

    // The sender: an explicit role and log group, as the webhook's (no AWS managed policy).
    const logGroup = new LogGroup(this, 'HandlerLogs', { retention: logRetention, removalPolicy: logRemovalPolicy });
    const role = new Role(this, 'HandlerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Switchboard delivery Lambda',
    });
    logGroup.grantWrite(role);

    this.handler = new NodejsFunction(this, 'Handler', {
      ...bundledLambda('delivery'),
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(DELIVERY_FUNCTION_TIMEOUT_SECONDS),
      role,
      logGroup,
      description: 'Switchboard: analyses finished calls if asked, delivers them to the number\'s notify endpoint or the default one (signed), with retries',
      environment: {
        [ENV.numbersTable]: props.numbers.tableName,
        [ENV.callsTable]: props.calls.tableName,
        [ENV.callEntriesTable]: props.entries.tableName,
        [ENV.callRetentionDays]: String(props.callRetentionDays),
        [ENV.toolSigningSecretArn]: props.toolSigningSecret.secretArn,
        [ENV.openAiApiKeySecretArn]: props.openAiApiKey.secretArn,
        [ENV.deliveryQueueUrl]: this.queue.queueUrl,
        [ENV.deliveryDeadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        // Read by core/delivery/default-notify.ts, which refuses a bad value at the Lambda's start.
        ...(props.defaultNotify && { [ENV.defaultNotifyUrl]: props.defaultNotify.url }),
        ...(props.defaultNotify?.events && { [ENV.defaultNotifyEvents]: props.defaultNotify.events.join(',') }),
        POWERTOOLS_SERVICE_NAME: METRICS.deliveryService,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    // Exactly what the sender does: GetItem a number; GetItem (consistent) a call and UpdateItem
    // it (appending an attempt, setting its analysis); Query a call's entries. The calls grant names the table alone:
    // the table's own grant() would add `<calls table ARN>/index/*` (the import declares the
    // indexes, for the webhook's and workers' queries), and the sender queries no index.
    props.numbers.grant(role, 'dynamodb:GetItem');
    Grant.addToPrincipal({ grantee: role, actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resourceArns: [props.calls.tableArn] });
    props.entries.grant(role, 'dynamodb:Query');
    props.toolSigningSecret.grantRead(role);
    props.openAiApiKey.grantRead(role);
    // Receive, delete and ChangeMessageVisibility (how a retry waits) on its own queue; send to the
    // dead-letter queue (what is given up, or not a delivery at all).
    this.queue.grantConsumeMessages(role);
    this.deadLetterQueue.grantSendMessages(role);

    this.handler.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        // A delivery that will retry is a batch item failure; the others of its batch are done.
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? 10,
      }),
    );
  }
}
