import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { callControlClient, WORKER_CALL_CONTROL_TIMEOUT_MS } from '../core/openai/call-control';
import { CALL_VISIBILITY_SECONDS, DEFAULT_DRAIN_SECONDS, ENV, HEARTBEAT_SECONDS, METRICS, WORKER_HEALTH_PORT } from '../core/runtime/contract';
import { jsonLog, logLevelFrom, type Log } from '../core/runtime/log';
import { deployedSettings, positiveIntEnv } from '../core/runtime/settings';
import { MAX_POLL_SECONDS, SqsCallSource } from '../core/queue/sqs-call-source';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { LiveCallStore } from '../core/store/live-call-store';
import { NumbersStore } from '../core/store/numbers-store';
import { API_KEY_MAX_AGE_MS, secretsManagerSecret } from '../core/webhook/secret-provider';
import { CallWorker } from '../core/worker/call-worker';
import { openLiveSideband, openSideband } from '../core/worker/sideband';
import { taskProtection } from './task-protection';
import { deployedToolRunner, toolSecrets } from './tool-runner';

export interface WorkerService {
  worker: CallWorker;
  healthPort: number;
  /** Stops taking calls, waits for live ones up to the drain deadline, hands the rest back. */
  shutdown(): Promise<void>;
}

/**
 * The Fargate call worker, from its environment: the SQS call queue, the tables, the OpenAI
 * API key (Secrets Manager, or OPENAI_API_KEY), HTTP tools (the tool signing secret and the tool
 * secrets, Secrets Manager), a health endpoint, the ActiveCalls metric the service scales on, and
 * scale-in protection while it holds calls.
 */
export async function startWorkerService(env: NodeJS.ProcessEnv = process.env): Promise<WorkerService> {
  const settings = deployedSettings(env);
  const counts = { errors: 0, ended: 0 };
  const level = logLevelFrom(env.LOG_LEVEL);
  const base = jsonLog(METRICS.workerService, { level });
  const log = new CountingLog(base, counts);
  if (env.LOG_LEVEL && !level) log.warn('LOG_LEVEL is not a level (DEBUG, INFO, WARN, ERROR, SILENT); logging at INFO', { LOG_LEVEL: env.LOG_LEVEL });
  const secretsManager = new SecretsManagerClient({});
  const apiKeySecret = env.OPENAI_API_KEY ? undefined : secretsManagerSecret(secretsManager, settings.openAiApiKeySecretArn, { maxAgeMs: API_KEY_MAX_AGE_MS });
  const apiKey = async () => env.OPENAI_API_KEY ?? apiKeySecret!.get();
  const openai = callControlClient({ apiKey, timeoutMs: WORKER_CALL_CONTROL_TIMEOUT_MS });
  const db = createDocumentClient();
  const holdSeconds = positiveIntEnv(ENV.workerHoldSeconds, CALL_VISIBILITY_SECONDS, env);
  const protection = taskProtection(env.ECS_AGENT_URI, log);
  const capacity = positiveIntEnv(ENV.workerCapacity, 200, env);
  // The call stack always sets both; without them (a worker run by hand) tool calls are answered
  // that the tool is not available.
  const signingSecretArn = env[ENV.toolSigningSecretArn];
  const secretsPrefix = env[ENV.toolSecretsPrefix];
  const readSecret = secretsPrefix ? toolSecrets(secretsManager, secretsPrefix) : undefined;
  const runTool = signingSecretArn && secretsPrefix ? deployedToolRunner({ client: secretsManager, signingSecretArn, secretsPrefix, log, secret: readSecret }) : undefined;
  const worker = new CallWorker({
    id: `${env.ECS_CONTAINER_METADATA_URI_V4?.split('/').pop() ?? 'worker'}-${process.pid}`,
    source: new SqsCallSource(new SQSClient({}), settings.queueUrl, positiveIntEnv(ENV.workerPollSeconds, MAX_POLL_SECONDS, env)),
    store: new LiveCallStore(db, settings.tables),
    numbers: new NumbersStore(db, settings.tables.numbers),
    openai,
    runTool,
    readSecret,
    connect: (callId) => openSideband(callId, openai.baseURL, apiKey, { retryForMs: 30_000, refreshApiKey: apiKeySecret && (() => apiKeySecret.refresh()) }),
    connectLive: (sessionId) => openLiveSideband(sessionId, openai.baseURL, apiKey, { retryForMs: 30_000, refreshApiKey: apiKeySecret && (() => apiKeySecret.refresh()) }),
    capacity,
    log,
    timings: { holdSeconds, heartbeatMs: positiveIntEnv(ENV.workerHeartbeatSeconds, HEARTBEAT_SECONDS, env) * 1000 },
    onActiveCalls: (active) => void protection.holding(active > 0),
    onCallEnded: () => counts.ended++,
  });
  const health = await serveHealth(positiveIntEnv(ENV.healthPort, WORKER_HEALTH_PORT, env), worker);
  const metrics = setInterval(() => {
    emitMetrics(worker, counts);
    // Also renews scale-in protection before it runs out on a task that is never idle.
    void protection.holding(worker.activeCalls > 0);
  }, 60_000);
  emitMetrics(worker, counts);
  worker.start();
  log.info('worker started', { capacity, healthPort: (health.address() as AddressInfo).port, httpTools: runTool !== undefined });

  const drainMs = positiveIntEnv(ENV.workerDrainSeconds, DEFAULT_DRAIN_SECONDS, env) * 1000;
  return {
    worker,
    healthPort: (health.address() as AddressInfo).port,
    shutdown: async () => {
      log.info('draining', { activeCalls: worker.activeCalls, deadlineSeconds: drainMs / 1000 });
      const result = await worker.drain(Date.now() + drainMs);
      log.info('drained', result);
      clearInterval(metrics);
      emitMetrics(worker, counts);
      await protection.holding(false);
      await new Promise<void>((resolve) => health.close(() => resolve()));
    },
  };
}

/** The container health check: 200 while the process serves, draining included (ECS must not kill a draining task). */
async function serveHealth(port: number, worker: CallWorker): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: worker.receiving ? 'ok' : 'draining', activeCalls: worker.activeCalls }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return server;
}

/** One CloudWatch embedded-metric-format line: ActiveCalls per task (the scaling metric), errors and ended calls since the last. */
function emitMetrics(worker: CallWorker, counts: { errors: number; ended: number }): void {
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS.namespace,
          Dimensions: [['service']],
          Metrics: [
            { Name: METRICS.activeCalls, Unit: 'Count' },
            { Name: METRICS.workerErrors, Unit: 'Count' },
            { Name: METRICS.callsEnded, Unit: 'Count' },
          ],
        },
      ],
    },
    service: METRICS.workerService,
    [METRICS.activeCalls]: worker.activeCalls,
    [METRICS.workerErrors]: counts.errors,
    [METRICS.callsEnded]: counts.ended,
  };
  counts.errors = 0;
  counts.ended = 0;
  process.stdout.write(JSON.stringify(line) + '\n');
}

/**
 * Counts error lines (the WorkerErrors metric), in this log and its children. A class, not
 * closures: the worker makes a child per held call, for as long as the call lasts.
 */
class CountingLog implements Log {
  constructor(
    private readonly log: Log,
    private readonly counts: { errors: number },
  ) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.log.info(message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.log.warn(message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.counts.errors++;
    this.log.error(message, fields);
  }

  child(fields: Record<string, unknown>): Log {
    return new CountingLog(this.log.child(fields), this.counts);
  }
}
