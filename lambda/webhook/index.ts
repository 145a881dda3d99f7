import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { callControlClient, WEBHOOK_CALL_CONTROL_TIMEOUT_MS } from '../../core/openai/call-control';
import { METRICS, ENV } from '../../core/runtime/contract';
import { deployedSettings, requireEnv } from '../../core/runtime/settings';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { NumbersStore } from '../../core/store/numbers-store';
import { SqsCallQueue } from '../../core/queue/sqs-call-queue';
import { createWebhookHandler, type WebhookSummary } from '../../core/webhook/handle-webhook';
import { API_KEY_MAX_AGE_MS, secretsManagerSecret } from '../../core/webhook/secret-provider';
import { powertoolsLog } from '../powertools-log';

// Built once per container, outside the handler: clients and cached secrets survive invocations.
const settings = deployedSettings();
const logger = new Logger({ serviceName: METRICS.webhookService });
const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.webhookService });
const secretsManager = new SecretsManagerClient({});
const apiKey = secretsManagerSecret(secretsManager, settings.openAiApiKeySecretArn, { maxAgeMs: API_KEY_MAX_AGE_MS });
const webhookSecret = secretsManagerSecret(secretsManager, requireEnv(ENV.webhookSecretArn));
// Read both secrets while the container starts, not on the first caller's ring.
void Promise.allSettled([apiKey.get(), webhookSecret.get()]);
const db = createDocumentClient();

const handleWebhook = createWebhookHandler({
  secrets: webhookSecret,
  numbers: new NumbersStore(db, settings.tables.numbers),
  calls: new CallClaimsStore(db, settings.tables, settings.retentionDays),
  openai: callControlClient({ apiKey: () => apiKey.get(), timeoutMs: WEBHOOK_CALL_CONTROL_TIMEOUT_MS }),
  queue: new SqsCallQueue(new SQSClient({}), settings.queueUrl),
  log: powertoolsLog(logger),
  onHandled: recordMetrics,
});

function recordMetrics(summary: WebhookSummary): void {
  metrics.addMetric(METRICS.webhookReceived, MetricUnit.Count, 1);
  if (summary.decisionMs !== undefined) metrics.addMetric(METRICS.decisionLatency, MetricUnit.Milliseconds, summary.decisionMs);
  if (summary.result === 'accepted') metrics.addMetric(METRICS.callAccepted, MetricUnit.Count, 1);
  if (summary.result === 'missed') metrics.addMetric(METRICS.callMissed, MetricUnit.Count, 1);
  if (summary.result === 'failed' || summary.reason?.startsWith('accept-failed')) metrics.addMetric(METRICS.acceptFailed, MetricUnit.Count, 1);
  if (summary.result === 'rejected' || summary.result === 'bad-request') {
    const single = metrics.singleMetric();
    single.addDimension('reason', summary.result === 'rejected' ? (summary.reason ?? 'unknown') : 'invalid-request');
    single.addMetric(METRICS.callRejected, MetricUnit.Count, 1);
  }
  metrics.publishStoredMetrics();
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  const { status, body: responseBody } = await handleWebhook({ body, headers: event.headers });
  return { statusCode: status, headers: { 'content-type': 'application/json' }, body: responseBody };
};
