import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * Where a tool call may go. Pure: the URL check and the address classification decide; the
 * runner (http-tool.ts) applies them to the URL at call time and to every address DNS returns,
 * which is the address it then connects to.
 */

/** What an IP address is, for deciding whether a tool call may connect to it. */
export type AddressClass =
  | 'public'
  /** 127.0.0.0/8, ::1: this machine (in AWS, the worker's own task). */
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7, fec0::/10: a private network. */
  | 'private'
  /** 169.254.0.0/16, fe80::/10: the link (in AWS: the DNS resolver, ECS's task metadata and credentials at 169.254.170.2). */
  | 'link-local'
  /** 169.254.169.254, fd00:ec2::254: the EC2 instance metadata service. */
  | 'metadata'
  /** 0.0.0.0/8, ::: "this host" (Linux connects 0.0.0.0 to loopback). */
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  /** Documentation, benchmarking, IETF and future-use ranges, and IPv6 outside 2000::/3: nothing a tool lives at. */
  | 'reserved'
  | 'not-an-address';

export interface AddressPolicy {
  /** The host's policy: true for `switchboard dev` (tools on the developer's machine), false in AWS. */
  allowLoopback: boolean;
  /** The tool's `allowPrivateNetwork`: it lives on a private network (or this machine) on purpose. */
  allowPrivateNetwork: boolean;
}

/**
 * Whether a tool call may connect to an address of this class. Link-local, metadata and the
 * non-unicast classes are refused even with `allowPrivateNetwork`: no user's tool lives there,
 * and they are where an AWS task's credentials are served.
 */
export function classAllowed(cls: AddressClass, policy: AddressPolicy): boolean {
  switch (cls) {
    case 'public':
      return true;
    case 'loopback':
      return policy.allowLoopback || policy.allowPrivateNetwork;
    case 'private':
      return policy.allowPrivateNetwork;
    default:
      return false;
  }
}

type Range = readonly [cidr: string, cls: AddressClass];

/** First match wins: the metadata address before the link-local range it is in. */
const IPV4_RANGES: readonly Range[] = [
  ['169.254.169.254/32', 'metadata'],
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'private'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
];

const IPV6_RANGES: readonly Range[] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'metadata'],
  ['fc00::/7', 'private'],
  ['fec0::/10', 'private'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
  ['2001:db8::/32', 'reserved'],
];

/** IPv6 prefixes that carry an IPv4 address, and where it sits: it is the IPv4 address that is reached. */
const IPV4_CARRIERS: readonly { cidr: string; at: number }[] = [
  { cidr: '::ffff:0:0/96', at: 12 }, // IPv4-mapped: the socket connects to the IPv4 address itself
  { cidr: '64:ff9b::/96', at: 12 }, // NAT64 (well-known prefix): a NAT64 gateway forwards to it
  { cidr: '2002::/16', at: 2 }, // 6to4
];

/** Classifies an IP address as DNS or a URL gives it: IPv4, IPv6 (with or without brackets or a %zone). */
export function classifyAddress(address: string): AddressClass {
  const text = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(text)) return classifyBytes(ipv4Bytes(text), IPV4_RANGES);
  if (!isIPv6(text)) return 'not-an-address';
  const bytes = ipv6Bytes(text);
  for (const { cidr, at } of IPV4_CARRIERS) {
    if (inRange(bytes, cidr)) return classifyBytes(bytes.subarray(at, at + 4), IPV4_RANGES);
  }
  const listed = IPV6_RANGES.find(([cidr]) => inRange(bytes, cidr));
  if (listed) return listed[1];
  // Global unicast is 2000::/3; the rest of the space is unassigned or special.
  return (bytes[0] & 0xe0) === 0x20 ? 'public' : 'reserved';
}

function classifyBytes(bytes: Uint8Array, ranges: readonly Range[]): AddressClass {
  return ranges.find(([cidr]) => inRange(bytes, cidr))?.[1] ?? 'public';
}

const parsedRanges = new Map<string, { prefix: Uint8Array; bits: number }>();

function inRange(bytes: Uint8Array, cidr: string): boolean {
  let range = parsedRanges.get(cidr);
  if (!range) {
    const [base, bits] = cidr.split('/');
    range = { prefix: isIPv4(base) ? ipv4Bytes(base) : ipv6Bytes(base), bits: Number(bits) };
    parsedRanges.set(cidr, range);
  }
  if (range.prefix.length !== bytes.length) return false;
  for (let bit = 0; bit < range.bits; bit += 8) {
    const mask = range.bits - bit >= 8 ? 0xff : (0xff << (8 - (range.bits - bit))) & 0xff;
    if ((bytes[bit / 8] & mask) !== (range.prefix[bit / 8] & mask)) return false;
  }
  return true;
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

/** 16 bytes of a valid IPv6 address (checked by isIPv6), including `::` and a dotted IPv4 tail. */
function ipv6Bytes(text: string): Uint8Array {
  let groups = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = ipv4Bytes(dotted[1]);
    groups = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = groups.split('::');
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const words =
    tail === undefined ? parts(head) : [...parts(head), ...Array(8 - parts(head).length - parts(tail).length).fill('0'), ...parts(tail)];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    const value = parseInt(word, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

/**
 * The URL of a user's endpoint as Switchboard may call it (a tool, a lookup; `what` names it in
 * the problem): `https:`, or `http:` only to this machine (localhost, 127.0.0.0/8, [::1]), where
 * plain text never crosses a network. No user name or password in it: credentials go in
 * headers, as `{{secret:NAME}}`, so they stay out of logs and records. `problem` says what is
 * wrong and the fix, for the config check and the call's timeline.
 */
export function checkEndpointUrl(raw: string, what: string): UrlCheck {
  const parsed = parseConfigUrl(raw, what, 'https://orders.example.com/lookup');
  if (!parsed.ok) return parsed;
  const { url } = parsed;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, problem: `${what} must start with https:// (not ${url.protocol}//)` };
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return { ok: false, problem: 'http:// is allowed only to this machine (localhost, 127.0.0.1, [::1]): use https://' };
  }
  return { ok: true, url };
}

/** A URL as a config writes it (`what` names it in the problem), refused when it is not one or carries credentials. */
export function parseConfigUrl(raw: string, what: string, example: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: `${what} is not a URL (expected e.g. ${example})` };
  }
  if (url.username || url.password) {
    return { ok: false, problem: `${what} must not carry a user name or password: send credentials in headers, e.g. "Authorization": "Bearer {{secret:NAME}}"` };
  }
  return { ok: true, url };
}

/** A URL's hostname that names this machine: `localhost`, or a loopback address literal. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || classifyAddress(host) === 'loopback';
}

/** An IP literal hostname (brackets stripped), or undefined for a name that DNS resolves. */
export function addressLiteral(hostname: string): string | undefined {
  const text = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(text) ? text : undefined;
}
