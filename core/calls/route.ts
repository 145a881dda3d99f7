import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import type { NumberConfig } from '../numbers/config';
import type { Day } from '../openai/models';
import { buildSessionConfig, type CallParticipants } from './session-config';

export type RejectReason = 'unknown-number' | 'number-disabled' | 'caller-blocked' | 'number-busy';

export type Decision =
  | { kind: 'accept'; session: CallAcceptParams }
  | { kind: 'reject'; status: 404 | 480 | 486 | 603; reason: RejectReason };

/** How Switchboard answers one incoming call on day `on`, from the dialed number's config and its live calls. */
export function routeCall(call: CallParticipants, config: NumberConfig | undefined, activeCalls: number, on: Day): Decision {
  if (!config) return { kind: 'reject', status: 404, reason: 'unknown-number' };
  if (!config.enabled || !config.agent) return { kind: 'reject', status: 480, reason: 'number-disabled' };
  if (config.callers.block.includes(call.caller)) return { kind: 'reject', status: 603, reason: 'caller-blocked' };
  const cap = config.limits.maxConcurrentCalls;
  if (cap !== undefined && activeCalls >= cap) return { kind: 'reject', status: 486, reason: 'number-busy' };
  return { kind: 'accept', session: buildSessionConfig({ ...config, agent: config.agent }, call, on) };
}
