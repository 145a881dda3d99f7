import { SQSClient } from '@aws-sdk/client-sqs';
import { callControlClient, WORKER_CALL_CONTROL_TIMEOUT_MS } from '../../core/openai/call-control';
import type { CallDelivery, CallSource, QueuedCall } from '../../core/queue/call-queue';
import { SqsCallSource } from '../../core/queue/sqs-call-source';
import { silentLog } from '../../core/runtime/log';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { LiveCallStore } from '../../core/store/live-call-store';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { CallWorker } from '../../core/worker/call-worker';
import { openLiveSideband, openSideband } from '../../core/worker/sideband';
import { wallClock } from './bench-control';
import { announceReady, env } from './child';

type Marks = Record<'received' | 'attaching' | 'attached' | 'completed', Map<string, number>>;

/**
 * Switchboard's call worker as the Fargate service runs it: the real CallWorker taking calls
 * from SQS (fauxqs) with SqsCallSource's 20 s long polls, leasing them in dynalite, attaching
 * with `openSideband`. Marks, by call id: when the long poll brought the call, when the worker
 * started and finished opening its sideband, and when it deleted the message (the call over).
 */
async function main(): Promise<void> {
  const marks: Marks = { received: new Map(), attaching: new Map(), attached: new Map(), completed: new Map() };
  const db = createDocumentClient({ endpoint: env('BENCH_DYNAMODB') });
  const sqs = new SQSClient({ endpoint: env('BENCH_SQS'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const polls = new SqsCallSource(sqs, env('BENCH_QUEUE_URL'));
  const source: CallSource = {
    receive: async (max, visibilitySeconds, signal) => {
      const deliveries = await polls.receive(max, visibilitySeconds, signal);
      const at = wallClock();
      return deliveries.map((delivery) => {
        marks.received.set(delivery.call.callId, at);
        return new MarkedDelivery(delivery, marks.completed);
      });
    },
  };
  const apiKey = async () => env('BENCH_API_KEY');
  const openai = callControlClient({ apiKey, baseURL: env('BENCH_OPENAI'), timeoutMs: WORKER_CALL_CONTROL_TIMEOUT_MS });
  const first = (mark: Map<string, number>, callId: string) => mark.has(callId) || mark.set(callId, wallClock());
  const worker = new CallWorker({
    id: 'bench-greeting',
    source,
    store: new LiveCallStore(db, LOCAL_TABLE_NAMES),
    numbers: new NumbersStore(db, LOCAL_TABLE_NAMES.numbers),
    openai,
    // The benchmarks place Realtime calls only.
    connectLive: (id) => openLiveSideband(id, openai.baseURL, apiKey, { retryForMs: 10_000 }),
    connect: async (callId) => {
      first(marks.attaching, callId);
      const sideband = await openSideband(callId, openai.baseURL, apiKey, { retryForMs: 30_000 });
      first(marks.attached, callId);
      return sideband;
    },
    capacity: 200,
    log: silentLog,
  });
  // Warm the HTTP client (first-request set-up), as a serving worker's would be.
  await openai.realtime.calls.hangup('rtc_warm_up').catch(() => undefined);
  worker.start();
  // No port of its own: it takes its calls from the queue.
  await announceReady(0, marks);
}

/** A delivery that marks when the worker deleted its message. */
class MarkedDelivery implements CallDelivery {
  readonly call: QueuedCall;
  readonly receiveCount: number;

  constructor(
    private readonly delivery: CallDelivery,
    private readonly completed: Map<string, number>,
  ) {
    this.call = delivery.call;
    this.receiveCount = delivery.receiveCount;
  }

  extend(seconds: number): Promise<void> {
    return this.delivery.extend(seconds);
  }

  async complete(): Promise<void> {
    await this.delivery.complete();
    this.completed.set(this.call.callId, wallClock());
  }

  release(): Promise<void> {
    return this.delivery.release();
  }
}

void main();
