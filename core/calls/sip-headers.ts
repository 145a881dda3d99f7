import { toE164 } from '../numbers/e164';

/** One header of the INVITE, as OpenAI's `realtime.call.incoming` webhook lists it in `data.sip_headers`. */
export interface SipHeader {
  name: string;
  value: string;
}

export interface CallParties {
  /** The dialed number in E.164, or undefined when no header yields a valid number. */
  dialed: string | undefined;
  /** The caller in E.164, or 'anonymous' (withheld/unknown/unparseable caller). */
  caller: string;
}

/**
 * Who called and which number they dialed, from the INVITE's headers.
 *
 * The dialed number comes from Wavix's `x-number` when present; other carriers are untested, so
 * it falls back to `To` (when it names a number rather than the OpenAI project), then to the
 * headers that carry the original target of a forwarded call: `Diversion`, `P-Called-Party-ID`.
 * The caller is only ever read from `From`: `P-Asserted-Identity` may hold a number the caller
 * asked to withhold.
 */
export function parseCallParties(headers: readonly SipHeader[]): CallParties {
  const dialed =
    firstNumber(valuesOf(headers, 'x-number'), toE164) ??
    firstNumber(valuesOf(headers, 'to'), numberInAddress) ??
    firstNumber(valuesOf(headers, 'diversion'), numberInAddress) ??
    firstNumber(valuesOf(headers, 'p-called-party-id'), numberInAddress);
  const caller = firstNumber(valuesOf(headers, 'from'), numberInAddress) ?? 'anonymous';
  return { dialed, caller };
}

/**
 * The INVITE's SIP `Call-ID` (compact form `i`): what ties the call to the carrier's record of
 * it (Wavix's CDR) and, for one SIP call offered to two OpenAI APIs, its two webhooks. At most
 * 300 characters are kept; undefined when absent.
 */
export function sipCallIdOf(headers: readonly SipHeader[]): string | undefined {
  const value = valuesOf(headers, 'call-id')[0]?.trim();
  return value ? value.slice(0, 300) : undefined;
}

/** RFC 3261 compact header names, for the headers read here. */
const COMPACT_NAMES: Readonly<Record<string, string>> = { f: 'from', t: 'to', i: 'call-id' };

/** Values of every header with this (lower-case, full) name, in order: SIP names are case-insensitive and may repeat. */
function valuesOf(headers: readonly SipHeader[], name: string): string[] {
  return headers.filter((header) => canonicalName(header.name) === name).map((header) => header.value);
}

function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT_NAMES[lower] ?? lower;
}

function firstNumber(values: readonly string[], read: (value: string) => string | undefined): string | undefined {
  for (const value of values) {
    const number = read(value);
    if (number) return number;
  }
  return undefined;
}

/** The E.164 number in a From/To-style header value, or undefined when its URI holds no phone number. */
function numberInAddress(value: string): string | undefined {
  const user = uriUserPart(addressUri(value));
  return user === undefined ? undefined : toE164(withoutVisualSeparators(user));
}

/**
 * The URI of a name-addr (`"Name" <sip:...>;tag=x`) or addr-spec (`sip:...`) value. The quoted
 * display name is dropped first: it is free text and may itself contain `<`.
 */
function addressUri(value: string): string {
  const withoutDisplayName = value.trim().replace(/^"(?:[^"\\]|\\.)*"\s*/, '');
  // indexOf, not a regex: `/<([^>]*)>/` restarts at every `<` and is quadratic in the header's length.
  const open = withoutDisplayName.indexOf('<');
  const close = open < 0 ? -1 : withoutDisplayName.indexOf('>', open + 1);
  return (close < 0 ? withoutDisplayName : withoutDisplayName.slice(open + 1, close)).trim();
}

/**
 * The user part of a `sip:`/`sips:` URI (`+1406...` in `sip:+1406...;npdi@host;user=phone`) or
 * the number of a `tel:` URI, without parameters and percent-decoded; undefined for other
 * schemes, a SIP URI without a user, or a malformed escape.
 */
function uriUserPart(uri: string): string | undefined {
  const match = /^(sips?|tel):(.*)$/is.exec(uri);
  if (!match) return undefined;
  const [, scheme, rest] = match;
  let user: string;
  if (scheme.toLowerCase() === 'tel') {
    user = rest;
  } else {
    const at = rest.indexOf('@');
    if (at < 0) return undefined;
    user = rest.slice(0, at).split(':')[0]; // drop a `user:password` password
  }
  return percentDecoded(user.split(';')[0]);
}

function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** RFC 3966 visual separators (`tel:+1-406-770-4205`), also seen in `user=phone` SIP URIs. */
function withoutVisualSeparators(number: string): string {
  return number.replace(/[-.()\s]/g, '');
}
