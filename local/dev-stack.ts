import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type OpenAI from 'openai';
import { callControlClient, WEBHOOK_CALL_CONTROL_TIMEOUT_MS } from '../core/openai/call-control';
import { CallClaimsStore } from '../core/store/call-claims-store';
import { CallHistoryStore } from '../core/store/call-history-store';
import { createDocumentClient, createDynamoDBClient } from '../core/store/dynamodb-client';
import { NumbersStore } from '../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../core/store/tables';
import type { WebhookSummary } from '../core/webhook/handle-webhook';
import { staticSecret } from '../core/webhook/secret-provider';
import { DEFAULT_CALL_RETENTION_DAYS } from '../core/runtime/contract';
import type { Log } from '../core/runtime/log';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from './dynamodb';
import { startWebhookHost } from './webhook-host';
import { InProcessCallQueue } from './in-process-queue';
import { CallWorker, type WorkerTimings } from '../core/worker/call-worker';
import { openSideband } from '../core/worker/sideband';
import { LiveCallStore } from '../core/store/live-call-store';

export interface DevStackOptions {
  /** Webhook server port (0 = any free port). */
  port?: number;
  /** Embedded DynamoDB port (0 = any free port). */
  dynamodbPort?: number;
  /** Persist DynamoDB data here; in memory when absent. */
  dataDir?: string;
  /** `timeoutMs` bounds each call-control request (default the Lambda's). */
  openai: { apiKey: string; baseURL?: string; timeoutMs?: number };
  webhookSecret: string;
  retentionDays?: number;
  log: Log;
  onWebhook?: (summary: WebhookSummary) => void;
  /** Runs a call worker on the in-process queue (`dev`, `simulate`); without it calls stay queued. */
  worker?: { capacity?: number; timings?: Partial<WorkerTimings>; now?: () => number };
}

export interface DevStack {
  webhookUrl: string;
  url: string;
  dynamodb: LocalDynamoDB;
  numbers: NumbersStore;
  /** Call history as users read it. */
  calls: CallHistoryStore;
  /** The webhook's claims on the calls' records. */
  claims: CallClaimsStore;
  /** What the call worker reads and writes of a live call: the record as stored, its lease, its entries. */
  live: LiveCallStore;
  queue: InProcessCallQueue;
  openai: OpenAI;
  worker?: CallWorker;
  close(): Promise<void>;
}

/**
 * Switchboard on one machine: an embedded DynamoDB with the real tables, the webhook path
 * behind `POST /webhook` (the same handler the Lambda runs), and an in-process call queue.
 */
export async function startDevStack(opts: DevStackOptions): Promise<DevStack> {
  const dataDir = opts.dataDir ? join(opts.dataDir, 'dynamodb') : undefined;
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const dynamodb = await startLocalDynamoDB({ port: opts.dynamodbPort, dataDir });
  try {
    const client = createDynamoDBClient({ endpoint: dynamodb.endpoint });
    await ensureTables(client, LOCAL_TABLE_NAMES);
    const db = createDocumentClient({ client });
    const numbers = new NumbersStore(db, LOCAL_TABLE_NAMES.numbers);
    const retentionDays = opts.retentionDays ?? DEFAULT_CALL_RETENTION_DAYS;
    const calls = new CallHistoryStore(db, LOCAL_TABLE_NAMES, retentionDays);
    const claims = new CallClaimsStore(db, LOCAL_TABLE_NAMES, retentionDays);
    const live = new LiveCallStore(db, LOCAL_TABLE_NAMES);
    const queue = new InProcessCallQueue();
    const openai = callControlClient({ apiKey: opts.openai.apiKey, baseURL: opts.openai.baseURL, timeoutMs: opts.openai.timeoutMs ?? WEBHOOK_CALL_CONTROL_TIMEOUT_MS });
    const http = await startWebhookHost(
      { secrets: staticSecret(opts.webhookSecret), numbers, calls: claims, openai, queue, log: opts.log, onHandled: opts.onWebhook },
      opts.port,
    );
    // Started last, once nothing else can fail, so a failed start leaves nothing running.
    const worker = opts.worker && startWorker(opts, live, numbers, openai, queue);
    return {
      webhookUrl: http.webhookUrl,
      url: http.url,
      dynamodb,
      numbers,
      calls,
      claims,
      live,
      queue,
      openai,
      worker,
      close: async () => {
        await http.close();
        // Live calls are handed back (not hung up), as a deployed worker does on shutdown.
        await worker?.drain(Date.now());
        await dynamodb.close();
      },
    };
  } catch (err) {
    await dynamodb.close();
    throw err;
  }
}

function startWorker(opts: DevStackOptions, store: LiveCallStore, numbers: NumbersStore, openai: OpenAI, queue: InProcessCallQueue): CallWorker {
  const baseURL = opts.openai.baseURL ?? 'https://api.openai.com/v1';
  const worker = new CallWorker({
    id: `dev-${process.pid}`,
    source: queue,
    store,
    numbers,
    openai,
    connect: (callId) => openSideband(callId, baseURL, async () => opts.openai.apiKey, { retryForMs: 10_000 }),
    capacity: opts.worker?.capacity ?? 50,
    log: opts.log.child({ component: 'worker' }),
    timings: opts.worker?.timings,
    now: opts.worker?.now,
  });
  worker.start();
  return worker;
}
