import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import OpenAI from 'openai';
import { deliverCall, readDeliveryMessage } from '../../core/delivery/deliver-call';
import { DEFAULT_CALL_RETENTION_DAYS, ENV, METRICS } from '../../core/runtime/contract';
import { positiveIntEnv, requireEnv } from '../../core/runtime/settings';
import { readDefaultNotify } from '../../core/delivery/default-notify';
import { CallAnalysisStore } from '../../core/store/call-analysis-store';
import { MonthSpendStore } from '../../core/store/month-spend-store';
import { CallDeliveriesStore } from '../../core/store/call-deliveries-store';
import { CallHistoryStore } from '../../core/store/call-history-store';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { API_KEY_MAX_AGE_MS, secretsManagerSecret, standardWebhooksSecret, TOOL_SECRET_MAX_AGE_MS } from '../../core/webhook/secret-provider';
import { powertoolsLog } from '../powertools-log';

// Built once per container: clients and the cached signing secret survive invocations.
const tables = { numbers: requireEnv(ENV.numbersTable), calls: requireEnv(ENV.callsTable), entries: requireEnv(ENV.callEntriesTable) };
const queueUrl = requireEnv(ENV.deliveryQueueUrl);
const deadLetterQueueUrl = requireEnv(ENV.deliveryDeadLetterQueueUrl);
const logger = new Logger({ serviceName: METRICS.deliveryService });
const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.deliveryService });
const sqs = new SQSClient({});
const secretsManager = new SecretsManagerClient({});
const signing = secretsManagerSecret(secretsManager, requireEnv(ENV.toolSigningSecretArn), { maxAgeMs: TOOL_SECRET_MAX_AGE_MS });
const apiKey = secretsManagerSecret(secretsManager, requireEnv(ENV.openAiApiKeySecretArn), { maxAgeMs: API_KEY_MAX_AGE_MS });
const db = createDocumentClient();
const defaultNotify = readDefaultNotify(process.env[ENV.defaultNotifyUrl], process.env[ENV.defaultNotifyEvents], { url: ENV.defaultNotifyUrl, events: ENV.defaultNotifyEvents });
const services = {
  calls: new CallHistoryStore(db, tables, positiveIntEnv(ENV.callRetentionDays, DEFAULT_CALL_RETENTION_DAYS)),
  numbers: new NumbersStore(db, tables.numbers),
  attempts: new CallDeliveriesStore(db, tables),
  analyses: new CallAnalysisStore(db, tables),
  // Analyses only: each request's timeout and retries are analyseCall's own.
  openai: new OpenAI({ apiKey: () => apiKey.get(), maxRetries: 0 }),
  signingSecret: async () => standardWebhooksSecret(await signing.get()),
  // In AWS an endpoint on a private network needs the number's allowPrivateNetwork.
  allowLoopback: false,
  ...(defaultNotify && { defaultNotify }),
  spend: {
    store: new MonthSpendStore(db, tables),
    onTotal: (_month: string, usd: number) => metrics.addMetric(METRICS.monthSpendUsd, MetricUnit.NoUnit, usd),
  },
  log: powertoolsLog(logger),
};

/**
 * One delivery per message. A retry is the same message made visible again after the wait
 * (ChangeMessageVisibility, then reported as a batch item failure); what is given up is moved to
 * the dead-letter queue, where the alarm sees it and `aws sqs start-message-move-task` redrives it.
 */
async function handle(record: SQSRecord): Promise<boolean> {
  const message = readDeliveryMessage(record.body);
  if (!message) {
    logger.error('not a delivery message: moved to the dead-letter queue', { messageId: record.messageId });
    await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: record.body }));
    return true;
  }
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  const step = await deliverCall(message, attempt, services);
  if (step.kind === 'retry') {
    metrics.addMetric(METRICS.deliveryAttemptFailed, MetricUnit.Count, 1);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: step.delaySeconds }));
    return false;
  }
  if (step.outcome === 'delivered') metrics.addMetric(METRICS.callDelivered, MetricUnit.Count, 1);
  if (step.outcome === 'gave-up') {
    metrics.addMetric(METRICS.deliveryAttemptFailed, MetricUnit.Count, 1);
    metrics.addMetric(METRICS.deliveryGaveUp, MetricUnit.Count, 1);
    await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: record.body }));
  }
  return true;
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const results = await Promise.allSettled(event.Records.map(handle));
  metrics.publishStoredMetrics();
  const batchItemFailures = event.Records.filter((_, i) => {
    const result = results[i];
    if (result.status === 'rejected') logger.error('delivery failed unexpectedly; the message is retried', { messageId: event.Records[i].messageId, error: result.reason });
    return result.status === 'rejected' || !result.value;
  }).map((r) => ({ itemIdentifier: r.messageId }));
  return { batchItemFailures };
};
