/** The `realtime.call.incoming` webhook body and the SIP headers it carries, as Wavix + OpenAI send them. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SipHeader } from '../../core/calls/sip-headers';
import { newId } from './ids';

export interface IncomingCallEvent {
  object: 'event';
  id: string;
  type: 'realtime.call.incoming';
  created_at: number;
  data: { call_id: string; sip_headers: SipHeader[] };
}

/** The event with its keys in the order OpenAI sends them. */
export function buildIncomingCallEvent(callId: string, sipHeaders: SipHeader[]): IncomingCallEvent {
  return {
    object: 'event',
    id: newId('evt'),
    type: 'realtime.call.incoming',
    created_at: Math.floor(Date.now() / 1000),
    data: { call_id: callId, sip_headers: sipHeaders },
  };
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
