import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CDR_PATHS, cdrTime, type WavixCdr, type WavixDestination, type WavixNumber } from '../core/wavix/wavix-client';

/** What a key other than `apiKey` may do in an area: Wavix scopes keys per area, read or write. */
export type KeyAccess = 'read' | 'none';
export type NumbersAccess = KeyAccess;

/** The areas the emulator serves, as Wavix's key scopes name them: numbers, and calls (CDRs). */
export interface KeyScopes {
  numbers?: KeyAccess;
  calls?: KeyAccess;
}

/** A CDR the emulator holds: inbound (`received`) unless said otherwise. */
export type EmulatedCdr = WavixCdr & { type?: 'received' | 'placed' };

export interface WavixEmulatorOptions {
  /** The key with full access to everything. */
  apiKey: string;
  /**
   * Keys Wavix knows but that lack permission: answered with 403. A string is the key's access
   * to numbers (and it has none to calls).
   */
  restrictedKeys?: Record<string, KeyAccess | KeyScopes>;
  numbers: WavixNumber[];
  cdrs?: EmulatedCdr[];
  /** Which of the CDR list's paths it answers (default: both, CDR_PATHS); the others are 404. */
  cdrPaths?: readonly string[];
  /**
   * A PATCH's `srtp` is not kept (the read side says `srtp: false`): whether Wavix's API sets it
   * is unconfirmed (only its read-side type has the field), so both behaviours are played.
   */
  ignoresSrtp?: boolean;
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
  /** CDRs of calls Wavix carried, listed from now on. */
  addCdrs(...cdrs: EmulatedCdr[]): void;
  /** Answers the next authorised request with this method with `status` and `body` instead (then behaves again). */
  failNext(method: string, status: number, body: unknown): void;
  close(): Promise<void>;
}

/**
 * The part of Wavix's REST API that routes numbers: search the account's numbers (paged), read
 * one, change its destinations; and the part that lists call detail records (paged, filtered as
 * Wavix filters them). With Wavix's answers for a bad key (401), a key without permission for
 * the area (403), an unknown number (404), a body that is not JSON or a CDR query without its
 * required parameters (400) and invalid destinations (422).
 */
export async function startWavixEmulator(opts: WavixEmulatorOptions): Promise<WavixEmulator> {
  const numbers = new Map(opts.numbers.map((n) => [n.id, structuredClone(n)]));
  const cdrs: EmulatedCdr[] = structuredClone(opts.cdrs ?? []);
  const cdrPaths: readonly string[] = opts.cdrPaths ?? CDR_PATHS;
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
    const restricted = token !== undefined ? opts.restrictedKeys?.[token] : undefined;
    if (token !== opts.apiKey && restricted === undefined) return send(res, 401, { error: true, message: 'Unauthenticated.' });
    // Wavix's gateway scopes by path: /v1/cdr... is `calls` (Wavix/wavix-mcp-server src/wavix_mcp/scopes.py).
    const area = (req.url ?? '').startsWith('/v1/cdr') ? 'calls' : 'numbers';
    const access = token === opts.apiKey ? 'write' : typeof restricted === 'string' ? (area === 'numbers' ? restricted : 'none') : (restricted?.[area] ?? 'none');
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
    if (req.method === 'GET' && cdrPaths.includes(url.pathname)) return listCdrs(url.searchParams, res);
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
      srtp: opts.ignoresSrtp ? false : d.srtp === true,
    }));
    send(res, 200, number);
  }

  /**
   * The CDR list as the SDKs describe it: `from`, `to` (UTC days here, inclusive) and `type`
   * required; only answered calls unless `disposition` says otherwise (`all` for every one);
   * `to_search`/`from_search` match parts of numbers; newest first, `per_page` 25 by default.
   */
  function listCdrs(query: URLSearchParams, res: ServerResponse): void {
    const from = query.get('from') ?? '';
    const to = query.get('to') ?? '';
    const type = query.get('type') ?? '';
    for (const [name, ok] of [['from', DAY.test(from)], ['to', DAY.test(to)], ['type', type === 'received' || type === 'placed']] as const) {
      if (!ok) return send(res, 400, { success: false, message: `Request failed. Missing or invalid parameter ${name}` });
    }
    const disposition = query.get('disposition') ?? 'answered';
    const toSearch = query.get('to_search') ?? '';
    const fromSearch = query.get('from_search') ?? '';
    const uuid = query.get('uuid');
    const found = cdrs
      .filter((cdr) => (cdr.type ?? 'received') === type)
      .filter((cdr) => {
        const at = cdrTime(cdr);
        const day = at === undefined ? undefined : new Date(at).toISOString().slice(0, 10);
        return day !== undefined && day >= from && day <= to;
      })
      .filter((cdr) => disposition === 'all' || cdr.disposition === disposition)
      .filter((cdr) => cdr.to.includes(toSearch) && cdr.from.includes(fromSearch) && (uuid === null || cdr.uuid === uuid))
      .sort((a, b) => (cdrTime(b) ?? 0) - (cdrTime(a) ?? 0))
      .map(({ type: _type, ...cdr }) => cdr);
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const perPage = Math.max(1, Number(query.get('per_page') ?? 25) || 25);
    send(res, 200, {
      items: found.slice((page - 1) * perPage, page * perPage),
      pagination: { current_page: page, per_page: perPage, total: found.length, total_pages: Math.max(1, Math.ceil(found.length / perPage)) },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => structuredClone(received),
    number: (id) => structuredClone(numbers.get(id)),
    addCdrs: (...more) => void cdrs.push(...structuredClone(more)),
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
    if (d.srtp !== undefined && typeof d.srtp !== 'boolean') return field('srtp', 'The srtp field must be true or false.');
  }
  return undefined;
}

const DAY = /^\d{4}-\d\d-\d\d$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
