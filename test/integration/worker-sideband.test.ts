import { createServer, type IncomingMessage, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { listen, openSideband, SidebandRefusedError } from '../../core/worker/sideband';
import { freePort } from '../support/local-stack';

/**
 * openSideband against a real WebSocket server on loopback, beyond `sideband.test.ts`: several
 * events with the handshake and the stream after them, a rotated key, requests that cannot succeed.
 */
describe('openSideband: the handshake and what comes with it', () => {
  const servers: { http: Server; wss: WebSocketServer }[] = [];
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    for (const { http, wss } of servers.splice(0)) {
      // Upgraded sockets are no longer the HTTP server's: end them through the WebSocket server.
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  /** `answer` says per handshake: upgrade (then `onOpen`) or refuse with a status. */
  async function serve(answer: (req: IncomingMessage) => number | 'upgrade', onOpen: (ws: WebSocket) => void = () => {}): Promise<{ baseURL: string; attempts: IncomingMessage[] }> {
    const attempts: IncomingMessage[] = [];
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer();
    server.on('upgrade', (req, socket, head) => {
      attempts.push(req);
      const result = answer(req);
      if (result === 'upgrade') return wss.handleUpgrade(req, socket, head, onOpen);
      socket.end(`HTTP/1.1 ${result} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    });
    servers.push({ http: server, wss });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { baseURL: `http://127.0.0.1:${port}/v1`, attempts };
  }

  it('hands over the events that came with the handshake in order, then follows the stream', async () => {
    // Sent in the same tick as the upgrade, so they share its packets; the fourth comes later.
    let server: WebSocket | undefined;
    const { baseURL } = await serve(() => 'upgrade', (ws) => {
      server = ws;
      [1, 2, 3].forEach((i) => ws.send(JSON.stringify({ i })));
    });
    const sideband = await openSideband('rtc_1', baseURL, async () => 'k', { retryForMs: 1000 });
    sockets.push(sideband.socket);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const got: number[] = [];
    listen(sideband, (text) => got.push(JSON.parse(text).i));
    server!.send(JSON.stringify({ i: 4 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('re-reads a rotated key once after a 401', async () => {
    const { baseURL, attempts } = await serve((req) => (req.headers.authorization === 'Bearer sk-new' ? 'upgrade' : 401));
    const refreshed: string[] = [];
    const { socket } = await openSideband('rtc_1', baseURL, async () => 'sk-old', {
      retryForMs: 5000,
      refreshApiKey: async () => (refreshed.push('sk-new'), 'sk-new'),
    });
    sockets.push(socket);
    expect(refreshed).toEqual(['sk-new']);
    expect(attempts.map((a) => a.headers.authorization)).toEqual(['Bearer sk-old', 'Bearer sk-new']);
  });

  it.each([
    ['a key that stays wrong', 401],
    ['a request it refuses', 400],
  ])('does not retry %s (HTTP %i)', async (_, status) => {
    const { baseURL, attempts } = await serve(() => status);
    const opening = openSideband('rtc_1', baseURL, async () => 'k', { retryForMs: 5000, refreshApiKey: async () => 'k' });
    await expect(opening).rejects.toEqual(new SidebandRefusedError(status));
    expect(attempts.length).toBe(status === 401 ? 2 : 1);
  });
});
