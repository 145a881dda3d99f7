/**
 * One HTTP server on 127.0.0.1 hosting call control and the Responses API (REST) and the sideband
 * (WebSocket upgrade on the same port), plus the webhook sender that announces calls placed with
 * `placeCall()`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { handleCallControl, type ReceivedRequest } from './call-control';
import type { SipHeader } from '../../core/calls/sip-headers';
import { Call, type CallState, type WebhookAttempt } from './calls';
import { Faults, type Fault, type ResponsesFault, type Verb } from './faults';
import { newId } from './ids';
import { buildIncomingCallEvent, sipHeadersFor } from './incoming-call';
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
  /** Where to send `realtime.call.incoming`; `secret` is `whsec_` + base64 key. Without it, calls are only placed. */
  webhook?: { url: string; secret: string };
  /** Delays between webhook delivery attempts; default OpenAI's (5 s, 5 min, 30 min, ... up to ~72 h). */
  retrySchedule?: number[];
  /** A delivery slower than this counts as failed. Default 5000. */
  webhookTimeoutMs?: number;
  /** Script pace: `fast` (default, tests and benchmarks), `realistic` (the demo), or explicit. */
  timing?: keyof typeof TIMING | Timing;
  /** The project in the generated `To` header. Default `proj_switchboardemulator`. */
  projectId?: string;
  /** Told the moment a call-control request arrives, before it is answered. */
  onCallControl?: (callId: string, verb: Verb) => void;
  /** Told of every sideband event the moment it is sent. */
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
}

export interface PlacedCall {
  callId: string;
  webhookId: string;
  sipHeaders: SipHeader[];
  /** The exact webhook body delivered. */
  body: string;
  /** The first attempt of each copy (empty without a webhook target). */
  firstAttempts: WebhookAttempt[];
}

export interface OpenAIEmulator {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `url + '/v1'`: what `new OpenAI({ baseURL })` / `OPENAI_BASE_URL` take. */
  readonly baseURL: string;
  /** Creates a ringing call and delivers its signed webhook; resolves once each copy's first attempt was answered or timed out. */
  placeCall(call: PlaceCallOptions): Promise<PlacedCall>;
  /** Every call-control request for the call, refused ones included, in the order answered. */
  received(callId: string): ReceivedRequest[];
  /** Every client event received on the call's sideband sockets, in order. */
  clientEvents(callId: string): unknown[];
  call(callId: string): CallState | undefined;
  /** Injects failures into the next matching call-control request(s); see `Fault`. */
  failNext(callId: string | '*', verb: Verb, fault: Fault): void;
  /** Injects failures into the next `POST /v1/responses` request(s) (always key `'*'`); see `ResponsesFault`. */
  failNext(callId: '*', verb: 'responses', fault: ResponsesFault): void;
  /** Every `POST /v1/responses` request, refused ones included, in the order answered. */
  responsesRequests(): ResponsesRequest[];
  /** Every webhook delivery attempt for the call, in order. */
  webhookAttempts(callId: string): WebhookAttempt[];
  /** The caller hangs up: sockets die without a close frame (1006), later call control gets 404. */
  endCall(callId: string, how?: 'caller-hangup'): void;
  close(): Promise<void>;
}

export async function startOpenAIEmulator(opts: EmulatorOptions): Promise<OpenAIEmulator> {
  const timing = typeof opts.timing === 'object' ? opts.timing : TIMING[opts.timing ?? 'fast'];
  const projectId = opts.projectId ?? 'proj_switchboardemulator';
  const calls = new Map<string, Call>();
  const received = new Map<string, ReceivedRequest[]>();
  const faults = new Faults();
  const timers = new Timers();
  const sender = opts.webhook && new WebhookSender(opts.webhook, opts.retrySchedule ?? OPENAI_RETRY_SCHEDULE_MS, opts.webhookTimeoutMs ?? 5000, timers);
  const wss = new WebSocketServer({ noServer: true });
  const control = { apiKey: opts.apiKey, calls, faults, received, timers, referDelayMs: timing.stepDelayMs, onRequest: opts.onCallControl };
  const responses = { apiKey: opts.apiKey, faults, received: [] as ResponsesRequest[], timers };

  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const handled = pathname === '/v1/responses' ? handleResponses(responses, req, res) : handleCallControl(control, req, res, pathname);
    handled.catch(() => res.destroy());
  });
  server.on('upgrade', (req, socket, head) => handleUpgrade({ apiKey: opts.apiKey, calls, wss, onClientEvent: opts.onClientEvent }, req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    baseURL: `${url}/v1`,

    async placeCall(options) {
      const callId = options.callId ?? newId('rtc');
      if (calls.has(callId)) throw new Error(`call "${callId}" was already placed (pass a new callId or omit it)`);
      const sipHeaders = options.sipHeaders ?? sipHeadersFor(options.dialed, options.caller, projectId);
      const call = new Call(callId, sipHeaders, options.script ?? [], timing, timers, opts.onServerEvent);
      calls.set(callId, call);
      if (options.hangUpWhileRinging) call.callerHangsUp();
      const webhookId = newId('wh');
      const body = JSON.stringify(buildIncomingCallEvent(callId, sipHeaders));
      const record = (attempt: WebhookAttempt) => call.webhookAttempts.push(attempt);
      const copies = sender ? Array.from({ length: options.duplicateDeliveries ?? 1 }, () => sender.deliver(webhookId, body, record)) : [];
      return { callId, webhookId, sipHeaders, body, firstAttempts: await Promise.all(copies) };
    },

    received: (callId) => [...(received.get(callId) ?? [])],
    clientEvents: (callId) => [...(calls.get(callId)?.clientEvents ?? [])],
    call: (callId) => calls.get(callId)?.snapshot(),
    failNext: (callId: string, verb: Verb | 'responses', fault: Fault | ResponsesFault) =>
      verb === 'responses' ? faults.add('*', verb, fault as ResponsesFault) : faults.add(callId, verb, fault as Fault),
    responsesRequests: () => [...responses.received],
    webhookAttempts: (callId) => [...(calls.get(callId)?.webhookAttempts ?? [])],
    endCall: (callId) => calls.get(callId)?.callerHangsUp(),

    async close() {
      timers.cancelAll();
      sender?.close();
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
