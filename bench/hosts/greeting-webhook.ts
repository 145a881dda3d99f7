import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callControlClient, WEBHOOK_CALL_CONTROL_TIMEOUT_MS } from '../../core/openai/call-control';
import type { CallQueue } from '../../core/queue/call-queue';
import { SqsCallQueue } from '../../core/queue/sqs-call-queue';
import { silentLog } from '../../core/runtime/log';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { staticSecret } from '../../core/webhook/secret-provider';
import { startWebhookHost } from '../../local/webhook-host';
import { wallClock } from './bench-control';
import { announceReady, env } from './child';

/**
 * Switchboard's webhook path with the Lambda's dependencies (SQS as the call queue, the call
 * control client it deploys with) behind the local HTTP host, against dynalite and fauxqs.
 * Marks, by call id: when the handler queued the call and when SQS had taken the message, and
 * when the write of OpenAI's answer that goes with the hand-over started and ended.
 */
async function main(): Promise<void> {
  const marks = { enqueued: new Map<string, number>(), sent: new Map<string, number>(), recording: new Map<string, number>(), recorded: new Map<string, number>() };
  const db = createDocumentClient({ endpoint: env('BENCH_DYNAMODB') });
  const sqs = new SQSClient({ endpoint: env('BENCH_SQS'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const calls = new SqsCallQueue(sqs, env('BENCH_QUEUE_URL'));
  const queue: CallQueue = {
    enqueue: async (call) => {
      marks.enqueued.set(call.callId, wallClock());
      await calls.enqueue(call);
      marks.sent.set(call.callId, wallClock());
    },
  };
  const host = await startWebhookHost({
    secrets: staticSecret(env('BENCH_WEBHOOK_SECRET')),
    numbers: new NumbersStore(db, LOCAL_TABLE_NAMES.numbers),
    calls: new MarkedClaims(db, marks),
    openai: callControlClient({ apiKey: env('BENCH_API_KEY'), baseURL: env('BENCH_OPENAI'), timeoutMs: WEBHOOK_CALL_CONTROL_TIMEOUT_MS }),
    queue,
    log: silentLog,
  });
  await announceReady(host.port, marks);
}

/** The claims store, marking its writes of OpenAI's answer (the last is the hand-over's). */
class MarkedClaims extends CallClaimsStore {
  constructor(
    db: DynamoDBDocumentClient,
    private readonly marks: Record<'recording' | 'recorded', Map<string, number>>,
  ) {
    super(db, LOCAL_TABLE_NAMES, 90);
  }

  override async recordAnswer(...args: Parameters<CallClaimsStore['recordAnswer']>): Promise<void> {
    this.marks.recording.set(args[0], wallClock());
    await super.recordAnswer(...args);
    this.marks.recorded.set(args[0], wallClock());
  }
}

void main();
