import type { Log } from '../core/runtime/log';

/** Protection lasts this long per request: longer than any call (OpenAI's 60-minute cap). */
export const PROTECTION_MINUTES = 70;
/** While calls are held, protection is asked for again this often, so it never runs out under a busy task. */
export const PROTECTION_RENEW_MS = 30 * 60_000;

/** Whether to tell the ECS agent anything: on a change, or to renew protection that is getting old. */
export function protectionRequest(
  holding: boolean,
  last: { protected: boolean; at: number } | undefined,
  now: number,
): { ProtectionEnabled: true; ExpiresInMinutes: number } | { ProtectionEnabled: false } | undefined {
  if (holding) {
    return last?.protected && now - last.at < PROTECTION_RENEW_MS ? undefined : { ProtectionEnabled: true, ExpiresInMinutes: PROTECTION_MINUTES };
  }
  return last === undefined || last.protected ? { ProtectionEnabled: false } : undefined;
}

/**
 * ECS task scale-in protection through the container agent: on while the task holds calls, so
 * autoscaling never stops a task mid-call; off when it is idle. Without ECS (locally) it does
 * nothing. Requests go one at a time, each for the latest state, so a quick on-off-on cannot
 * land out of order. Failures are logged and retried on the next update.
 */
export function taskProtection(agentUri: string | undefined, log: Log, now: () => number = Date.now): { holding(calls: boolean): Promise<void> } {
  let last: { protected: boolean; at: number } | undefined;
  let wanted = false;
  let chain: Promise<void> = Promise.resolve();

  const update = async () => {
    const body = protectionRequest(wanted, last, now());
    if (!body || !agentUri) return;
    try {
      const response = await fetch(`${agentUri}/task-protection/v1/state`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.ok) last = { protected: body.ProtectionEnabled, at: now() };
      else log.warn('could not set task scale-in protection', { status: response.status, body: await response.text() });
    } catch (err) {
      log.warn('could not set task scale-in protection', { error: err });
    }
  };

  return {
    holding: (calls) => {
      wanted = calls;
      chain = chain.then(update);
      return chain;
    },
  };
}
