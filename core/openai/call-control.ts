import OpenAI, { APIConnectionError, APIError } from 'openai';

/**
 * OpenAI clients for call control (accept, reject, refer, hangup). These requests carry no
 * idempotency key, and one that timed out may still have been carried out: the SDK's own
 * retries would re-send it blindly (an accept twice, a second REFER). So the SDK never retries
 * here, and each caller decides what a failure means for its call.
 */
export interface CallControlClientOptions {
  apiKey: string | (() => Promise<string>);
  /** `OPENAI_BASE_URL` is honoured when absent, as the SDK does. */
  baseURL?: string;
  timeoutMs: number;
}

/** The webhook's bound: the caller hears ringing until the accept, and OpenAI retries the webhook. */
export const WEBHOOK_CALL_CONTROL_TIMEOUT_MS = 2500;
/** The worker's bound for refer and hangup: nobody is ringing, but a tool call is waiting. */
export const WORKER_CALL_CONTROL_TIMEOUT_MS = 10_000;

export function callControlClient(opts: CallControlClientOptions): OpenAI {
  return new OpenAI({ apiKey: opts.apiKey, ...(opts.baseURL && { baseURL: opts.baseURL }), timeout: opts.timeoutMs, maxRetries: 0 });
}

/** Codes that mean the request never left this machine. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * A request that got no HTTP answer (timeout, reset) may still have been carried out; one
 * refused before connecting was not.
 */
export function requestMayHaveLanded(err: unknown): boolean {
  if (!(err instanceof APIConnectionError)) return false;
  for (let cause: unknown = err.cause; cause instanceof Error; cause = cause.cause) {
    if (NOT_SENT.has((cause as NodeJS.ErrnoException).code ?? '')) return false;
  }
  return true;
}

/** OpenAI has the call gone (hung up, ended, or never there). */
export function isCallGone(err: unknown): boolean {
  return err instanceof APIError && err.status === 404;
}

/** How a refused REFER is recorded on the call's timeline: `refer-failed-500`, or `refer-failed` when no status came back. */
export function referFailedReason(err: unknown): string {
  return `refer-failed${err instanceof APIError && err.status ? `-${err.status}` : ''}`;
}

/**
 * The accept was refused because the call is already accepted: an earlier accept of ours (one
 * that timed out, or a retry's) landed. The call is answered.
 */
export function isAlreadyAccepted(err: unknown): boolean {
  if (!(err instanceof APIError) || (err.status !== 400 && err.status !== 409)) return false;
  return err.code === 'call_already_accepted' || /already accepted/i.test(err.message);
}
