import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deliveryBody, deliveryId } from '../core/delivery/delivery-plan';
import { parseNumberConfig, type NumberConfig } from '../core/numbers/config';
import { DEFAULT_CALL_RETENTION_DAYS } from '../core/runtime/contract';
import { silentLog } from '../core/runtime/log';
import { CallClaimsStore } from '../core/store/call-claims-store';
import { actionItem, transcriptItem, usageItem, type EntryItem } from '../core/store/call-entries-store';
import { CallHistoryStore } from '../core/store/call-history-store';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { LiveCallStore } from '../core/store/live-call-store';
import { CALLS_TABLE, LOCAL_TABLE_NAMES, RETIRED_BY_DAY_INDEX } from '../core/store/tables';
import { signStandardWebhook, verifyWebhookSignature } from '../core/webhook/signature';
import { startDevStack, type DevStack } from '../local/dev-stack';
import { startOpenAIEmulator, type OpenAIEmulator } from '../local/openai-emulator';
import { percentile, round } from './stats';

const API_KEY = 'sk-bench-delivery';
const WEBHOOK_SECRET = 'whsec_' + Buffer.from('switchboard-delivery-bench-webhooks').toString('base64');
const SIGNING_SECRET = 'whsec_' + Buffer.from('switchboard-delivery-bench-signing-key').toString('base64');
const CALLER = '+14067704205';
/** How often switchboard dev's deliveries read the calls of the last hour, here (`switchboard dev` itself: every 1000 ms). */
export const DELIVERY_POLL_MS = 50;
/** How long the emulated Responses API takes to answer each analysis. */
export const ANALYSIS_AFTER_MS = 500;
/** Samples per subject per turn; the subject with analysis takes half as many (each takes ANALYSIS_AFTER_MS more). */
export const DELIVERY_TURN = 10;
const ANALYSED_TURN = DELIVERY_TURN / 2;
/** How long each call lasted, as its record says. */
const CALL_SECONDS = 180;
const ARRIVAL_TIMEOUT_MS = 10_000;
/**
 * What lib/constructs/call-deliveries.ts sets for AWS: the pipe reads the stream in batches of
 * 10 (`dynamoDbStreamParameters.batchSize`), the Lambda's event source takes batches of 10.
 */
const AWS_BATCH_SIZE = 10;

export type DeliverySubject = 'switchboard' | 'switchboard-analysis' | 'floor';

export interface DeliveryLatency {
  subject: DeliverySubject;
  /** In words: what delivers and how. */
  path: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface DeliveryPart {
  subject: DeliverySubject;
  part: string;
  p50Ms: number;
  p99Ms: number;
}

/** Switchboard's figures against a floor: the bare floor, or the floor plus the analysis's wait. */
export interface DeliveryComparison {
  subject: Exclude<DeliverySubject, 'floor'>;
  /** The floor's figures, plus ANALYSIS_AFTER_MS for the subject with analysis. */
  floorP50Ms: number;
  floorP99Ms: number;
  /** Switchboard's minus the floor's. */
  p50DifferenceMs: number;
  p99DifferenceMs: number;
  /** Switchboard's against the floor plus half the poll interval (the expected wait for the next poll). */
  p50RatioWithPoll: number;
  p99RatioWithPoll: number;
  /** The p99 against the floor's plus the whole poll interval (the longest wait for the next poll). */
  p99RatioWithWholePoll: number;
  /** All but the wait: from the poll's Query that found the call until the POST arrived. */
  afterPollP50Ms: number;
  afterPollP99Ms: number;
}

/** Requests per 1,000 calls of one operation, on full batches and with one call per batch (AWS's batching; equal where nothing is batched). */
export interface RequestsPerThousand {
  service: string;
  operation: string;
  what: string;
  source: 'measured' | 'from the code';
  withoutAnalysis: { fullBatches: number; oneCallPerBatch: number };
  withAnalysis: { fullBatches: number; oneCallPerBatch: number };
}

export interface DeliveryResult {
  pollMs: number;
  analysisAfterMs: number;
  subjects: DeliveryLatency[];
  parts: DeliveryPart[];
  comparisons: DeliveryComparison[];
  requests: RequestsPerThousand[];
  /** The local poll's Query, made every pollMs whether or not a call ended (not a request per call; in AWS the stream replaces it). */
  poll: { queriesPerSecond: number; p50Ms: number; p99Ms: number; callsReadP50: number; callsReadMax: number };
  /** The requests of the floor's read-back (GetItem and Query), per call: what the floor pays for its "read what is stored". */
  floorRequestsPerCall: number;
  /** Responses API requests per call with analysis (the emulator's count: one per call, no retries). */
  responsesPerAnalysedCall: number;
  /** Bytes of each delivery's body as the receiver got it (the same call shape for all). */
  bodyBytes: { switchboard: number; floor: number };
  durationSeconds: number;
}

const SUBJECTS: { subject: DeliverySubject; path: string }[] = [
  { subject: 'switchboard', path: `Switchboard (switchboard dev's deliveries, poll every ${DELIVERY_POLL_MS} ms)` },
  { subject: 'switchboard-analysis', path: `Switchboard with analysis (Responses API answering after ${ANALYSIS_AFTER_MS} ms)` },
  { subject: 'floor', path: 'floor: read the call back, sign, POST with fetch' },
];

/** One DynamoDB request the dev stack's client sent (one HTTP request: a retry is another). */
interface StoreRequest {
  operation: string;
  table: string;
  index?: string;
  /** What an UpdateItem sets, for the ones on the same table. */
  what?: string;
  callId?: string;
  start: number;
  end: number;
  /** Items a Query answered. */
  count?: number;
}

interface Sample {
  subject: DeliverySubject;
  callId: string;
  /** When the closing write (LiveCallStore.finish) had returned. */
  closed: number;
  /** When the receiver had the POST (its request event: headers read). */
  arrived: number;
  /** The floor: when its read-back had returned. */
  readBack?: number;
  /** The dev stack's DynamoDB requests from the closing until the delivery was done (attempt recorded). */
  requests: StoreRequest[];
}

interface Arrival {
  at: number;
  body: string;
  headers: IncomingHttpHeaders;
}

/**
 * Call ended -> delivery at the user's endpoint, on one machine. Switchboard: `switchboard dev`'s
 * stack (startDevStack: dynalite in memory in this process, its deliveries polling every
 * DELIVERY_POLL_MS) and a number whose `notify` is a receiver on 127.0.0.1 answering 204; with
 * analysis, a number that asks for a summary and the emulated Responses API answering after
 * ANALYSIS_AFTER_MS. Each sample writes a call as the webhook and the worker leave it (the claim,
 * the answer, the lease, a few transcript entries), then its ending (the closing write), and is
 * timed from that write's return until the receiver has the POST. The floor: from the same
 * closing write, the least "read what is stored and send it" does (read the call back, sign it,
 * POST it with fetch). One call at a time, the subjects in turns in rotating order, each sample
 * after a random wait of up to one poll interval, so that closings fall anywhere between polls.
 * The dev stack's DynamoDB client is counted, request by request, to give the requests per call.
 */
export async function benchDelivery(opts: { deliveries: number }): Promise<DeliveryResult> {
  const began = Date.now();
  const arrivals = new Map<string, Arrival>();
  const waiting = new Map<string, () => void>();
  const receiver = createServer((req, res) => {
    const at = performance.now();
    const id = String(req.headers['webhook-id']);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      arrivals.set(id, { at, body, headers: req.headers });
      res.writeHead(204).end();
      waiting.get(id)?.();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/voice/calls`;

  const example = JSON.parse(readFileSync(join(__dirname, '../examples/support-line.json'), 'utf8'));
  const plain = parseNumberConfig({ ...example, number: '+17134810111', notify: { url: receiverUrl } });
  const analysed = parseNumberConfig({ ...example, number: '+17134810112', label: 'Support line, analysed', notify: { url: receiverUrl }, analysis: { summary: true } });

  const turns = Math.ceil(opts.deliveries / DELIVERY_TURN);
  const analysedTotal = (turns + 1) * ANALYSED_TURN;
  let emulator: OpenAIEmulator | undefined;
  let stack: DevStack | undefined;
  try {
    emulator = await startOpenAIEmulator({ apiKey: API_KEY });
    // Every analysis is answered after ANALYSIS_AFTER_MS (a few more than needed, in case).
    emulator.failNext('*', 'responses', { delayMs: ANALYSIS_AFTER_MS, times: analysedTotal + 10 });
    stack = await startDevStack({
      openai: { apiKey: API_KEY, baseURL: emulator.baseURL },
      webhookSecret: WEBHOOK_SECRET,
      log: silentLog,
      // A given signing secret, as the Lambda's is cached: no read of it per attempt.
      tools: { signingSecret: SIGNING_SECRET },
      deliveries: { pollMs: DELIVERY_POLL_MS },
    });
    const dev = stack;
    await dev.numbers.put(plain);
    await dev.numbers.put(analysed);
    const requests = countRequests(stackClient(dev));

    // What the webhook and the worker write, on a client of the bench's own: the stack's client
    // counts only what its deliveries do. The floor reads with the same stores, on this client.
    const db = createDocumentClient({ endpoint: dev.dynamodb.endpoint });
    const claims = new CallClaimsStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS);
    const live = new LiveCallStore(db, LOCAL_TABLE_NAMES);
    const history = new CallHistoryStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS);
    const benchRequests = countRequests(db);

    const runId = Date.now().toString(36);
    const samples: Sample[] = [];
    let seq = 0;
    let analysedRun = 0;
    const arrived = (id: string) =>
      new Promise<Arrival>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(arrivals.get(id)!);
        };
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${id}: no delivery at the receiver after ${ARRIVAL_TIMEOUT_MS} ms`));
        }, ARRIVAL_TIMEOUT_MS);
        waiting.set(id, done);
        if (arrivals.has(id)) done();
      });
    const settled = async () => {
      while (dev.deliveries!.pending() > 0) await sleep(1);
    };

    const one = async (subject: DeliverySubject, measure: boolean): Promise<void> => {
      const callId = `rtc_delivery_${runId}_${String(seq++).padStart(4, '0')}`;
      const config = subject === 'switchboard-analysis' ? analysed : plain;
      if (subject === 'switchboard-analysis') analysedRun++;
      // The floor's calls started over an hour before: out of the poll's window, so the dev
      // stack neither delivers nor reads them (the poll still runs, as it does for Switchboard).
      const startedAtMs = Date.now() - CALL_SECONDS * 1000 - (subject === 'floor' ? 2 * 3_600_000 : 0);
      await liveCall({ claims, live }, config, callId, startedAtMs);
      // The closing falls anywhere between two polls; the floor waits alike, so that each
      // subject's closing comes after the same idle moment.
      await sleep(Math.random() * DELIVERY_POLL_MS);
      const from = requests.length;
      await live.finish(callId, { outcome: 'completed', reason: 'caller-hung-up', endedAt: new Date(startedAtMs + CALL_SECONDS * 1000).toISOString(), durationSeconds: CALL_SECONDS });
      const closed = performance.now();
      const id = deliveryId(callId, 'call.ended');
      let readBack: number | undefined;
      if (subject === 'floor') {
        const record = await history.get(callId);
        readBack = performance.now();
        if (!record) throw new Error(`floor: ${callId} is not stored`);
        const sentAt = Date.now();
        const body = deliveryBody('call.ended', record, new Date(sentAt).toISOString());
        const timestamp = Math.floor(sentAt / 1000);
        const response = await fetch(receiverUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(SIGNING_SECRET, id, timestamp, body) },
          body,
        });
        await response.arrayBuffer();
      }
      const arrival = await arrived(id);
      // Done when the attempt is recorded: the next sample starts with nothing of this one in flight.
      if (subject !== 'floor') await settled();
      if (measure) samples.push({ subject, callId, closed, arrived: arrival.at, readBack, requests: requests.slice(from) });
    };
    const turn = async (subject: DeliverySubject, count: number, measure: boolean) => {
      for (let i = 0; i < count; i++) await one(subject, measure);
    };
    const turnSize = (subject: DeliverySubject, t: number) => {
      const left = opts.deliveries - t * DELIVERY_TURN;
      return subject === 'switchboard-analysis' ? Math.max(0, Math.min(ANALYSED_TURN, Math.ceil(left / 2))) : Math.min(DELIVERY_TURN, left);
    };

    // A turn of each to warm up (first connections, JIT), not counted.
    for (const { subject } of SUBJECTS) await turn(subject, subject === 'switchboard-analysis' ? ANALYSED_TURN : DELIVERY_TURN, false);
    const measuredFrom = performance.now();
    const pollsFrom = requests.length;
    // Short turns in rotating order, so whatever slows the machine over the run (dynalite's
    // growing tables, the poll reading more calls, GC) falls on all alike.
    for (let t = 0; t < turns; t++) {
      const order = SUBJECTS.map((_, i) => SUBJECTS[(i + t) % SUBJECTS.length].subject);
      for (const subject of order) await turn(subject, turnSize(subject, t), true);
    }
    const measuredFor = performance.now() - measuredFrom;

    // What arrived is what Switchboard sends: signed, and analysed where the number asks.
    const arrivalOf = (s: Sample) => arrivals.get(deliveryId(s.callId, 'call.ended'))!;
    for (const subject of ['switchboard', 'floor'] as const) {
      const first = samples.find((s) => s.subject === subject)!;
      const { body, headers } = arrivalOf(first);
      verifyWebhookSignature({ rawBody: body, headers: headers as Record<string, string>, secret: SIGNING_SECRET, nowSeconds: Math.floor(Date.now() / 1000) });
    }
    const unanalysed = samples.filter((s) => s.subject === 'switchboard-analysis' && (JSON.parse(arrivalOf(s).body) as { data: { analysis?: { status?: string } } }).data.analysis?.status !== 'done');
    if (unanalysed.length > 0) throw new Error(`${unanalysed.length} calls with analysis were delivered without a done analysis (e.g. ${unanalysed[0].callId})`);
    const responses = emulator.responsesRequests();
    if (responses.some((r) => r.status !== 200)) throw new Error('the emulated Responses API refused an analysis');

    const of = (subject: DeliverySubject) => samples.filter((s) => s.subject === subject);
    const stat = (values: number[]) => ({ p50Ms: round(percentile(values, 50), 2), p99Ms: round(percentile(values, 99), 2) });
    const subjects = SUBJECTS.map(({ subject, path }) => {
      const spans = of(subject).map((s) => s.arrived - s.closed);
      return { subject, path, samples: spans.length, ...stat(spans), maxMs: round(Math.max(...spans), 2) };
    });
    const latency = (subject: DeliverySubject) => subjects.find((s) => s.subject === subject)!;
    const floor = latency('floor');
    const comparisons = (['switchboard', 'switchboard-analysis'] as const).map((subject): DeliveryComparison => {
      const ours = latency(subject);
      const extra = subject === 'switchboard-analysis' ? ANALYSIS_AFTER_MS : 0;
      const [floorP50Ms, floorP99Ms] = [floor.p50Ms + extra, floor.p99Ms + extra];
      const afterPoll = stat(of(subject).map((s) => s.arrived - foundBy(s).poll.start));
      return {
        subject,
        floorP50Ms: round(floorP50Ms, 2),
        floorP99Ms: round(floorP99Ms, 2),
        p50DifferenceMs: round(ours.p50Ms - floorP50Ms, 2),
        p99DifferenceMs: round(ours.p99Ms - floorP99Ms, 2),
        p50RatioWithPoll: round(ours.p50Ms / (floorP50Ms + DELIVERY_POLL_MS / 2), 2),
        p99RatioWithPoll: round(ours.p99Ms / (floorP99Ms + DELIVERY_POLL_MS / 2), 2),
        p99RatioWithWholePoll: round(ours.p99Ms / (floorP99Ms + DELIVERY_POLL_MS), 2),
        afterPollP50Ms: afterPoll.p50Ms,
        afterPollP99Ms: afterPoll.p99Ms,
      };
    });

    const polls = requests.slice(pollsFrom).filter(isPoll);
    return {
      pollMs: DELIVERY_POLL_MS,
      analysisAfterMs: ANALYSIS_AFTER_MS,
      subjects,
      parts: [...(['switchboard', 'switchboard-analysis'] as const).flatMap((subject) => switchboardParts(subject, of(subject), stat)), ...floorParts(of('floor'), stat)],
      comparisons,
      requests: requestsPerThousand(of('switchboard'), of('switchboard-analysis')),
      poll: {
        queriesPerSecond: round(polls.length / (measuredFor / 1000), 1),
        ...stat(polls.map((p) => p.end - p.start)),
        callsReadP50: percentile(polls.map((p) => p.count ?? 0), 50),
        callsReadMax: Math.max(...polls.map((p) => p.count ?? 0)),
      },
      floorRequestsPerCall: round(of('floor').reduce((n, s) => n + benchRequests.filter((r) => r.callId === s.callId && r.start >= s.closed).length, 0) / of('floor').length, 2),
      responsesPerAnalysedCall: round(responses.length / analysedRun, 2),
      bodyBytes: { switchboard: Buffer.byteLength(arrivalOf(of('switchboard')[0]).body), floor: Buffer.byteLength(arrivalOf(of('floor')[0]).body) },
      durationSeconds: round((Date.now() - began) / 1000, 0),
    };
  } finally {
    await stack?.close();
    await emulator?.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

/** A call as the webhook and the worker leave it before its end: answered, queued, leased, with what was said. */
async function liveCall(stores: { claims: CallClaimsStore; live: LiveCallStore }, config: NumberConfig, callId: string, startedAtMs: number): Promise<void> {
  const startedAt = new Date(startedAtMs).toISOString();
  const claimToken = `claim_${callId}`;
  await stores.claims.create({
    callId,
    number: config.number,
    caller: CALLER,
    startedAt,
    webhookId: `wh_${callId}`,
    label: config.label,
    outcome: 'active',
    liveNumber: config.number,
    model: config.agent?.model,
    transcriptionModel: config.agent && 'transcription' in config.agent ? config.agent.transcription?.model : undefined,
    claimToken,
    claimUntil: startedAtMs + 10_000,
  });
  await stores.claims.recordAnswer(callId, claimToken, { outcome: 'active', liveNumber: config.number, label: config.label, answered: true, queued: true, decisionMs: 40 });
  await stores.live.acquireLease(callId, 'bench-worker', Date.now() + 60_000, Date.now());
  const expiresAt = Math.floor(startedAtMs / 1000) + DEFAULT_CALL_RETENTION_DAYS * 86400;
  const at = (s: number) => new Date(startedAtMs + s * 1000).toISOString();
  const lines: [role: 'agent' | 'caller', text: string][] = [
    ['agent', config.agent?.greeting ?? 'Hello.'],
    ['caller', 'Hi, my order A-1001 has not arrived yet.'],
    ['agent', 'Sorry to hear that. Let me look: it left the warehouse on Monday and should be with you on Thursday.'],
    ['caller', 'Thursday is fine. Can you send me the tracking link?'],
    ['agent', 'Of course: it is on its way to the number you are calling from. Anything else?'],
    ['caller', 'No, that is all, thanks.'],
  ];
  const items: EntryItem[] = [
    ...lines.map(([role, text], i) => transcriptItem(callId, { id: `item_${callId}_${i}`, role, text, at: at(5 + i * 25) }, expiresAt)),
    actionItem(callId, { type: 'greeting', at: at(1) }, 0, expiresAt),
    ...[0, 1, 2].map((i) => usageItem(callId, `resp_${callId}_${i}`, { inputTokens: 900 + i * 300, outputTokens: 120, totalTokens: 1020 + i * 300 }, expiresAt)),
  ];
  const left = await stores.live.writeEntries(items);
  if (left.length > 0) throw new Error(`${callId}: ${left.length} entries left unwritten`);
}

/**
 * The stack's DynamoDB client. startDevStack does not hand it out; its stores keep it (all of
 * them the same one), so the bench takes it from one of them to count what the deliveries send.
 */
function stackClient(stack: DevStack): DynamoDBDocumentClient {
  const db = (stack.calls as unknown as { db?: DynamoDBDocumentClient }).db;
  if (!db?.middlewareStack) throw new Error('the dev stack\'s CallHistoryStore no longer keeps its DynamoDB client as `db`: the delivery bench counts requests on it (bench/delivery.ts stackClient)');
  return db;
}

/**
 * Logs every request the client sends, as sent: the middleware sits after the SDK's retries, so a
 * retried request counts each time, as AWS counts it. The document client shares its middleware
 * stack with the client it wraps: every store on it is counted.
 */
function countRequests(db: DynamoDBDocumentClient): StoreRequest[] {
  const log: StoreRequest[] = [];
  db.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      const request: StoreRequest = {
        operation: String(headers['x-amz-target'] ?? '?').split('.').pop()!,
        table: String(input.TableName ?? ''),
        ...(typeof input.IndexName === 'string' && { index: input.IndexName }),
        ...(typeof input.UpdateExpression === 'string' && { what: updated(input.UpdateExpression) }),
        callId: callIdOf(input),
        start: performance.now(),
        end: 0,
      };
      try {
        const result = await next(args);
        const count = (result.output as { Count?: number } | undefined)?.Count;
        if (count !== undefined) request.count = count;
        return result;
      } finally {
        request.end = performance.now();
        log.push(request);
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchCountRequests' },
  );
  return log;
}

/** The attributes an UpdateItem sets, as the stores write them (`SET analysis = :analysis`, `SET deliveries = list_append(...)`). */
function updated(expression: string): string {
  if (/\banalysis\b/.test(expression)) return 'analysis';
  if (/\bdeliveries\b/.test(expression)) return 'deliveries';
  return expression.split(/\s+/).slice(0, 3).join(' ');
}

/** The call a request is about: its key, or the entries Query's `:c` (marshalled or not). */
function callIdOf(input: Record<string, unknown>): string | undefined {
  const value = (v: unknown) => (typeof v === 'string' ? v : (v as { S?: string } | undefined)?.S);
  const key = input.Key as Record<string, unknown> | undefined;
  const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
  return value(key?.callId) ?? value(values?.[':c']);
}

/** The local deliveries' poll: the calls of the last hour, read through the day index. */
const isPoll = (r: StoreRequest) => r.table === LOCAL_TABLE_NAMES.calls && (r.index === CALLS_TABLE.byDayIndex.name || r.index === RETIRED_BY_DAY_INDEX.name);

type Stat = (values: number[]) => { p50Ms: number; p99Ms: number };

/** The delivery's read of the record, and the poll that found the call: the last one sent before that read. */
function foundBy(s: Sample): { read: StoreRequest; poll: StoreRequest } {
  const read = s.requests.find((r) => r.operation === 'GetItem' && r.table === LOCAL_TABLE_NAMES.calls && r.callId === s.callId);
  if (!read) throw new Error(`${s.callId}: the delivery's read of the record was not seen`);
  const poll = s.requests.filter((r) => isPoll(r) && r.start <= read.start).at(-1);
  if (!poll) throw new Error(`${s.callId}: no poll before the delivery's read`);
  return { read, poll };
}

/** Where Switchboard's time goes, from the requests its deliveries sent around each sample. */
function switchboardParts(subject: DeliverySubject, samples: Sample[], stat: Stat): DeliveryPart[] {
  const spans = samples.map((s) => {
    const { read, poll } = foundBy(s);
    const config = s.requests.find((r) => r.operation === 'GetItem' && r.table === LOCAL_TABLE_NAMES.numbers && r.start >= read.start);
    if (!config) throw new Error(`${s.callId}: the delivery's read of the number's config was not seen`);
    const analysis = s.requests.find((r) => r.operation === 'UpdateItem' && r.what === 'analysis' && r.callId === s.callId);
    const beforeSending = analysis?.end ?? config.end;
    return { wait: poll.start - s.closed, poll: poll.end - poll.start, reads: config.end - poll.end, analysis: analysis && analysis.end - config.end, send: s.arrived - beforeSending };
  });
  const part = (name: string, values: number[]): DeliveryPart => ({ subject, part: name, ...stat(values) });
  return [
    part("closing written -> the poll's Query sent (the wait for the next poll)", spans.map((s) => s.wait)),
    part("the poll's Query (the calls of the last hour, newest first, at most 200)", spans.map((s) => s.poll)),
    part('Query answered -> record, entries and number config read (GetItem + Query, then GetItem)', spans.map((s) => s.reads)),
    ...(subject === 'switchboard-analysis' ? [part('config read -> analysis recorded (Responses API, UpdateItem)', spans.map((s) => s.analysis ?? NaN))] : []),
    part(`${subject === 'switchboard-analysis' ? 'analysis recorded' : 'config read'} -> POST at the receiver (body, signature, new connection, request)`, spans.map((s) => s.send)),
  ];
}

function floorParts(samples: Sample[], stat: Stat): DeliveryPart[] {
  return [
    { subject: 'floor', part: 'closing written -> record and entries read back (GetItem + Query)', ...stat(samples.map((s) => s.readBack! - s.closed)) },
    { subject: 'floor', part: 'read back -> POST at the receiver (body, signature, fetch on a pooled connection)', ...stat(samples.map((s) => s.arrived - s.readBack!)) },
  ];
}

const TABLE_ROLE: Record<string, string> = {
  [LOCAL_TABLE_NAMES.calls]: 'calls',
  [LOCAL_TABLE_NAMES.numbers]: 'numbers',
  [LOCAL_TABLE_NAMES.entries]: 'call entries',
};

/** What each DynamoDB request of a delivery is for, in words. */
function purpose(r: StoreRequest): string {
  const table = TABLE_ROLE[r.table] ?? r.table;
  if (r.operation === 'GetItem' && table === 'calls') return "the call's record (calls table, consistent read)";
  if (r.operation === 'GetItem' && table === 'numbers') return "the number's config (numbers table)";
  if (r.operation === 'Query' && table === 'call entries') return "the call's transcript, actions and usage (call entries table)";
  if (r.operation === 'UpdateItem' && r.what === 'deliveries') return 'the attempt appended to the record (calls table)';
  if (r.operation === 'UpdateItem' && r.what === 'analysis') return 'the analysis set on the record (calls table)';
  return `${table}${r.index ? ` (${r.index})` : ''}${r.what ? `: ${r.what}` : ''}`;
}

/**
 * Requests per 1,000 calls: the DynamoDB requests counted in the run (each sample's, the poll
 * left out), then what the AWS path adds that the local run cannot show, from
 * lambda/delivery/index.ts and lib/constructs/call-deliveries.ts, on full batches of
 * AWS_BATCH_SIZE and with one call per batch (low traffic, where each closing is a batch alone).
 */
function requestsPerThousand(plainSamples: Sample[], analysedSamples: Sample[]): RequestsPerThousand[] {
  const perThousand = (samples: Sample[]) => {
    const counts = new Map<string, { operation: string; what: string; count: number }>();
    for (const r of samples.flatMap((s) => s.requests.filter((q) => !isPoll(q)))) {
      const what = purpose(r);
      const key = `${r.operation} ${what}`;
      counts.set(key, { operation: r.operation, what, count: (counts.get(key)?.count ?? 0) + 1 });
    }
    return new Map([...counts].map(([key, c]) => [key, { ...c, perThousand: round((c.count / samples.length) * 1000, 0) }]));
  };
  const [without, withAnalysis] = [perThousand(plainSamples), perThousand(analysedSamples)];
  const measured = [...new Set([...without.keys(), ...withAnalysis.keys()])].map((key): RequestsPerThousand => {
    const row = without.get(key) ?? withAnalysis.get(key)!;
    const [a, b] = [without.get(key)?.perThousand ?? 0, withAnalysis.get(key)?.perThousand ?? 0];
    return { service: 'DynamoDB', operation: row.operation, what: row.what, source: 'measured', withoutAnalysis: { fullBatches: a, oneCallPerBatch: a }, withAnalysis: { fullBatches: b, oneCallPerBatch: b } };
  });
  const batches = { fullBatches: 1000 / AWS_BATCH_SIZE, oneCallPerBatch: 1000 };
  const derived: RequestsPerThousand[] = [
    // lambda/delivery/index.ts gives deliverCall a `spend` that switchboard dev does not (MonthSpendStore.add).
    { service: 'DynamoDB', operation: 'UpdateItem', what: "AWS only: the call marked as counted into its month's spend (calls table, conditional), for a call with a cost", source: 'from the code', ...sameCounts(1000) },
    { service: 'DynamoDB', operation: 'UpdateItem', what: "AWS only: the month's spend total (calls table, one item per month), for a call with a cost", source: 'from the code', ...sameCounts(1000) },
    { service: 'EventBridge Pipes', operation: '(event)', what: 'a closing that passes the filter, from the calls table\'s stream (an event, not an API request)', source: 'from the code', ...sameCounts(1000) },
    { service: 'SQS', operation: 'SendMessageBatch', what: `the pipe puts the closings on the delivery queue: Pipes uses the target's batch API, up to ${AWS_BATCH_SIZE} a request (stream batch size ${AWS_BATCH_SIZE})`, source: 'from the code', withoutAnalysis: batches, withAnalysis: batches },
    { service: 'SQS', operation: 'ReceiveMessage', what: `the Lambda's event source mapping takes a batch (up to ${AWS_BATCH_SIZE}); receives that come back empty are not per call`, source: 'from the code', withoutAnalysis: batches, withAnalysis: batches },
    { service: 'Lambda', operation: 'Invoke', what: 'one invocation per batch (by the event source mapping)', source: 'from the code', withoutAnalysis: batches, withAnalysis: batches },
    { service: 'SQS', operation: 'DeleteMessageBatch', what: "the event source mapping deletes a batch's delivered messages", source: 'from the code', withoutAnalysis: batches, withAnalysis: batches },
    { service: 'SQS', operation: 'ChangeMessageVisibility', what: 'only when an attempt will be retried (one per retry)', source: 'from the code', ...sameCounts(0) },
    { service: 'SQS', operation: 'SendMessage', what: 'to the dead-letter queue, only for a delivery given up', source: 'from the code', ...sameCounts(0) },
    { service: 'Secrets Manager', operation: 'GetSecretValue', what: 'the signing secret (and, with analysis, the OpenAI key): cached 5 min per Lambda container, so about 0 per call', source: 'from the code', ...sameCounts(0) },
  ];
  return [...measured, ...derived];
}

/** The same count in every column: nothing batched, and the same with analysis. */
const sameCounts = (n: number) => ({ withoutAnalysis: { fullBatches: n, oneCallPerBatch: n }, withAnalysis: { fullBatches: n, oneCallPerBatch: n } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (require.main === module) {
  void benchDelivery({ deliveries: Number(process.env.BENCH_DELIVERIES ?? 200) }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
