import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WavixDestination, WavixNumber } from '../core/wavix/wavix-client';

export interface WavixEmulatorOptions {
  apiKey: string;
  /** A key Wavix knows but that may not manage numbers (answers 403). */
  readOnlyKey?: string;
  numbers: WavixNumber[];
}

export interface WavixEmulator {
  url: string;
  requests(): { method: string; path: string; body?: unknown }[];
  number(id: number): WavixNumber | undefined;
  close(): Promise<void>;
}

/**
 * The part of Wavix's REST API that routes numbers: list and search numbers (paged), read one,
 * change its destinations, with Wavix's auth and validation answers.
 */
export async function startWavixEmulator(opts: WavixEmulatorOptions): Promise<WavixEmulator> {
  const numbers = new Map(opts.numbers.map((n) => [n.id, structuredClone(n)]));
  const requests: { method: string; path: string; body?: unknown }[] = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      requests.push({ method: req.method!, path: req.url!, body: text });
      return send(res, 400, { error: true, message: 'Request body is not valid JSON' });
    }
    requests.push({ method: req.method!, path: req.url!, ...(body !== undefined && { body }) });
    route(req, body, res);
  });

  function route(req: IncomingMessage, body: unknown, res: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token !== opts.apiKey && token !== opts.readOnlyKey) return send(res, 401, { error: true, message: 'Unauthenticated.' });
    const url = new URL(req.url ?? '/', 'http://wavix.local');
    if (req.method === 'GET' && url.pathname === '/v1/numbers') {
      const search = url.searchParams.get('search') ?? '';
      const page = Number(url.searchParams.get('page') ?? 1);
      const perPage = Number(url.searchParams.get('per_page') ?? 25);
      const found = [...numbers.values()].filter((n) => n.number.includes(search));
      return send(res, 200, {
        items: found.slice((page - 1) * perPage, page * perPage),
        pagination: { current_page: page, per_page: perPage, total: found.length, total_pages: Math.max(1, Math.ceil(found.length / perPage)) },
      });
    }
    const one = /^\/v1\/numbers\/(\d+)$/.exec(url.pathname);
    const number = one ? numbers.get(Number(one[1])) : undefined;
    if (one && !number) return send(res, 404, { error: true, message: 'Number not found' });
    if (req.method === 'GET' && number) return send(res, 200, number);
    if (req.method === 'PATCH' && number) {
      if (token === opts.readOnlyKey) return send(res, 403, { error: true, message: 'This action is unauthorized.' });
      const problem = destinationsProblem(body);
      if (problem) return send(res, 422, { error: true, message: 'The given data was invalid.', errors: problem });
      number.destination = (body as { destinations: WavixDestination[] }).destinations.map((d, i) => ({ id: 1000 + i, trunk_id: null, trunk_label: null, ...d }));
      return send(res, 200, number);
    }
    send(res, 404, { error: true, message: `No route ${req.method} ${url.pathname}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => [...requests],
    number: (id) => numbers.get(id),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function destinationsProblem(body: unknown): Record<string, string[]> | undefined {
  const destinations = (body as { destinations?: unknown } | undefined)?.destinations;
  if (!Array.isArray(destinations) || destinations.length === 0) return { destinations: ['The destinations field is required.'] };
  for (const [i, d] of destinations.entries()) {
    const dest = d as Partial<WavixDestination>;
    if (typeof dest.destination !== 'string' || !dest.destination) return { [`destinations.${i}.destination`]: ['The destination field is required.'] };
    if (!Number.isInteger(dest.priority)) return { [`destinations.${i}.priority`]: ['The priority must be an integer.'] };
    if (![1, 4, 5].includes(dest.transport as number)) return { [`destinations.${i}.transport`]: ['The selected transport is invalid.'] };
    if (dest.transport === 1 && !/^[^@\s]+@[^@\s]+$/.test(dest.destination)) return { [`destinations.${i}.destination`]: ['The destination must be a SIP URI (user@host).'] };
    if (dest.transport === 5 && !dest.trunk_id) return { [`destinations.${i}.trunk_id`]: ['The trunk id field is required when transport is 5.'] };
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
