import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNumberConfig } from '../core/numbers/config';
import { startDynaliteWithNumber } from './dynalite-process';
import { signWebhook, startOpenAIEmulator } from '../local/openai-emulator';
import { spawnHost, type HostChild } from './spawn-host';
import { cpuShare, type CpuShare } from './cpu-profile';
import { percentile, round, runConcurrently } from './stats';

const API_KEY = 'sk-bench';
const SECRET = 'whsec_' + Buffer.from('switchboard-benchmark-signing-key!').toString('base64');
const DIALED = '17134810111';
/** Webhooks per subject per turn. */
const TURN = 250;

export interface WebhookPathResult {
  subject: string;
  webhooks: number;
  acceptP50Ms: number;
  acceptP99Ms: number;
  responseP50Ms: number;
  responseP99Ms: number;
  cpuMsPerWebhook: number;
  /** Of that, the part spent in this project's own code (from a CPU profile of the measured window). */
  ownCpuMsPerWebhook?: number;
  topOwnFunctions?: { fn: string; share: number }[];
}

/**
 * Webhook to accept: signed webhooks for distinct calls, at a fixed concurrency, through a host
 * process (Switchboard's local host, or the bare-SDK floor) against dynalite and the emulator.
 */
export async function benchWebhookPath(opts: {
  webhooks: number;
  concurrency: number;
  warmup: number;
  /** The number has a lookup, answered by a local endpoint after this long; the floor asks nothing. */
  lookupAfterMs?: number;
}): Promise<WebhookPathResult[]> {
  const example = JSON.parse(readFileSync(join(__dirname, '../examples/support-line.json'), 'utf8'));
  const lookup = opts.lookupAfterMs !== undefined ? await startLookupEndpoint(opts.lookupAfterMs) : undefined;
  // No concurrency cap: every webhook must be an accept.
  const dynamodb = await startDynaliteWithNumber(parseNumberConfig({ ...example, limits: {}, ...(lookup && { lookup: { url: lookup.url, timeoutMs: 3000 } }) }));
  const acceptArrived = new Map<string, number>();
  const emulator = await startOpenAIEmulator({ apiKey: API_KEY, onCallControl: (callId, verb) => verb === 'accept' && acceptArrived.set(callId, performance.now()) });
  const env = { BENCH_DYNAMODB: dynamodb.endpoint, BENCH_OPENAI: emulator.baseURL, BENCH_API_KEY: API_KEY, BENCH_WEBHOOK_SECRET: SECRET };

  const subjects = ['floor-webhook', 'switchboard-webhook'] as const;
  const samples = new Map(subjects.map((subject) => [subject, { accept: [] as number[], response: [] as number[], cpuMicros: 0, count: 0 }]));
  let share: CpuShare | undefined;
  let seq = 0;
  const hosts: HostChild[] = [];
  try {
    for (const subject of subjects) hosts.push(await spawnHost(subject, env));
    const send = async (subject: string, port: number, measure: boolean) => {
      const callId = `rtc_bench_${seq++}`;
      const placed = await emulator.placeCall({ callId, dialed: DIALED, caller: '+14067704205' });
      const timestamp = Math.floor(Date.now() / 1000);
      const webhookId = `wh_${callId}`;
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(SECRET, webhookId, timestamp, placed.body) },
        body: placed.body,
      });
      await response.text();
      const done = performance.now();
      if (response.status !== 200) throw new Error(`${subject}: webhook answered ${response.status}`);
      if (!measure) return;
      const entry = samples.get(subject as (typeof subjects)[number])!;
      entry.response.push(done - started);
      entry.accept.push(acceptArrived.get(callId)! - started);
    };
    for (const [i, subject] of subjects.entries()) await runConcurrently(opts.warmup, opts.concurrency, () => send(subject, hosts[i].port, false));
    // Short turns, taken in alternating order, so that whatever slows the machine or dynalite
    // down over the run (its growing tables, GC) falls on both subjects alike.
    const turns = Math.ceil(opts.webhooks / TURN);
    for (let turn = 0; turn < turns; turn++) {
      const order = turn % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const entry = samples.get(subjects[i])!;
        const cpuBefore = await hosts[i].cpuMicros();
        await runConcurrently(TURN, opts.concurrency, () => send(subjects[i], hosts[i].port, true));
        entry.cpuMicros += (await hosts[i].cpuMicros()) - cpuBefore;
        entry.count += TURN;
      }
    }
    // Then Switchboard's host is profiled (its own code's share does not depend on the lookup);
    // profiling slows it, so this pass is not timed.
    if (!lookup) {
      const ours = hosts[1];
      await ours.startProfile();
      await runConcurrently(opts.webhooks, opts.concurrency, () => send(subjects[1], ours.port, false));
      share = cpuShare(await ours.stopProfile(), join(__dirname, '..'));
    }
    if (lookup && lookup.answered() < samples.get('switchboard-webhook')!.count) throw new Error(`the lookup endpoint answered ${lookup.answered()} lookups, fewer than the webhooks measured`);
  } finally {
    await lookup?.close();
    await Promise.all(hosts.map((h) => h.stop()));
    await emulator.close();
    await dynamodb.close();
  }
  return [...samples].map(([subject, s]) => {
    const cpuMs = s.cpuMicros / s.count / 1000;
    const own = subject === 'switchboard-webhook' && share;
    return {
      subject: subject === 'floor-webhook' ? 'floor (bare SDK calls)' : 'Switchboard local host',
      webhooks: s.count,
      acceptP50Ms: round(percentile(s.accept, 50)),
      acceptP99Ms: round(percentile(s.accept, 99)),
      responseP50Ms: round(percentile(s.response, 50)),
      responseP99Ms: round(percentile(s.response, 99)),
      cpuMsPerWebhook: round(cpuMs, 3),
      ...(own && { ownCpuMsPerWebhook: round(cpuMs * own.ours, 3), topOwnFunctions: own.topOwn.map((f) => ({ fn: f.fn, share: round(f.share, 4) })) }),
    };
  });
}

/** A user's lookup endpoint that answers every lookup with a variable after `afterMs`. */
async function startLookupEndpoint(afterMs: number): Promise<{ url: string; answered: () => number; close(): Promise<void> }> {
  let answered = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        answered++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"variables":{"first_name":"Dana"}}');
      }, afterMs),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lookup`,
    answered: () => answered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (require.main === module) {
  void benchWebhookPath({ webhooks: Number(process.env.BENCH_WEBHOOKS ?? 4000), concurrency: 16, warmup: 300 }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
