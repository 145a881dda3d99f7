/**
 * The incoming-call webhook bodies (`realtime.call.incoming`, `live.transport.incoming` and the
 * deprecated `live.call.incoming`) and the SIP headers they carry, as Wavix + OpenAI send them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { LiveCallIncomingWebhookEvent, LiveTransportIncomingWebhookEvent } from 'openai/resources/webhooks/webhooks';
import type { SipHeader } from '../../core/calls/sip-headers';
import { newId } from './ids';

export interface IncomingCallEvent {
  object: 'event';
  id: string;
  type: 'realtime.call.incoming';
  created_at: number;
  data: { call_id: string; sip_headers: SipHeader[]; sip_media_security?: 'srtp' | 'rtp' };
}

/**
 * `live.transport.incoming` (`data.type: 'sip'`), or the deprecated `live.call.incoming`, which has
 * no `data.type` (the `openai` SDK's LiveTransportIncomingWebhookEvent and LiveCallIncomingWebhookEvent, 7.59).
 */
export interface LiveIncomingEvent {
  object: 'event';
  id: string;
  type: LiveIncomingEventType;
  created_at: number;
  data: { type?: 'sip'; session_id: string; sip_headers: SipHeader[]; sip_media_security?: 'srtp' | 'rtp' };
}

export type LiveIncomingEventType = 'live.transport.incoming' | 'live.call.incoming';

/**
 * The event with its keys in the order OpenAI sends them. `mediaSecurity` is what SDP settled on
 * the leg; omitted when unknown, as OpenAI omits it (a call offered only to Realtime, as before).
 */
export function buildIncomingCallEvent(callId: string, sipHeaders: SipHeader[], mediaSecurity?: 'srtp' | 'rtp'): IncomingCallEvent {
  return {
    object: 'event',
    id: newId('evt'),
    type: 'realtime.call.incoming',
    created_at: Math.floor(Date.now() / 1000),
    data: { call_id: callId, sip_headers: sipHeaders, ...(mediaSecurity && { sip_media_security: mediaSecurity }) },
  };
}

/**
 * The Live webhook for the same pending SIP call, in the key order of the "Telephony and SIP"
 * guide's example. GPT-Live requires SRTP for call audio, so a call offered to it says `srtp`.
 */
export function buildLiveIncomingEvent(sessionId: string, sipHeaders: SipHeader[], type: LiveIncomingEventType = 'live.transport.incoming'): LiveIncomingEvent {
  const head = { object: 'event', id: newId('evt') } as const;
  const created_at = Math.floor(Date.now() / 1000);
  const data = { session_id: sessionId, sip_headers: sipHeaders, sip_media_security: 'srtp' } as const;
  if (type === 'live.call.incoming') return { ...head, type, created_at, data } satisfies LiveCallIncomingWebhookEvent;
  return { ...head, type, created_at, data: { type: 'sip', ...data } } satisfies LiveTransportIncomingWebhookEvent;
}

/** The address Wavix's INVITEs come from in OpenAI's and Wavix's published example. */
const CARRIER_HOST = '209.58.144.243';

/**
 * Headers of an INVITE from Wavix: `From` with display name and tag, `To` the project's SIP URI,
 * `Call-ID`, and `x-number` holding the dialed number in digits (E.164 without `+`).
 */
export function sipHeadersFor(dialed: string, caller: string, projectId: string): SipHeader[] {
  const tag = `as${randomBytes(4).toString('hex')}`;
  const from =
    caller === 'anonymous'
      ? `"Anonymous" <sip:anonymous@anonymous.invalid>;tag=${tag}`
      : `"${caller}" <sip:${caller}@${CARRIER_HOST}>;tag=${tag}`;
  return [
    { name: 'From', value: from },
    { name: 'To', value: `sip:${projectId}@sip.api.openai.com;transport=tls` },
    { name: 'Call-ID', value: randomUUID() },
    { name: 'x-number', value: dialed.replace(/^\+/, '') },
  ];
}
