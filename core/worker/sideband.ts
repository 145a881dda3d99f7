import WebSocket from 'ws';

/** The sideband refused the call: OpenAI does not know it (never accepted, or over). */
export class CallNotFoundError extends Error {
  constructor(callId: string) {
    super(`OpenAI does not know call ${callId} (sideband answered 404)`);
    this.name = 'CallNotFoundError';
  }
}

/** `https://api.openai.com/v1` -> `wss://api.openai.com/v1/realtime?call_id=…` (http -> ws for a local emulator). */
export function sidebandUrl(baseURL: string, callId: string): string {
  const url = new URL(`${baseURL.replace(/\/+$/, '')}/realtime`);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.searchParams.set('call_id', callId);
  return url.toString();
}

/** An open sideband, with what it said before anyone listened: events can arrive with the handshake. */
export interface Sideband {
  socket: WebSocket;
  /** Messages received so far and not yet handed to a listener, in order (it keeps filling until `listen`). */
  early: string[];
}

/** Hands the socket's messages to `onMessage`, first those that arrived before, then each as it comes. */
export function listen(sideband: Sideband, onMessage: (text: string) => void): void {
  sideband.socket.removeAllListeners('message');
  sideband.socket.on('message', (data) => onMessage(data.toString()));
  for (const text of sideband.early.splice(0)) onMessage(text);
}

export interface ConnectOptions {
  /** Keep retrying a transient failure (refused, 5xx, timeout) this long. */
  retryForMs: number;
  /** Gives up on one attempt after this long. */
  attemptTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens a call's sideband WebSocket. Transient failures are retried with backoff for a bounded
 * time; a 404 means the call does not exist and is not retried.
 */
export async function openSideband(callId: string, baseURL: string, apiKey: () => Promise<string>, opts: ConnectOptions): Promise<Sideband> {
  const url = sidebandUrl(baseURL, callId);
  const deadline = Date.now() + opts.retryForMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectOnce(url, callId, await apiKey(), opts.attemptTimeoutMs ?? 10_000);
    } catch (err) {
      if (err instanceof CallNotFoundError || opts.signal?.aborted) throw err;
      const delay = Math.min(200 * 2 ** attempt, 5000);
      if (Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function connectOnce(url: string, callId: string, apiKey: string, timeoutMs: number): Promise<Sideband> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}` }, handshakeTimeout: timeoutMs });
    // OpenAI (and the emulator) may send events in the same packets as the handshake, before
    // the caller of this function can listen: keep them.
    const early: string[] = [];
    socket.on('message', (data) => early.push(data.toString()));
    socket.once('open', () => {
      socket.removeAllListeners('error');
      resolve({ socket, early });
    });
    socket.once('unexpected-response', (_req, res) => {
      socket.terminate();
      reject(res.statusCode === 404 ? new CallNotFoundError(callId) : new Error(`sideband answered HTTP ${res.statusCode}`));
    });
    socket.once('error', reject);
  });
}
