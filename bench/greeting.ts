import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSessionConfig } from '../core/calls/session-config';
import { dayOf } from '../core/openai/models';
import { parseNumberConfig } from '../core/numbers/config';
import { sayExactly } from '../core/worker/tools';
import { signWebhook, startOpenAIEmulator } from '../local/openai-emulator';
import { startDynaliteWithNumber } from './dynalite-process';
import { startFauxqs } from './fauxqs-process';
import { wallClock } from './hosts/bench-control';
import { spawnHost, type HostChild } from './spawn-host';
import { percentile, round } from './stats';

const API_KEY = 'sk-bench-greeting';
const SECRET = 'whsec_' + Buffer.from('switchboard-greeting-signing-key!').toString('base64');
const DIALED = '17134810111';
const CALLER = '+14067704205';
/** Calls per subject per turn. */
export const GREETING_TURN = 25;
/** A call whose greeting has not come by then failed the run. */
const GREETING_TIMEOUT_MS = 10_000;

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type GreetingPartKey = 'toAccept' | 'acceptToGreeting' | 'acceptToQueued' | 'queueHop' | 'attach' | 'handshake' | 'greeting';

export interface GreetingPart extends Latency {
  subject: 'floor' | 'switchboard';
  key: GreetingPartKey;
  /** What it spans, in words. */
  part: string;
}

export interface GreetingPathResult {
  /** Calls measured per subject, one at a time. */
  calls: number;
  /** Webhook sent -> the greeting's `response.create` reached the emulator. */
  floor: Latency;
  switchboard: Latency;
  /** Switchboard's webhook handler queued the call -> the worker's long poll brought it. */
  queueHop: Latency;
  /** Of the hop, the enqueue itself: queued -> SQS (fauxqs) answered the SendMessage. */
  sendMessage: Latency;
  /** The webhook's write of the hand-over (OpenAI's answer, the call queued), made alongside the enqueue. */
  handOverWrite: Latency;
  /** Share of Switchboard's calls whose lease write started while that write of the same record was in flight. */
  leasedWhileRecording: number;
  /** Switchboard p50 / (floor p50 + queue hop p50), and the same of the p99s. */
  ratioP50: number;
  ratioP99: number;
  /** Where each subject's time goes, part by part (each part's own percentiles). */
  parts: GreetingPart[];
  /** Wall-clock seconds the whole benchmark took, start-up included. */
  durationSeconds: number;
}

const latency = (values: number[]): Latency => ({ p50Ms: round(percentile(values, 50)), p99Ms: round(percentile(values, 99)), maxMs: round(Math.max(...values)) });

/**
 * Time to greeting: a signed webhook for a new call until the greeting's `response.create`
 * arrives on the call's sideband, in the emulator. Switchboard: its webhook handler (dynalite,
 * SQS as fauxqs) and its call worker (long polling that queue, leasing in dynalite, attaching),
 * each a process of its own as in AWS; the floor: one process that accepts, attaches and greets
 * inline. One call at a time, in alternating turns, so what slows the machine falls on both.
 */
export async function benchGreeting(opts: { calls: number; warmup: number }): Promise<GreetingPathResult> {
  const began = Date.now();
  const example = JSON.parse(readFileSync(join(__dirname, '../examples/support-line.json'), 'utf8'));
  // No concurrency cap: every webhook must be an accept, and none costs a count of live calls.
  const config = parseNumberConfig({ ...example, limits: {} });
  const dynamodb = await startDynaliteWithNumber(config);
  const sqs = await startFauxqs();
  const acceptAt = new Map<string, number>();
  const greetedAt = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const emulator = await startOpenAIEmulator({
    apiKey: API_KEY,
    onCallControl: (callId, verb) => verb === 'accept' && acceptAt.set(callId, wallClock()),
    onClientEvent: (callId, event) => {
      if ((event as { type?: unknown }).type !== 'response.create' || greetedAt.has(callId)) return;
      greetedAt.set(callId, wallClock());
      waiting.get(callId)?.();
    },
  });
  const hosts: HostChild[] = [];
  try {
    const queueUrl = await sqs.createQueue('switchboard-calls');
    const env = { BENCH_DYNAMODB: dynamodb.endpoint, BENCH_SQS: sqs.endpoint, BENCH_QUEUE_URL: queueUrl, BENCH_OPENAI: emulator.baseURL, BENCH_API_KEY: API_KEY, BENCH_WEBHOOK_SECRET: SECRET };
    // The floor sends the bytes Switchboard sends: the same accept body and greeting.
    const accept = buildSessionConfig({ ...config, agent: config.agent! }, { number: config.number, caller: CALLER }, dayOf(new Date()));
    const greeting = JSON.stringify({ type: 'response.create', response: { instructions: sayExactly(config.agent!.greeting!) } });
    const floor = await spawnHost('greeting-floor', { ...env, BENCH_ACCEPT: JSON.stringify(accept), BENCH_GREETING: greeting });
    hosts.push(floor);
    const webhook = await spawnHost('greeting-webhook', env);
    hosts.push(webhook);
    const worker = await spawnHost('greeting-worker', env);
    hosts.push(worker);

    const runId = Date.now().toString(36);
    let seq = 0;
    const startedAt = new Map<string, number>();
    /** One call, start to greeting; resolves with its id once both the greeting and the webhook's answer came. */
    const call = async (port: number): Promise<string> => {
      const callId = `rtc_greeting_${runId}_${seq++}`;
      const placed = await emulator.placeCall({ callId, dialed: DIALED, caller: CALLER });
      let timer: NodeJS.Timeout | undefined;
      const greeted = new Promise<void>((resolve, reject) => {
        waiting.set(callId, resolve);
        timer = setTimeout(() => reject(new Error(`no greeting on ${callId} within ${GREETING_TIMEOUT_MS} ms`)), GREETING_TIMEOUT_MS);
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const webhookId = `wh_${callId}`;
      const headers = { 'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(SECRET, webhookId, timestamp, placed.body) };
      try {
        startedAt.set(callId, wallClock());
        const response = await fetch(`http://127.0.0.1:${port}/webhook`, { method: 'POST', headers, body: placed.body });
        await response.text();
        if (response.status !== 200) throw new Error(`webhook for ${callId} answered ${response.status}`);
        await greeted;
      } finally {
        clearTimeout(timer);
        waiting.delete(callId);
      }
      return callId;
    };
    /** Ends a turn's calls (the caller hangs up) and, for Switchboard, waits until the worker let each go. */
    const hangUp = async (callIds: string[], host: HostChild) => {
      for (const callId of callIds) emulator.endCall(callId);
      if (host !== webhook) return;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { completed } = await worker.marks();
        if (callIds.every((id) => completed[id] !== undefined)) return;
        if (Date.now() > deadline) throw new Error('the worker did not finish the hung-up calls within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const turn = async (host: HostChild, count: number) => {
      const callIds: string[] = [];
      for (let i = 0; i < count; i++) callIds.push(await call(host.port));
      await hangUp(callIds, host);
      return callIds;
    };

    const subjects = [
      { host: floor, callIds: [] as string[] },
      { host: webhook, callIds: [] as string[] },
    ];
    for (const subject of subjects) await turn(subject.host, opts.warmup);
    // Short turns, in alternating order, so that whatever slows the machine down over the run
    // (other processes, dynalite's growing tables, GC) falls on both subjects alike.
    const turns = Math.ceil(opts.calls / GREETING_TURN);
    for (let t = 0; t < turns; t++) {
      for (const subject of t % 2 === 0 ? subjects : [...subjects].reverse()) {
        subject.callIds.push(...(await turn(subject.host, Math.min(GREETING_TURN, opts.calls - subject.callIds.length))));
      }
    }

    const queued = await webhook.marks();
    const held = await worker.marks();
    const between = (ids: string[], from: (id: string) => number | undefined, to: (id: string) => number | undefined) =>
      ids.flatMap((id) => {
        const [a, b] = [from(id), to(id)];
        return a === undefined || b === undefined ? [] : [b - a];
      });
    const [floorIds, ourIds] = [subjects[0].callIds, subjects[1].callIds];
    const started = (id: string) => startedAt.get(id);
    const accepted = (id: string) => acceptAt.get(id);
    const greetedOf = (id: string) => greetedAt.get(id);
    const enqueued = (id: string) => queued.enqueued[id];
    const received = (id: string) => held.received[id];
    const attaching = (id: string) => held.attaching[id];
    const attached = (id: string) => held.attached[id];
    const floorTotal = latency(between(floorIds, started, greetedOf));
    const ours = latency(between(ourIds, started, greetedOf));
    const queueHop = latency(between(ourIds, enqueued, received));
    const part = (subject: GreetingPart['subject'], key: GreetingPartKey, name: string, values: number[]): GreetingPart => ({ subject, key, part: name, ...latency(values) });
    // The worker's lease and the webhook's write of the hand-over are updates of the same record.
    const leasedWhileRecording = ourIds.filter((id) => received(id)! < queued.recorded[id]).length;
    return {
      calls: opts.calls,
      floor: floorTotal,
      switchboard: ours,
      queueHop,
      sendMessage: latency(between(ourIds, enqueued, (id) => queued.sent[id])),
      handOverWrite: latency(between(ourIds, (id) => queued.recording[id], (id) => queued.recorded[id])),
      leasedWhileRecording: round(leasedWhileRecording / ourIds.length),
      ratioP50: round(ours.p50Ms / (floorTotal.p50Ms + queueHop.p50Ms)),
      ratioP99: round(ours.p99Ms / (floorTotal.p99Ms + queueHop.p99Ms)),
      parts: [
        part('floor', 'toAccept', 'webhook sent -> accept reached OpenAI (signature checked)', between(floorIds, started, accepted)),
        part('floor', 'acceptToGreeting', 'accept reached OpenAI -> greeting reached OpenAI (accept answered, sideband opened, greeting sent)', between(floorIds, accepted, greetedOf)),
        part('switchboard', 'toAccept', "webhook sent -> accept reached OpenAI (signature checked, number's config read, claim written)", between(ourIds, started, accepted)),
        part('switchboard', 'acceptToQueued', 'accept reached OpenAI -> call queued (accept answered)', between(ourIds, accepted, enqueued)),
        part('switchboard', 'queueHop', "queue hop: call queued -> the worker's long poll brought it", between(ourIds, enqueued, received)),
        part('switchboard', 'attach', 'brought -> opening the sideband (the lease is written alongside)', between(ourIds, received, attaching)),
        part('switchboard', 'handshake', 'sideband handshake', between(ourIds, attaching, attached)),
        part('switchboard', 'greeting', 'sideband open -> greeting reached OpenAI (after the lease, if it took longer)', between(ourIds, attached, greetedOf)),
      ],
      durationSeconds: round((Date.now() - began) / 1000, 0),
    };
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
    await emulator.close();
    await sqs.close();
    await dynamodb.close();
  }
}

if (require.main === module) {
  void benchGreeting({ calls: Number(process.env.BENCH_GREETING_CALLS ?? 300), warmup: GREETING_TURN }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
