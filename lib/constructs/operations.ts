import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { RejectReason } from '../../core/calls/route';
import { METRICS } from '../../core/runtime/contract';
import type { CallDeliveries } from './call-deliveries';
import type { CallHandoffQueue } from './call-handoff-queue';
import type { CallWorkers } from './call-workers';
import type { WebhookReceiver } from './webhook-receiver';

/** The `reason` dimension values of CallRejected: the routing decisions plus unreadable webhooks. */
export const REJECT_REASONS = [
  'unknown-number',
  'number-disabled',
  'caller-blocked',
  'number-busy',
  'lookup-rejected',
  'invalid-request',
] as const satisfies readonly (RejectReason | 'invalid-request')[];

export interface OperationsProps {
  readonly webhook: WebhookReceiver;
  readonly queue: CallHandoffQueue;
  readonly workers: CallWorkers;
  readonly deliveries: CallDeliveries;
  readonly callsPerTask: number;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
  /** US dollars: when given, an alarm fires when the month's estimated OpenAI spend passes it. */
  readonly monthlyBudgetUsd?: number;
}

/**
 * What an operator watches: one dashboard with the call path end to end, and alarms (on an
 * encrypted SNS topic) for what means a caller is, or soon will be, failed, or that a finished
 * call did not reach the business's endpoint.
 */
export class Operations extends Construct {
  public readonly dashboard: Dashboard;
  public readonly alarmTopic: Topic;
  public readonly alarms: {
    readonly webhookServerErrors: Alarm;
    readonly deadLetters: Alarm;
    readonly acceptFailures: Alarm;
    readonly workerErrors: Alarm;
    readonly callsWaiting: Alarm;
    readonly deliveriesGivenUp: Alarm;
    readonly deliveryPipeFailures: Alarm;
    /** Only with a monthly budget. */
    readonly monthlyBudget?: Alarm;
  };

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { webhook, queue, workers, deliveries } = props;

    // CloudWatch alarms can only publish to an encrypted topic whose key lets CloudWatch use it,
    // which rules out the AWS managed aws/sns key: a small key of our own.
    const topicKey = new Key(this, 'AlarmTopicKey', {
      description: 'Switchboard alarm topic encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Switchboard alarms',
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    const webhookMetric = (metricName: string, statistic = 'Sum', dimensions: Record<string, string> = {}) =>
      new Metric({
        namespace: METRICS.namespace,
        metricName,
        dimensionsMap: { service: METRICS.webhookService, ...dimensions },
        statistic,
        period: Duration.minutes(5),
      });
    const workerMetric = (metricName: string, statistic = 'Sum') =>
      new Metric({
        namespace: METRICS.namespace,
        metricName,
        dimensionsMap: { service: METRICS.workerService },
        statistic,
        period: Duration.minutes(1),
      });

    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    const webhookServerErrors = webhook.api.metricServerError(fiveMinutes);
    const acceptFailed = webhookMetric(METRICS.acceptFailed);
    const workerErrors = workerMetric(METRICS.workerErrors).with({ period: Duration.minutes(5) });
    const deadLetters = queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    const deliveryMetric = (metricName: string) =>
      new Metric({
        namespace: METRICS.namespace,
        metricName,
        dimensionsMap: { service: METRICS.deliveryService },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const deliveryDeadLetters = deliveries.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    const pipeDeadLetters = deliveries.pipeDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    const callsWaiting = queue.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    // The month's running total, emitted by the delivery Lambda after each call it counts; a new
    // month's starts from 0. The latest total is what counts, so the Maximum of each hour.
    const monthSpend = new Metric({
      namespace: METRICS.namespace,
      metricName: METRICS.monthSpendUsd,
      dimensionsMap: { service: METRICS.deliveryService },
      statistic: 'Maximum',
      period: Duration.hours(1),
    });

    const onTopic = (created: Alarm) => {
      created.addAlarmAction(new SnsAction(this.alarmTopic));
      created.addOkAction(new SnsAction(this.alarmTopic));
      return created;
    };
    /** Alarms when the metric reaches `atLeast` in each of `periods` consecutive periods. */
    const alarm = (alarmId: string, metric: IMetric, atLeast: number, description: string, periods = 1) =>
      onTopic(new Alarm(this, alarmId, {
        metric,
        threshold: atLeast,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }));
    /** Alarms when the month's spend so far passes the budget. */
    const budgetAlarm = (budget: number) =>
      onTopic(new Alarm(this, 'MonthlyBudget', {
        metric: monthSpend,
        threshold: budget,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        // The metric is emitted only when a call ends: an hour without calls keeps the state (no
        // flapping to OK between calls). The next month's first call brings it back to OK.
        treatMissingData: TreatMissingData.IGNORE,
        alarmDescription: `The month's estimated OpenAI spend passed the monthly budget of ${budget} USD (monthlyBudgetUsd). \`switchboard status\` shows the month's spend (\`switchboard calls show <call id>\` a call's cost); disable numbers (\`switchboard numbers disable <number>\`) to stop spending, or redeploy with a higher monthlyBudgetUsd. It returns to OK with the next month's first calls (each month's total starts from 0).`,
      }));
    this.alarms = {
      webhookServerErrors: alarm('WebhookServerErrors', webhookServerErrors, 1, 'The webhook answered OpenAI with a 5xx: calls may go unanswered until OpenAI retries. Check the webhook Lambda logs.'),
      deadLetters: alarm('DeadLetters', deadLetters, 1, 'A call message reached the dead-letter queue: workers failed to take it repeatedly. Inspect the DLQ message and the worker logs.'),
      acceptFailures: alarm('AcceptFailures', acceptFailed, 1, 'Accepting a call with OpenAI failed: the caller heard ringing and no answer. Check the OpenAI API key secret and the webhook Lambda logs.'),
      workerErrors: alarm('WorkerErrors', workerErrors, 1, 'A call worker reported errors handling live calls. Check the worker logs.'),
      callsWaiting: alarm('CallsWaiting', callsWaiting, 1, 'Answered calls have waited 3 minutes for a worker: check that the worker service runs healthy tasks.', 3),
      deliveriesGivenUp: alarm(
        'DeliveriesGivenUp',
        deliveryDeadLetters,
        1,
        'A finished call could not be delivered to its number\'s notify endpoint (refused, or still failing after a day of retries) and is in the delivery dead-letter queue. `switchboard calls show <call id>` shows the attempts; fix the endpoint, then redrive the queue (aws sqs start-message-move-task) or `switchboard calls redeliver`.',
      ),
      deliveryPipeFailures: alarm(
        'DeliveryPipeFailures',
        pipeDeadLetters,
        1,
        'The delivery pipe could not put finished calls on the delivery queue (its dead-letter queue has the failed batches): those calls are not delivered. Check the pipe\'s state and logs, then `switchboard calls redeliver` the calls that ended meanwhile.',
      ),
      ...(props.monthlyBudgetUsd !== undefined && { monthlyBudget: budgetAlarm(props.monthlyBudgetUsd) }),
    };

    const dashboardWidth = 24;
    const third = dashboardWidth / 3;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Switchboard (${Stack.of(this).stackName})\nWebhook \`${METRICS.webhookService}\`, call workers \`${METRICS.workerService}\` and deliveries \`${METRICS.deliveryService}\`, namespace \`${METRICS.namespace}\`.`,
        width: dashboardWidth,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhooks',
        width: third,
        left: [
          webhookMetric(METRICS.webhookReceived).with({ label: 'received' }),
          webhookMetric(METRICS.callAccepted).with({ label: 'accepted' }),
          webhookMetric(METRICS.callMissed).with({ label: 'missed' }),
          acceptFailed.with({ label: 'accept failed' }),
        ],
      }),
      new GraphWidget({
        title: 'Accept latency (ms)',
        width: third,
        left: [
          webhookMetric(METRICS.decisionLatency, 'p50').with({ label: 'p50' }),
          webhookMetric(METRICS.decisionLatency, 'p99').with({ label: 'p99' }),
        ],
      }),
      new GraphWidget({
        title: 'Rejects by reason',
        width: third,
        stacked: true,
        left: REJECT_REASONS.map((reason) => webhookMetric(METRICS.callRejected, 'Sum', { reason }).with({ label: reason })),
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Active calls',
        width: third,
        left: [
          workerMetric(METRICS.activeCalls, 'Sum').with({ label: 'all tasks' }),
          workers.metricActiveCallsPerTask().with({ label: 'per task (average)' }),
        ],
        leftAnnotations: [
          { value: workers.targetCallsPerTask, label: 'autoscaling target per task' },
          { value: props.callsPerTask, label: 'capacity per task' },
        ],
      }),
      new GraphWidget({
        title: 'Call workers (running tasks)',
        width: third,
        left: [workers.metricRunningTasks().with({ label: 'running' })],
        right: [workerMetric(METRICS.callsEnded).with({ label: 'calls ended', period: Duration.minutes(5) })],
      }),
      new GraphWidget({
        title: 'Call queue',
        width: third,
        left: [
          queue.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum', label: 'age of oldest message (s, includes held calls)' }),
        ],
        right: [
          callsWaiting.with({ label: 'waiting for a worker' }),
          queue.queue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: 'held by workers' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Dead-letter queue depth',
        width: third,
        metrics: [deadLetters.with({ label: 'messages in DLQ' })],
      }),
      new GraphWidget({
        title: 'Errors',
        width: 2 * third,
        left: [
          webhook.handler.metricErrors({ ...fiveMinutes, label: 'webhook Lambda errors' }),
          webhook.handler.metricThrottles({ ...fiveMinutes, label: 'webhook Lambda throttles' }),
          webhookServerErrors.with({ label: 'webhook API 5xx' }),
          workerErrors.with({ label: 'worker errors' }),
          deliveries.handler.metricErrors({ ...fiveMinutes, label: 'delivery Lambda errors' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Deliveries',
        width: third,
        left: [
          deliveryMetric(METRICS.callDelivered).with({ label: 'delivered' }),
          deliveryMetric(METRICS.deliveryAttemptFailed).with({ label: 'failed attempts' }),
          deliveryMetric(METRICS.deliveryGaveUp).with({ label: 'given up' }),
        ],
      }),
      new GraphWidget({
        title: 'Delivery queue',
        width: third,
        left: [
          deliveries.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum', label: 'age of oldest message (s, includes retries waiting)' }),
        ],
        right: [
          deliveries.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: 'due now' }),
          deliveries.queue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), statistic: 'Maximum', label: 'in flight or waiting to retry' }),
        ],
      }),
      new SingleValueWidget({
        title: 'Delivery dead-letter queues',
        width: third,
        metrics: [deliveryDeadLetters.with({ label: 'given up (delivery DLQ)' }), pipeDeadLetters.with({ label: 'not queued (pipe DLQ)' })],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'OpenAI spend this month (USD, estimated)',
        width: third,
        left: [monthSpend.with({ label: 'month so far' })],
        leftYAxis: { min: 0 },
        ...(props.monthlyBudgetUsd !== undefined && { leftAnnotations: [{ value: props.monthlyBudgetUsd, label: 'monthly budget' }] }),
      }),
    );
  }
}
