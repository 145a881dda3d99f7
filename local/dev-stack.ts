import { lookupSigningSecret } from '../core/webhook/lookup';
import { randomBytes } from 'node:crypto';
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
import type { NumberNotify } from '../core/numbers/config';
import { runHttpTool, type HttpToolCall, type HttpToolResult } from '../core/tools/http-tool';
import type { ReadSecret } from '../core/tools/secret-headers';
import { ensureTables, LocalSecrets, startLocalDynamoDB, type LocalDynamoDB } from './dynamodb';
import { startWebhookHost, type PlaceEmulatorCall } from './webhook-host';
import { InProcessCallQueue } from './in-process-queue';
import { CallWorker, type WorkerTimings } from '../core/worker/call-worker';
import { openLiveSideband, openSideband } from '../core/worker/sideband';
import { LiveCallStore } from '../core/store/live-call-store';
import { CallAnalysisStore } from '../core/store/call-analysis-store';
import { CallDeliveriesStore } from '../core/store/call-deliveries-store';
import { startLocalDeliveries, type LocalDeliveries } from './local-deliveries';

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
  /**
   * Runs the numbers' HTTP tools, signed, `{{secret:NAME}}` filled, and allowed to reach this
   * machine (plain `http:` to loopback too) without `allowPrivateNetwork`. Without it (`simulate`),
   * the worker answers a tool call that the tool is not available.
   */
  tools?: DevTools;
  /** `switchboard dev --emulator`: serves `POST /emulator/calls` (local/webhook-host.ts), which places a call into the emulator. */
  placeEmulatorCall?: PlaceEmulatorCall;
  /**
   * Delivers finished calls to their numbers' `notify` endpoints (local/local-deliveries.ts),
   * signed with the tool signing secret. `backoffScale` shortens the retry schedule.
   */
  deliveries?: { backoffScale?: number; pollMs?: number; timeoutMs?: number; defaultNotify?: NumberNotify };
}

export interface DevTools {
  /** `whsec_...`; absent: the one stored in the local secrets table, else one generated at start and stored there. */
  signingSecret?: string;
  /** Asked first for `{{secret:NAME}}` (`switchboard dev`: environment variables); the local secrets table answers the rest. */
  secret?: ReadSecret;
}

/** The tool signing secret a dev stack signs with, and where it came from ("generated": just now, and stored for the next start). */
export interface DevToolSigning {
  signingSecret: string;
  source: 'given' | 'stored' | 'generated';
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
  deliveries?: LocalDeliveries;
  /** With `tools`: the signing secret in use, and the runner the worker is given. */
  tools?: DevToolSigning & { runTool: (call: HttpToolCall) => Promise<HttpToolResult> };
  /** The tool signing secret and tool secrets `switchboard secrets set ... --endpoint` stores. */
  secrets: LocalSecrets;
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
    const secrets = new LocalSecrets(client);
    await secrets.ensureTable();
    // For `switchboard secrets get lookup-signing-secret --endpoint`: what this run signs lookups with.
    await secrets.setLookupSigningSecret(lookupSigningSecret(opts.webhookSecret));
    const tools = opts.tools && (await toolSigning(opts.tools, secrets));
    // Deliveries are signed as tool calls are: one secret for everything sent to the user's systems.
    const signing = tools ?? (opts.deliveries && (await toolSigning({}, secrets)));
    const db = createDocumentClient({ client });
    const numbers = new NumbersStore(db, LOCAL_TABLE_NAMES.numbers);
    const retentionDays = opts.retentionDays ?? DEFAULT_CALL_RETENTION_DAYS;
    const calls = new CallHistoryStore(db, LOCAL_TABLE_NAMES, retentionDays);
    const claims = new CallClaimsStore(db, LOCAL_TABLE_NAMES, retentionDays);
    const live = new LiveCallStore(db, LOCAL_TABLE_NAMES);
    const queue = new InProcessCallQueue();
    const openai = callControlClient({ apiKey: opts.openai.apiKey, baseURL: opts.openai.baseURL, timeoutMs: opts.openai.timeoutMs ?? WEBHOOK_CALL_CONTROL_TIMEOUT_MS });
    const http = await startWebhookHost(
      {
        secrets: staticSecret(opts.webhookSecret),
        numbers,
        calls: claims,
        openai,
        queue,
        log: opts.log,
        onHandled: opts.onWebhook,
        // Local work: a number's lookup may be a server on this machine.
        lookups: { allowLoopback: true },
      },
      opts.port,
      opts.placeEmulatorCall,
    );
    // Started last, once nothing else can fail, so a failed start leaves nothing running.
    // Environment variables (dev) first, then the local secrets table.
    const readSecret: ReadSecret | undefined = tools && (async (name) => (await opts.tools?.secret?.(name)) || secrets.toolSecret(name));
    const runTool = tools && readSecret && localToolRunner(tools, readSecret, secrets, opts.log.child({ component: 'tools' }));
    const worker = opts.worker && startWorker(opts, live, numbers, openai, queue, runTool, readSecret);
    const deliveries =
      opts.deliveries &&
      signing &&
      startLocalDeliveries({
        calls,
        pollMs: opts.deliveries.pollMs,
        services: {
          calls,
          numbers,
          attempts: new CallDeliveriesStore(db, LOCAL_TABLE_NAMES),
          analyses: new CallAnalysisStore(db, LOCAL_TABLE_NAMES),
          openai,
          // A secret stored with `secrets set ... --endpoint` while dev runs signs the next attempt.
          signingSecret: signing.source === 'given' ? async () => signing.signingSecret : async () => (await secrets.signingSecret()) ?? signing.signingSecret,
          allowLoopback: true,
          backoffScale: opts.deliveries.backoffScale,
          timeoutMs: opts.deliveries.timeoutMs,
          ...(opts.deliveries.defaultNotify && { defaultNotify: opts.deliveries.defaultNotify }),
          log: opts.log.child({ component: 'deliveries' }),
        },
      });
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
      ...(deliveries && { deliveries }),
      ...(tools && runTool && { tools: { ...tools, runTool } }),
      secrets,
      close: async () => {
        await http.close();
        // Live calls are handed back (not hung up), as a deployed worker does on shutdown.
        await worker?.drain(Date.now());
        await deliveries?.close();
        await dynamodb.close();
      },
    };
  } catch (err) {
    await dynamodb.close();
    throw err;
  }
}

/** The signing secret given, else the one stored, else a new one, stored so the next start signs alike. */
async function toolSigning(tools: DevTools, secrets: LocalSecrets): Promise<DevToolSigning> {
  if (tools.signingSecret) return { signingSecret: tools.signingSecret, source: 'given' };
  const stored = await secrets.signingSecret();
  if (stored) return { signingSecret: stored, source: 'stored' };
  const generated = `whsec_${randomBytes(32).toString('base64')}`;
  await secrets.setSigningSecret(generated);
  return { signingSecret: generated, source: 'generated' };
}

/**
 * Tool secrets from `secret` first (a value there wins), else from the local secrets table. What
 * the table holds is read on every call: a secret stored with `switchboard secrets set ...
 * --endpoint` while dev runs is used by the next call.
 */
function localToolRunner(signing: DevToolSigning, secret: ReadSecret, secrets: LocalSecrets, log: Log): (call: HttpToolCall) => Promise<HttpToolResult> {
  const signingSecret = signing.source === 'given' ? signing.signingSecret : async () => (await secrets.signingSecret()) ?? signing.signingSecret;
  return (call) => runHttpTool(call, { signingSecret, secret, allowLoopback: true, log });
}

function startWorker(
  opts: DevStackOptions,
  store: LiveCallStore,
  numbers: NumbersStore,
  openai: OpenAI,
  queue: InProcessCallQueue,
  runTool: ((call: HttpToolCall) => Promise<HttpToolResult>) | undefined,
  readSecret: ReadSecret | undefined,
): CallWorker {
  const baseURL = opts.openai.baseURL ?? 'https://api.openai.com/v1';
  const worker = new CallWorker({
    id: `dev-${process.pid}`,
    source: queue,
    store,
    numbers,
    openai,
    runTool,
    readSecret,
    connect: (callId) => openSideband(callId, baseURL, async () => opts.openai.apiKey, { retryForMs: 10_000 }),
    connectLive: (sessionId) => openLiveSideband(sessionId, baseURL, async () => opts.openai.apiKey, { retryForMs: 10_000 }),
    capacity: opts.worker?.capacity ?? 50,
    log: opts.log.child({ component: 'worker' }),
    timings: opts.worker?.timings,
    now: opts.worker?.now,
  });
  worker.start();
  return worker;
}
