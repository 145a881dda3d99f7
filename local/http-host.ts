import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: IncomingMessage, body: string) => Promise<{ status: number; body: string; contentType?: string }>;

export interface HttpHostOptions {
  port?: number;
  /** A longer body is refused with 413 before it is read (it may come from anyone, through a tunnel). */
  maxBodyBytes: number;
  /** A request (headers and body) that has not arrived by then is answered 408 and closed. */
  requestTimeoutMs?: number;
}

/** Long enough for any real client on a slow link; Node's own default is 300 s. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

class BodyTooLargeError extends Error {}

/** A tiny HTTP host on 127.0.0.1 for the local server's routes (`METHOD /path` -> route). */
export async function startHttpHost(
  routes: Record<string, Route>,
  opts: HttpHostOptions,
): Promise<{ server: Server; url: string; port: number; close(): Promise<void> }> {
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // Node checks the timeouts every `connectionsCheckingInterval` (30 s by default): check often enough to honour them.
  const server = createServer(
    { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout) },
    (req, res) => void serve(routes, opts.maxBodyBytes, req, res),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(routes: Record<string, Route>, maxBodyBytes: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const route = routes[`${req.method} ${path}`];
  try {
    if (!route) return reply(res, 404, { error: `no route ${req.method} ${path}` });
    const body = await readBody(req, maxBodyBytes);
    const result = await route(req, body);
    if (res.destroyed) return;
    res.writeHead(result.status, { 'content-type': result.contentType ?? 'application/json' });
    res.end(result.body);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return reply(res, 413, { error: err.message }, true);
    // A client that went away mid-request has nobody to answer.
    if (req.destroyed || res.destroyed) return;
    reply(res, 500, { error: (err as Error).message });
  }
}

function reply(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...(close && { connection: 'close' }) });
  res.end(JSON.stringify(body));
}

/** The body as text, refused past `max` bytes (by its declared length, or as it arrives). */
async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const tooLarge = () => new BodyTooLargeError(`request body over ${max} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
