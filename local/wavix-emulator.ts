import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WavixDestination, WavixNumber } from '../core/wavix/wavix-client';

/** What a key other than `apiKey` may do with numbers: Wavix scopes keys per area, read or write. */
export type NumbersAccess = 'read' | 'none';

export interface WavixEmulatorOptions {
  /** The key with full access to numbers. */
  apiKey: string;
  /** Keys Wavix knows but that lack permission: answered with 403. */
  restrictedKeys?: Record<string, NumbersAccess>;
  numbers: WavixNumber[];
}

export interface ReceivedRequest {
  method: string;
  /** Path with the query string, as sent. */
  path: string;
  body?: unknown;
}

export interface WavixEmulator {
  url: string;
  /** Every request received, in order, including refused ones. */
  requests(): ReceivedRequest[];
  /** The number as the emulator now holds it. */
  number(id: number): WavixNumber | undefined;
  /** Answers the next authorised request with this method with `status` and `body` instead (then behaves again). */
  failNext(method: string, status: number, body: unknown): void;
  close(): Promise<void>;
}

/**
 * The part of Wavix's REST API that routes numbers: search the account's numbers (paged), read
 * one, change its destinations; with Wavix's answers for a bad key (401), a key without
 * permission (403), an unknown number (404), a body that is not JSON (400) and invalid
 * destinations (422).
 */
export async function startWavixEmulator(opts: WavixEmulatorOptions): Promise<WavixEmulator> {
  const numbers = new Map(opts.numbers.map((n) => [n.id, structuredClone(n)]));
  const received: ReceivedRequest[] = [];
  const failures = new Map<string, { status: number; body: unknown }>();

  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    let body: unknown;
    let parsed = true;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
      parsed = false;
    }
    received.push({ method: req.method ?? '', path: req.url ?? '', ...(body !== undefined && { body }) });

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const access = token === opts.apiKey ? 'write' : token !== undefined ? opts.restrictedKeys?.[token] : undefined;
    if (!access) return send(res, 401, { error: true, message: 'Unauthenticated.' });
    if (access === 'none' || (access === 'read' && req.method !== 'GET')) return send(res, 403, { error: true, message: 'This action is unauthorized.' });
    const failure = failures.get(req.method ?? '');
    if (failure) {
      failures.delete(req.method ?? '');
      return send(res, failure.status, failure.body);
    }
    if (!parsed) return send(res, 400, { error: true, message: 'The request body is not valid JSON.' });
    route(req, body, res);
  });

  function route(req: IncomingMessage, body: unknown, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://wavix.local');
    if (req.method === 'GET' && url.pathname === '/v1/numbers') {
      const search = url.searchParams.get('search') ?? '';
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const perPage = Math.max(1, Number(url.searchParams.get('per_page') ?? 25) || 25);
      const found = [...numbers.values()].filter((n) => n.number.includes(search));
      return send(res, 200, {
        items: found.slice((page - 1) * perPage, page * perPage),
        pagination: { current_page: page, per_page: perPage, total: found.length, total_pages: Math.max(1, Math.ceil(found.length / perPage)) },
      });
    }
    const one = /^\/v1\/numbers\/(\d+)$/.exec(url.pathname);
    if (!one || (req.method !== 'GET' && req.method !== 'PATCH')) return send(res, 404, { error: true, message: `No route for ${req.method} ${url.pathname}` });
    const number = numbers.get(Number(one[1]));
    if (!number) return send(res, 404, { error: true, message: 'Number not found.' });
    if (req.method === 'GET') return send(res, 200, number);
    const problems = destinationProblems(body);
    if (problems) return send(res, 422, { error: true, message: 'The given data was invalid.', errors: problems });
    number.destination = (body as { destinations: WavixDestination[] }).destinations.map((d, i) => ({
      id: 1000 + i,
      trunk_id: null,
      trunk_label: null,
      ...d,
    }));
    send(res, 200, number);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => structuredClone(received),
    number: (id) => structuredClone(numbers.get(id)),
    failNext: (method, status, body) => void failures.set(method.toUpperCase(), { status, body }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Validation errors keyed by field, as Wavix words them; undefined when the body is valid. */
function destinationProblems(body: unknown): Record<string, string[]> | undefined {
  // Only `destinations` (plural) is accepted on write: the read-side name `destination` is refused like any missing field.
  const destinations = (body as { destinations?: unknown } | undefined)?.destinations;
  if (!Array.isArray(destinations) || destinations.length === 0) return { destinations: ['The destinations field is required and must be a non-empty array.'] };
  for (const [i, item] of destinations.entries()) {
    const d = (item ?? {}) as Partial<WavixDestination>;
    const field = (name: string, message: string) => ({ [`destinations.${i}.${name}`]: [message] });
    if (typeof d.destination !== 'string' || d.destination === '') return field('destination', 'The destination field is required.');
    if (!Number.isInteger(d.priority)) return field('priority', 'The priority must be an integer.');
    if (d.transport !== 1 && d.transport !== 4 && d.transport !== 5) return field('transport', 'The selected transport is invalid (1 = SIP URI, 4 = PSTN, 5 = SIP trunk).');
    if (d.transport === 1 && !/^[^@\s]+@[^@\s]+$/.test(d.destination)) return field('destination', 'The destination must be a SIP URI (user@host).');
    if (d.transport === 5 && !Number.isInteger(d.trunk_id)) return field('trunk_id', 'The trunk id field is required when transport is 5.');
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
