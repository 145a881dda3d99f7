import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import OpenAI from 'openai';
import { parseNumberConfig } from '../../core/numbers/config';
import { DEFAULT_CALL_RETENTION_DAYS, ENV } from '../../core/runtime/contract';
import { silentLog } from '../../core/runtime/log';
import { SqsCallQueue } from '../../core/queue/sqs-call-queue';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { CallHistoryStore } from '../../core/store/call-history-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { LiveCallStore } from '../../core/store/live-call-store';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { staticSecret } from '../../core/webhook/secret-provider';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { startOpenAIEmulator, type ConversationScript, type OpenAIEmulator } from '../../local/openai-emulator';
import { startWebhookHost, type WebhookHost } from '../../local/webhook-host';
import { startAwsStubs } from '../support/aws-stubs';
import { startFauxqs, type LocalSqs } from '../support/fauxqs';
import { API_KEY, eventually, freePort, WEBHOOK_SECRET } from '../support/local-stack';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const GREETING = example.agent.greeting as string;

/**
 * The Fargate worker's entry point (service/main.ts) as a child process, against SQS (fauxqs),
 * DynamoDB (dynalite) and the OpenAI emulator, with calls arriving through the webhook path.
 */
describe('the worker process (SQS, dynalite, emulator)', () => {
  let dynamodb: LocalDynamoDB;
  let sqs: LocalSqs;
  let queueUrl: string;
  let emulator: OpenAIEmulator;
  let webhook: WebhookHost;
  let calls: CallHistoryStore;
  let live: LiveCallStore;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
    const db = createDocumentClient({ endpoint: dynamodb.endpoint });
    await new NumbersStore(db, LOCAL_TABLE_NAMES.numbers).put(parseNumberConfig(example));
    calls = new CallHistoryStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS);
    live = new LiveCallStore(db, LOCAL_TABLE_NAMES);
    sqs = await startFauxqs();
    const port = await freePort();
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: WEBHOOK_SECRET }, retrySchedule: [100, 200] });
    webhook = await startWebhookHost(
      {
        secrets: staticSecret(WEBHOOK_SECRET),
        numbers: new NumbersStore(db, LOCAL_TABLE_NAMES.numbers),
        calls: new CallClaimsStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS),
        openai: new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0 }),
        // A fresh queue per test (see beforeEach), so a killed worker's long poll cannot take the next test's call.
        queue: { enqueue: (call) => new SqsCallQueue(sqs.client, queueUrl).enqueue(call) },
        log: silentLog,
      },
      port,
    );
  });

  let queues = 0;
  beforeEach(async () => {
    queueUrl = await sqs.createQueue(`switchboard-calls-${++queues}`);
  });

  afterEach(() => {
    for (const w of workers.splice(0)) w.kill('SIGKILL');
  });

  afterAll(async () => {
    await webhook.close();
    await emulator.close();
    await sqs.close();
    await dynamodb.close();
  });

  async function startWorker(
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ child: ChildProcess; output: () => string; stderr: () => string; exited: Promise<number | null>; healthPort: number }> {
    const healthPort = await freePort();
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', join(__dirname, '../../service/main.ts')], {
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        OPENAI_API_KEY: API_KEY,
        OPENAI_BASE_URL: emulator.baseURL,
        [ENV.numbersTable]: LOCAL_TABLE_NAMES.numbers,
        [ENV.callsTable]: LOCAL_TABLE_NAMES.calls,
        [ENV.callEntriesTable]: LOCAL_TABLE_NAMES.entries,
        [ENV.callQueueUrl]: queueUrl,
        [ENV.openAiApiKeySecretArn]: 'unused-when-OPENAI_API_KEY-is-set',
        [ENV.healthPort]: String(healthPort),
        [ENV.workerHoldSeconds]: '2',
        [ENV.workerHeartbeatSeconds]: '1',
        [ENV.workerPollSeconds]: '2',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    // Logs go to stdout; stderr is for what Node or a library prints on its own (warnings).
    let errors = '';
    child.stderr!.on('data', (d) => (errors += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => output, stderr: () => errors, exited, healthPort };
  }

  async function place(script: ConversationScript): Promise<string> {
    const { callId } = await emulator.placeCall({ dialed: '17134810111', caller: '+14067704205', script });
    await eventually(async () => (await calls.get(callId))?.outcome === 'active');
    return callId;
  }

  const texts = async (callId: string) => (await calls.get(callId))!.transcript.map((t) => t.text);

  it('logs JSON lines with the callId on every call line, never the API key, and serves /healthz', async () => {
    const worker = await startWorker();
    const health = await eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${worker.healthPort}/healthz`).catch(() => undefined);
      return response?.ok ? response.json() : undefined;
    }, 15_000);
    expect(health).toEqual({ status: 'ok', activeCalls: 0 });
    const callId = await place([{ caller: 'Hello?' }, { hangup: true }]);
    await eventually(async () => (await calls.get(callId))?.outcome === 'completed', 15_000);
    const lines = worker.output().trim().split('\n').map((l) => JSON.parse(l));
    const callLines = lines.filter((l) => l.message !== 'worker started' && !('_aws' in l));
    expect(callLines.length).toBeGreaterThan(0);
    expect(callLines.every((l) => l.callId === callId)).toBe(true);
    expect(worker.output()).not.toContain(API_KEY);
    expect(lines.find((l) => '_aws' in l)).toMatchObject({ service: 'switchboard-worker', ActiveCalls: expect.any(Number) });
    expect(worker.stderr()).toBe('');
  });

  it('survives SIGKILL mid-call: another worker re-attaches and every transcript entry is stored exactly once', async () => {
    const first = await startWorker();
    const callId = await place([{ caller: 'First thing.' }, { pause: 2500 }, { caller: 'Second thing.' }, { agent: 'Noted both.' }, { pause: 200 }, { hangup: true }]);
    await eventually(async () => (await texts(callId)).includes('First thing.'), 15_000);
    first.child.kill('SIGKILL');
    await startWorker();
    const record = await eventually(async () => {
      const r = await calls.get(callId);
      return r?.outcome === 'completed' ? r : undefined;
    }, 20_000);
    expect(record.transcript.map((t) => t.text)).toEqual([GREETING, 'First thing.', 'Second thing.', 'Noted both.']);
    expect(record.actions.filter((a) => a.type === 'greeting')).toHaveLength(1);
    expect(record.reason).toBe('caller-hung-up');
    // The call's message is gone once the call ended.
    const left = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(left.Messages ?? []).toEqual([]);
  });

  it('on SIGTERM stops taking calls, lets live calls run until the drain deadline, hands the rest back and exits 0', async () => {
    const worker = await startWorker({ [ENV.workerDrainSeconds]: '2' });
    const callId = await place([{ caller: 'This will take a while.' }, { pause: 30_000 }]);
    await eventually(async () => (await live.get(callId))?.leaseOwner !== undefined && (await texts(callId)).length === 2, 15_000);
    worker.child.kill('SIGTERM');
    // Still healthy while draining: ECS must not replace a task that is finishing its calls.
    const health = await eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${worker.healthPort}/healthz`);
      const body = (await response.json()) as { status: string };
      return body.status === 'draining' ? { status: response.status, body } : undefined;
    });
    expect(health).toEqual({ status: 200, body: { status: 'draining', activeCalls: 1 } });
    expect(await worker.exited).toBe(0);
    const stored = await live.get(callId);
    expect(stored).toMatchObject({ outcome: 'active' });
    expect(stored?.leaseOwner).toBeUndefined();
    // Not hung up: the call is live for the next worker.
    expect(emulator.call(callId)?.state).toBe('accepted');
    expect(emulator.received(callId).map((r) => r.verb)).toEqual(['accept']);
    // Handed back: the message is visible again at once.
    const again = await new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }).send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 30 }),
    );
    expect(again.Messages?.map((m) => JSON.parse(m.Body!).callId)).toEqual([callId]);
    expect(worker.output()).toContain('"message":"drained"');
    emulator.endCall(callId);
  });
  it('hands a call that arrives while a worker drains to another worker within seconds, not after the hold time', async () => {
    // Held calls' messages stay hidden for 30 s: a call caught by the draining worker's long poll
    // and not given back would wait that long in silence.
    const long = { [ENV.workerHoldSeconds]: '30', [ENV.workerHeartbeatSeconds]: '5' };
    const draining = await startWorker({ ...long, [ENV.workerDrainSeconds]: '20' });
    const first = await place([{ caller: 'This will take a while.' }, { pause: 30_000 }]);
    await eventually(async () => (await live.get(first))?.leaseOwner !== undefined, 15_000);
    draining.child.kill('SIGTERM');
    await eventually(async () => ((await (await fetch(`http://127.0.0.1:${draining.healthPort}/healthz`)).json()) as { status: string }).status === 'draining');
    const next = await startWorker(long);
    await eventually(async () => (await fetch(`http://127.0.0.1:${next.healthPort}/healthz`).catch(() => undefined))?.ok, 15_000);
    const second = await place([{ caller: 'Hello, anyone there?' }, { pause: 30_000 }]);
    const owner = await eventually(async () => (await live.get(second))?.leaseOwner, 5000);
    expect(owner).toBe(`worker-${next.child.pid}`);
    await eventually(async () => (await texts(second)).includes(GREETING), 5000);
    emulator.endCall(first);
    emulator.endCall(second);
    expect(await draining.exited).toBe(0);
  }, 60_000);
  it.each([
    ['a Realtime call', 'realtime', '17134810112'],
    ['a GPT-Live call', 'live', '17134810113'],
  ] as const)('never sends a tool call twice when the worker dies during it: the next worker answers it as interrupted (%s)', async (_, engine, dialed) => {
    const aws = await startAwsStubs();
    const signingSecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:tool-signing-AbCdEf';
    aws.secrets.set(signingSecretArn, Buffer.from('a-tool-signing-key-of-36-bytes-long!').toString('base64'));
    let requests = 0;
    // The order system answers only after the first worker is gone.
    const endpoint = createServer((req, res) => {
      requests++;
      req.resume();
      setTimeout(() => res.writeHead(200).end('{"status":"shipped"}'), 3000).unref();
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    const db = createDocumentClient({ endpoint: dynamodb.endpoint });
    await new NumbersStore(db, LOCAL_TABLE_NAMES.numbers).put(
      parseNumberConfig({
        ...example,
        number: `+${dialed}`,
        ...(engine === 'live' && { agent: { engine: 'live', instructions: 'Warm and brief.', greeting: GREETING, backend: { instructions: 'Look orders up with lookup_order.' } } }),
        tools: [{
          name: 'lookup_order',
          description: 'Look up an order',
          parameters: { type: 'object', properties: { order: { type: 'string' } } },
          url: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/orders`,
          timeoutMs: 5000,
          // The endpoint is on this machine; in AWS that takes the flag.
          allowPrivateNetwork: true,
        }],
      }),
    );
    const toolEnv = { ...aws.env, [ENV.toolSigningSecretArn]: signingSecretArn, [ENV.toolSecretsPrefix]: 'switchboard/test/tool/' };
    try {
      const first = await startWorker(toolEnv);
      const placed = await emulator.placeCall({
        dialed,
        caller: '+14067704205',
        offer: [engine],
        script: [{ pause: 300 }, { caller: 'Where is order 12?' }, { tool: 'lookup_order', args: { order: '12' } }, { agent: 'Let me check again.' }, { caller: 'Bye.' }, { hangup: true }],
      });
      const callId = engine === 'live' ? placed.liveSessionId! : placed.callId;
      // Killed with the request out and on the call's timeline (what a worker that dies sooner
      // leaves is what the next one can know: nothing, and it sends nothing either).
      await eventually(async () => requests === 1 && (await calls.get(callId))?.actions.some((a) => a.type === 'tool-call'), 15_000);
      first.child.kill('SIGKILL');
      await startWorker(toolEnv);
      const record = await eventually(async () => {
        const r = await calls.get(callId);
        return r?.outcome === 'completed' ? r : undefined;
      }, 20_000);
      expect(requests).toBe(1);
      expect(record.actions.filter((a) => a.type === 'tool-call')).toHaveLength(1);
      expect(record.actions).toContainEqual(expect.objectContaining({ type: 'tool-result', name: 'lookup_order', outcome: 'interrupted' }));
      const said = record.transcript.map((t) => t.text);
      expect(said).toContain('Bye.');
      // No line is stored twice across the two workers.
      expect(new Set(said).size).toBe(said.length);
      expect(said.filter((t) => t === GREETING)).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => endpoint.close(() => resolve()));
      await aws.close();
    }
  }, 60_000);
});
