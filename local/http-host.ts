import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: IncomingMessage, body: string) => Promise<{ status: number; body: string; contentType?: string }>;

/** A tiny HTTP host on 127.0.0.1 for the local server's routes (`METHOD /path` -> route). */
export async function startHttpHost(routes: Record<string, Route>, port = 0): Promise<{ server: Server; url: string; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => void serve(routes, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
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

async function serve(routes: Record<string, Route>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const path = (req.url ?? '/').split('?')[0];
  const route = routes[`${req.method} ${path}`];
  try {
    const result = route
      ? await route(req, Buffer.concat(chunks).toString('utf8'))
      : { status: 404, body: JSON.stringify({ error: `no route ${req.method} ${path}` }) };
    res.writeHead(result.status, { 'content-type': result.contentType ?? 'application/json' });
    res.end(result.body);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: (err as Error).message }));
  }
}
