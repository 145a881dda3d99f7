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
export async function openSideband(callId: string, baseURL: string, apiKey: () => Promise<string>, opts: ConnectOptions): Promise<WebSocket> {
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

function connectOnce(url: string, callId: string, apiKey: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}` }, handshakeTimeout: timeoutMs });
    socket.once('open', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('unexpected-response', (_req, res) => {
      socket.terminate();
      reject(res.statusCode === 404 ? new CallNotFoundError(callId) : new Error(`sideband answered HTTP ${res.statusCode}`));
    });
    socket.once('error', reject);
  });
}
