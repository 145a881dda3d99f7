import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { QueuedCall } from '../../core/queue/call-queue';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const wallClock = (): number => performance.timeOrigin + performance.now();

/** When things happened in a worker host, by transcript entry or call id, as the bench reads them back. */
export interface WorkerMarks {
  /** Transcript entry id -> when the worker had stored it. */
  stored: Map<string, number>;
  /** Call id -> when the worker read the transfer's function call from the socket. */
  toolReceived?: Map<string, number>;
  /** Call id -> when the worker started the refer request. */
  referSent?: Map<string, number>;
  /** Batch write number -> how many entries it carried. */
  entriesPerWrite?: Map<string, number>;
}

/**
 * A worker host's inbox for the capacity benchmark: the bench POSTs the calls it accepted to
 * `/calls`, and reads back when things happened in the worker (`/marks`).
 */
export async function startCallInbox(onCalls: (calls: QueuedCall[]) => void, marks: WorkerMarks): Promise<number> {
  const server = createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/calls') {
      let body = '';
      for await (const chunk of req) body += chunk;
      onCalls(JSON.parse(body) as QueuedCall[]);
      return res.end('{}');
    }
    if (req.url === '/marks') {
      res.end(JSON.stringify(Object.fromEntries(Object.entries(marks).map(([name, times]: [string, Map<string, number>]) => [name, Object.fromEntries(times)]))));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
