import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What every benchmark host child shares: a control port the bench reads CPU time from, and
 * the `READY <port> <controlPort>` line it waits for.
 */
export async function announceReady(port: number): Promise<void> {
  const control = createServer((_req, res) => {
    const { user, system } = process.cpuUsage();
    res.end(JSON.stringify({ cpuMicros: user + system, rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed }));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`READY ${port} ${(control.address() as AddressInfo).port}\n`);
}

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
