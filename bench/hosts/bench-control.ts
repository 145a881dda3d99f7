import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { QueuedCall } from '../../core/queue/call-queue';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const wallClock = (): number => performance.timeOrigin + performance.now();

/**
 * A worker host's inbox for the capacity benchmark: the bench POSTs the calls it accepted to
 * `/calls`, and reads back when each transcript entry was stored (`/stored`).
 */
export async function startCallInbox(onCalls: (calls: QueuedCall[]) => void, stored: Map<string, number>): Promise<number> {
  const server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/calls') {
      let body = '';
      for await (const chunk of req) body += chunk;
      onCalls(JSON.parse(body) as QueuedCall[]);
      return res.end('{}');
    }
    if (req.url === '/stored') {
      res.end(JSON.stringify(Object.fromEntries(stored)));
      stored.clear();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
