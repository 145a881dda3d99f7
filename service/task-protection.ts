import type { Log } from '../core/runtime/log';

/**
 * ECS task scale-in protection through the container agent: on while the task holds calls, so
 * autoscaling never stops a task mid-call; off when it is idle. Without ECS (locally) it does nothing.
 */
export function taskProtection(agentUri: string | undefined, log: Log): { holding(calls: boolean): Promise<void> } {
  let current = false;
  return {
    holding: async (calls) => {
      if (!agentUri || calls === current) return;
      current = calls;
      try {
        const response = await fetch(`${agentUri}/task-protection/v1/state`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          // Renewed on every change; 70 minutes outlasts the longest call (OpenAI's 60-minute cap).
          body: JSON.stringify(calls ? { ProtectionEnabled: true, ExpiresInMinutes: 70 } : { ProtectionEnabled: false }),
        });
        if (!response.ok) log.warn('could not set task scale-in protection', { status: response.status, body: await response.text() });
      } catch (err) {
        log.warn('could not set task scale-in protection', { error: err });
      }
    },
  };
}
