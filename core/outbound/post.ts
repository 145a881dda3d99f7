import { lookup as dnsLookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { version } from '../../package.json';
import { signStandardWebhook } from '../webhook/signature';
import { addressLiteral, classAllowed, classifyAddress, type AddressClass, type AddressPolicy } from './address';

/**
 * One POST from Switchboard to a user's system (a tool call, a lookup before answering, a
 * delivery), with
 * every address it connects to checked against the policy first. It never throws: each way a
 * request can end is a value the caller turns into words and a record.
 */

/** An address DNS gave, as node's dns.lookup returns it with `all: true`. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** An error code of ours, from the lookup, for an address the policy refuses. */
const REFUSED_ADDRESS = 'ESWITCHBOARD_REFUSED_ADDRESS';

/** node's dns.lookup, every address. */
export async function resolveAll(hostname: string): Promise<ResolvedAddress[]> {
  return dnsLookup(hostname, { all: true });
}

/** How one POST ended. */
export type Sent =
  | { kind: 'answered'; status: number; text: string; bytes: number; location?: string; retryAfter?: string }
  | { kind: 'too-large'; status: number; bytes: number }
  | { kind: 'timeout'; status?: number }
  | { kind: 'refused'; address: string; cls: AddressClass }
  | { kind: 'failed'; code: string; message: string };

export interface Send {
  url: URL;
  headers: Record<string, string>;
  body: string;
  policy: AddressPolicy;
  resolve: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Certificate authorities to trust, the public ones included (node's `ca` replaces them). */
  ca?: string[];
  /** The most of an answer read: past it, `too-large` and reading stops. */
  maxBytes: number;
}

/**
 * One POST, settled once: answered, too large, timed out, refused at the lookup, or failed.
 * Bounded by `withinMs` from connect to the last byte. A fresh connection (agent: false): a
 * pooled socket would skip the lookup, and with it the address check.
 */
export function post(send: Send, withinMs: number): Promise<Sent> {
  return new Promise((resolve) => {
    let settled = false;
    let status: number | undefined;
    let refused: { address: string; cls: AddressClass } | undefined;
    const settle = (sent: Sent) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(sent);
    };
    const lookup = guardedLookup(send, (address, cls) => (refused = { address, cls }));
    const options: https.RequestOptions = { method: 'POST', headers: send.headers, agent: false, lookup, ...(send.ca && { ca: send.ca }) };
    const req = send.url.protocol === 'https:' ? https.request(send.url, options) : http.request(send.url, options);
    const timer = setTimeout(() => settle({ kind: 'timeout', status }), Math.max(withinMs, 0));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (refused) settle({ kind: 'refused', ...refused });
      else settle({ kind: 'failed', code: error.code ?? 'ERR', message: error.message });
    });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      const declared = Number(res.headers['content-length']);
      if (declared > send.maxBytes) return settle({ kind: 'too-large', status, bytes: 0 });
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        // Stop reading at the limit: the rest is never buffered.
        if (bytes > send.maxBytes) return settle({ kind: 'too-large', status: status!, bytes: send.maxBytes });
        chunks.push(chunk);
      });
      res.on('end', () => {
        const { location, 'retry-after': retryAfter } = res.headers;
        settle({ kind: 'answered', status: status!, text: Buffer.concat(chunks).toString('utf8'), bytes, ...(location && { location }), ...(retryAfter && { retryAfter }) });
      });
      const brokeOff = () => settle({ kind: 'failed', code: 'ECONNRESET', message: 'the connection closed before the answer was complete' });
      res.on('error', brokeOff);
      res.on('close', brokeOff);
    });
    req.end(send.body);
  });
}

/**
 * The lookup node connects with: every address DNS gives is checked, and only checked addresses
 * are handed back to connect to, so a name cannot resolve to an allowed address for a check and
 * a refused one for the connection (DNS rebinding). One refused address refuses the name.
 * `http:` may reach only loopback, whatever the name.
 */
function guardedLookup(send: Send, onRefused: (address: string, cls: AddressClass) => void): LookupFunction {
  return ((hostname: string, options: { family?: number | string; all?: boolean }, callback: (...args: unknown[]) => void) => {
    send.resolve(hostname).then(
      (resolved) => {
        const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const addresses = resolved.filter((a) => wanted === 0 || a.family === wanted);
        for (const { address } of resolved) {
          const cls = classifyAddress(address);
          const allowed = classAllowed(cls, send.policy) && (send.url.protocol === 'https:' || cls === 'loopback');
          if (!allowed) {
            onRefused(address, cls);
            return callback(Object.assign(new Error(`${hostname} resolved to ${address}, a ${cls} address`), { code: REFUSED_ADDRESS }));
          }
        }
        if (addresses.length === 0) {
          return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: unknown) => callback(error),
    );
  }) as LookupFunction;
}

/**
 * Errors that prove the request never left, so a retry cannot make the endpoint act twice: the
 * connection was refused, or DNS failed for the moment. A request that may have been sent (a
 * reset, a timeout) is not retried: the endpoint may already have cancelled the order.
 */
const NEVER_LEFT = new Set(['ECONNREFUSED', 'EAI_AGAIN']);

function neverLeft(sent: Sent): boolean {
  return sent.kind === 'failed' && NEVER_LEFT.has(sent.code);
}

/**
 * The pause before the one retry of a request that never left: long enough for a restarting
 * endpoint to come back, short against the deadline, which the retry shares.
 */
export const NEVER_LEFT_RETRY_DELAY_MS = 200;

/** `post` by `deadline`, sent once more when the first provably never left and the deadline leaves room for the pause. */
export async function postBy(send: Send, deadline: number): Promise<{ sent: Sent; attempts: 1 | 2 }> {
  const sent = await post(send, deadline - Date.now());
  if (!neverLeft(sent) || deadline - Date.now() <= NEVER_LEFT_RETRY_DELAY_MS) return { sent, attempts: 1 };
  await new Promise((resolve) => setTimeout(resolve, NEVER_LEFT_RETRY_DELAY_MS));
  return { sent: await post(send, deadline - Date.now()), attempts: 2 };
}

/**
 * The headers Switchboard writes on every POST it signs: the JSON body's type and length, who
 * sends it, and its Standard Webhooks signature. Throws as signStandardWebhook does on a secret
 * it cannot use.
 */
export function signedJsonHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': `switchboard/${version}`,
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signStandardWebhook(secret, id, timestampSeconds, body),
  };
}

/**
 * Why nothing may be sent to a url whose host is an address literal the policy refuses, or
 * undefined: node connects to a literal without a lookup, so the guarded lookup never sees it.
 */
export function refusedLiteral(url: URL, policy: AddressPolicy, owner: string): string | undefined {
  const literal = addressLiteral(url.hostname);
  if (literal === undefined) return undefined;
  const cls = classifyAddress(literal);
  return classAllowed(cls, policy) ? undefined : refusalDetail(url, literal, cls, owner);
}

/** The promise's value, or undefined when the deadline comes first. */
export async function beforeDeadline<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(deadline - Date.now(), 0))));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Why nothing was sent to an address the policy refuses, and the fix; `owner` is what the config calls the endpoint (`tool`, `lookup`). */
export function refusalDetail(url: URL, address: string, cls: AddressClass, owner: string): string {
  const where = addressLiteral(url.hostname) === address ? `${address} is` : `${url.hostname} resolved to ${address},`;
  const fix =
    url.protocol === 'http:' && cls !== 'loopback'
      ? 'http:// may reach only this machine: use https://'
      : cls === 'private' || cls === 'loopback'
        ? `set "allowPrivateNetwork": true on the ${owner} if it lives there on purpose`
        : `no ${owner} may reach it`;
  return `${where} a ${cls} address: ${fix}; nothing was sent`;
}
