const TOKEN_KEY = 'switchboard-console-token';

/** A refusal or failure of the console's API, with the message it gave. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * Takes the key from the address `switchboard console` printed (`#token=`) or opened (`#launch=`,
 * a one-time code traded for it), keeps it for this console's origin, and takes it out of the address bar.
 */
export async function takeToken(): Promise<void> {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  const launch = fragment.get('launch');
  if (token || launch) history.replaceState(history.state, '', location.pathname + location.search);
  if (token) localStorage.setItem(TOKEN_KEY, token);
  if (launch) {
    const res = await fetch('/api/launch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: launch }) });
    if (res.ok) localStorage.setItem(TOKEN_KEY, ((await res.json()) as { token: string }).token);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${localStorage.getItem(TOKEN_KEY) ?? ''}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiFailure(res.status, typeof body.error === 'string' ? body.error : `the console answered ${res.status}`, body);
  return body as T;
}

/** The API's answers, typed where they are made. */
export type { CallsPageAnswer, ConfigCheckAnswer, NumberVersionsAnswer, NumbersAnswer, PlacedProblem, StoredNumberAnswer } from '../../server/console-api';
export type { Overview } from '../../server/overview';
