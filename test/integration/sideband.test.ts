import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { CallNotFoundError, listen, openSideband, sidebandUrl } from '../../core/worker/sideband';
import { freePort } from '../support/local-stack';

describe('sidebandUrl', () => {
  it.each([
    ['https://api.openai.com/v1', 'wss://api.openai.com/v1/realtime?call_id=rtc_1'],
    ['https://api.openai.com/v1/', 'wss://api.openai.com/v1/realtime?call_id=rtc_1'],
    ['http://127.0.0.1:4010/v1', 'ws://127.0.0.1:4010/v1/realtime?call_id=rtc_1'],
  ])('%s -> %s', (base, url) => {
    expect(sidebandUrl(base, 'rtc_1')).toBe(url);
  });
});

describe('openSideband (real sockets on loopback)', () => {
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  function serve(port: number, answer: (req: import('node:http').IncomingMessage) => number | 'upgrade'): Promise<{ headers: Record<string, unknown>[] }> {
    const seen: Record<string, unknown>[] = [];
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer();
    server.on('upgrade', (req, socket, head) => {
      seen.push(req.headers);
      const result = answer(req);
      if (result === 'upgrade') return wss.handleUpgrade(req, socket, head, (ws) => ws.send('{"type":"session.created"}'));
      socket.end(`HTTP/1.1 ${result} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    });
    servers.push(server);
    return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ headers: seen })));
  }

  it('sends the bearer key and no OpenAI-Beta header', async () => {
    const port = await freePort();
    const { headers } = await serve(port, () => 'upgrade');
    const { socket, early } = await openSideband('rtc_1', `http://127.0.0.1:${port}/v1`, async () => 'sk-live-key', { retryForMs: 1000 });
    // What the server said with the handshake is kept for whoever listens.
    const heard: string[] = [];
    await new Promise((r) => setTimeout(r, 50));
    listen({ socket, early }, (text) => heard.push(text));
    expect(heard).toEqual(['{"type":"session.created"}']);
    socket.close();
    expect(headers[0]).toMatchObject({ authorization: 'Bearer sk-live-key' });
    expect(headers[0]).not.toHaveProperty('openai-beta');
  });

  it('retries a refused connection and a 5xx until the sideband answers', async () => {
    const port = await freePort();
    // Nothing listens yet: the first attempts are refused.
    setTimeout(() => {
      let attempts = 0;
      void serve(port, () => (++attempts === 1 ? 503 : 'upgrade'));
    }, 300);
    const { socket } = await openSideband('rtc_1', `http://127.0.0.1:${port}/v1`, async () => 'k', { retryForMs: 5000 });
    expect(socket.readyState).toBe(1);
    socket.close();
  });

  it('gives up after the bounded time', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(openSideband('rtc_1', `http://127.0.0.1:${port}/v1`, async () => 'k', { retryForMs: 700 })).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('gives up on a handshake nobody answers, tries again, and leaves no socket open', async () => {
    const port = await freePort();
    const sockets: import('node:stream').Duplex[] = [];
    const server = createServer();
    // Takes the upgrade request and never answers it.
    server.on('upgrade', (_req, socket) => sockets.push(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await expect(openSideband('rtc_1', `http://127.0.0.1:${port}/v1`, async () => 'k', { retryForMs: 400, attemptTimeoutMs: 150 })).rejects.toThrow('Opening handshake has timed out');
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets.every((s) => s.destroyed || s.readableEnded)).toBe(true);
  });

  it('does not retry a call the server does not know (404)', async () => {
    const port = await freePort();
    const { headers } = await serve(port, () => 404);
    await expect(openSideband('rtc_gone', `http://127.0.0.1:${port}/v1`, async () => 'k', { retryForMs: 5000 })).rejects.toBeInstanceOf(CallNotFoundError);
    expect(headers).toHaveLength(1);
  });
});
