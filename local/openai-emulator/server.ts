/**
 * One HTTP server on 127.0.0.1 hosting call control and the Responses API (REST) and the sideband
 * (WebSocket upgrade on the same port), plus the webhook sender that announces calls placed with
 * `placeCall()`. Calls are offered to the Realtime API, the Live API (GPT-Live), or both: one SIP
 * call with two ids, whichever API accepts first runs it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { handleCallControl } from './call-control';
import type { ReceivedRequest } from './control-request';
import type { SipHeader } from '../../core/calls/sip-headers';
import { Call, type CallState, type Surface, type WebhookAttempt } from './calls';
import { Faults, type Fault, type ResponsesFault, type Verb } from './faults';
import { newId } from './ids';
import { buildIncomingCallEvent, buildLiveIncomingEvent, sipHeadersFor, type LiveIncomingEventType } from './incoming-call';
import { handleLiveCallControl, LiveSession } from './live-sessions';
import { handleLiveUpgrade } from './live-sideband';
import { TIMING, type ConversationScript, type Timing } from './scripts';
import type { ServerEvent } from './events';
import { handleResponses, type ResponsesRequest } from './responses';
import { handleUpgrade } from './sideband';
import { Timers } from './timers';
import { OPENAI_RETRY_SCHEDULE_MS, WebhookSender } from './webhook-sender';

export interface EmulatorOptions {
  /** The bearer token it accepts. */
  apiKey: string;
  /** Default 0 (ephemeral); the host is always 127.0.0.1. */
  port?: number;
  /** Where to send the incoming-call webhooks; `secret` is `whsec_` + base64 key. Without it, calls are only placed. */
  webhook?: { url: string; secret: string };
  /** Delays between webhook delivery attempts; default OpenAI's (5 s, 5 min, 30 min, ... up to ~72 h). */
  retrySchedule?: number[];
  /** A delivery slower than this counts as failed. Default 5000. */
  webhookTimeoutMs?: number;
  /** Script pace: `fast` (default, tests and benchmarks), `realistic` (the demo), or explicit. */
  timing?: keyof typeof TIMING | Timing;
  /** The project in the generated `To` header. Default `proj_switchboardemulator`. */
  projectId?: string;
  /** Told the moment a call-control request arrives, before it is answered (with the Live session id for the Live API). */
  onCallControl?: (callId: string, verb: Verb) => void;
  /** Told of every sideband event the moment it is sent (Live events with the session id). */
  onServerEvent?: (callId: string, event: ServerEvent) => void;
  /** Told of every client event the moment it arrives on a sideband (parsed; the raw text when not JSON), before it is acted on. */
  onClientEvent?: (callId: string, event: unknown) => void;
}

export interface PlaceCallOptions {
  /** Default `rtc_` + random hex. */
  callId?: string;
  /** Digits or E.164; goes in `x-number` as digits without `+`. */
  dialed: string;
  /** E.164 or `anonymous`; goes in `From`. */
  caller: string;
  /** Replaces the generated headers entirely. */
  sipHeaders?: SipHeader[];
  /** What happens on the sideband once accepted; default none (the call just stays live). */
  script?: ConversationScript;
  /** Deliver the same webhook (same `webhook-id`) this many times concurrently. Default 1. */
  duplicateDeliveries?: number;
  /** The caller gives up before the webhook arrives: the call is `missed` and `/accept` answers 404. */
  hangUpWhileRinging?: boolean;
  /**
   * The APIs the call is offered to, in the order their webhooks go out: `realtime.call.incoming`
   * (`call_id` `rtc_...`) and `live.transport.incoming` (`session_id` `live_...`), one SIP call
   * with the same SIP headers. Default `['realtime']`. The first accept through either API selects
   * the one that runs the call; the other then refuses accept and reject.
   */
  offer?: readonly Surface[];
  /** Default `live_` + random hex. */
  liveSessionId?: string;
  /** The Live webhook: `live.transport.incoming` (default) or the deprecated `live.call.incoming` (no `data.type`). */
  liveEvent?: LiveIncomingEventType;
}

/** One incoming-call webhook announced for a call. */
export interface AnnouncedWebhook {
  surface: Surface;
  type: 'realtime.call.incoming' | LiveIncomingEventType;
  /** The id the webhook gives: the call's `call_id` or its Live `session_id`. */
  id: string;
  webhookId: string;
  /** The exact body delivered. */
  body: string;
  /** The first attempt of each copy (empty without a webhook target). */
  firstAttempts: WebhookAttempt[];
}

export interface PlacedCall {
  /** The Realtime `call_id` (for a call offered only to Live, one no webhook announced). */
  callId: string;
  /** The Live `session_id`, when the call was offered to Live. */
  liveSessionId?: string;
  /** `webhookId`, `body` and `firstAttempts` are those of the first webhook in `offer` order (the only one by default). */
  webhookId: string;
  sipHeaders: SipHeader[];
  /** The exact webhook body delivered. */
  body: string;
  /** The first attempt of each copy (empty without a webhook target). */
  firstAttempts: WebhookAttempt[];
  /** Every webhook announced for the call, in `offer` order. */
  webhooks: AnnouncedWebhook[];
}

export interface OpenAIEmulator {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `url + '/v1'`: what `new OpenAI({ baseURL })` / `OPENAI_BASE_URL` take. */
  readonly baseURL: string;
  /**
   * Creates a ringing call and delivers its signed webhooks, one after the other in `offer` order:
   * each goes out once every copy of the one before had its first attempt answered or timed out.
   * Resolves once the last one's did.
   */
  placeCall(call: PlaceCallOptions): Promise<PlacedCall>;
  /** Every call-control request for the id (a `call_id` or a Live `session_id`), refused ones included, in the order answered. */
  received(callId: string): ReceivedRequest[];
  /** Every client event received on the sideband sockets of that id (the Realtime or the Live one), in order. */
  clientEvents(callId: string): unknown[];
  /** The call, by its `call_id` or its Live `session_id`. */
  call(callId: string): CallState | undefined;
  /** Injects failures into the next matching call-control request(s), by `call_id` or Live `session_id`; see `Fault`. */
  failNext(callId: string | '*', verb: Verb, fault: Fault): void;
  /** Injects failures into the next `POST /v1/responses` request(s) (always key `'*'`); see `ResponsesFault`. */
  failNext(callId: '*', verb: 'responses', fault: ResponsesFault): void;
  /** Every `POST /v1/responses` request, refused ones included, in the order answered. */
  responsesRequests(): ResponsesRequest[];
  /** Every delivery attempt of the webhook that announced this id (the Realtime or the Live one), in order. */
  webhookAttempts(callId: string): WebhookAttempt[];
  /**
   * The caller hangs up (by either id): Realtime sockets die without a close frame (1006); a Live
   * session says `session.closed` (`remote_hangup`) and closes. Later call control gets 404.
   */
  endCall(callId: string, how?: 'caller-hangup'): void;
  close(): Promise<void>;
}

export async function startOpenAIEmulator(opts: EmulatorOptions): Promise<OpenAIEmulator> {
  const timing = typeof opts.timing === 'object' ? opts.timing : TIMING[opts.timing ?? 'fast'];
  const projectId = opts.projectId ?? 'proj_switchboardemulator';
  const calls = new Map<string, Call>();
  const liveSessions = new Map<string, LiveSession>();
  const received = new Map<string, ReceivedRequest[]>();
  const faults = new Faults();
  const timers = new Timers();
  const sender = opts.webhook && new WebhookSender(opts.webhook, opts.retrySchedule ?? OPENAI_RETRY_SCHEDULE_MS, opts.webhookTimeoutMs ?? 5000, timers);
  const wss = new WebSocketServer({ noServer: true });
  const control = { apiKey: opts.apiKey, calls, faults, received, timers, referDelayMs: timing.stepDelayMs, onRequest: opts.onCallControl };
  const liveControl = { apiKey: opts.apiKey, sessions: liveSessions, faults, received, timers, referDelayMs: timing.stepDelayMs, onRequest: opts.onCallControl };
  const responses = { apiKey: opts.apiKey, faults, received: [] as ResponsesRequest[], timers, conversations: new Map() };
  const isLive = (pathname: string) => pathname.startsWith('/v1/live/');

  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const handled =
      pathname === '/v1/responses'
        ? handleResponses(responses, req, res)
        : isLive(pathname)
          ? handleLiveCallControl(liveControl, req, res, pathname)
          : handleCallControl(control, req, res, pathname);
    handled.catch(() => res.destroy());
  });
  server.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (isLive(pathname)) handleLiveUpgrade({ apiKey: opts.apiKey, sessions: liveSessions, wss, onClientEvent: opts.onClientEvent }, req, socket, head);
    else handleUpgrade({ apiKey: opts.apiKey, calls, wss, onClientEvent: opts.onClientEvent }, req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    baseURL: `${url}/v1`,

    async placeCall(options) {
      const offer = [...(options.offer ?? ['realtime'])];
      if (offer.length === 0 || new Set(offer).size !== offer.length || offer.some((s) => s !== 'realtime' && s !== 'live')) {
        throw new Error(`offer ${JSON.stringify(offer)} is not valid (expected 'realtime', 'live' or both, each once)`);
      }
      const callId = options.callId ?? newId('rtc');
      if (calls.has(callId)) throw new Error(`call "${callId}" was already placed (pass a new callId or omit it)`);
      const liveSessionId = offer.includes('live') ? (options.liveSessionId ?? newId('live')) : undefined;
      if (liveSessionId && liveSessions.has(liveSessionId)) throw new Error(`Live session "${liveSessionId}" was already placed (pass a new liveSessionId or omit it)`);
      const sipHeaders = options.sipHeaders ?? sipHeadersFor(options.dialed, options.caller, projectId);
      const script = options.script ?? [];
      const call = new Call(callId, sipHeaders, script, timing, timers, opts.onServerEvent);
      call.offeredTo = offer;
      // A call offered only to Live has no Realtime call: its call_id is unknown to the Realtime API.
      if (offer.includes('realtime')) calls.set(callId, call);
      const live = liveSessionId ? new LiveSession(liveSessionId, call, script, timing, timers, opts.onServerEvent) : undefined;
      if (live) liveSessions.set(live.sessionId, live);
      if (options.hangUpWhileRinging) call.callerHangsUp();
      // What each API's webhook says, and where its delivery attempts are kept. GPT-Live requires
      // SRTP, so a call offered to it was negotiated with SRTP, and both webhooks say so.
      const announcement = (surface: Surface) =>
        live && surface === 'live'
          ? { id: live.sessionId, event: buildLiveIncomingEvent(live.sessionId, sipHeaders, options.liveEvent), attempts: live.webhookAttempts }
          : { id: callId, event: buildIncomingCallEvent(callId, sipHeaders, live && 'srtp'), attempts: call.webhookAttempts };
      const webhooks: AnnouncedWebhook[] = [];
      for (const surface of offer) {
        const { id, event, attempts } = announcement(surface);
        const webhookId = newId('wh');
        const body = JSON.stringify(event);
        const record = (attempt: WebhookAttempt) => attempts.push(attempt);
        const copies = sender ? Array.from({ length: options.duplicateDeliveries ?? 1 }, () => sender.deliver(webhookId, body, record)) : [];
        // In `offer` order: the next webhook goes out once this one's first attempts were answered.
        webhooks.push({ surface, type: event.type, id, webhookId, body, firstAttempts: await Promise.all(copies) });
      }
      const [first] = webhooks;
      return { callId, liveSessionId, webhookId: first.webhookId, sipHeaders, body: first.body, firstAttempts: first.firstAttempts, webhooks };
    },

    received: (callId) => [...(received.get(callId) ?? [])],
    clientEvents: (callId) => [...(calls.get(callId)?.clientEvents ?? liveSessions.get(callId)?.clientEvents ?? [])],
    call: (callId) => (calls.get(callId) ?? liveSessions.get(callId)?.call)?.snapshot(),
    failNext: (callId: string, verb: Verb | 'responses', fault: Fault | ResponsesFault) =>
      verb === 'responses' ? faults.add('*', verb, fault as ResponsesFault) : faults.add(callId, verb, fault as Fault),
    responsesRequests: () => [...responses.received],
    webhookAttempts: (callId) => [...(calls.get(callId)?.webhookAttempts ?? liveSessions.get(callId)?.webhookAttempts ?? [])],
    endCall: (callId) => (calls.get(callId) ?? liveSessions.get(callId)?.call)?.callerHangsUp(),

    async close() {
      timers.cancelAll();
      sender?.close();
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
