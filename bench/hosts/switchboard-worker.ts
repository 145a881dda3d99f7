import { callControlClient, WORKER_CALL_CONTROL_TIMEOUT_MS } from '../../core/openai/call-control';
import type { StoredCall } from '../../core/store/stored-call';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { entryKey, transcriptEntryOf } from '../../core/store/call-entries-store';
import { LiveCallStore, type LiveCalls } from '../../core/store/live-call-store';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { silentLog } from '../../core/runtime/log';
import { CallWorker } from '../../core/worker/call-worker';
import { openLiveSideband, openSideband } from '../../core/worker/sideband';
import { InProcessCallQueue } from '../../local/in-process-queue';
import { demoNumber } from '../../local/simulation';
import { startCallInbox, wallClock } from './bench-control';
import { announceReady, env } from './child';

/** Searched for in the raw frame, so that the measuring does not copy every event into a string. */
const FUNCTION_CALL_DONE = Buffer.from('"response.function_call_arguments.done"');

/**
 * Switchboard's call worker for the capacity benchmark: the real CallWorker and sessions, fed
 * through an in-process queue, storing in DynamoDB (`BENCH_DYNAMODB`) or in a store that keeps
 * nothing (`BENCH_DYNAMODB=none`), so the worker's own limit shows.
 */
async function main(): Promise<void> {
  const marks = { stored: new Map<string, number>(), toolReceived: new Map<string, number>(), referSent: new Map<string, number>(), entriesPerWrite: new Map<string, number>() };
  const config = demoNumber();
  const endpoint = env('BENCH_DYNAMODB');
  const db = endpoint === 'none' ? undefined : createDocumentClient({ endpoint });
  const backing: LiveCalls = db ? new LiveCallStore(db, LOCAL_TABLE_NAMES) : nothingKept();
  const store: LiveCalls = {
    ...bind(backing),
    writeEntries: async (items) => {
      marks.entriesPerWrite.set(String(marks.entriesPerWrite.size), items.length);
      const unprocessed = await backing.writeEntries(items);
      const stored = wallClock();
      const left = new Set(unprocessed.map(entryKey));
      for (const item of items) {
        const entry = transcriptEntryOf(item);
        if (entry && !left.has(entryKey(item))) marks.stored.set(entry.id, stored);
      }
      return unprocessed;
    },
  };
  const openai = callControlClient({ apiKey: env('BENCH_API_KEY'), baseURL: env('BENCH_OPENAI'), timeoutMs: WORKER_CALL_CONTROL_TIMEOUT_MS });
  // The worker's own part of tool call -> refer: from reading the function call off the socket
  // (a listener added after the session's own) to starting the refer request.
  const refer = openai.realtime.calls.refer.bind(openai.realtime.calls);
  openai.realtime.calls.refer = ((callId: string, body: { target_uri: string }) => {
    marks.referSent.set(callId, wallClock());
    return refer(callId, body);
  }) as typeof openai.realtime.calls.refer;
  const connect = async (callId: string) => {
    const sideband = await openSideband(callId, openai.baseURL, async () => env('BENCH_API_KEY'), { retryForMs: 10_000 });
    setImmediate(() =>
      sideband.socket.on('message', (data) => {
        if (!marks.toolReceived.has(callId) && (data as Buffer).includes(FUNCTION_CALL_DONE)) marks.toolReceived.set(callId, wallClock());
      }),
    );
    return sideband;
  };
  const queue = new InProcessCallQueue();
  const worker = new CallWorker({
    id: 'bench',
    source: queue,
    store,
    numbers: db ? new NumbersStore(db, LOCAL_TABLE_NAMES.numbers) : { get: async () => ({ config, version: 1, updatedAt: '' }) },
    openai,
    connect,
    // The benchmarks place Realtime calls only.
    connectLive: (id) => openLiveSideband(id, openai.baseURL, async () => env('BENCH_API_KEY'), { retryForMs: 10_000 }),
    capacity: 100_000,
    log: silentLog,
  });
  // Warm the HTTP client (first-request set-up) as a worker's first call would.
  await openai.realtime.calls.hangup('rtc_warm_up').catch(() => undefined);
  worker.start();
  const inbox = await startCallInbox((calls) => calls.forEach((c) => void queue.enqueue(c)), marks);
  await announceReady(inbox);
}

function bind(store: LiveCalls): LiveCalls {
  return {
    get: (...a) => store.get(...a),
    acquireLease: (...a) => store.acquireLease(...a),
    renewLease: (...a) => store.renewLease(...a),
    releaseLease: (...a) => store.releaseLease(...a),
    writeEntries: (...a) => store.writeEntries(...a),
    finish: (...a) => store.finish(...a),
  };
}

/** A store that keeps nothing: every call is live and leased to whoever asks. */
function nothingKept(): LiveCalls {
  const record = (callId: string): StoredCall => ({
    callId,
    number: '+17134810111',
    caller: '+14067704205',
    startedAt: new Date().toISOString(),
    outcome: 'active',
    transcript: [],
    actions: [],
    usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
  });
  return {
    get: async (callId) => record(callId),
    acquireLease: async (callId) => record(callId),
    renewLease: async () => true,
    releaseLease: async () => undefined,
    writeEntries: async () => [],
    finish: async () => true,
  };
}

void main();
