import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';

/** The sideband refused the call: OpenAI does not know it (never accepted, or over). */
export class CallNotFoundError extends Error {
  constructor(callId: string) {
    super(`OpenAI does not know call ${callId} (sideband answered 404)`);
    this.name = 'CallNotFoundError';
  }
}

/** The handshake was answered with an HTTP status instead of an upgrade. */
export class SidebandRefusedError extends Error {
  constructor(readonly status: number) {
    super(`sideband answered HTTP ${status}`);
    this.name = 'SidebandRefusedError';
  }
}

/** `https://api.openai.com/v1` -> `wss://api.openai.com/v1/realtime?call_id=…` (http -> ws for a local emulator). */
export function sidebandUrl(baseURL: string, callId: string): string {
  return realtimeUrl(baseURL, { call_id: callId });
}

/** The Realtime WebSocket at `baseURL` with a query: `call_id` (a call's sideband) or `model` (a session of its own). */
export function realtimeUrl(baseURL: string, query: Record<string, string>): string {
  const url = new URL(`${baseURL.replace(/\/+$/, '')}/realtime`);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * What a refused handshake means: the call is gone (404), the key is wrong or was rotated (401:
 * re-read it once), a passing failure worth retrying (408, 429, 5xx), or a request that cannot
 * succeed as sent (any other status).
 */
export function handshakeFailure(status: number): 'not-found' | 'unauthorized' | 'transient' | 'fatal' {
  if (status === 404) return 'not-found';
  if (status === 401) return 'unauthorized';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'fatal';
}

/** Delay before retry `attempt` (0-based): doubling from 200 ms, at most 5 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(200 * 2 ** attempt, 5000);
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
  /** Re-reads a rotated API key after a 401 (once per connect). */
  refreshApiKey?: () => Promise<string>;
  signal?: AbortSignal;
}

/**
 * Opens a call's sideband WebSocket. Transient failures are retried with backoff for a bounded
 * time; a 404 means the call does not exist and is not retried (CallNotFoundError).
 */
export async function openSideband(callId: string, baseURL: string, apiKey: () => Promise<string>, opts: ConnectOptions): Promise<Sideband> {
  return openWith(sidebandUrl(baseURL, callId), callId, apiKey, opts);
}

/** `https://api.openai.com/v1` -> `wss://api.openai.com/v1/live/sessions/{id}/attach`: a GPT-Live session's sideband. */
export function liveSidebandUrl(baseURL: string, sessionId: string): string {
  const url = new URL(`${baseURL.replace(/\/+$/, '')}/live/sessions/${encodeURIComponent(sessionId)}/attach`);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  return url.toString();
}

/** Opens a GPT-Live session's sideband, as openSideband opens a Realtime call's (404: the session is gone). */
export async function openLiveSideband(sessionId: string, baseURL: string, apiKey: () => Promise<string>, opts: ConnectOptions): Promise<Sideband> {
  return openWith(liveSidebandUrl(baseURL, sessionId), sessionId, apiKey, opts);
}

async function openWith(url: string, callId: string, apiKey: () => Promise<string>, opts: ConnectOptions): Promise<Sideband> {
  const deadline = Date.now() + opts.retryForMs;
  let key: string | undefined;
  let refreshed = false;
  for (let attempt = 0; ; attempt++) {
    try {
      // Inside the retry: a Secrets Manager hiccup is as passing as a refused connection.
      key ??= await apiKey();
      return await connectOnce(url, key, opts.attemptTimeoutMs ?? 10_000);
    } catch (err) {
      const failure = err instanceof SidebandRefusedError ? handshakeFailure(err.status) : 'transient';
      if (failure === 'not-found') throw new CallNotFoundError(callId);
      if (failure === 'unauthorized' && opts.refreshApiKey && !refreshed) {
        refreshed = true;
        key = await opts.refreshApiKey().catch(() => undefined);
        continue;
      }
      const delay = retryDelayMs(attempt);
      if (failure !== 'transient' || opts.signal?.aborted || Date.now() + delay > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function connectOnce(url: string, apiKey: string, timeoutMs: number): Promise<Sideband> {
  return new Promise((resolve, reject) => {
    // No OpenAI-Beta header: the GA sideband closes a beta handshake with 4000. The handshake's
    // time limit is a timer of our own rather than ws's `handshakeTimeout`: Node keeps that
    // socket timeout's (cleared) Timeout on the socket for as long as the call lasts.
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}` } });
    const timer = setTimeout(() => {
      fail(new Error('Opening handshake has timed out'));
      socket.terminate();
    }, timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    function refused(_req: unknown, res: IncomingMessage): void {
      res.resume();
      fail(new SidebandRefusedError(res.statusCode ?? 0));
      socket.terminate();
    }
    // OpenAI (and the emulator) may send events in the same packets as the handshake, before
    // the caller of this function can listen: keep them.
    const early: string[] = [];
    socket.on('message', (data) => early.push(data.toString()));
    socket.on('error', fail);
    socket.on('unexpected-response', refused);
    socket.on('open', function opened() {
      clearTimeout(timer);
      // Nothing of the handshake stays attached to a socket that lives as long as the call; an
      // error nobody else hears (the session logs its own) must still not crash the process.
      socket.off('open', opened);
      socket.off('unexpected-response', refused);
      socket.off('error', fail);
      socket.on('error', ignore);
      resolve({ socket, early });
    });
  });
}

function ignore(): void {}
