import { createServer } from 'node:net';

/** The ports picked from: below every common ephemeral range (Linux 32768-60999, macOS and Windows 49152-65535). */
const FIRST = 20_000;
const COUNT = 12_000;

/**
 * A port free on 127.0.0.1 right now, for a server whose URL must be known before it starts.
 * It is picked below the ephemeral range, where the ports the kernel hands out (each outgoing
 * connection's own end, every `listen(0)`) never land, so between this check and the server's
 * listen only another caller of this function could take it (a port the kernel chose was once
 * taken by another process in that gap, failing a test with EADDRINUSE).
 */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FIRST + Math.floor(Math.random() * COUNT);
    if ((await listenOnce(port)) !== undefined) return port;
  }
  return (await listenOnce(0))!;
}

/** Listens on `port` and closes at once: the port it got, or undefined when it is taken. */
async function listenOnce(port: number): Promise<number | undefined> {
  const server = createServer();
  const got = await new Promise<number | undefined>((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  if (got !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  return got;
}
