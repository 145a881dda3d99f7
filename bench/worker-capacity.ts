import { readFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import OpenAI from 'openai';
import { routeCall } from '../core/calls/route';
import { buildSessionConfig } from '../core/calls/session-config';
import type { RealtimeAgentConfig } from '../core/numbers/config';
import { dayOf } from '../core/openai/models';
import { CallClaimsStore } from '../core/store/call-claims-store';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { LOCAL_TABLE_NAMES } from '../core/store/tables';
import { startDynaliteWithNumber, type Dynalite } from './dynalite-process';
import { startOpenAIEmulator, type ConversationScript } from '../local/openai-emulator';
import { DEMO_CALLER, demoNumber } from '../local/simulation';
import { wallClock } from './hosts/bench-control';
import { spawnHost } from './spawn-host';
import { cpuShare, type CpuShare } from './cpu-profile';
import { loopDelayMonitor, percentile, round, runConcurrently } from './stats';
import { benchStoreRequestCost, type StoreRequestCost } from './store-request-cost';

const API_KEY = 'sk-bench-worker';
/** A phone conversation's pace: a gap before each turn, speech at ~8 words a second. */
const PACE = { stepDelayMs: 1500, msPerWord: 120 };
const TURNS = 4;
const RAMP_MS = 5000;

/**
 * One call: four exchanges (the caller speaks every ~5 s), then the agent transfers to sales.
 * A random first pause keeps calls out of step, as real calls are.
 */
function conversation(): ConversationScript {
  const steps: ConversationScript[number][] = [{ pause: Math.floor(Math.random() * 4000) }];
  for (let i = 1; i <= TURNS; i++) {
    steps.push({ caller: `This is my question number ${i} about the bill please.` });
    steps.push({ agent: `Thanks, here is the answer to your question number ${i} right now.` });
  }
  steps.push({ tool: 'transfer_call', args: { target: 'sales' } });
  return steps;
}

export interface CapacityRun {
  worker: string;
  store: string;
  calls: number;
  /** Emulator sent the caller's completed transcription -> the worker had stored it. */
  eventToStoredP50Ms: number;
  eventToStoredP99Ms: number;
  toolToReferP50Ms: number;
  /** Emulator sent the transfer_call function call -> the refer reached the emulator. */
  toolToReferP99Ms: number;
  /** Of that, the worker's own part: the function call read off the socket -> the refer request started. */
  toolHandlingP50Ms?: number;
  toolHandlingP99Ms?: number;
  /** The rest, as the two hops' p99s: emulator sent -> the worker read it; refer started -> it reached the emulator. */
  toWorkerP99Ms?: number;
  toEmulatorP99Ms?: number;
  /** Entries the worker's batch writes carried, on average (Switchboard only). */
  entriesPerWrite?: number;
  /** The bench process's own event-loop delay (emulator side): a floor under both latencies. */
  emulatorLoopDelayP99Ms: number;
  emulatorLoopDelayMaxMs: number;
  /** The worker's event-loop delay over the run. */
  workerLoopDelayP99Ms: number;
  workerLoopDelayMaxMs: number;
  heapKiBPerCall: number;
  rssKiBPerCall: number;
  cpuMicrosPerEvent: number;
  /** The worker's CPU over the run, per call. */
  cpuMicrosPerCall?: number;
  /** Share of one core used over the run by the store (dynalite) and by the bench process (the emulator playing every call). */
  storeCorePercent?: number;
  emulatorCorePercent: number;
  /** Share of one core used by the worker over the run. */
  workerCorePercent: number;
  completedCalls: number;
  meetsTargets: boolean;
  /** The p99s of each of the runs at this load; the figures above are those of the median run. */
  p99sOfRuns?: { eventToStored: number[]; toolToRefer: number[] };
  /** Where the worker's CPU went, from a V8 profile of a repeat of a run that missed a target (profiling slows the worker, so that repeat is not timed). */
  cpu?: CpuShare;
}

/** The SDK's sideband client only dials wss://, so the official path reaches the emulator through TLS on loopback. */
async function tlsInFront(port: number): Promise<{ baseURL: string; close(): void }> {
  const ssl = join(__dirname, '../node_modules/dynalite/ssl');
  const server = createTlsServer({ key: readFileSync(join(ssl, 'server-key.pem')), cert: readFileSync(join(ssl, 'server-crt.pem')) }, (tls) => {
    const plain = connect(port, '127.0.0.1');
    tls.pipe(plain).pipe(tls);
    tls.on('error', () => plain.destroy());
    plain.on('error', () => tls.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseURL: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => server.close() };
}

/**
 * A dynalite of its own for each run, with empty tables, as DynamoDB would be: dynalite keeps
 * every item in its process's heap, and a heap grown by earlier runs pauses it for longer and
 * longer garbage collections (writes of 100 ms and more) that a real table does not have.
 */
function freshDynalite(): Promise<Dynalite> {
  return startDynaliteWithNumber(demoNumber());
}

type Engine = 'realtime' | 'live';

async function runOnce(worker: 'switchboard-worker' | 'official-worker', store: 'none' | 'dynalite', calls: number, profile = false, engine: Engine = 'realtime'): Promise<CapacityRun> {
  const dynamodb = store === 'dynalite' ? await freshDynalite() : undefined;
  const sentAt = new Map<string, number>();
  const toolAt = new Map<string, number>();
  const referAt = new Map<string, number>();
  let events = 0;
  const emulator = await startOpenAIEmulator({
    apiKey: API_KEY,
    timing: PACE,
    onServerEvent: (callId, event) => {
      events++;
      if (event.type === 'conversation.item.input_audio_transcription.completed') sentAt.set(String(event.item_id), wallClock());
      if (event.type === 'response.function_call_arguments.done') toolAt.set(callId, wallClock());
      // A Live call's function call comes nested in the backend's events.
      if (event.type === 'response.event' && (event as { event?: { type?: string } }).event?.type === 'response.function_call_arguments.done') toolAt.set(callId, wallClock());
    },
    onCallControl: (callId, verb) => verb === 'refer' && referAt.set(callId, wallClock()),
  });
  const tls = await tlsInFront(Number(new URL(emulator.url).port));
  const host = await spawnHost(worker, {
    BENCH_OPENAI: emulator.baseURL,
    BENCH_OPENAI_TLS: tls.baseURL,
    BENCH_API_KEY: API_KEY,
    BENCH_DYNAMODB: dynamodb?.endpoint ?? 'none',
  });
  const config = demoNumber(engine);
  const openai = new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 2 });
  const db = dynamodb && createDocumentClient({ endpoint: dynamodb.endpoint });
  const records = db && new CallClaimsStore(db, LOCAL_TABLE_NAMES, 1);
  const loop = loopDelayMonitor();
  try {
    const runId = Date.now();
    const callIds = Array.from({ length: calls }, (_, i) => `${engine === 'live' ? 'live' : 'rtc'}_${worker}_${calls}_${i}_${runId}`);
    // The webhook writes each call's record before the worker hears of it, in production from
    // another machine; written here before the clock starts, so that this process (the emulator)
    // does not also do that work while it plays the calls.
    if (records) {
      await runConcurrently(calls, 16, async (i) => {
        await records.create({ callId: callIds[i], number: config.number, caller: DEMO_CALLER, startedAt: new Date().toISOString(), webhookId: callIds[i], outcome: 'active', liveNumber: config.number, claimToken: 'bench', claimUntil: 0 });
      });
    }
    const baseline = await host.memory();
    if (profile) await host.startProfile();
    const cpuBefore = await host.cpuMicros();
    await host.loopDelay(true);
    const storeCpuBefore = dynamodb?.cpuMicros() ?? 0;
    const ownCpuBefore = process.cpuUsage();
    const eventsBefore = events;
    const started = Date.now();
    const batch = 10;
    for (let i = 0; i < calls; i += batch) {
      const ids = callIds.slice(i, i + batch);
      await Promise.all(
        ids.map(async (callId) => {
          const call = { number: config.number, caller: DEMO_CALLER };
          if (engine === 'live') {
            await emulator.placeCall({ liveSessionId: callId, offer: ['live'], dialed: config.number, caller: DEMO_CALLER, script: conversation() });
            const decision = routeCall(call, config, 0, dayOf(new Date()));
            if (decision.kind !== 'accept' || decision.engine !== 'live') throw new Error('the demo number is not answered by GPT-Live');
            await openai.live.sessions.accept(callId, decision.session);
          } else {
            await emulator.placeCall({ callId, dialed: config.number, caller: DEMO_CALLER, script: conversation() });
            await openai.realtime.calls.accept(callId, buildSessionConfig({ ...config, agent: config.agent as RealtimeAgentConfig }, call, dayOf(new Date())));
          }
        }),
      );
      await fetch(`http://127.0.0.1:${host.port}/calls`, { method: 'POST', body: JSON.stringify(ids.map((callId) => ({ callId, number: config.number, config, ...(engine === 'live' && { engine }) }))) });
      await new Promise((resolve) => setTimeout(resolve, RAMP_MS / Math.ceil(calls / batch)));
    }
    // Every call is live from the end of the ramp until its transfer ~20 s after it started.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    // Weighing the heap forces a full garbage collection in the worker, which production never
    // does: what was sent while it ran is left out of the latency figures.
    const gcFrom = wallClock();
    const held = await host.memory();
    const gcTo = wallClock();
    const duringGc = (at: number) => at >= gcFrom && at <= gcTo;
    const deadline = Date.now() + 60_000;
    while (referAt.size < calls && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const cpu = (await host.cpuMicros()) - cpuBefore;
    const workerLoop = await host.loopDelay();
    const wallMicros = (Date.now() - started) * 1000;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const cpuSplit = profile ? cpuShare(await host.stopProfile(), join(__dirname, '..')) : undefined;
    const marks = (await (await fetch(`http://127.0.0.1:${host.port}/marks`)).json()) as Record<string, Record<string, number>>;
    const { stored } = marks;
    const handling = Object.entries(marks.referSent ?? {}).flatMap(([callId, at]) => (marks.toolReceived?.[callId] === undefined ? [] : [at - marks.toolReceived[callId]]));
    const counted = (callId: string) => toolAt.has(callId) && !duringGc(toolAt.get(callId)!);
    const toWorker = Object.entries(marks.toolReceived ?? {}).filter(([callId]) => counted(callId)).map(([callId, at]) => at - toolAt.get(callId)!);
    const toEmulator = Object.entries(marks.referSent ?? {}).filter(([callId]) => counted(callId) && referAt.has(callId)).map(([callId, at]) => referAt.get(callId)! - at);
    const batchSizes = Object.values(marks.entriesPerWrite ?? {});
    const storeLatency = [...sentAt].filter(([id, at]) => stored[id] !== undefined && !duringGc(at)).map(([id, at]) => stored[id] - at);
    const referLatency = [...referAt].filter(([callId]) => counted(callId)).map(([callId, at]) => at - toolAt.get(callId)!);
    const result = {
      worker: worker === 'official-worker' ? 'official (OpenAIRealtimeWS per call)' : `Switchboard CallWorker${engine === 'live' ? ', GPT-Live calls' : ''}`,
      store: dynamodb ? 'dynalite' : worker === 'official-worker' ? 'memory (as the examples)' : 'none',
      calls,
      eventToStoredP50Ms: round(percentile(storeLatency, 50)),
      eventToStoredP99Ms: round(percentile(storeLatency, 99)),
      toolToReferP50Ms: round(percentile(referLatency, 50)),
      toolToReferP99Ms: round(percentile(referLatency, 99)),
      ...(batchSizes.length > 0 && { entriesPerWrite: round(batchSizes.reduce((a, b) => a + b, 0) / batchSizes.length, 1) }),
      ...(handling.length > 0 && { toolHandlingP50Ms: round(percentile(handling, 50)), toolHandlingP99Ms: round(percentile(handling, 99)) }),
      ...(toWorker.length > 0 && { toWorkerP99Ms: round(percentile(toWorker, 99)), toEmulatorP99Ms: round(percentile(toEmulator, 99)) }),
      emulatorLoopDelayP99Ms: round(loop.p99Ms()),
      emulatorLoopDelayMaxMs: round(loop.maxMs()),
      workerLoopDelayP99Ms: round(workerLoop.p99Ms),
      workerLoopDelayMaxMs: round(workerLoop.maxMs),
      heapKiBPerCall: round((held.heapUsed - baseline.heapUsed) / calls / 1024, 1),
      rssKiBPerCall: round((held.rss - baseline.rss) / calls / 1024, 1),
      cpuMicrosPerEvent: round(cpu / (events - eventsBefore), 1),
      cpuMicrosPerCall: round(cpu / calls, 0),
      ...(dynamodb && { storeCorePercent: round((100 * (dynamodb.cpuMicros() - storeCpuBefore)) / wallMicros, 0) }),
      emulatorCorePercent: round((100 * (ownCpu.user + ownCpu.system)) / wallMicros, 0),
      workerCorePercent: round((100 * cpu) / wallMicros, 0),
      completedCalls: referAt.size,
    };
    const complete = [...sentAt.keys()].filter((id) => stored[id] !== undefined).length >= sentAt.size * 0.99 && referAt.size === calls;
    // A Live call's lines have no item ids to follow (ids are per call: in-<ms>), so they have no stored latency to judge.
    const meetsTargets = complete && (engine === 'live' || result.eventToStoredP99Ms < 50) && result.toolToReferP99Ms < 20;
    return { ...result, meetsTargets, ...(cpuSplit && { cpu: cpuSplit }) };
  } finally {
    loop.stop();
    await host.stop();
    tls.close();
    await emulator.close();
    await dynamodb?.close();
  }
}

export interface CapacityResult {
  runs: CapacityRun[];
  /** What one DynamoDB write costs the worker, with the SDK and as a bare HTTP request. */
  storeRequestCost: StoreRequestCost;
  /** Most concurrent calls one worker process held within the targets, per store. */
  capacity: Record<string, number>;
}

/**
 * Runs at one load, for the latency tails: on two cores shared by the worker, the emulator and
 * the store, a p99 moves a lot from one run to the next (a garbage collection in any of them
 * that falls on the busiest second), so each load is run several times and judged by its median run.
 */
export const RUNS_PER_LOAD = 3;

async function medianRun(worker: 'switchboard-worker' | 'official-worker', store: 'none' | 'dynalite', calls: number): Promise<CapacityRun> {
  const runs: CapacityRun[] = [];
  for (let i = 0; i < RUNS_PER_LOAD; i++) {
    runs.push(await runOnce(worker, store, calls));
    process.stderr.write(`${JSON.stringify(runs[i])}\n`);
  }
  // Ranked by how far each run is from the targets (an incomplete run ranks last).
  const distance = (r: CapacityRun) => (r.completedCalls < calls ? Infinity : Math.max(...[r.eventToStoredP99Ms / 50, r.toolToReferP99Ms / 20].filter(Number.isFinite)));
  const median = [...runs].sort((a, b) => distance(a) - distance(b))[Math.floor(RUNS_PER_LOAD / 2)];
  return { ...median, p99sOfRuns: { eventToStored: runs.map((r) => r.eventToStoredP99Ms), toolToRefer: runs.map((r) => r.toolToReferP99Ms) } };
}

/**
 * A worker's capacity: concurrent calls with a realistic event stream, for growing numbers of
 * calls until the latency targets are missed; with DynamoDB (dynalite) and with a store that
 * keeps nothing; then the official path at the same load, for the ratios.
 */
export async function benchWorkerCapacity(steps: number[], stores: ('none' | 'dynalite')[] = ['none', 'dynalite']): Promise<CapacityResult> {
  const runs: CapacityRun[] = [];
  const capacity: Record<string, number> = {};
  const dynamodb = await freshDynalite();
  let storeRequestCost: StoreRequestCost;
  try {
    storeRequestCost = await benchStoreRequestCost(dynamodb);
  } finally {
    await dynamodb.close();
  }
  process.stderr.write(`${JSON.stringify({ storeRequestCost })}\n`);
  for (const store of stores) {
    capacity[store] = 0;
    for (const calls of steps) {
      const run = await medianRun('switchboard-worker', store, calls);
      if (!run.meetsTargets) {
        // Find out where the time goes at the load that missed a target.
        runs.push({ ...run, cpu: (await runOnce('switchboard-worker', store, calls, true)).cpu });
        break;
      }
      runs.push(run);
      capacity[store] = calls;
    }
  }
  const compareAt = Math.max(capacity.none ?? 0, steps[0]);
  runs.push(await medianRun('official-worker', 'none', compareAt));
  // Where ours first missed with no store, the official path on the same emulator shows how much
  // of the tail is the worker's and how much the emulator's and the machine's.
  const missedAt = runs.find((r) => r.store === 'none' && !r.meetsTargets)?.calls;
  if (missedAt !== undefined && missedAt !== compareAt) runs.push(await medianRun('official-worker', 'none', missedAt));
  return { runs, capacity, storeRequestCost };
}

/** One engine's figures over the runs of the comparison: each the median of the runs' own. */
export interface EngineCost {
  worker: string;
  calls: number;
  runs: number;
  heapKiBPerCall: number;
  rssKiBPerCall: number;
  cpuMicrosPerEvent: number;
  cpuMicrosPerCall: number;
  workerCorePercent: number;
  toolToReferP99Ms: number;
  /** Calls that reached their transfer, in the run with the fewest. */
  completedCalls: number;
  /** Each run's CPU per event, in the order run. */
  cpuMicrosPerEventOfRuns: number[];
}

/** GPT-Live calls on the worker next to Realtime ones, in the same run: their cost per call and per event, as ratios. */
export interface LiveCapacityResult {
  realtime: EngineCost;
  live: EngineCost;
  /** Live over Realtime: the target is at most 1.2 for each. */
  heapPerCallRatio: number;
  cpuPerEventRatio: number;
  /** Live over Realtime, for the whole of a call: the two APIs send different numbers of events for the same conversation. */
  cpuPerCallRatio: number;
  withinTarget: boolean;
}

export const LIVE_RATIO_TARGET = 1.2;

/** Runs of each engine in the comparison, taken in turns. */
export const LIVE_COMPARISON_RUNS = 5;

/**
 * The same worker holding `calls` Realtime calls, then `calls` GPT-Live calls (the same four
 * exchanges and transfer, through each API's events), with a store that keeps nothing so the
 * worker's own cost shows. The engines take turns, run by run, so the machine's drift falls on
 * both; each figure is the median of its engine's runs (a run's CPU moves by a third from one
 * run to the next on this machine, more than the difference measured).
 */
export async function benchLiveCapacity(calls: number, runs = LIVE_COMPARISON_RUNS): Promise<LiveCapacityResult> {
  const taken: Record<Engine, CapacityRun[]> = { realtime: [], live: [] };
  for (let i = 0; i < runs; i++) {
    for (const engine of ['realtime', 'live'] as const) {
      const run = await runOnce('switchboard-worker', 'none', calls, false, engine);
      process.stderr.write(`${JSON.stringify(run)}\n`);
      taken[engine].push(run);
    }
  }
  const costOf = (of: CapacityRun[]): EngineCost => {
    const middle = (pick: (r: CapacityRun) => number) => round(percentile(of.map(pick), 50), 1);
    return {
      worker: of[0].worker,
      calls,
      runs: of.length,
      heapKiBPerCall: middle((r) => r.heapKiBPerCall),
      rssKiBPerCall: middle((r) => r.rssKiBPerCall),
      cpuMicrosPerEvent: middle((r) => r.cpuMicrosPerEvent),
      cpuMicrosPerCall: middle((r) => r.cpuMicrosPerCall ?? NaN),
      workerCorePercent: middle((r) => r.workerCorePercent),
      toolToReferP99Ms: middle((r) => r.toolToReferP99Ms),
      completedCalls: Math.min(...of.map((r) => r.completedCalls)),
      cpuMicrosPerEventOfRuns: of.map((r) => r.cpuMicrosPerEvent),
    };
  };
  const realtime = costOf(taken.realtime);
  const live = costOf(taken.live);
  const heapPerCallRatio = round(live.heapKiBPerCall / realtime.heapKiBPerCall, 2);
  const cpuPerEventRatio = round(live.cpuMicrosPerEvent / realtime.cpuMicrosPerEvent, 2);
  const cpuPerCallRatio = round(live.cpuMicrosPerCall / realtime.cpuMicrosPerCall, 2);
  return { realtime, live, heapPerCallRatio, cpuPerEventRatio, cpuPerCallRatio, withinTarget: heapPerCallRatio <= LIVE_RATIO_TARGET && cpuPerEventRatio <= LIVE_RATIO_TARGET };
}

if (require.main === module) {
  const steps = (process.env.BENCH_CALLS ?? '250,500,1000,1500,2000').split(',').map(Number);
  const stores = (process.env.BENCH_STORES ?? 'none,dynalite').split(',') as ('none' | 'dynalite')[];
  void benchWorkerCapacity(steps, stores).then((r) => console.log(JSON.stringify(r, null, 2)));
}
