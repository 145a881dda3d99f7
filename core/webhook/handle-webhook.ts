import { randomUUID } from 'node:crypto';
import { APIError } from 'openai';
import type OpenAI from 'openai';
import { isAlreadyAccepted, isCallGone, requestMayHaveLanded } from '../openai/call-control';
import { dayOf } from '../openai/models';
import { greetingFor, rejectedBeforeLookup, routeCall, type AcceptDecision, type Decision } from '../calls/route';
import type { LookupRecord } from '../calls/lookup';
import { engineOf, type Engine, type NumberConfig } from '../numbers/config';
import { isCallId, UNKNOWN_NUMBER } from '../calls/record';
import { parseCallParties, sipCallIdOf, type SipHeader } from '../calls/sip-headers';
import type { NumbersStore } from '../store/numbers-store';
import type { CallClaims, NewCall } from '../store/call-claims-store';
import type { StoredCall } from '../store/stored-call';
import type { CallQueue } from '../queue/call-queue';
import type { Log } from '../runtime/log';
import type { SecretProvider } from './secret-provider';
import { runLookup, type LookupHost } from './lookup';
import { headerValue, verifyWithSecretProvider, WebhookSecretFormatError, WebhookSignatureError } from './signature';

export interface WebhookRequest {
  /** The body exactly as received (decoded from base64 if the host delivered it so). */
  body: string;
  headers: Record<string, string | undefined>;
}

export interface WebhookResponse {
  status: number;
  body: string;
}

/** What happened to one webhook delivery: logged as one line and turned into metrics. */
export interface WebhookSummary {
  result:
    | 'accepted'
    | 'rejected'
    | 'missed'
    | 'failed'
    | 'accept-unconfirmed'
    | 'duplicate'
    | 'in-progress'
    | 'ignored'
    | 'other-engine'
    | 'unauthorized'
    | 'bad-request'
    | 'retry-later';
  status: number;
  callId?: string;
  number?: string;
  caller?: string;
  eventType?: string;
  webhookId?: string;
  /** The SIP Call-ID, which ties an offer the other engine answers to its call. */
  sipCallId?: string;
  reason?: string;
  rejectStatus?: number;
  /** Milliseconds from receipt of the webhook to OpenAI's answer to accept or reject. */
  decisionMs?: number;
  /** Milliseconds from receipt to our answer. */
  handlingMs: number;
  /** How the number's lookup went, when it has one. */
  lookup?: LookupRecord['status'];
  lookupMs?: number;
}

export interface WebhookDependencies {
  secrets: SecretProvider;
  numbers: Pick<NumbersStore, 'get'>;
  /** The calls' records, as the webhook claims and decides them. */
  calls: CallClaims;
  /** Call control of both engines: a number's engine answers its calls (`realtime.calls`, `live.sessions`). */
  openai: Pick<OpenAI, 'realtime' | 'live'>;
  queue: CallQueue;
  log: Log;
  /** Called once per delivery, after the log line (the Lambda turns it into metrics). */
  onHandled?: (summary: WebhookSummary) => void;
  now?: () => number;
  /** How long a handler may hold a call before a retry may take it over; above the host's own timeout. */
  claimSeconds?: number;
  /** Where numbers' lookups may reach (signed with a secret derived from `secrets`). @default no loopback: as in AWS */
  lookups?: Pick<LookupHost, 'allowLoopback' | 'resolve'>;
}

type Summary = Omit<WebhookSummary, 'handlingMs'>;

/** An incoming call being decided. */
interface Pending {
  callId: string;
  number: string;
  caller: string;
  config: NumberConfig | undefined;
  receivedAt: number;
  /** Which API offered the call: the id is a Realtime call's (`rtc_`) or a Live session's (`live_`). */
  engine: Engine;
  /** The words the worker greets with, once the call is decided. */
  greeting?: string;
}

/**
 * The incoming-call events, by the API that sends them. One SIP call can be offered to both, with
 * different ids; "the first successful Realtime or Live accept endpoint selects the runtime
 * surface" (the `openai` SDK's webhook reference). `live.call.incoming` is the deprecated name
 * of `live.transport.incoming`, still sent to older subscriptions.
 */
const INCOMING_CALL: Readonly<Record<string, Engine>> = {
  'realtime.call.incoming': 'realtime',
  'live.transport.incoming': 'live',
  'live.call.incoming': 'live',
};

/**
 * An incoming-call webhook carries the INVITE's headers: a few KiB. Anything far larger is
 * refused before its signature is computed, so a stranger cannot make every host hash megabytes.
 */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/**
 * The webhook path, shared by the Lambda and the local server: verify, claim the call, decide,
 * answer OpenAI, hand an accepted call to the worker. Exactly one accept per call however often
 * and however concurrently OpenAI delivers the webhook; a non-2xx answer whenever a retry could
 * still do better, with the record left so that the retry can finish the job.
 */
export function createWebhookHandler(deps: WebhookDependencies): (request: WebhookRequest) => Promise<WebhookResponse> {
  const now = deps.now ?? Date.now;
  const claimMs = (deps.claimSeconds ?? 20) * 1000;
  const lookupHost = { webhookSecret: deps.secrets, allowLoopback: false, ...deps.lookups };

  async function handle(request: WebhookRequest, receivedAt: number): Promise<Summary> {
    const webhookId = headerValue(request.headers, 'webhook-id');
    if (Buffer.byteLength(request.body, 'utf8') > MAX_WEBHOOK_BODY_BYTES) return { result: 'bad-request', status: 413, reason: 'body-too-large', webhookId };
    try {
      await verifyWithSecretProvider({ rawBody: request.body, headers: request.headers, secrets: deps.secrets, nowSeconds: Math.floor(now() / 1000) });
    } catch (err) {
      if (err instanceof WebhookSignatureError) return { result: 'unauthorized', status: 401, reason: err.reason, webhookId };
      if (err instanceof WebhookSecretFormatError) {
        deps.log.error('webhook secret is misconfigured', { error: err.message });
        return { result: 'retry-later', status: 500, reason: 'webhook-secret-misconfigured', webhookId };
      }
      throw err;
    }

    // Signed but malformed: no retry can fix it, so 400 (a 5xx would be retried for 72 hours).
    let event: unknown;
    try {
      event = JSON.parse(request.body);
    } catch {
      return { result: 'bad-request', status: 400, reason: 'body-not-json', webhookId };
    }
    if (!isObject(event)) return { result: 'bad-request', status: 400, reason: 'body-not-an-event', webhookId };
    const eventType = String(event.type);
    const engine = Object.hasOwn(INCOMING_CALL, eventType) ? INCOMING_CALL[eventType] : undefined;
    const data = isObject(event.data) ? event.data : {};
    // Live also announces WebRTC sessions; only SIP calls are Switchboard's.
    if (!engine || (eventType === 'live.transport.incoming' && data.type !== 'sip')) return { result: 'ignored', status: 200, eventType, webhookId };
    const callId = engine === 'live' ? data.session_id : data.call_id;
    if (!isCallId(callId) || !callId.startsWith(engine === 'live' ? 'live_' : 'rtc_')) return { result: 'bad-request', status: 400, reason: 'invalid-call-id', webhookId };
    if (!isSipHeaderList(data.sip_headers)) return { result: 'bad-request', status: 400, reason: 'invalid-sip-headers', webhookId };

    const parties = parseCallParties(data.sip_headers);
    const sipCallId = sipCallIdOf(data.sip_headers);
    const number = parties.dialed ?? UNKNOWN_NUMBER;
    const base = { callId, number, caller: parties.caller, webhookId, eventType };

    const stored = parties.dialed ? await deps.numbers.get(number) : undefined;
    const answeredBy = engineOf(stored?.config.agent);
    // The number's engine answers; the other API's offer of the same SIP call is only acknowledged:
    // rejecting it could turn away the call the other API is about to accept.
    if (engine !== answeredBy) {
      if (sipCallId) await noteOtherEngineOffer(sipCallId, callId, receivedAt);
      return { ...base, result: 'other-engine', status: 200, reason: `answered-by-${answeredBy}`, ...(sipCallId && { sipCallId }) };
    }
    const call: Pending = { callId, number, caller: parties.caller, config: stored?.config, receivedAt, engine };
    const lookup = call.config?.lookup && !rejectedBeforeLookup(call, call.config)
      ? runLookup(call.config.lookup, { callId, number, caller: parties.caller, sipHeaders: data.sip_headers }, { ...lookupHost, log: deps.log })
      : undefined;
    const { decision, lookup: looked } = await decide(call, lookup);
    const lookupSummary = looked && { lookup: looked.status, lookupMs: looked.durationMs };
    // The claim records the decision before OpenAI hears it, so a retry that finds the claim
    // abandoned knows whether an accept may have been sent.
    const claimToken = randomUUID();
    const claim = await deps.calls.create({
      callId,
      number,
      caller: parties.caller,
      startedAt: new Date(receivedAt).toISOString(),
      webhookId: webhookId ?? '',
      ...(call.config?.label && { label: call.config.label }),
      ...(engine === 'live' && { engine }),
      ...(sipCallId && { sipCallId }),
      ...(looked && { lookup: looked }),
      ...(decision.kind === 'accept'
        ? {
            outcome: 'active',
            liveNumber: number,
            ...modelsOf(decision),
          }
        : { outcome: 'rejected', reason: decision.reason, rejectStatus: decision.status }),
      claimToken,
      claimUntil: receivedAt + claimMs,
    });
    if (!claim.created) return { ...base, ...lookupSummary, ...(await resume(claim.existing, call)) };
    if (decision.kind === 'accept') call.greeting = decision.greeting;
    return { ...base, ...lookupSummary, ...(await answer(call, claimToken, decision)) };
  }

  /**
   * Kept for the answered call's record to name. Failing to keep it is logged, and the offer is
   * still acknowledged: a non-2xx answer to it would be retried for no gain to the call.
   */
  async function noteOtherEngineOffer(sipCallId: string, offerId: string, receivedAt: number): Promise<void> {
    try {
      await deps.calls.recordOtherEngineOffer(sipCallId, offerId, receivedAt);
    } catch (err) {
      deps.log.warn("could not record the other engine's offer of the call", { callId: offerId, sipCallId, error: err });
    }
  }

  /** The decision, and what the lookup (running meanwhile, or recorded by an earlier delivery) answered. */
  async function decide(call: Pending, lookup: Promise<LookupRecord> | LookupRecord | undefined): Promise<{ decision: Decision; lookup?: LookupRecord }> {
    // Counting live calls costs a query, so only numbers with a cap pay for it; it runs while the lookup waits.
    const [live, looked] = await Promise.all([
      call.config?.limits.maxConcurrentCalls !== undefined ? deps.calls.countLive(call.number, call.receivedAt) : 0,
      lookup,
    ]);
    const decision = routeCall(call, call.config, live, dayOf(new Date(call.receivedAt)), looked);
    const agent = call.config?.agent;
    if (decision.kind === 'accept' && decision.engine === 'realtime' && agent && agent.engine !== 'live' && (decision.session.model !== agent.model || decision.session.audio?.input?.transcription?.model !== agent.transcription.model)) {
      deps.log.warn("the number's config names a model OpenAI has shut down: answering with its replacement; update the config", {
        number: call.number,
        configured: { model: agent.model, transcription: agent.transcription.model },
        answeredWith: { model: decision.session.model, transcription: decision.session.audio?.input?.transcription?.model },
      });
    }
    return { decision, lookup: looked };
  }

  /** Sends the decision to OpenAI and records the result; called with the claim held. */
  async function answer(call: Pending, claimToken: string, decision: Decision): Promise<Summary> {
    const { callId } = call;
    const label = call.config?.label;
    if (decision.kind === 'reject') {
      try {
        if (call.engine === 'live') await deps.openai.live.sessions.reject(callId, { status_code: decision.status });
        else await deps.openai.realtime.calls.reject(callId, { status_code: decision.status });
      } catch (err) {
        if (!isCallGone(err)) return giveBack(callId, claimToken, 'reject', err);
      }
      const decisionMs = now() - call.receivedAt;
      await deps.calls.recordAnswer(callId, claimToken, { outcome: 'rejected', reason: decision.reason, rejectStatus: decision.status, label, answered: true, decisionMs });
      return { result: 'rejected', status: 200, reason: decision.reason, rejectStatus: decision.status, decisionMs };
    }

    try {
      if (decision.engine === 'live') await deps.openai.live.sessions.accept(callId, decision.session);
      else await deps.openai.realtime.calls.accept(callId, decision.session);
    } catch (err) {
      const decisionMs = now() - call.receivedAt;
      const ended = { answered: true, label, decisionMs, endedAt: new Date(now()).toISOString() };
      if (isCallGone(err)) {
        await deps.calls.recordAnswer(callId, claimToken, { outcome: 'missed', reason: 'caller-hung-up', ...ended });
        return { result: 'missed', status: 200, reason: 'caller-hung-up', decisionMs };
      }
      // An accept of ours landed before this one (a request that timed out, or another host's):
      // the caller is answered, so the call must reach a worker, never be recorded as refused.
      if (isAlreadyAccepted(err)) return handOver(call, claimToken, { decisionMs });
      if (err instanceof APIError && (err.status === 400 || err.status === 422)) {
        // Retrying the same session config cannot succeed; the number's config needs fixing.
        const reason = `accept-refused: ${err.message}`;
        deps.log.error('OpenAI refused the session config', { callId, number: call.number, status: err.status, error: err.message });
        await deps.calls.recordAnswer(callId, claimToken, { outcome: 'failed', reason, ...ended });
        return { result: 'failed', status: 200, reason, decisionMs };
      }
      if (requestMayHaveLanded(err)) {
        // OpenAI may have accepted: never accept twice; the worker learns the truth on the sideband.
        return handOver(call, claimToken, { acceptUnconfirmed: true, decisionMs });
      }
      return giveBack(callId, claimToken, 'accept', err);
    }
    return handOver(call, claimToken, { decisionMs: now() - call.receivedAt });
  }

  /** Records the call as live and queues it for a worker. */
  async function handOver(call: Pending, claimToken: string, opts: { acceptUnconfirmed?: boolean; decisionMs?: number }): Promise<Summary> {
    const { callId, number } = call;
    const [answerRecorded, queued] = await Promise.allSettled([
      deps.calls.recordAnswer(callId, claimToken, {
        outcome: 'active',
        liveNumber: number,
        label: call.config?.label,
        answered: true,
        queued: true,
        decisionMs: opts.decisionMs,
        acceptUnconfirmed: opts.acceptUnconfirmed,
      }),
      deps.queue.enqueue({
        callId,
        number,
        ...(call.engine === 'live' && { engine: 'live' as const }),
        config: call.config,
        ...(call.greeting !== undefined && { greeting: call.greeting }),
        ...(opts.acceptUnconfirmed && { acceptUnconfirmed: true }),
      }),
    ]);
    if (queued.status === 'rejected') {
      deps.log.error('could not queue the call for a worker; OpenAI will retry the webhook', { callId, number, error: queued.reason });
      await deps.calls.recordAnswer(callId, claimToken, { outcome: 'active', liveNumber: number, answered: true, queued: false }).catch((err: unknown) => {
        deps.log.error('could not record the failed hand-over', { callId, error: err });
      });
      return { result: 'retry-later', status: 503, reason: 'queue-unavailable', decisionMs: opts.decisionMs };
    }
    if (answerRecorded.status === 'rejected') throw answerRecorded.reason;
    return opts.acceptUnconfirmed
      ? { result: 'accept-unconfirmed', status: 200, reason: 'accept-unconfirmed', decisionMs: opts.decisionMs }
      : { result: 'accepted', status: 200, decisionMs: opts.decisionMs };
  }

  /** OpenAI failed in a way a retry may not: delete the unanswered record so the webhook's retry decides afresh. */
  async function giveBack(callId: string, claimToken: string, verb: string, err: unknown): Promise<Summary> {
    deps.log.error(`OpenAI ${verb} failed; OpenAI will retry the webhook`, { callId, status: err instanceof APIError ? err.status : undefined, error: err });
    await deps.calls.deleteUnanswered(callId, claimToken);
    return { result: 'retry-later', status: 502, reason: `${verb}-failed${err instanceof APIError && err.status ? `-${err.status}` : ''}` };
  }

  /** Another delivery of a call we have seen. */
  async function resume(existing: StoredCall, call: Pending): Promise<Summary> {
    const live = existing.outcome === 'active';
    if (existing.answered && (!live || existing.queued)) return { result: 'duplicate', status: 200, reason: existing.outcome };
    if ((existing.claimUntil ?? 0) > call.receivedAt) return { result: 'in-progress', status: 409 };
    const claimToken = randomUUID();
    if (!(await deps.calls.takeOver(existing.callId, existing.claimToken, claimToken, call.receivedAt + claimMs))) {
      return { result: 'in-progress', status: 409 };
    }
    // The record, not this delivery, says when the call started and who it is.
    const recorded: Pending = { ...call, number: existing.number, caller: existing.caller, receivedAt: Date.parse(existing.startedAt) };
    recorded.greeting = greetingFor(recorded, recorded.config, existing.lookup);
    if (existing.answered) return handOver(recorded, claimToken, {});
    if (live) {
      // The handler that claimed this call decided to accept and stopped without recording what
      // OpenAI answered: it may have accepted. Never accept twice; the worker finds out on the sideband.
      deps.log.warn('taking over a call whose accept may have been sent', { callId: existing.callId });
      return handOver(recorded, claimToken, { acceptUnconfirmed: true });
    }
    // Only a rejection was decided, and rejecting twice is harmless: decide again, on what the
    // lookup answered then (asking it again could accept a call it turned away).
    return answer(recorded, claimToken, (await decide(recorded, existing.lookup)).decision);
  }

  return async (request) => {
    const receivedAt = now();
    let summary: Summary;
    try {
      summary = await handle(request, receivedAt);
    } catch (err) {
      deps.log.error('webhook failed; OpenAI will retry it', { error: err });
      summary = { result: 'retry-later', status: 503, reason: 'internal-error' };
    }
    const complete: WebhookSummary = { ...summary, handlingMs: now() - receivedAt };
    deps.log.info('webhook', { ...complete });
    deps.onHandled?.(complete);
    return { status: complete.status, body: JSON.stringify({ result: complete.result, ...(complete.reason && { reason: complete.reason }) }) };
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSipHeaderList(value: unknown): value is SipHeader[] {
  return Array.isArray(value) && value.every((header) => isObject(header) && typeof header.name === 'string' && typeof header.value === 'string');
}

/** The models an accepted call is answered with, for its record (and its cost). */
function modelsOf(decision: AcceptDecision): Pick<NewCall, 'model' | 'transcriptionModel' | 'backendModel'> {
  if (decision.engine === 'live') {
    const { model, delegation } = decision.session.session;
    return { model, ...(delegation?.type === 'responses' && { backendModel: delegation.responses.model }) };
  }
  const transcriptionModel = decision.session.audio?.input?.transcription?.model;
  return { ...(decision.session.model && { model: decision.session.model }), ...(transcriptionModel && { transcriptionModel }) };
}
