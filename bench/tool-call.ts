import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import { buildSessionConfig } from '../core/calls/session-config';
import { parseNumberConfig } from '../core/numbers/config';
import { dayOf } from '../core/openai/models';
import { CallClaimsStore } from '../core/store/call-claims-store';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { LOCAL_TABLE_NAMES } from '../core/store/tables';
import { verifyWebhookSignature } from '../core/webhook/signature';
import { startOpenAIEmulator, type ConversationScript } from '../local/openai-emulator';
import { startDynaliteWithNumber } from './dynalite-process';
import { wallClock } from './hosts/bench-control';
import type { FloorKind, FloorTurn } from './hosts/tool-call-worker';
import { spawnHost, type HostChild } from './spawn-host';
import { percentile, round } from './stats';

const API_KEY = 'sk-bench-tool-call';
const SIGNING_SECRET = 'whsec_' + Buffer.from('switchboard-tool-call-signing-key').toString('base64');
const CALLER = '+14067704205';
const TOOL = 'lookup_order';
const ARGUMENTS = { order: 'A-1001' };
/** Tool calls per subject per turn: one call's worth for Switchboard. */
export const TOOL_CALL_TURN = 25;
/**
 * The gap before each scripted step. Longer than the worker's batch wait for entries (10 ms) and
 * a dynalite write, so the call's own writes of the last turn are done when the next tool call
 * comes: one tool call at a time, as on a quiet worker.
 */
const STEP_DELAY_MS = 40;
const TURN_TIMEOUT_MS = 30_000;

export type ToolCallSubject = 'switchboard' | FloorKind;

export interface ToolCallLatency {
  subject: ToolCallSubject;
  /** In words: what sends it and how. */
  path: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ToolCallPart {
  subject: ToolCallSubject;
  part: string;
  p50Ms: number;
  p99Ms: number;
}

export interface ToolCallResult {
  /** Tool calls (requests) measured per subject. */
  toolCalls: number;
  subjects: ToolCallLatency[];
  /** Switchboard's p99 minus the fresh-connection floor's (the fair comparison), and minus fetch's (keep-alive). */
  p99DifferenceMs: number;
  p50DifferenceMs: number;
  p99DifferenceFromKeepAliveMs: number;
  /** Where each subject's time goes, stage by stage (each stage's own percentiles). */
  parts: ToolCallPart[];
  /** Outside the measured span: the emulator sent the function call -> the worker read it off the socket. */
  sidebandHop: { p50Ms: number; p99Ms: number };
  /** One Standard Webhooks signature (HMAC-SHA256) of a tool request, measured in the worker on its own. */
  signingMicros: number;
  /** Request body bytes as they arrived: Switchboard's and the floors' (the same request, so the same size). */
  bodyBytes: { switchboard: number; floor: number };
  durationSeconds: number;
}

const SUBJECTS: { subject: ToolCallSubject; path: string }[] = [
  { subject: 'switchboard', path: 'Switchboard: CallWorker reads the function call, runHttpTool sends it (new connection)' },
  { subject: 'http-fresh', path: 'floor: node:http, new connection per request (agent: false, as the runner)' },
  { subject: 'http-keep-alive', path: 'floor: node:http, keep-alive agent (one pooled connection)' },
  { subject: 'fetch', path: 'floor: bare fetch (undici pool, keep-alive)' },
];

interface Arrival {
  at: number;
  callId: string;
  bytes: number;
}

/**
 * Tool call received -> request at the user's endpoint. Switchboard: the real CallWorker and
 * CallSession on the emulator's sideband, the number configured with one HTTP tool on a local
 * endpoint (this process, 127.0.0.1), from the moment the worker reads
 * `response.function_call_arguments.done` off its socket until the endpoint has the request. The
 * floor: the same signed request sent from the worker's process with bare node:http (a new
 * connection, as the runner; and keep-alive) and fetch, from its start to its arrival. One tool
 * call at a time, the subjects in turns in rotating order; the floor idles between its requests
 * as long as the emulator waits between a call's tool calls, since an idle process is slower to
 * start than a busy one.
 */
export async function benchToolCall(opts: { toolCalls: number }): Promise<ToolCallResult> {
  const began = Date.now();
  const arrivals = new Map<string, Arrival>();
  const waiting = new Map<string, { count: number; resolve: () => void }>();
  const perCall = new Map<string, number>();
  let signed: { id: string; timestamp: string; signature: string; body: string } | undefined;
  const endpoint = createServer((req, res) => {
    const at = wallClock();
    const id = String(req.headers['webhook-id']);
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ order: ARGUMENTS.order, status: 'shipped', eta: 'Thursday' }));
      const callId = (JSON.parse(body) as { call: { callId: string } }).call.callId;
      arrivals.set(id, { at, callId, bytes: Buffer.byteLength(body) });
      signed ??= { id, timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']), body };
      const count = (perCall.get(callId) ?? 0) + 1;
      perCall.set(callId, count);
      const waiter = waiting.get(callId);
      if (waiter && count >= waiter.count) waiter.resolve();
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const toolUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/orders`;

  const example = JSON.parse(readFileSync(join(__dirname, '../examples/order-line.json'), 'utf8'));
  // The example's tool, pointed at the local endpoint, without its secret header (nothing to look up).
  const config = parseNumberConfig({ ...example, tools: example.tools.map(({ headers: _, ...tool }: { headers?: unknown }) => ({ ...tool, url: toolUrl })) });
  const dynamodb = await startDynaliteWithNumber(config);
  const sentAt = new Map<string, number>();
  const emulator = await startOpenAIEmulator({
    apiKey: API_KEY,
    timing: { stepDelayMs: STEP_DELAY_MS, msPerWord: 0 },
    onServerEvent: (_, event) => event.type === 'response.function_call_arguments.done' && sentAt.set(String(event.call_id), wallClock()),
  });
  const openai = new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0 });
  const records = new CallClaimsStore(createDocumentClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES, 1);
  let host: HostChild | undefined;
  try {
    host = await spawnHost('tool-call-worker', { BENCH_OPENAI: emulator.baseURL, BENCH_API_KEY: API_KEY, BENCH_DYNAMODB: dynamodb.endpoint, BENCH_TOOL_SIGNING_SECRET: SIGNING_SECRET });
    const worker = host;
    const runId = Date.now().toString(36);
    const callIdOf = (turn: number) => `rtc_tool_${runId}_${String(turn).padStart(4, '0')}`;
    const samples = new Map<ToolCallSubject, string[]>(SUBJECTS.map((s) => [s.subject, []]));

    /** One call of `count` tool calls through the worker; resolves once the endpoint had them all and the call is over. */
    const switchboardTurn = async (turn: number, count: number): Promise<void> => {
      const callId = callIdOf(turn);
      const script: ConversationScript = Array.from({ length: count }, () => ({ tool: TOOL, args: ARGUMENTS }));
      const all = new Promise<void>((resolve) => waiting.set(callId, { count, resolve }));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${callId}: the endpoint had ${perCall.get(callId) ?? 0} of ${count} tool calls after ${TURN_TIMEOUT_MS} ms`)), TURN_TIMEOUT_MS)));
      try {
        await emulator.placeCall({ callId, dialed: config.number, caller: CALLER, script });
        await openai.realtime.calls.accept(callId, buildSessionConfig({ ...config, agent: config.agent! }, { number: config.number, caller: CALLER }, dayOf(new Date())));
        // The webhook writes the call's record before the worker hears of it.
        await records.create({ callId, number: config.number, caller: CALLER, startedAt: new Date().toISOString(), webhookId: `wh_${callId}`, outcome: 'active', label: config.label, liveNumber: config.number, claimToken: 'bench', claimUntil: 0 });
        await fetch(`http://127.0.0.1:${worker.port}/calls`, { method: 'POST', body: JSON.stringify([{ callId, number: config.number, config }]) });
        await Promise.race([all, late]);
      } finally {
        clearTimeout(timer);
        waiting.delete(callId);
      }
      emulator.endCall(callId);
      // The worker writes the call's ending; let it, before the next subject's turn.
      await new Promise((resolve) => setTimeout(resolve, 250));
    };
    const floorTurn = async (turn: number, kind: FloorKind, count: number): Promise<string[]> => {
      const ids = Array.from({ length: count }, () => `fc_${randomBytes(12).toString('hex')}`);
      const body: FloorTurn = { kind, count, url: toolUrl, ids, call: { callId: callIdOf(turn), number: config.number, caller: CALLER, label: config.label }, tool: TOOL, arguments: ARGUMENTS, gapMs: STEP_DELAY_MS };
      const response = await fetch(`http://127.0.0.1:${worker.port}/floor`, { method: 'POST', body: JSON.stringify(body) });
      if (response.status !== 200) throw new Error(`floor ${kind} answered ${response.status}`);
      await response.text();
      return ids;
    };
    const run = async (subject: ToolCallSubject, turn: number, count: number, measure: boolean) => {
      if (subject === 'switchboard') {
        await switchboardTurn(turn, count);
        if (measure) samples.get(subject)!.push(...[...arrivals].filter(([, a]) => a.callId === callIdOf(turn)).map(([id]) => id));
      } else {
        const ids = await floorTurn(turn, subject, count);
        if (measure) samples.get(subject)!.push(...ids);
      }
    };

    // A turn of each to warm up (first connections, JIT), not counted.
    let turn = 0;
    for (const { subject } of SUBJECTS) await run(subject, turn++, TOOL_CALL_TURN, false);
    // Short turns in rotating order, so whatever slows the machine over the run falls on all alike.
    const turns = Math.ceil(opts.toolCalls / TOOL_CALL_TURN);
    for (let t = 0; t < turns; t++) {
      const order = SUBJECTS.map((_, i) => SUBJECTS[(i + t) % SUBJECTS.length].subject);
      for (const subject of order) await run(subject, turn++, Math.min(TOOL_CALL_TURN, opts.toolCalls - t * TOOL_CALL_TURN), true);
    }

    const marks = await (await fetch(`http://127.0.0.1:${worker.port}/marks`)).json() as Record<'read' | 'runTool' | 'created' | 'connected' | 'floorStart', Record<string, number>>;
    const { microsPerSignature } = (await (await fetch(`http://127.0.0.1:${worker.port}/signing-cost`, { method: 'POST' })).json()) as { microsPerSignature: number };
    // The endpoint got signed requests: one of Switchboard's checked as a receiver checks it (throws if not).
    if (!signed) throw new Error('the endpoint got no tool request');
    verifyWebhookSignature({ rawBody: signed.body, headers: { 'webhook-id': signed.id, 'webhook-timestamp': signed.timestamp, 'webhook-signature': signed.signature }, secret: SIGNING_SECRET, nowSeconds: Math.floor(Date.now() / 1000) });

    const span = (subject: ToolCallSubject, from: (id: string) => number | undefined, to: (id: string) => number | undefined) =>
      samples.get(subject)!.flatMap((id) => {
        const [a, b] = [from(id), to(id)];
        return a === undefined || b === undefined ? [] : [b - a];
      });
    const mark = (name: keyof typeof marks) => (id: string) => marks[name][id];
    const arrived = (id: string) => arrivals.get(id)?.at;
    const startOf = (subject: ToolCallSubject) => (subject === 'switchboard' ? mark('read') : mark('floorStart'));
    const totals = new Map(SUBJECTS.map(({ subject }) => [subject, span(subject, startOf(subject), arrived)]));
    for (const [subject, values] of totals) {
      if (values.length < samples.get(subject)!.length) throw new Error(`${subject}: ${samples.get(subject)!.length - values.length} tool calls have no start or arrival mark`);
    }
    const stat = (values: number[]) => ({ p50Ms: round(percentile(values, 50), 3), p99Ms: round(percentile(values, 99), 3) });
    const subjects = SUBJECTS.map(({ subject, path }) => ({ subject, path, ...stat(totals.get(subject)!), maxMs: round(Math.max(...totals.get(subject)!), 3) }));
    const of = (subject: ToolCallSubject) => subjects.find((s) => s.subject === subject)!;
    const part = (subject: ToolCallSubject, name: string, values: number[]): ToolCallPart => ({ subject, part: name, ...stat(values) });
    const bytes = (subject: ToolCallSubject) => arrivals.get(samples.get(subject)![0])?.bytes ?? 0;
    return {
      toolCalls: opts.toolCalls,
      subjects,
      p99DifferenceMs: round(of('switchboard').p99Ms - of('http-fresh').p99Ms, 3),
      p50DifferenceMs: round(of('switchboard').p50Ms - of('http-fresh').p50Ms, 3),
      p99DifferenceFromKeepAliveMs: round(of('switchboard').p99Ms - of('fetch').p99Ms, 3),
      parts: [
        part('switchboard', 'read off the sideband -> runner called (event parsed, lease check, tool-call entry queued)', span('switchboard', mark('read'), mark('runTool'))),
        part('switchboard', 'runner called -> request made (arguments, url and address check, body, signing secret, HMAC, headers)', span('switchboard', mark('runTool'), mark('created'))),
        part('switchboard', 'request made -> connected (new connection)', span('switchboard', mark('created'), mark('connected'))),
        part('switchboard', 'connected -> at the endpoint (request written, read, parsed)', span('switchboard', mark('connected'), arrived)),
        part('http-fresh', 'start -> request made', span('http-fresh', mark('floorStart'), mark('created'))),
        part('http-fresh', 'request made -> connected (new connection)', span('http-fresh', mark('created'), mark('connected'))),
        part('http-fresh', 'connected -> at the endpoint', span('http-fresh', mark('connected'), arrived)),
        part('http-keep-alive', 'start -> socket assigned (pooled)', span('http-keep-alive', mark('floorStart'), mark('connected'))),
        part('http-keep-alive', 'socket assigned -> at the endpoint', span('http-keep-alive', mark('connected'), arrived)),
      ],
      sidebandHop: stat(span('switchboard', (id) => sentAt.get(id), mark('read'))),
      signingMicros: round(microsPerSignature, 1),
      bodyBytes: { switchboard: bytes('switchboard'), floor: bytes('http-fresh') },
      durationSeconds: round((Date.now() - began) / 1000, 0),
    };
  } finally {
    await host?.stop();
    await emulator.close();
    await dynamodb.close();
    endpoint.closeAllConnections();
    await new Promise<void>((resolve) => endpoint.close(() => resolve()));
  }
}

if (require.main === module) {
  void benchToolCall({ toolCalls: Number(process.env.BENCH_TOOL_CALLS ?? 400) }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
