/**
 * Names shared by the runtime and the infrastructure, so a metric, an environment variable or a
 * stack output is spelled once: the CDK app sets what the hosts read, and graphs what they emit.
 */

/** Environment variables the deployed hosts (webhook Lambda, call worker) read. */
export const ENV = {
  numbersTable: 'NUMBERS_TABLE',
  callsTable: 'CALLS_TABLE',
  callEntriesTable: 'CALL_ENTRIES_TABLE',
  callQueueUrl: 'CALL_QUEUE_URL',
  openAiApiKeySecretArn: 'OPENAI_API_KEY_SECRET_ARN',
  webhookSecretArn: 'OPENAI_WEBHOOK_SECRET_ARN',
  /** The call worker's: the secret HTTP tool calls are signed with (its own, never OpenAI's webhook secret). */
  toolSigningSecretArn: 'TOOL_SIGNING_SECRET_ARN',
  /** The call worker's: `{{secret:NAME}}` in a tool's headers is the Secrets Manager secret `<prefix>NAME`. */
  toolSecretsPrefix: 'TOOL_SECRETS_PREFIX',
  callRetentionDays: 'CALL_RETENTION_DAYS',
  workerCapacity: 'WORKER_CAPACITY',
  workerDrainSeconds: 'WORKER_DRAIN_SECONDS',
  /** How long a worker holds a call's message and lease per heartbeat (default CALL_VISIBILITY_SECONDS). */
  workerHoldSeconds: 'WORKER_HOLD_SECONDS',
  workerHeartbeatSeconds: 'WORKER_HEARTBEAT_SECONDS',
  /** The worker's SQS long-poll wait, 1 to 20 s (default 20): a draining worker waits out its last poll. */
  workerPollSeconds: 'WORKER_POLL_SECONDS',
  healthPort: 'PORT',
  /** The delivery Lambda's: its own queue (retries wait there) and where what is given up goes. */
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  deliveryDeadLetterQueueUrl: 'DELIVERY_DEAD_LETTER_QUEUE_URL',
  /** The stack's default `notify` (lib/settings.ts notifyUrl, notifyEvents: comma-separated), for numbers without their own. */
  defaultNotifyUrl: 'DEFAULT_NOTIFY_URL',
  defaultNotifyEvents: 'DEFAULT_NOTIFY_EVENTS',
} as const;

/** CloudWatch namespace and metric names (embedded metric format from both hosts). */
export const METRICS = {
  namespace: 'Switchboard',
  webhookService: 'switchboard-webhook',
  workerService: 'switchboard-worker',
  /** Webhook host, dimension `service`. */
  webhookReceived: 'WebhookReceived',
  callAccepted: 'CallAccepted',
  /** Dimensions `service` and `reason`. */
  callRejected: 'CallRejected',
  callMissed: 'CallMissed',
  acceptFailed: 'AcceptFailed',
  /** Milliseconds from webhook receipt to OpenAI's answer to accept or reject. */
  decisionLatency: 'DecisionLatency',
  /** Worker host, dimension `service`. Calls held by one worker task, reported periodically. */
  activeCalls: 'ActiveCalls',
  workerErrors: 'WorkerErrors',
  callsEnded: 'CallsEnded',
  deliveryService: 'switchboard-delivery',
  /** Delivery Lambda, dimension `service`: calls delivered, attempts that failed, deliveries given up. */
  callDelivered: 'CallDelivered',
  deliveryAttemptFailed: 'DeliveryAttemptFailed',
  deliveryGaveUp: 'DeliveryGaveUp',
  /** Delivery Lambda: the month's estimated OpenAI spend so far, in US dollars, after each call it counts (the budget alarm's metric). */
  monthSpendUsd: 'MonthSpendUsd',
} as const;

/** CloudFormation output keys of the call stack, read back by the CLI (`--stack`). */
export const OUTPUTS = {
  webhookUrl: 'WebhookUrl',
  sipUri: 'SipUri',
  numbersTable: 'NumbersTableName',
  callsTable: 'CallsTableName',
  callEntriesTable: 'CallEntriesTableName',
  callQueueUrl: 'CallQueueUrl',
  openAiApiKeySecretArn: 'OpenAiApiKeySecretArn',
  webhookSecretArn: 'WebhookSecretArn',
  /** The secret tool calls are signed with: `switchboard secrets get tool-signing-secret` prints it for the user's endpoint. */
  toolSigningSecretArn: 'ToolSigningSecretArn',
  /** Where `switchboard secrets set tool:NAME` stores a tool secret: the secret named `<prefix>NAME`. */
  toolSecretsPrefix: 'ToolSecretsPrefix',
  clusterName: 'WorkerClusterName',
  serviceName: 'WorkerServiceName',
  /** How long call records are kept: how far back the CLI's history reads look. */
  callRetentionDays: 'CallRetentionDays',
  /** Where `switchboard calls redeliver` puts a call to be delivered again. */
  deliveryQueueUrl: 'DeliveryQueueUrl',
  /** The monthly budget the alarm watches (lib/settings.ts monthlyBudgetUsd), when set: `switchboard status` compares the month's spend with it. */
  monthlyBudgetUsd: 'MonthlyBudgetUsd',
} as const;

/** Port the worker's health endpoint listens on in the container. */
export const WORKER_HEALTH_PORT = 8080;
/** How long one worker waits for its calls to end after SIGTERM (under Fargate's 120 s stop timeout). */
export const DEFAULT_DRAIN_SECONDS = 100;
/** A worker renews the call's queue message visibility and lease on this period. */
export const HEARTBEAT_SECONDS = 30;
/** Visibility given to a held call's queue message: a dead worker's calls reappear after this. */
export const CALL_VISIBILITY_SECONDS = 90;
/**
 * Days a call's record and entries are kept before DynamoDB's TTL deletes them, unless the
 * deployment sets `callRetentionDays` (lib/settings.ts, passed to the hosts as CALL_RETENTION_DAYS);
 * how far back history listings look.
 */
export const DEFAULT_CALL_RETENTION_DAYS = 90;
