import type { SessionAcceptParams } from 'openai/resources/live/sessions';
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import { buildLiveSessionConfig } from './live-session-config';
import type { NumberConfig } from '../numbers/config';
import type { Day } from '../openai/models';
import type { LookupRecord } from './lookup';
import { buildSessionConfig, renderTemplate, type CallParticipants } from './session-config';

export type RejectReason = 'unknown-number' | 'number-disabled' | 'caller-blocked' | 'number-busy' | 'lookup-rejected';

export type Decision =
  /** `greeting`: the words the worker says when the call is up, filled in for this call. */
  | { kind: 'accept'; engine: 'realtime'; session: CallAcceptParams; greeting?: string }
  | { kind: 'accept'; engine: 'live'; session: SessionAcceptParams; greeting?: string }
  /** `status`: the SIP code, 404/480/486/603 of our own, or whatever the number's lookup answered (400-699). */
  | { kind: 'reject'; status: number; reason: RejectReason };

/** A call answered, by either engine. */
export type AcceptDecision = Extract<Decision, { kind: 'accept' }>;

/** Whether a call is turned away before a lookup could change anything: it is asked only about calls it may decide. */
export function rejectedBeforeLookup(call: CallParticipants, config: NumberConfig | undefined): boolean {
  return !config?.enabled || !config.agent || config.callers.block.includes(call.caller);
}

/**
 * How Switchboard answers one incoming call on day `on`, from the dialed number's config, its
 * live calls and what the number's lookup answered (when it has one).
 */
export function routeCall(call: CallParticipants, config: NumberConfig | undefined, activeCalls: number, on: Day, lookup?: LookupRecord): Decision {
  if (!config) return { kind: 'reject', status: 404, reason: 'unknown-number' };
  if (!config.enabled || !config.agent) return { kind: 'reject', status: 480, reason: 'number-disabled' };
  if (config.callers.block.includes(call.caller)) return { kind: 'reject', status: 603, reason: 'caller-blocked' };
  const cap = config.limits.maxConcurrentCalls;
  if (cap !== undefined && activeCalls >= cap) return { kind: 'reject', status: 486, reason: 'number-busy' };
  if (lookup?.status === 'rejected') return { kind: 'reject', status: lookup.rejectStatus, reason: 'lookup-rejected' };
  const greeting = greetingFor(call, config, lookup);
  const variables = lookup?.status === 'answered' ? lookup.variables : undefined;
  const { agent } = config;
  if (agent.engine === 'live') {
    return { kind: 'accept', engine: 'live', session: buildLiveSessionConfig({ ...config, agent }, call, variables), ...(greeting !== undefined && { greeting }) };
  }
  return { kind: 'accept', engine: 'realtime', session: buildSessionConfig({ ...config, agent }, call, on, variables), ...(greeting !== undefined && { greeting }) };
}

/** The words the agent says when the call is up: the lookup's greeting or the config's, filled in for this call. */
export function greetingFor(call: CallParticipants, config: NumberConfig | undefined, lookup?: LookupRecord): string | undefined {
  const answered = lookup?.status === 'answered' ? lookup : undefined;
  const greeting = answered?.greeting ?? config?.agent?.greeting;
  return greeting === undefined ? undefined : renderTemplate(greeting, call, answered?.variables);
}
