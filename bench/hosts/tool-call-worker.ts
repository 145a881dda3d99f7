import { subscribe } from 'node:diagnostics_channel';
import { createServer, request, Agent, type ClientRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { callControlClient, WORKER_CALL_CONTROL_TIMEOUT_MS } from '../../core/openai/call-control';
import type { QueuedCall } from '../../core/queue/call-queue';
import { silentLog } from '../../core/runtime/log';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { LiveCallStore } from '../../core/store/live-call-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { signedJsonHeaders } from '../../core/outbound/post';
import { runHttpTool, type HttpToolCall } from '../../core/tools/http-tool';
import { signStandardWebhook } from '../../core/webhook/signature';
import { CallWorker } from '../../core/worker/call-worker';
import { openLiveSideband, openSideband } from '../../core/worker/sideband';
import { InProcessCallQueue } from '../../local/in-process-queue';
import { wallClock } from './bench-control';
import { announceReady, env } from './child';

/** Searched for in the raw frame, so that the measuring does not parse every event. */
const FUNCTION_CALL_DONE = Buffer.from('"response.function_call_arguments.done"');

/** The floors: node:http on a new connection per request (as the runner), node:http keep-alive, and fetch (undici's pool, keep-alive). */
export type FloorKind = 'http-fresh' | 'http-keep-alive' | 'fetch';

/** What the bench asks the floor to send: `count` tool requests of the runner's shape, one at a time. */
export interface FloorTurn {
  kind: FloorKind;
  count: number;
  url: string;
  /** The tool call ids to send them as (the webhook-id, and the body's toolCallId). */
  ids: string[];
  call: HttpToolCall['call'];
  tool: string;
  arguments: unknown;
  /** Idle time before each request, as between a call's tool calls: an idle process is slower to start than a busy one. */
  gapMs: number;
}

/**
 * The tool-call benchmark's worker: the real CallWorker and sessions, fed through an in-process
 * queue, leasing and writing in dynalite (`BENCH_DYNAMODB`), running the number's HTTP tools
 * with `runHttpTool` as `switchboard dev` does (a given signing secret, loopback allowed). From
 * the same process, the floor: the same signed request sent with bare node:http or fetch.
 *
 * Marks, by tool call id (the request's webhook-id), in wall-clock ms: `read` when the function
 * call came off the sideband (a listener put ahead of the session's), `runTool` when the session
 * called the runner, `created` when the request was made (node's `http.client.request.created`
 * channel: signed, headers built) and `connected` when its new connection was up; the floor's
 * `floorStart` just before it sends.
 */
async function main(): Promise<void> {
  const marks = {
    read: new Map<string, number>(),
    runTool: new Map<string, number>(),
    created: new Map<string, number>(),
    connected: new Map<string, number>(),
    floorStart: new Map<string, number>(),
  };
  const signingSecret = env('BENCH_TOOL_SIGNING_SECRET');
  const apiKey = env('BENCH_API_KEY');
  // The frames are kept as they came and searched for their call id only when the marks are read.
  const readFrames: [number, Buffer][] = [];
  subscribe('http.client.request.created', (message) => {
    const req = (message as { request: ClientRequest }).request;
    const id = req.getHeader('webhook-id');
    if (typeof id !== 'string') return;
    marks.created.set(id, wallClock());
    req.once('socket', (socket: Socket) => {
      if (socket.connecting) socket.once('connect', () => marks.connected.set(id, wallClock()));
      else marks.connected.set(id, wallClock());
    });
  });

  const db = createDocumentClient({ endpoint: env('BENCH_DYNAMODB') });
  const openai = callControlClient({ apiKey, baseURL: env('BENCH_OPENAI'), timeoutMs: WORKER_CALL_CONTROL_TIMEOUT_MS });
  const queue = new InProcessCallQueue();
  const worker = new CallWorker({
    id: 'bench-tool-call',
    source: queue,
    store: new LiveCallStore(db, LOCAL_TABLE_NAMES),
    numbers: { get: async () => undefined },
    openai,
    // As local/dev-stack.ts's runner with a given signing secret (`SWITCHBOARD_TOOL_SIGNING_SECRET`): no secret headers in this tool.
    runTool: (call) => {
      marks.runTool.set(call.toolCallId, wallClock());
      return runHttpTool(call, { signingSecret, secret: async () => undefined, allowLoopback: true, log: silentLog });
    },
    // The benchmarks place Realtime calls only.
    connectLive: (id) => openLiveSideband(id, openai.baseURL, async () => apiKey, { retryForMs: 10_000 }),
    connect: async (callId) => {
      const sideband = await openSideband(callId, openai.baseURL, async () => apiKey, { retryForMs: 10_000 });
      // Seen as ws emits it, ahead of every listener (the session's `listen` replaces the socket's listeners).
      const { socket } = sideband;
      const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
      socket.emit = ((event: string | symbol, ...args: unknown[]) => {
        if (event === 'message') {
          const at = wallClock();
          if ((args[0] as Buffer).includes(FUNCTION_CALL_DONE)) readFrames.push([at, args[0] as Buffer]);
        }
        return emit(event, ...args);
      }) as typeof socket.emit;
      return sideband;
    },
    capacity: 100,
    log: silentLog,
  });
  // Warm the HTTP client (first-request set-up) as a worker's first call would.
  await openai.realtime.calls.hangup('rtc_warm_up').catch(() => undefined);
  worker.start();

  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = async (req: AsyncIterable<Buffer>) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    return text;
  };
  const server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/calls') {
      for (const call of JSON.parse(await body(req)) as QueuedCall[]) void queue.enqueue(call);
      return res.end('{}');
    }
    if (req.method === 'POST' && req.url === '/floor') {
      const turn = JSON.parse(await body(req)) as FloorTurn;
      for (const id of turn.ids) {
        await new Promise((resolve) => setTimeout(resolve, turn.gapMs));
        await sendFloor(turn, id, signingSecret, keepAlive, marks.floorStart);
      }
      return res.end('{}');
    }
    if (req.method === 'POST' && req.url === '/signing-cost') {
      return res.end(JSON.stringify({ microsPerSignature: signingCost(signingSecret) }));
    }
    if (req.url === '/marks') {
      for (const [at, frame] of readFrames.splice(0)) {
        const id = /"call_id":"([^"]+)"/.exec(frame.toString())?.[1];
        if (id && !marks.read.has(id)) marks.read.set(id, at);
      }
      return res.end(JSON.stringify(Object.fromEntries(Object.entries(marks).map(([name, times]) => [name, Object.fromEntries(times)]))));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await announceReady((server.address() as AddressInfo).port);
}

/**
 * One floor request: the body and headers `runHttpTool` sends (the same fields, order and
 * signature), made before the clock starts; timed from just before it is sent. The answer is read
 * to its end before the next, as the runner reads it.
 */
async function sendFloor(turn: FloorTurn, id: string, secret: string, keepAlive: Agent, starts: Map<string, number>): Promise<void> {
  const text = JSON.stringify({ call: { ...turn.call, label: turn.call.label ?? null }, tool: turn.tool, arguments: turn.arguments, toolCallId: id });
  const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', ...signedJsonHeaders(secret, id, Math.floor(Date.now() / 1000), text) };
  if (turn.kind === 'fetch') {
    // fetch sets content-length itself.
    const { 'content-length': _length, ...fetchHeaders } = headers;
    starts.set(id, wallClock());
    const response = await fetch(turn.url, { method: 'POST', headers: fetchHeaders, body: text });
    await response.text();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    starts.set(id, wallClock());
    const req = request(turn.url, { method: 'POST', headers, agent: turn.kind === 'http-fresh' ? false : keepAlive }, (res) => {
      res.resume();
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Microseconds per Standard Webhooks signature of a tool request's size, over many. */
function signingCost(secret: string): number {
  const text = JSON.stringify({ call: { callId: 'rtc_0123456789abcdef0123456789abcdef', number: '+17134810122', caller: '+14067704205', label: 'Order line' }, tool: 'lookup_order', arguments: { order: 'A-1001' }, toolCallId: 'fc_0123456789ab' });
  const n = 20_000;
  for (let i = 0; i < 2_000; i++) signStandardWebhook(secret, `fc_${i}`, 1_700_000_000, text);
  const started = performance.now();
  for (let i = 0; i < n; i++) signStandardWebhook(secret, `fc_${i}`, 1_700_000_000, text);
  return ((performance.now() - started) * 1000) / n;
}

void main();
