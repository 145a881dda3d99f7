import WebSocket from 'ws';

/**
 * A test's WebSocket client of the OpenAI emulator (a Realtime sideband, a Live attach, a text
 * session): it keeps every event the server sends, and waits for the ones a test asks for.
 */

/** Server events are untyped JSON here: the tests read fields by name. */
export type ServerEvent = { type: string } & Record<string, any>;

/** Polls until `probe` returns something truthy. */
export async function until<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface EventSocket {
  ws: WebSocket;
  events: ServerEvent[];
  closed: Promise<{ code: number; reason: string }>;
  /** The first event of this type (and matching `where`), waiting for it. */
  next(type: string, where?: (event: ServerEvent) => boolean): Promise<ServerEvent>;
  /** The `n`th event of this type (1 = the first), waiting for it. */
  nth(type: string, n?: number): Promise<ServerEvent>;
  send(event: object): void;
}

/** Opens `url`; a refused handshake rejects with `Unexpected server response: <status>` and its `status`. */
export function openEventSocket(url: string, headers: Record<string, string>): Promise<EventSocket> {
  const ws = new WebSocket(url, { headers });
  const events: ServerEvent[] = [];
  ws.on('message', (data) => events.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`Unexpected server response: ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        events,
        closed,
        next: (type, where = () => true) => until(() => events.find((e) => e.type === type && where(e)), `a ${type} event`),
        nth: (type, n = 1) => until(() => events.filter((e) => e.type === type)[n - 1], `${type} #${n}`),
        send: (event) => ws.send(JSON.stringify(event)),
      }),
    );
  });
}
