import { createServer } from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { loopDelayMonitor } from '../stats';

const session = new Session();
session.connect();

function post<T>(method: string): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result as T))));
}

/** When things happened in a host, by mark name, then by id (a call id), in wall-clock ms (see `wallClock`). */
export type Marks = Record<string, Map<string, number>>;

/**
 * What every benchmark host child shares: a control port the bench reads CPU time and memory
 * and its event-loop delay from and starts/stops a CPU profile of just the measured window with
 * (and, when the host keeps them, reads its `marks` from at `/marks`), and the
 * `READY <port> <controlPort>` line it waits for.
 */
export async function announceReady(port: number, marks?: Marks): Promise<void> {
  process.once('SIGTERM', () => process.exit(0));
  const loop = loopDelayMonitor();
  const control = createServer(async (req, res) => {
    if (req.url === '/profile/start') {
      await post('Profiler.enable');
      await post('Profiler.start');
      return res.end('{}');
    }
    if (req.url === '/profile/stop') {
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      return res.end(JSON.stringify(profile));
    }
    if (req.url === '/marks' && marks) {
      return res.end(JSON.stringify(Object.fromEntries(Object.entries(marks).map(([name, times]) => [name, Object.fromEntries(times)]))));
    }
    if (req.url === '/gc' && global.gc) global.gc();
    if (req.url === '/loop/reset') loop.reset();
    const { user, system } = process.cpuUsage();
    const memory = process.memoryUsage();
    res.end(JSON.stringify({ cpuMicros: user + system, rss: memory.rss, heapUsed: memory.heapUsed, loopDelayP99Ms: loop.p99Ms(), loopDelayMaxMs: loop.maxMs() }));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`READY ${port} ${(control.address() as AddressInfo).port}\n`);
}

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
