import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchColdStart, type ColdStartResult } from './cold-start';
import { benchConsoleCalls, type ConsoleCallsResult } from './console-calls';
import { benchDelivery, DELIVERY_TURN, type DeliveryResult, type RequestsPerThousand } from './delivery';
import { benchGreeting, GREETING_TURN, type GreetingPart, type GreetingPathResult } from './greeting';
import { round } from './stats';
import { benchToolCall, TOOL_CALL_TURN, type ToolCallPart, type ToolCallResult } from './tool-call';
import { benchWebhookPath, type WebhookPathResult } from './webhook-path';
import { benchLiveCapacity, benchWorkerCapacity, LIVE_RATIO_TARGET, RUNS_PER_LOAD, type CapacityResult, type LiveCapacityResult } from './worker-capacity';

/** The benchmarks by the name they are asked for with, and the key their figures have in docs/benchmarks.json. */
const BENCHMARKS = { webhook: 'webhook', 'webhook-lookup': 'webhookLookup', greeting: 'greeting', 'cold-start': 'coldStart', capacity: 'capacity', 'live-capacity': 'liveCapacity', 'tool-call': 'toolCall', delivery: 'delivery', console: 'console' } as const;
type BenchmarkName = keyof typeof BENCHMARKS;
type FiguresKey = (typeof BENCHMARKS)[BenchmarkName];

/** When and on what a benchmark's figures were taken. */
interface RanOn {
  machine: string;
  date: string;
}

/** docs/benchmarks.json: each benchmark's figures from the last run that took them. */
interface Figures {
  /** The machine and date of the last run that wrote the file. */
  machine: string;
  date: string;
  webhook?: WebhookPathResult[];
  webhookLookup?: WebhookPathResult[];
  greeting?: GreetingPathResult;
  coldStart?: ColdStartResult[];
  capacity?: CapacityResult;
  liveCapacity?: LiveCapacityResult;
  toolCall?: ToolCallResult;
  delivery?: DeliveryResult;
  console?: ConsoleCallsResult;
  /** Per benchmark; a file from before it was kept has all its figures from `machine` and `date`. */
  ranOn?: Partial<Record<FiguresKey, RanOn>>;
}

const DOCS = join(__dirname, '../docs');

/**
 * `npm run bench`: every benchmark, printed and written to docs/benchmarks.md with the machine it
 * ran on. `npm run bench -- greeting` (or `BENCH_ONLY=greeting`, comma-separated names) runs only
 * those; the other sections keep the figures of the run that last took them (docs/benchmarks.json).
 */
async function main(): Promise<void> {
  const saved = existsSync(join(DOCS, 'benchmarks.json')) ? withRanOn(JSON.parse(readFileSync(join(DOCS, 'benchmarks.json'), 'utf8')) as Figures) : undefined;
  // `BENCH_RENDER=1` rewrites docs/benchmarks.md from the figures of the last run (docs/benchmarks.json).
  if (process.env.BENCH_RENDER) {
    if (!saved) throw new UsageError('BENCH_RENDER=1 re-renders docs/benchmarks.md from docs/benchmarks.json, which does not exist: run `npm run bench` first');
    writeFileSync(join(DOCS, 'benchmarks.md'), report(saved));
    return;
  }
  const selected = selection([...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? '').split(',')]);
  const here: RanOn = { machine: machine(), date: new Date().toISOString().slice(0, 10) };
  const figures: Figures = { ...saved, ...here, ranOn: { ...saved?.ranOn } };
  const took = (name: BenchmarkName) => (figures.ranOn![BENCHMARKS[name]] = here);
  if (selected.has('webhook')) {
    const webhooks = Number(process.env.BENCH_WEBHOOKS ?? 4000);
    log(`webhook path: ${webhooks} webhooks per subject in alternating turns, concurrency 16`);
    figures.webhook = await benchWebhookPath({ webhooks, concurrency: 16, warmup: 300 });
    log(JSON.stringify(figures.webhook, null, 2));
    took('webhook');
  }
  if (selected.has('webhook-lookup')) {
    const webhooks = Number(process.env.BENCH_LOOKUP_WEBHOOKS ?? 1000);
    log(`webhook path with a lookup answered after ${LOOKUP_AFTER_MS} ms: ${webhooks} webhooks per subject in alternating turns, concurrency 16`);
    figures.webhookLookup = await benchWebhookPath({ webhooks, concurrency: 16, warmup: 100, lookupAfterMs: LOOKUP_AFTER_MS });
    log(JSON.stringify(figures.webhookLookup, null, 2));
    took('webhook-lookup');
  }
  if (selected.has('greeting')) {
    const calls = Number(process.env.BENCH_GREETING_CALLS ?? 400);
    log(`time to greeting: ${calls} calls per subject, one at a time, in alternating turns of ${GREETING_TURN}`);
    figures.greeting = await benchGreeting({ calls, warmup: GREETING_TURN });
    log(JSON.stringify(figures.greeting, null, 2));
    took('greeting');
  }
  if (selected.has('cold-start')) {
    log('cold start of the webhook Lambda bundle');
    figures.coldStart = benchColdStart(10);
    log(JSON.stringify(figures.coldStart, null, 2));
    took('cold-start');
  }
  if (selected.has('capacity')) {
    const steps = (process.env.BENCH_CALLS ?? '250,500,1000,1500,2000').split(',').map(Number);
    log(`worker capacity: ${steps.join(', ')} concurrent calls`);
    figures.capacity = await benchWorkerCapacity(steps);
    log(JSON.stringify(figures.capacity, null, 2));
    took('capacity');
  }
  if (selected.has('live-capacity')) {
    const calls = Number(process.env.BENCH_LIVE_CALLS ?? 500);
    log(`GPT-Live calls next to Realtime ones: ${calls} concurrent calls of each`);
    figures.liveCapacity = await benchLiveCapacity(calls);
    log(JSON.stringify(figures.liveCapacity, null, 2));
    took('live-capacity');
  }
  if (selected.has('tool-call')) {
    const toolCalls = Number(process.env.BENCH_TOOL_CALLS ?? 400);
    log(`tool call to endpoint: ${toolCalls} tool calls per subject, one at a time, in rotating turns of ${TOOL_CALL_TURN}`);
    figures.toolCall = await benchToolCall({ toolCalls });
    log(JSON.stringify(figures.toolCall, null, 2));
    took('tool-call');
  }
  if (selected.has('delivery')) {
    const deliveries = Number(process.env.BENCH_DELIVERIES ?? 200);
    log(`call ended to delivery received: ${deliveries} deliveries per subject (half as many with analysis), one at a time, in rotating turns of ${DELIVERY_TURN}`);
    figures.delivery = await benchDelivery({ deliveries });
    log(JSON.stringify(figures.delivery, null, 2));
    took('delivery');
  }
  if (selected.has('console')) {
    const calls = Number(process.env.BENCH_CONSOLE_CALLS ?? 10_000);
    log(`the console's calls page over ${calls} calls in the history`);
    figures.console = await benchConsoleCalls({ calls, samples: 100 });
    log(JSON.stringify(figures.console, null, 2));
    took('console');
  }
  writeFileSync(join(DOCS, 'benchmarks.json'), JSON.stringify(figures, null, 2) + '\n');
  writeFileSync(join(DOCS, 'benchmarks.md'), report(figures));
  log(`wrote ${join(DOCS, 'benchmarks.md')}`);
}

/** A mistake in how the bench was asked for: said without a stack. */
class UsageError extends Error {}

/** The benchmarks asked for by name (none: all of them). */
function selection(asked: string[]): Set<BenchmarkName> {
  const names = asked.map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    throw new UsageError(`no benchmark named ${unknown.map((name) => `"${name}"`).join(', ')} (expected ${Object.keys(BENCHMARKS).join(', ')}, e.g. \`npm run bench -- greeting\`)`);
  }
  return new Set((names.length > 0 ? names : Object.keys(BENCHMARKS)) as BenchmarkName[]);
}

/** A file written before figures were dated one by one: all of them are from its machine and date. */
function withRanOn(saved: Figures): Figures {
  if (saved.ranOn) return saved;
  const ranOn: Partial<Record<FiguresKey, RanOn>> = {};
  for (const key of Object.values(BENCHMARKS)) if (saved[key] !== undefined) ranOn[key] = { machine: saved.machine, date: saved.date };
  return { ...saved, ranOn };
}

function log(text: string): void {
  process.stdout.write(text + '\n');
}

function machine(): string {
  const cpu = cpus();
  const kernel = execSync('uname -sr').toString().trim();
  return `${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${round(totalmem() / 2 ** 30, 1)} GiB, ${kernel}, Node ${process.version}`;
}

function ratio(a: number, b: number): string {
  return `${round(a / b, 2)}x`;
}

const row = (cells: (string | number | undefined)[]) => `| ${cells.map((c) => c ?? '').join(' | ')} |`;

interface Section {
  title: string;
  /** Which benchmark's figures it shows. */
  from: BenchmarkName;
  body?: string;
}

function report(figures: Figures): string {
  const { webhook, webhookLookup, greeting, coldStart, capacity, liveCapacity, toolCall, delivery, console: consoleCalls } = figures;
  const sections: Section[] = [
    { title: 'Webhook to accept', from: 'webhook', body: webhook && webhookSection(webhook) },
    { title: 'Webhook to accept, with a lookup', from: 'webhook-lookup', body: webhookLookup && webhookLookupSection(webhookLookup) },
    { title: 'Webhook to greeting', from: 'greeting', body: greeting && greetingSection(greeting) },
    { title: 'Cold start of the webhook Lambda', from: 'cold-start', body: coldStart && coldStartSection(coldStart) },
    { title: 'Worker capacity', from: 'capacity', body: capacity && capacitySection(capacity) },
    { title: 'Next to the official path', from: 'capacity', body: capacity && officialSection(capacity) },
    { title: 'GPT-Live calls next to Realtime ones', from: 'live-capacity', body: liveCapacity && liveCapacitySection(liveCapacity) },
    { title: "Tool call to the user's endpoint", from: 'tool-call', body: toolCall && toolCallSection(toolCall) },
    { title: "Finished call to the user's endpoint", from: 'delivery', body: delivery && deliverySection(delivery) },
    { title: "The console's calls page", from: 'console', body: consoleCalls && consoleSection(consoleCalls) },
  ];
  const ranOn = (section: Section) => figures.ranOn?.[BENCHMARKS[section.from]];
  const runs = new Set(sections.flatMap((s) => (s.body && ranOn(s) ? [JSON.stringify(ranOn(s))] : [])));
  // One run wrote every figure: said once. Otherwise each section says when and on what.
  const [only] = runs.size === 1 ? [...runs].map((r) => JSON.parse(r) as RanOn) : [];
  const written = only
    ? `Written by \`npm run bench\` on ${only.date}, on ${only.machine}.`
    : 'Written by `npm run bench`, whose benchmarks last ran at different times: each section says\nwhen, and on what machine.';
  const heading = (section: Section, i: number) => {
    const when = ranOn(section);
    const dated = !only && section.body && when ? `\n\nMeasured on ${when.date}, on ${when.machine}.` : '';
    const body = section.body ?? `Not measured yet: \`npm run bench -- ${section.from}\` takes these figures.`;
    return `## ${i + 1}. ${section.title}${dated}\n\n${body}`;
  };
  return `# Benchmarks

${written}
Everything runs on this one machine over loopback: the bench process (sender, OpenAI emulator),
dynalite (and fauxqs, as SQS) each in its own process, and the hosts being measured each in its
own process, bundled with esbuild as the worker image bundles them. Figures from another run, or
a loaded machine, differ; the ratios, taken in the same run, are what to compare.
\`npm run bench -- greeting\` (or \`BENCH_ONLY=greeting,webhook\`) runs only the benchmarks named
(\`webhook\`, \`webhook-lookup\`, \`greeting\`, \`cold-start\`, \`capacity\`, \`live-capacity\`, \`tool-call\`, \`delivery\`, \`console\`) and keeps the other sections' figures from
docs/benchmarks.json; \`BENCH_RENDER=1 npm run bench\` rewrites this file from it.

${sections.map(heading).join('\n\n')}
`;
}

/** How long the benchmark's lookup endpoint takes to answer. */
const LOOKUP_AFTER_MS = 100;

function webhookLookupSection(webhook: WebhookPathResult[]): string {
  const [floor, ours] = webhook;
  const target = (floorMs: number) => round(1.25 * (floorMs + LOOKUP_AFTER_MS), 1);
  const within = (oursMs: number, floorMs: number) => (oursMs <= target(floorMs) ? 'met' : 'not met');
  return `As above, with a \`lookup\` on the number: a server on 127.0.0.1 that answers every lookup
with a variable ${LOOKUP_AFTER_MS} ms after the request arrived. Switchboard asks it before the
accept (the lookup runs while the webhook counts the number's live calls, which this number,
with no cap, does not); the floor asks nothing. So the lookup's ${LOOKUP_AFTER_MS} ms is added to the floor,
and Switchboard's own time around the lookup (signing, the request, reading the answer,
filling the instructions) is what the target bounds.

${row(['host', 'webhooks', 'accept p50 ms', 'accept p99 ms', 'response p50 ms', 'response p99 ms', 'CPU ms / webhook'])}
${row(['---', '---', '---', '---', '---', '---', '---'])}
${webhook.map((r) => row([r.subject, r.webhooks, r.acceptP50Ms, r.acceptP99Ms, r.responseP50Ms, r.responseP99Ms, r.cpuMsPerWebhook])).join('\n')}

- Accept p50: ${ours.acceptP50Ms} ms against 1.25 x (floor ${floor.acceptP50Ms} ms + ${LOOKUP_AFTER_MS} ms) = ${target(floor.acceptP50Ms)} ms: **${within(ours.acceptP50Ms, floor.acceptP50Ms)}**.
- Accept p99: ${ours.acceptP99Ms} ms against 1.25 x (floor ${floor.acceptP99Ms} ms + ${LOOKUP_AFTER_MS} ms) = ${target(floor.acceptP99Ms)} ms: **${within(ours.acceptP99Ms, floor.acceptP99Ms)}**.
- Above the lookup's own ${LOOKUP_AFTER_MS} ms, Switchboard's accept p50 is ${round(ours.acceptP50Ms - LOOKUP_AFTER_MS - floor.acceptP50Ms, 1)} ms
  behind the floor's (p99: ${round(ours.acceptP99Ms - LOOKUP_AFTER_MS - floor.acceptP99Ms, 1)} ms); the CPU per webhook adds the lookup's request.
  The p99 comparison flatters Switchboard: while its webhooks wait on the lookup, fewer of them
  reach dynalite at the same moment than the floor's 16, whose tail is that contention.`;
}

function webhookSection(webhook: WebhookPathResult[]): string {
  const [floor, ours] = webhook;
  return `Signed \`realtime.call.incoming\` webhooks for distinct calls to a configured number, 16 at a
time, through a host process against dynalite and the emulator. "Accept" is the moment the
accept request reached the emulator; "response" is the webhook's 200. The floor makes the same
I/O (record write, config read, accept, enqueue) with the SDK clients behind a bare HTTP server.
Both hosts run side by side and take turns of 250 webhooks, in alternating order, so that what
slows the machine or dynalite over the run (its growing tables, GC) falls on both alike.

${row(['host', 'webhooks', 'accept p50 ms', 'accept p99 ms', 'response p50 ms', 'response p99 ms', 'CPU ms / webhook', 'of it in our code'])}
${row(['---', '---', '---', '---', '---', '---', '---', '---'])}
${webhook.map((r) => row([r.subject, r.webhooks, r.acceptP50Ms, r.acceptP99Ms, r.responseP50Ms, r.responseP99Ms, r.cpuMsPerWebhook, r.ownCpuMsPerWebhook])).join('\n')}

- Accept p99 vs the floor: **${ratio(ours.acceptP99Ms, floor.acceptP99Ms)}** (target within 1.25x); response p99:
  ${ratio(ours.responseP99Ms, floor.responseP99Ms)}.
- CPU in Switchboard's own code: **${ours.ownCpuMsPerWebhook} ms per webhook** (target under 1 ms), from a V8 CPU profile of
  the measured window (self time in this repository's files); the rest of the host's CPU is the
  AWS and OpenAI SDKs and Node. Top own functions: ${(ours.topOwnFunctions ?? []).map((f) => `\`${f.fn}\` ${round(f.share * 100, 1)}%`).join(', ')}.
- What limits it: dynalite (one process, LevelDB in memory) answers each DynamoDB call in
  milliseconds, so the round trips, not our code, set the latency. Switchboard makes one more
  write than the floor: it records what OpenAI answered (outcome, the queue hand-over) before
  answering 200, so that a retried webhook can finish the job; that write is why the response
  (not the accept) is slower than the floor's, and why its host spends more CPU in the AWS SDK.
  With two cores shared by the sender, dynalite and both hosts, the extra write also loads
  dynalite for everyone, which is what the accept p99 pays for.`;
}

function coldStartSection(cold: ColdStartResult[]): string {
  const [bare, lambda] = cold;
  return `The bundle the CDK app deploys (esbuild, minified, CommonJS, a source map without the sources'
content), loaded in a fresh Node process as the Lambda loads it, with
\`NODE_OPTIONS=--enable-source-maps\` (module evaluation is the Lambda's init), next to a bundle
that only creates the same AWS SDK clients, built and loaded the same way. Each is loaded 10
times, in turns with the other and with a load without source maps; the medians are shown.

${row(['bundle', 'raw KiB', 'gzip KiB', 'source map KiB', 'load median ms', 'without source maps ms'])}
${row(['---', '---', '---', '---', '---', '---'])}
${cold.map((r) => row([r.bundle, r.rawKiB, r.gzipKiB, r.mapKiB, r.loadMedianMs, r.loadMedianMsWithoutSourceMaps])).join('\n')}

- Load time vs the bare bundle: **${ratio(lambda.loadMedianMs, bare.loadMedianMs)}** as deployed (target within 1.3x);
  ${ratio(lambda.loadMedianMsWithoutSourceMaps, bare.loadMedianMsWithoutSourceMaps)} without source maps.
- Why both: the Lambda runs with \`--enable-source-maps\`, and Node then reads a bundle's source
  map as it loads the bundle, which costs both bundles about the same, so the ratio as deployed is
  lower. Without source maps, the ratio is only the code on top of the SDK.
- How far it moves: on Node 20 with \`openai\` 6, three runs minutes apart gave 1.12x to 1.23x as
  deployed; on Node 24 with \`openai\` 7, two runs gave 1.43x and 1.39x. The load of one bundle
  moves between 90 and 200 ms from one process to the next on this machine.
- What limits it: the AWS SDK clients themselves (the bare bundle), and on top of them the
  \`openai\` SDK: its client imports every API resource, so it cannot be trimmed, and in 7.x that
  is about 900 KiB before minifying (admin, beta and the chat-completion stream helpers among
  them), against about 150 KiB in 6.x. The webhook uses two of its calls (\`realtime.calls.accept\`
  and \`reject\`); a call-control client of its own would take most of that off (not measured),
  at the cost of following the SDK's errors and retries by hand. libphonenumber's metadata
  (~120 KiB, needed to read dialed numbers exactly as the numbers table stores them) and
  Powertools added nothing that stood out of the noise. The number-config schema (zod, ~450 KiB)
  is kept out of the Lambda: it only reads configs, which were validated when they were stored.`;
}

/** The official path's runs, next to Switchboard's at the same loads. */
function officialRuns(capacity: CapacityResult) {
  const officials = capacity.runs.filter((r) => r.worker.startsWith('official'));
  // The first official run is at our capacity with no store; a second, at the load ours missed.
  const [official, officialWhereOursMissed] = officials;
  const oursAtCompare = capacity.runs.find((r) => r.store === 'none' && r.calls === official.calls);
  const oursMissed = officialWhereOursMissed && capacity.runs.find((r) => r.store === 'none' && r.calls === officialWhereOursMissed.calls);
  return { official, officialWhereOursMissed, oursAtCompare, oursMissed };
}

function consoleSection(result: ConsoleCallsResult): string {
  return `The console's API (\`GET /api/calls\`, over HTTP with its token, as the page asks) with
${result.calls.toLocaleString('en-US')} calls in the history (dynalite in its own process; the console server in the bench
process), each page ${result.pages[0].samples} times in turns. A page reads 25 calls from the history index, then
their records' price fields in one BatchGetItem (a finished call carries its usage, summed when
it ended); the floor is that DynamoDB work done straight with the SDK, in the same process.

${row(['page', 'p50 ms', 'p99 ms'])}
${row(['---', '---:', '---:'])}
${[...result.pages, { ...result.floor, page: 'floor: the newest page\'s reads, with the SDK' }].map((p) => row([p.page, p.p50Ms, p.p99Ms])).join('\n')}

- The newest page over the floor: **${result.p50Ratio}x** at p50, ${result.p99Ratio}x at p99; a page
  20 back costs what the newest does (the cursor is DynamoDB's own key: nothing before it is read).
  An outcome is filtered as the index is read, so a rarer outcome reads more of it to fill a page
  (here one call in ten is rejected).
- The overview over the same history: **${(result.overviewMs / 1000).toFixed(1)} s**. It lists every call of the last
  30 days from the index (1,000 a query) and prices them 100 records a request.`;
}

function liveCapacitySection(result: LiveCapacityResult): string {
  const { realtime, live } = result;
  const target = (ratio: number) => `${ratio}x ${ratio <= LIVE_RATIO_TARGET ? 'within' : 'over'} the ${LIVE_RATIO_TARGET}x target`;
  return `The same worker process holds ${realtime.calls} Realtime calls, then ${live.calls} GPT-Live calls, each
the four exchanges and transfer of the capacity benchmark played through its own API's events
(GPT-Live: transcript fragments, the backend's function call nested in \`response.event\`, the
Live refer), with a store that keeps nothing so that the worker's own cost shows. The engines
take turns, ${realtime.runs} runs each; each figure is the median of its engine's runs. The two
APIs send different streams for the same conversation: a Realtime call's has more frames (its
audio transcript deltas, which the worker skips without parsing them, have no Live counterpart;
every Live transcript fragment is read), so a Live call's CPU is spread over fewer events. CPU
per call is shown next to CPU per event for that reason.

${row(['worker', 'heap KiB/call', 'RSS KiB/call', 'CPU µs/event', 'CPU µs/event of each run', 'CPU µs/call', 'worker core %', 'tool->refer p99 ms', 'completed'])}
${row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:'])}
${[realtime, live].map((r) => row([r.worker, r.heapKiBPerCall, r.rssKiBPerCall, r.cpuMicrosPerEvent, r.cpuMicrosPerEventOfRuns.join(', '), r.cpuMicrosPerCall, r.workerCorePercent, r.toolToReferP99Ms, `${r.completedCalls} of ${r.calls}`])).join('\n')}

- Heap per call, Live over Realtime: **${target(result.heapPerCallRatio)}**.
- CPU per event, Live over Realtime: **${target(result.cpuPerEventRatio)}**.
- CPU per call, Live over Realtime: ${result.cpuPerCallRatio}x.`;
}

function capacitySection(capacity: CapacityResult): string {
  const { officialWhereOursMissed, oursAtCompare, oursMissed } = officialRuns(capacity);
  const dynaliteMissed = capacity.runs.find((r) => r.store === 'dynalite' && !r.meetsTargets);
  return `One worker process holds K concurrent calls that the emulator plays at a phone conversation's
pace: each call greets, then four exchanges (transcript deltas, a completed caller turn about
every 5 s, an agent turn with its transcript, usage and audio events), then a \`transfer_call\`
that the worker turns into a refer, which ends the call. Calls start over 5 s, out of step; the
record the webhook would have written for each call is written before the clock starts, so that
the bench process (the emulator) does not do the webhook's store work while it plays the calls.
"Event to stored": the emulator sent the caller's completed transcription until the worker had
stored it. Targets: p99 under 50 ms, tool call to refer p99 under 20 ms.

Each load is run ${RUNS_PER_LOAD} times and judged by its median run (ranked by how far its p99s are from
the targets); the row shows that run, and the p99s of all ${RUNS_PER_LOAD}. With dynalite, each run starts a
dynalite of its own with empty tables, collecting garbage on its own thread only (V8's helper
threads would take the cores the worker and emulator run on). Events sent while the bench weighs the worker's heap (a
forced full garbage collection, which production never does) are left out of the latencies.

${row(['worker', 'store', 'calls', 'stored p50 ms', 'stored p99 ms', 'tool->refer p50 ms', 'tool->refer p99 ms', `p99s of the ${RUNS_PER_LOAD} runs: stored; tool->refer ms`, 'of it in the worker p50 / p99 ms', 'hops p99: to worker / to emulator ms', 'entries per batch write', 'worker loop p99 / max ms', 'worker core %', 'store core %', 'emulator core %', 'heap KiB/call', 'RSS KiB/call', 'CPU µs/event', 'within targets'])}
${row(Array(19).fill('---'))}
${capacity.runs.map((r) => row([r.worker, r.store, r.calls, r.eventToStoredP50Ms, r.eventToStoredP99Ms, r.toolToReferP50Ms, r.toolToReferP99Ms, r.p99sOfRuns ? `${r.p99sOfRuns.eventToStored.join(', ')}; ${r.p99sOfRuns.toolToRefer.join(', ')}` : '', r.toolHandlingP99Ms === undefined ? '' : `${r.toolHandlingP50Ms} / ${r.toolHandlingP99Ms}`, r.toWorkerP99Ms === undefined ? '' : `${r.toWorkerP99Ms} / ${r.toEmulatorP99Ms}`, r.entriesPerWrite ?? '', `${r.workerLoopDelayP99Ms} / ${r.workerLoopDelayMaxMs}`, r.workerCorePercent, r.storeCorePercent, r.emulatorCorePercent, r.heapKiBPerCall, r.rssKiBPerCall, r.cpuMicrosPerEvent, r.meetsTargets ? 'yes' : 'no'])).join('\n')}

"Core %" is the share of one core each process used over the run (the machine has ${cpus().length}); the
event-loop delay is how late a timer due every 5 ms fired, inside the worker (and, for the
emulator, in the bench process).

- Largest K within the targets: **${capacity.capacity.none}** calls with a store that keeps nothing (the worker's own
  limit), **${capacity.capacity.dynalite}** with dynalite as the store (target: at least 1000 on one core, under 100 KiB of heap per call).
- With a store that keeps nothing, the worker's cost is ~${oursAtCompare?.cpuMicrosPerEvent ?? '?'} µs of CPU per sideband event and
  ~${oursAtCompare?.heapKiBPerCall ?? '?'} KiB of heap per call. What first misses a target as K grows is the
  tool-call-to-refer tail, while the worker's core is far from full on average. Of that time the
  worker's own part (the function call read off the socket until the refer request starts) stays
  around a millisecond at p99; the rest is the two hops between processes, the event out of the
  emulator and the refer into it, each waiting on a busy event loop (the emulator's, which plays
  every call, and the worker's) on a machine of two cores shared by three busy processes.${oursMissed && officialWhereOursMissed ? ` At
  ${oursMissed.calls} calls, where this worker missed (tool->refer p99s ${oursMissed.p99sOfRuns?.toolToRefer.join(', ')} ms), the official
  path on the same emulator, with no store at all, had tool->refer p99s of ${officialWhereOursMissed.p99sOfRuns?.toolToRefer.join(', ')} ms (its bench
  process also carries the TLS its SDK client needs: ${officialWhereOursMissed.emulatorCorePercent}% of a core, against ${oursMissed.emulatorCorePercent}% for this worker's)${officialWhereOursMissed.meetsTargets ? `:
  within the target in this run (in earlier sessions, 12 to 26 ms at 1,000 calls). As this worker's
  own part stays about a millisecond, the difference is in the two hops, how soon each process
  reads the other's message off its socket: the function call from the emulator's send until the
  worker read it (p99 ${oursMissed.toWorkerP99Ms} ms for this worker at that load), and the refer from its start until it
  reached the emulator (p99 ${oursMissed.toEmulatorP99Ms} ms).` : ', missing the target too.'}` : ''}
  How far the tail moves from run to run: the five full runs of this worker on this machine up to
  the one written here found 1,500 calls twice and 500 three times with a store that keeps
  nothing, and at 1,000 calls the p99s of runs one after the other ranged from 11 to 90 ms.
- With dynalite, what costs the worker most is the requests to the store, not the entries in
  them: one DynamoDB write costs the process that makes it **${capacity.storeRequestCost.sdkMicros} µs of CPU** through the AWS
  SDK on this machine, against ${capacity.storeRequestCost.bareHttpMicros} µs for the same request as a bare HTTP POST (the SDK
  copies its whole client configuration into each request's context several times, resolves the
  endpoint, signs, runs its retry and serde middleware). So the worker makes few: per call, the
  lease and the ending (conditional UpdateItems on the call's record) and its ~14 entries
  (greeting, four caller turns, four agent turns, four token usages, the transfer) as items of the
  call entries table, written together with other calls' entries in BatchWriteItems (25 at most;
  an entry waits up to 10 ms for company, two writes in flight). The number's config comes in the
  queue message. That is about 4 requests per call where it was 13.
${capacity.runs.filter((r) => r.cpu && r.store === 'dynalite').slice(0, 1).map((r) => `- A CPU profile of the worker in the first load that missed a target, at ${r.calls} calls: ${round(r.cpu!.ours * 100, 1)}% in Switchboard's own code, ${round(r.cpu!.dependencies * 100, 1)}% in packages (${r.cpu!.topPackages.filter((p) => !p.name.startsWith('(') && p.name !== 'node').map((p) => `${p.name} ${round(p.share * 100, 1)}%`).join(', ')}), ${round(r.cpu!.node * 100, 1)}% in Node itself (${r.cpu!.topPackages.filter((p) => p.name.startsWith('(') || p.name === 'node').map((p) => `${p.name} ${round(p.share * 100, 1)}%`).join(', ')}: HTTP and socket writes, GC).`).join('\n')}
${dynaliteMissed?.toWorkerP99Ms === undefined ? '' : `- With dynalite, the late part of tool->refer is mostly the hop into the worker: at ${dynaliteMissed.calls} calls the
  function call waited ${dynaliteMissed.toWorkerP99Ms} ms at p99 before the worker read it off its socket, against ${dynaliteMissed.toEmulatorP99Ms} ms
  for the refer to reach the emulator, and ${dynaliteMissed.toolHandlingP99Ms} ms in the worker between the two. The worker's
  event loop is busy with the store's answers when the event comes: about a millisecond of SDK
  work each, and they arrive together. What would move it: fewer or cheaper requests, or the
  store's requests made off the event loop that reads the sideband (a worker thread).
`}- What limits the dynalite figure besides: dynalite is DynamoDB emulated in one Node process that
  keeps every item in its heap, on the same two cores. Its answers take a few milliseconds, and
  its own garbage collections hold every answer up now and then; a worker then gets many answers at
  once, and works through them (about a millisecond of SDK work each) while events wait. Before
  each run got a fresh dynalite, one dynalite kept the items of every earlier run, and its pauses
  grew with it: writes took up to 130 ms, and stored p99 at 1,000 calls went from 44 to 107 ms
  from one run to the next.
- Where the tail comes from, with dynalite at 1,000 calls (GC traces of one run): the worker's
  scavenges took up to 13 ms and its full collections up to 15 ms (plus incremental steps of up to
  8 ms); the bench process, which plays every call, had scavenges of up to 21 ms. Late samples
  bunch where calls start (the ramp) and where they end, when the worker writes each ending and
  the emulator hangs the calls up. The machine itself stalls a busy process for up to 5 ms now
  and then (two spinning loops, one per core, saw gaps of 1 to 5 ms about twice a second).
- Tried in single loads at 1,000 calls with dynalite (three runs each; p99s stored, tool->refer)
  and left out, as none moved the tail clear of the run-to-run noise:
  - V8's GC on the main thread only (\`--single-threaded-gc\`) in the worker and the emulator:
    32 to 57 ms and 26 to 41 ms, against 48 to 70 ms and 31 to 60 ms in the three runs as shipped
    just before (later runs of the same build reached 123 and 143 ms);
  - that, with the worker pinned to one core and the emulator and dynalite to the other: worse
    (66 to 108 ms, 53 to 75 ms), as the worker's full collections then pause it for longer;
  - dynalite at a lower scheduling priority (\`nice -n 10\`): 51 to 93 ms, 45 to 79 ms;
  - calls replaced as they end, so K stay live with starts and ends spread evenly (K per 25 s):
    52 to 70 ms and 26 to 42 ms, with the worker's core at 51 to 55% (calls starting and ending
    all the time cost more than the one ramp).
  - The SDK's \`cacheMiddleware\` option (resolve a command's middleware once, not per request)
    cut 100 to 200 µs (15 to 20%) of a request's CPU in a microbenchmark, but the document client
    refuses it; using it means the worker writing with the low-level client and marshalling by hand.
- Fixed on the way, each found from these figures:
  - every 30 s one heartbeat renewed every held call's lease at once; those hundreds of writes
    queued ahead of the calls' transcript writes, which in the second after it waited up to half
    a second (stored p99 0.28 s at 250 calls). Each call's heartbeat now falls due 30 s after
    its own last one.
  - a tool call first checked the lease with a write, which put a store round trip (and that
    queue) between the tool call and the refer. The lease cannot be taken by another worker
    before it runs out, so while half of it is left the check needs no request.
  - each transcript entry, action and token count was an UpdateItem on the call's record (13
    requests per call; at 500 calls the worker's core was half busy, two thirds of it in the AWS
    SDK). They are now items of their own, written many calls at a time, as above: at 500
    calls the worker now uses ${capacity.runs.find((r) => r.store === 'dynalite' && r.calls === 500)?.workerCorePercent ?? '?'}% of a core and ${capacity.runs.find((r) => r.store === 'dynalite' && r.calls === 500)?.cpuMicrosPerEvent ?? '?'} µs of CPU per event, where it
    took 51% and 590 µs. DynamoDB has no batch for
    updates; puts keyed by the entry (OpenAI's item id for a transcript line) need no condition,
    so a line delivered twice is stored once, and a call's history is no longer bound by the
    400 KB limit of one item.
  - the worker read the number's config for every call it took; the webhook had just read it, so
    it now sends it in the queue message (the worker runs the call with the config it was answered
    with, even if the number is edited meanwhile).`;
}

function officialSection(capacity: CapacityResult): string {
  const { official, oursAtCompare } = officialRuns(capacity);
  return `The same calls, at ${official.calls} at once, held by a worker written the way OpenAI's SIP examples do it: one
\`OpenAIRealtimeWS\` (the \`openai\` SDK's sideband client) per call, keeping the transcript in
memory. Switchboard's worker is measured on the store that keeps nothing, so both do the same work.

- Heap per call: **${oursAtCompare ? ratio(oursAtCompare.heapKiBPerCall, official.heapKiBPerCall) : '?'}** of the official path's (${oursAtCompare?.heapKiBPerCall ?? '?'} vs ${official.heapKiBPerCall} KiB).
- CPU per event: **${oursAtCompare ? ratio(oursAtCompare.cpuMicrosPerEvent, official.cpuMicrosPerEvent) : '?'}** of the official path's (${oursAtCompare?.cpuMicrosPerEvent ?? '?'} vs ${official.cpuMicrosPerEvent} µs).
- Why the CPU: both parse every event they act on once; the SDK client then emits each one twice
  through an EventEmitter (as \`event\` and under its type) and wraps the socket, while Switchboard
  switches on the type and skips the deltas, most of the stream, without parsing them.
- Why the heap: Switchboard keeps more per call than the example (the lease and queue message it
  keeps alive, the call's time limit, what it has not yet written), so it keeps it lean: one
  object of services shared by all sessions (no per-call closures for the store, the sideband or
  the lease), deliveries and log children as classes, one timer per call for its time limits, the
  maps of open turns and tool calls made only when needed, and nothing of the WebSocket handshake
  left on the socket (ws's \`handshakeTimeout\` leaves a spent Timeout on the socket for the whole
  call, so the worker times the handshake itself). Heap snapshots taken with 1,000 calls held
  showed where the bytes went; those changes took the figure from 10.2 to 6 KiB per call.
- Measured as shipped: the hosts run as esbuild bundles. Run through a TypeScript loader that keeps
  function names (tsx), every closure of ours carries a name property, about 1.5 KiB per call
  that production does not have; the SDK, plain JavaScript, does not pay it.`;
}

function toolCallSection(t: ToolCallResult): string {
  const of = (subject: ToolCallResult['subjects'][number]['subject']) => t.subjects.find((s) => s.subject === subject)!;
  const [ours, fresh] = [of('switchboard'), of('http-fresh')];
  const met = t.p99DifferenceMs <= 1;
  const part = (subject: string, starts: string) => t.parts.find((p) => p.subject === subject && p.part.startsWith(starts));
  const ms = (p: ToolCallPart | undefined, q: 'p50Ms' | 'p99Ms' = 'p50Ms') => (p ? p[q] : '?');
  const [handling, runner, connect, send] = ['read off', 'runner called', 'request made', 'connected'].map((s) => part('switchboard', s));
  const [floorStart, floorConnect, floorSend] = ['start', 'request made', 'connected'].map((s) => part('http-fresh', s));
  return `What the caller waits through when the agent uses one of the number's HTTP tools: from the
moment the call worker reads the model's function call (\`response.function_call_arguments.done\`)
off the call's sideband until the signed request is at the user's endpoint. The answer's way back
is the endpoint's own time and not measured here.

- Switchboard: the real \`CallWorker\` and \`CallSession\` in a process of their own (bundled as the
  worker image is), on the OpenAI emulator's sideband, leasing and writing in dynalite (its own
  process), the number configured with one HTTP tool (the order line's \`lookup_order\`, without
  its secret header) on an endpoint on 127.0.0.1 in the bench process. The runner is
  \`runHttpTool\` as \`switchboard dev\` builds it with a given signing secret
  (\`SWITCHBOARD_TOOL_SIGNING_SECRET\`): loopback allowed, no secret to look up. Timed from ws
  emitting the frame in the worker (ahead of the session's listener) until the endpoint's
  \`request\` event (headers parsed): the worker's and the bench process's wall clocks, on one
  machine; the floors are timed across the same two clocks, so an offset between them cancels in
  the differences.
- The floor: from the worker's process, the same request (the runner's body, headers and a
  Standard Webhooks signature, made before the clock starts; ${t.bodyBytes.switchboard} and ${t.bodyBytes.floor} bytes of body) to the same
  endpoint, timed from just before it is sent until it arrives: with node:http on a new connection
  per request (\`agent: false\`, as the runner: the fair comparison, since the runner opens a new
  connection per call on purpose, so that a pooled socket cannot skip the address check), with
  node:http keep-alive, and with a bare \`fetch\` (undici's pool, keep-alive).
- ${t.toolCalls} tool calls per subject, one at a time, in turns of ${TOOL_CALL_TURN} (for Switchboard, one call of ${TOOL_CALL_TURN} tool
  calls), the four subjects in rotating order, after a turn of each to warm up. The emulator waits
  ${'40'} ms before each scripted step, and the floor idles as long before each request: an idle process
  starts slower than a busy one (run back to back, the runner alone took 0.2 ms from its call to
  its request at p50; 40 ms apart, 0.6 ms). The whole benchmark took ${t.durationSeconds} s.

${row(['path', 'p50 ms', 'p99 ms', 'max ms'])}
${row(['---', '---', '---', '---'])}
${t.subjects.map((s) => row([s.path, s.p50Ms, s.p99Ms, s.maxMs])).join('\n')}

- Switchboard against the fresh-connection floor: p99 **+${t.p99DifferenceMs} ms** (${ours.p99Ms} - ${fresh.p99Ms}), p50 +${t.p50DifferenceMs} ms;
  target within 1 ms at p99: ${met ? '**met**' : '**not met**'}. Against keep-alive \`fetch\`: p99 ${t.p99DifferenceFromKeepAliveMs >= 0 ? '+' : ''}${t.p99DifferenceFromKeepAliveMs} ms.
- Where it goes, stage by stage (each stage's own percentiles, so they add up only roughly):

${row(['path', 'stage', 'p50 ms', 'p99 ms'])}
${row(['---', '---', '---', '---'])}
${t.parts.map((p) => row([p.subject === 'switchboard' ? 'Switchboard' : p.subject, p.part, p.p50Ms, p.p99Ms])).join('\n')}

- The worker's handling before the runner (${ms(handling)} ms at p50, ${ms(handling, 'p99Ms')} at p99): ws hands over the frames of
  one read together, so the session also handles the \`response.done\` that follows the function
  call (its token count queued for writing) before the runner starts; the lease check makes no
  request while more than half the lease is left; the \`tool-call\` entry is queued, and written
  10 ms later, after the request.
- The runner's own work before the request (${ms(runner)} ms at p50, against ${ms(floorStart)} ms for the floor to
  make its request): checking the url and the address (a literal, so no DNS lookup), reading the
  signing secret (a string here; a deployed worker's is cached, one more await), the body, the
  HMAC (${t.signingMicros} µs per signature, measured on its own), the headers and their check, a timeout, and
  node's \`http.request\` with its own agent. Each of these is microseconds on its own (measured one
  by one, warm: the url check about 3 µs, \`http.request\` with \`agent: false\` about 36 µs); the
  rest is the first run of that code after 40 ms idle (cold caches), which the floor pays too
  for its own, shorter code.
- The new connection (${ms(connect)} ms at p50 for Switchboard, ${ms(floorConnect)} ms for the floor) and writing the request
  (${ms(send)} and ${ms(floorSend)} ms): the same node:http work for both, split differently: in the worker the
  event loop also has the session's other work (the events after the function call, the tool's
  filler timer) to do before it sees the connection up. Keep-alive takes the connection off the
  floor (${of('http-keep-alive').p50Ms} ms at p50 with node:http), which the runner gives up on purpose.
- On the way to the worker, outside the span: the function call took ${t.sidebandHop.p50Ms} ms at p50 (${t.sidebandHop.p99Ms} at p99)
  from the emulator sending it to the worker reading it.
- The p99s are the 5th-slowest of ${t.toolCalls}, on a machine that may be shared: a single stall of the
  worker's process moves them by a millisecond or more.`;
}

/** Which value of `n` a p99 (nearest rank, bench/stats.ts) is, counted from the slowest: "3rd-slowest". */
function slowest(n: number): string {
  const rank = n - Math.ceil(0.99 * n) + 1;
  return rank === 1 ? 'slowest' : `${rank}${rank === 2 ? 'nd' : rank === 3 ? 'rd' : 'th'}-slowest`;
}

function deliverySection(d: DeliveryResult): string {
  const latency = (subject: DeliveryResult['subjects'][number]['subject']) => d.subjects.find((s) => s.subject === subject)!;
  const [ours, analysed, floor] = [latency('switchboard'), latency('switchboard-analysis'), latency('floor')];
  const against = (subject: 'switchboard' | 'switchboard-analysis') => d.comparisons.find((c) => c.subject === subject)!;
  const [plainVs, analysedVs] = [against('switchboard'), against('switchboard-analysis')];
  const part = (subject: string, starts: string) => d.parts.find((p) => p.subject === subject && p.part.startsWith(starts));
  const ms = (p: { p50Ms: number; p99Ms: number } | undefined, q: 'p50Ms' | 'p99Ms' = 'p50Ms') => (p ? p[q] : '?');
  const [wait, poll, reads, send] = ['closing written', "the poll's Query", 'Query answered', 'config read -> POST'].map((starts) => part('switchboard', starts));
  const [readBack, floorSend] = ['closing written', 'read back'].map((starts) => part('floor', starts));
  const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`;
  const count = (n: number) => n.toLocaleString('en-US');
  const halfPoll = d.pollMs / 2;
  type Batching = RequestsPerThousand['withoutAnalysis'];
  const columns: ((r: RequestsPerThousand) => number)[] = [
    (r) => r.withoutAnalysis.fullBatches,
    (r) => r.withoutAnalysis.oneCallPerBatch,
    (r) => r.withAnalysis.fullBatches,
    (r) => r.withAnalysis.oneCallPerBatch,
  ];
  const requests = d.requests.filter((r) => r.operation !== '(event)');
  const events = d.requests.filter((r) => r.operation === '(event)');
  const cells = (r: RequestsPerThousand) => columns.map((c) => count(c(r)));
  const totals = columns.map((c) => count(requests.reduce((sum, r) => sum + c(r), 0)));
  const dynamo = (pick: (r: RequestsPerThousand) => Batching, source: RequestsPerThousand['source']) =>
    count(requests.filter((r) => r.service === 'DynamoDB' && r.source === source).reduce((sum, r) => sum + pick(r).fullBatches, 0) / 1000);
  return `From the moment a call's ending is stored until the number's \`notify\` endpoint has the call:
what the business waits through after the caller hangs up. Measured locally, on \`switchboard dev\`'s
deliveries, which poll the calls table; in AWS the calls table's stream, the EventBridge pipe and
SQS take the poll's place (lib/constructs/call-deliveries.ts), and they are not measured here.

- Switchboard: \`startDevStack\` as \`switchboard dev\` runs it (dynalite in memory, in the bench
  process), its deliveries polling the calls of the last hour every **${d.pollMs} ms** (\`switchboard
  dev\` itself polls every 1000 ms; the bench shortens it, as the integration tests do), and a number
  whose \`notify\` is a receiver on 127.0.0.1 (node:http, answering 204) in the bench process. Each
  sample writes a call as the webhook and the worker leave it, with the real stores on a client of
  the bench's own (the claim, OpenAI's answer and the hand-over, the worker's lease, six transcript
  lines, an action and three token usages in the entries table), then its ending
  (\`LiveCallStore.finish\`, the worker's closing write), and is timed from that write's return until
  the receiver's \`request\` event for the delivery.
- With analysis: the same on a number with \`analysis: { summary: true }\`, the stack's OpenAI
  client on the emulator, whose Responses API answers each analysis after ${d.analysisAfterMs} ms. Every one
  of these deliveries carried a done analysis.
- The floor: from the same closing write, in the bench process, the least that "read what is
  stored and send it" can do: the call read back (\`CallHistoryStore.get\`: the record and its
  entries side by side, ${d.floorRequestsPerCall} requests), the same body made, signed (Standard Webhooks, the same
  secret) and POSTed with \`fetch\` to the same receiver. For the analysis, the floor is this plus
  ${d.analysisAfterMs} ms (added, not run).
- ${ours.samples} deliveries per subject (${analysed.samples} with analysis, each half a second longer), one at a time, in
  turns of ${DELIVERY_TURN} (${DELIVERY_TURN / 2} with analysis), the three subjects in rotating order, after a turn of each to warm
  up. Before each closing the bench waits a random time of up to one poll interval, so that the
  closings fall anywhere between two polls; the next sample starts once the delivery's attempt is
  recorded. The bodies were ${d.bodyBytes.switchboard} bytes (${d.bodyBytes.floor} for the floor). The whole benchmark took ${d.durationSeconds} s.

${row(['path', 'deliveries', 'p50 ms', 'p99 ms', 'max ms'])}
${row(['---', '---', '---', '---', '---'])}
${d.subjects.map((s) => row([s.path, s.samples, s.p50Ms, s.p99Ms, s.maxMs])).join('\n')}
${row([`floor + ${d.analysisAfterMs} ms (the analysis's wait; added, not run)`, '', analysedVs.floorP50Ms, analysedVs.floorP99Ms, ''])}

- Without analysis: Switchboard is ${signed(plainVs.p50DifferenceMs)} ms behind the floor at p50 (${ours.p50Ms} - ${floor.p50Ms}) and ${signed(plainVs.p99DifferenceMs)} ms at
  p99 (${ours.p99Ms} - ${floor.p99Ms}). Against the floor plus half the poll interval (+ ${halfPoll} ms, the expected wait for
  the next poll): p50 **${plainVs.p50RatioWithPoll}x** (${ours.p50Ms} / ${round(floor.p50Ms + halfPoll, 2)}), p99 **${plainVs.p99RatioWithPoll}x** (${ours.p99Ms} / ${round(floor.p99Ms + halfPoll, 2)}). At the tail the wait is
  nearly a whole interval (its own p99 below: ${ms(wait, 'p99Ms')} ms), so the p99 against the floor's plus ${d.pollMs} ms is
  ${plainVs.p99RatioWithWholePoll}x.
- With analysis: ${signed(analysedVs.p50DifferenceMs)} ms behind floor + ${d.analysisAfterMs} ms at p50 and ${signed(analysedVs.p99DifferenceMs)} ms at p99; against floor + ${d.analysisAfterMs} ms +
  ${halfPoll} ms: p50 **${analysedVs.p50RatioWithPoll}x**, p99 **${analysedVs.p99RatioWithPoll}x**.
- What is Switchboard's, the poll's wait taken out: from the poll's Query that found the call until
  the POST arrived, p50 **${plainVs.afterPollP50Ms} ms**, p99 **${plainVs.afterPollP99Ms} ms**, against the floor's ${floor.p50Ms} / ${floor.p99Ms} ms (with analysis: ${analysedVs.afterPollP50Ms} /
  ${analysedVs.afterPollP99Ms} ms, ${d.analysisAfterMs} ms of it the Responses API's).
- Where the time goes, part by part (each part's own percentiles, so they add up only roughly):

${row(['path', 'part', 'p50 ms', 'p99 ms'])}
${row(['---', '---', '---', '---'])}
${d.parts.map((p) => row([p.subject === 'floor' ? 'floor' : p.subject === 'switchboard' ? 'Switchboard' : 'Switchboard, analysis', p.part, p.p50Ms, p.p99Ms])).join('\n')}

- The wait for the next poll (${ms(wait)} ms at p50, ${ms(wait, 'p99Ms')} at p99) is the largest part, and it is the poll's: with
  \`switchboard dev\`'s own 1000 ms it is about half a second on average and up to a second.
- The poll's Query runs every ${d.pollMs} ms whether or not a call ended (${d.poll.queriesPerSecond} a second here): the calls of the
  last hour through the day index, newest first, at most 200 (${d.poll.callsReadP50} at p50, up to ${d.poll.callsReadMax}, as the run's calls
  accumulate); each took ${d.poll.p50Ms} ms at p50 and ${d.poll.p99Ms} at p99 (${ms(poll)} / ${ms(poll, 'p99Ms')} ms for the ones that found a sample's call).
- The reads (${ms(reads)} ms at p50, against ${ms(readBack)} ms for the floor's read-back): Switchboard reads the record and its
  entries side by side, as the floor does, then the number's config (its \`notify\` and \`analysis\`),
  one round trip in series more than the floor. The order is needed as written: the config is
  looked up by the record's number. Each round trip is a request to dynalite in the same process.
- Sending (${ms(send)} ms at p50 against ${ms(floorSend)} ms for the floor): the same body and signature; Switchboard opens a new
  connection per delivery (\`agent: false\`, so that each address is checked), the floor's \`fetch\`
  reuses a pooled one; on loopback a new connection costs little.
- After the POST, Switchboard records the attempt on the record (an UpdateItem): outside the span,
  since the receiver has the call by then.

### AWS requests per 1,000 calls

The DynamoDB requests each delivery made in the run, counted on the dev stack's client (a
middleware after the SDK's retries, so every HTTP request; the local poll's Queries left out), are
the delivery Lambda's too: it runs the same \`deliverCall\` on the same stores
(lambda/delivery/index.ts), and gives it one thing \`switchboard dev\` does not, the month's spend.
The rest of the AWS path, which the local run cannot show, is derived
from lib/constructs/call-deliveries.ts and lambda/delivery/index.ts, for full batches of 10 (busy
hours) and for one call per batch, the worst case at low traffic, where each closing is a batch
of its own.

${row(['service', 'operation', 'what', 'source', 'without analysis, full batches', 'without analysis, one call per batch', 'with analysis, full batches', 'with analysis, one call per batch'])}
${row(Array(8).fill('---'))}
${requests.map((r) => row([r.service, r.operation, r.what, r.source, ...cells(r)])).join('\n')}
${row(['**all**', '', 'API requests', '', ...totals.map((t) => `**${t}**`)])}
${events.map((r) => row([r.service, r.operation, r.what, r.source, ...cells(r)])).join('\n')}

- DynamoDB: ${dynamo((r) => r.withoutAnalysis, 'measured')} requests per call measured without analysis, ${dynamo((r) => r.withAnalysis, 'measured')} with it (the analysis set on the record),
  and in AWS ${dynamo((r) => r.withoutAnalysis, 'from the code')} more for the month's spend (\`MonthSpendStore.add\`: the record marked, then the
  month's item added to; none for a call without a cost, or counted before), the same for any
  batching: each message is delivered on its own. A call's entries come in one Query while they fit
  DynamoDB's 1 MB page; a longer call takes one more per MB.
- The pipe: when batching is on at the source (the pipe reads the stream in batches of 10), Pipes
  sends each batch with the target's batch API, even a batch of one
  ([EventBridge Pipes batching and concurrency](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html)):
  its requests to the delivery queue are SendMessageBatch, one per stream batch of up to 10
  closings, rather than one SendMessage per call.
- The Lambda: its event source mapping polls the queue, invokes the function once per batch, and
  deletes a batch's messages once the function has processed them
  ([Using Lambda with Amazon SQS](https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)). One
  ReceiveMessage and one DeleteMessageBatch per batch are assumptions: AWS does not list the
  mapping's own requests. A delivery that will retry is reported as a batch item failure and left
  on the queue, its wait set by the Lambda's ChangeMessageVisibility (one per retry).
- Not per call, so not in the table: the pipe's reads of the calls table's stream (each shard's
  GetRecords, whether or not calls end) and the mapping's long polls that come back empty while the
  queue is idle; Secrets Manager reads (each Lambda container caches the signing secret, and the
  OpenAI key for analyses, for 5 minutes). Metrics go out as Powertools' embedded metric format in
  the logs, not as requests.
- With analysis, each call also makes one Responses API request (OpenAI, not AWS; ${d.responsesPerAnalysedCall} per call in the run).
- No prices here: multiply by the services' published prices for the region.

What limits the figures:
- Locally, the poll: its interval sets the wait, and its Query reads up to 200 calls every time,
  however few ended. In AWS the stream, the pipe, SQS and the Lambda's poll take its place, with
  latencies AWS does not publish; this benchmark says nothing about them, only about the work on
  either side of them, which is the same code.
- Here dynalite runs in the bench process (\`startDevStack\` embeds it), unlike the other sections'
  benchmarks: the bench's writes, the receiver, the emulator, the floor and the stack share one event
  loop. Its answers, a few milliseconds each, set the reads; Switchboard's own code in between is
  small.
- The p99s are the ${slowest(ours.samples)} of ${ours.samples} (with analysis, the ${slowest(analysed.samples)} of ${analysed.samples}), on a machine that may be shared: one stall
  of the process moves them by milliseconds.`;
}

function greetingSection(g: GreetingPathResult): string {
  const part = (subject: 'floor' | 'switchboard', key: GreetingPart['key']) => g.parts.find((p) => p.subject === subject && p.key === key);
  const ms = (p: GreetingPart | undefined, q: 'p50Ms' | 'p99Ms' = 'p50Ms') => (p ? p[q] : '?');
  const [floor, ours, hop] = [g.floor, g.switchboard, g.queueHop];
  const met = g.ratioP50 <= 1.25 && g.ratioP99 <= 1.25;
  const beforeAccept = part('switchboard', 'toAccept');
  const floorBeforeAccept = part('floor', 'toAccept');
  return `What the caller hears: ringing until the accept, then silence until the greeting. Measured
here: from a signed \`realtime.call.incoming\` webhook for a new call, as the bench sends it, until
the greeting's \`response.create\` reaches the OpenAI emulator on the call's sideband (the
emulator's \`onClientEvent\` hook sees it arrive), one call at a time: a latency, not a capacity.

- Switchboard: the webhook handler (\`core/webhook\`) behind the local HTTP host, with the Lambda's
  dependencies on dynalite (DynamoDB) and fauxqs (an SQS API server in Node, as the call queue);
  and, in a process of its own as on Fargate, the call worker (\`core/worker\`): \`SqsCallSource\`
  long polling that queue with 20 s waits, as deployed, \`openSideband\` while the lease is
  written in dynalite, then the greeting once both are done.
- The floor: one process that, on the webhook, verifies it (\`openai.webhooks.unwrap\`), accepts the
  call, answers 200, opens the sideband with \`ws\` and sends the greeting, all inline, as OpenAI's
  SIP examples do: the bare SDK and \`ws\`, no store, no queue. It sends the same accept body and
  the same greeting as Switchboard.
- The queue hop, on its own, in Switchboard's calls of the same run: from the handler queueing
  the call (\`SqsCallQueue.enqueue\`) until the worker's long poll brought it (the two processes'
  wall clocks, on one machine).
- ${g.calls} calls per subject, in turns of ${GREETING_TURN}, in alternating order, after a turn of each to warm up.
  After each turn its calls are hung up, and the next turn starts once the worker has let them
  go. The whole benchmark took ${g.durationSeconds} s.

${row(['path', 'p50 ms', 'p99 ms', 'max ms'])}
${row(['---', '---', '---', '---'])}
${row(['floor: accept, attach and greet inline', floor.p50Ms, floor.p99Ms, floor.maxMs])}
${row(['Switchboard: webhook handler, SQS, call worker', ours.p50Ms, ours.p99Ms, ours.maxMs])}
${row(['of it, the queue hop (queued -> brought to the worker)', hop.p50Ms, hop.p99Ms, hop.maxMs])}
${row(['of the hop, the SendMessage (queued -> SQS answered)', g.sendMessage.p50Ms, g.sendMessage.p99Ms, g.sendMessage.maxMs])}

SQS hands the message to the waiting poll as it takes it, so the worker can have the call before
the webhook has SQS's answer: the hop can be shorter than its SendMessage.

- Switchboard against the floor plus the queue hop: p99 **${g.ratioP99}x** (${ours.p99Ms} / (${floor.p99Ms} + ${hop.p99Ms}) ms),
  p50 **${g.ratioP50}x** (${ours.p50Ms} / (${floor.p50Ms} + ${hop.p50Ms}) ms); target within 1.25x: ${met ? '**met**' : '**not met**'}.
- Where the time goes, part by part (each part's own percentiles, so they add up only roughly):

${row(['path', 'part', 'p50 ms', 'p99 ms'])}
${row(['---', '---', '---', '---'])}
${g.parts.map((p) => row([p.subject === 'floor' ? 'floor' : 'Switchboard', p.part, p.p50Ms, p.p99Ms])).join('\n')}

- What sets it: besides the queue hop, the store requests that the floor does not make, each a
  dynalite round trip of a few milliseconds here. Before the accept, the number's config is read
  and the claim written (the accept reached OpenAI ${ms(beforeAccept)} ms after the webhook at p50,
  against ${ms(floorBeforeAccept)} ms for the floor); they are in series by design, as the claim records the
  decision before OpenAI hears it, so that a retried webhook never accepts twice. In the worker,
  the lease is written while the sideband opens, and the greeting waits for both: the lease is on
  the path only where it takes longer than the handshake. It can: in ${round(g.leasedWhileRecording * 100, 0)}% of the calls it was
  sent while the webhook's write of the hand-over (OpenAI's answer, the call queued), an update of
  the same record, was still in flight (${g.handOverWrite.p50Ms} ms at p50: it runs alongside the SendMessage, and
  the worker has the call before it ends), and dynalite holds a lock on an item for each update.
  How DynamoDB orders two writes of one item is not measured here. Switchboard's own work between
  the requests is small.
- In AWS, each of those requests is a DynamoDB or SQS round trip within a region instead of a
  loopback request to a Node process, so neither the absolute figures nor the hop here are AWS's;
  the ratio says how much Switchboard adds to the least a queued design costs.

### What the SQS hop costs in AWS, with long polling

AWS publishes no latency figure for a message's way from \`SendMessage\` to a consumer's waiting
\`ReceiveMessage\`. What its documentation says:

- A long poll (\`WaitTimeSeconds\` above 0, at most 20 s) asks all of SQS's servers and answers as
  soon as at least one message is available; it answers empty only once the wait runs out. A
  short poll (\`WaitTimeSeconds\` 0) asks a weighted random subset of the servers, answers at once,
  and can come back empty while messages wait on other servers
  ([Amazon SQS short and long polling](https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html);
  [Using the appropriate polling mode](https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/best-practices-using-appropriate-polling-mode.html):
  long polling consumes messages as soon as they become available). In \`ReceiveMessage\`'s own
  description, a call returns sooner than \`WaitTimeSeconds\` when a message is available
  ([ReceiveMessage \`WaitTimeSeconds\`](https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sqs/aws.sdk.kotlin.services.sqs.model/-receive-message-request/wait-time-seconds.html),
  the API's own text as the AWS SDKs carry it). The 20 s are how long an idle poll waits, not a
  delay: \`SqsCallSource\` polls again as soon as a poll returns, so a poll is waiting whenever the
  webhook queues a call, and SQS answers it with the message.
- The only latency number in the SQS developer guide is an example in throughput arithmetic: if
  requests from an EC2 client to SQS in the same region average 20 ms, one thread on one
  connection makes about 50 requests a second
  ([Increasing throughput using horizontal scaling and action batching](https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-throughput-horizontal-scaling-and-batching.html)).
  It is an assumption for the arithmetic, not a measured or promised latency.
- So in AWS the hop is the Lambda's \`SendMessage\` round trip, SQS handing the message to the
  waiting poll, and that answer reaching the Fargate task: request latencies within a region that
  AWS does not state. The fauxqs hop above (loopback, one Node process) is a floor under it, not
  an estimate of it. To know it for a deployed stack, measure it there: SQS stamps each message
  with \`SentTimestamp\` and \`ApproximateFirstReceiveTimestamp\` (epoch milliseconds, on SQS's side),
  which \`ReceiveMessage\` returns when asked for them
  ([message attributes](https://boto3.amazonaws.com/v1/documentation/api/1.26.81/reference/services/sqs/message/attributes.html)).`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof UsageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
