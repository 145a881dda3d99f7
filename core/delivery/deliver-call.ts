import type { NumbersStore } from '../store/numbers-store';
import type { CallHistoryStore } from '../store/call-history-store';
import type OpenAI from 'openai';
import type { CallRecord } from '../calls/record';
import type { NumberNotify } from '../numbers/config';
import type { MonthSpendStore } from '../store/month-spend-store';
import { analyseCall } from '../analysis/analyse-call';
import { needsAnalysis } from '../analysis/analysis-plan';
import type { CallAnalysisStore } from '../store/call-analysis-store';
import type { CallDeliveriesStore } from '../store/call-deliveries-store';
import { checkEndpointUrl, type AddressPolicy } from '../outbound/address';
import { post, refusalDetail, refusedLiteral, resolveAll, signedJsonHeaders, type ResolvedAddress, type Sent } from '../outbound/post';
import type { Log } from '../runtime/log';
import {
  afterAttempt,
  alreadyDelivered,
  deliveryBody,
  deliveryId,
  DELIVERY_EVENTS,
  eventOfOutcome,
  type AttemptResult,
  type DeliveryAttempt,
  type DeliveryEvent,
} from './delivery-plan';

/**
 * Delivers one finished call to its number's `notify` endpoint, from what is stored (the record
 * and its entries), never from a worker's memory: a worker that died as the call ended loses
 * nothing. One attempt per call of this function; the host (the delivery Lambda's SQS queue,
 * `switchboard dev`'s in-process queue) waits and calls again when it says `retry`.
 */

/** What the delivery queue carries: from the calls table's stream (the new outcome), or a redelivery. */
export interface DeliveryMessage {
  callId: string;
  event: DeliveryEvent;
  /** `switchboard calls redeliver`: sent even when delivered before. */
  redelivery?: boolean;
}

/** A queue message's body as a delivery, or undefined for one that is not. */
export function readDeliveryMessage(body: string): DeliveryMessage | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { callId, outcome, event, redelivery } = doc as Record<string, unknown>;
  if (typeof callId !== 'string' || callId === '') return undefined;
  const named = DELIVERY_EVENTS.find((e) => e === event) ?? eventOfOutcome(typeof outcome === 'string' ? outcome : undefined);
  if (!named) return undefined;
  return { callId, event: named, ...(redelivery === true && { redelivery: true }) };
}

export interface DeliveryServices {
  calls: Pick<CallHistoryStore, 'get'>;
  numbers: Pick<NumbersStore, 'get'>;
  attempts: Pick<CallDeliveriesStore, 'record'>;
  analyses: Pick<CallAnalysisStore, 'record'>;
  /** The stack's `notify`, for numbers without their own (lib/settings.ts notifyUrl). */
  defaultNotify?: NumberNotify;
  /** Counts each ended call's cost into its month once, and is told the month's total (the budget alarm's metric). Absent locally. */
  spend?: { store: Pick<MonthSpendStore, 'add'>; onTotal: (month: string, usd: number) => void };
  /** For numbers with `analysis`: the Responses API. Absent where it is not set up (the analysis is then recorded as failed). */
  openai?: Pick<OpenAI, 'responses'>;
  /** The stack's signing secret (`whsec_...`), the one tool calls are signed with; asked on every attempt (the host caches it). */
  signingSecret: () => Promise<string>;
  /** Whether an endpoint may be this machine without `allowPrivateNetwork`: true for `switchboard dev`. */
  allowLoopback: boolean;
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  log: Log;
  /** How long one attempt may take. @default DELIVERY_TIMEOUT_MS */
  timeoutMs?: number;
  /** Shortens the retry schedule (local testing). @default 1 */
  backoffScale?: number;
  now?: () => number;
}

export const DELIVERY_TIMEOUT_MS = 10_000;

/** Adds an ended call's cost (once analysed, so the analysis is in it) to the month it started in; an unpriced call adds nothing. */
async function countSpend(record: CallRecord, spend: NonNullable<DeliveryServices['spend']>, log: Log): Promise<void> {
  const usd = record.cost?.totalUsd;
  if (usd === undefined || usd === 0) return;
  const month = record.startedAt.slice(0, 7);
  try {
    const total = await spend.store.add(record.callId, month, usd);
    if (total !== undefined) spend.onTotal(month, total);
  } catch (error) {
    // An estimate for the budget alarm: never a reason to hold back the delivery.
    log.warn('could not add the call to the month\'s spend', { error });
  }
}
/** The most of an endpoint's answer read: only its status matters. */
const ANSWER_MAX_BYTES = 64 * 1024;

export type DeliveryStep =
  | { kind: 'done'; outcome: 'delivered' | 'gave-up' | 'duplicate' | 'not-subscribed' | 'no-record' }
  | { kind: 'retry'; delaySeconds: number };

/**
 * What follows a call's end, in order: its analysis, when the number asks for one (the delivery
 * waits for it, MAX_ANALYSIS_ATTEMPTS at most, then goes without it, the record saying why), then
 * its delivery. `attempt` counts both: the analysis's retries are the same message's.
 */
export async function deliverCall(message: DeliveryMessage, attempt: number, deps: DeliveryServices): Promise<DeliveryStep> {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ callId: message.callId, event: message.event, attempt });
  const record = await deps.calls.get(message.callId);
  if (!record) {
    log.warn('no record for the delivery (expired, or never stored): nothing to deliver');
    return { kind: 'done', outcome: 'no-record' };
  }
  const config = (await deps.numbers.get(record.number))?.config;
  // A redelivery sends the call as it is: its analysis was settled the first time.
  if (config?.analysis && message.event === 'call.ended' && !message.redelivery && needsAnalysis(record)) {
    const step = deps.openai
      ? await analyseCall(record, config.analysis, attempt, deps.openai, now)
      : { kind: 'done' as const, analysis: { status: 'failed' as const, model: config.analysis.model, at: new Date(now()).toISOString(), attempts: attempt, error: 'analysis is not set up on this host (no OpenAI client)' } };
    record.analysis = step.analysis;
    await deps.analyses.record(message.callId, step.analysis).catch((error: unknown) => log.error('could not record the analysis', { error }));
    if (step.analysis.status === 'done') log.info('call analysed', { model: step.analysis.model });
    else log.warn(step.kind === 'retry' ? 'analysis failed; will retry before delivering' : 'analysis failed; delivering without it', { error: step.analysis.error });
    if (step.kind === 'retry') return { kind: 'retry', delaySeconds: step.delaySeconds * (deps.backoffScale ?? 1) };
  }
  if (deps.spend && message.event === 'call.ended' && !message.redelivery) await countSpend(record, deps.spend, log);
  const notify = config?.notify ?? deps.defaultNotify;
  if (!notify || !notify.events.includes(message.event)) return { kind: 'done', outcome: 'not-subscribed' };
  if (!message.redelivery && alreadyDelivered(record, message.event)) return { kind: 'done', outcome: 'duplicate' };

  const startedAt = now();
  const finish = async (result: AttemptResult, status?: number): Promise<DeliveryStep> => {
    const next = afterAttempt(result, attempt, now(), deps.backoffScale ?? 1);
    const recorded: DeliveryAttempt = {
      event: message.event,
      attempt,
      at: new Date(startedAt).toISOString(),
      outcome: next.kind === 'delivered' ? 'delivered' : next.kind === 'retry' ? 'will-retry' : 'gave-up',
      ...(status !== undefined && { status }),
      ...(next.kind !== 'delivered' && { error: next.error }),
      durationMs: now() - startedAt,
      ...(next.kind === 'retry' && { retryAt: new Date(now() + next.delaySeconds * 1000).toISOString() }),
      ...(message.redelivery && { redelivery: true }),
    };
    // The attempt is on the record for `calls show`; failing to write it must not undo a delivery.
    await deps.attempts.record(message.callId, recorded).catch((error: unknown) => log.error('could not record the delivery attempt', { error }));
    if (next.kind === 'delivered') log.info('call delivered', { status, durationMs: recorded.durationMs });
    else log.warn(next.kind === 'retry' ? 'delivery failed; will retry' : 'delivery given up', { status, error: next.error, ...(next.kind === 'retry' && { delaySeconds: next.delaySeconds }) });
    return next.kind === 'retry' ? { kind: 'retry', delaySeconds: next.delaySeconds } : { kind: 'done', outcome: next.kind === 'delivered' ? 'delivered' : 'gave-up' };
  };

  // Checked at delivery time too: a config stored before a rule existed still meets it.
  const checked = checkEndpointUrl(notify.url, 'the notify url');
  if (!checked.ok) return finish({ kind: 'refused', detail: checked.problem });
  const { url } = checked;
  const policy: AddressPolicy = { allowLoopback: deps.allowLoopback, allowPrivateNetwork: notify.allowPrivateNetwork };
  const refused = refusedLiteral(url, policy, 'notify endpoint');
  if (refused) return finish({ kind: 'refused', detail: refused });
  let secret: string;
  try {
    secret = await deps.signingSecret();
  } catch (error) {
    // Retried: a secret store that failed for a moment, or a secret stored meanwhile, works next time.
    return finish({ kind: 'unreachable', detail: `the signing secret could not be read (${(error as Error).message}); nothing was sent` });
  }

  const body = deliveryBody(message.event, record, new Date(startedAt).toISOString());
  const id = deliveryId(message.callId, message.event);
  let headers: Record<string, string>;
  try {
    headers = signedJsonHeaders(secret, id, Math.floor(startedAt / 1000), body);
  } catch (error) {
    return finish({ kind: 'unreachable', detail: `the signing secret is not usable (${(error as Error).message}); nothing was sent` });
  }
  const sent: Sent = await post({ url, headers, body, policy, resolve: deps.resolve ?? resolveAll, maxBytes: ANSWER_MAX_BYTES }, deps.timeoutMs ?? DELIVERY_TIMEOUT_MS);
  switch (sent.kind) {
    case 'answered':
      return finish({ kind: 'answered', status: sent.status, ...(sent.retryAfter && { retryAfter: sent.retryAfter }) }, sent.status);
    case 'too-large':
      // The endpoint answered; a long body does not make a delivery fail.
      return finish({ kind: 'answered', status: sent.status }, sent.status);
    case 'timeout':
      return finish({ kind: 'timeout' }, sent.status);
    case 'refused':
      return finish({ kind: 'refused', detail: refusalDetail(url, sent.address, sent.cls, 'notify endpoint') });
    case 'failed':
      return finish({ kind: 'unreachable', detail: `${sent.code}: ${sent.message}` });
  }
}
