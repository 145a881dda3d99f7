/** The call record: one per OpenAI `call_id`, written as the call happens. */

import type { LookupRecord } from './lookup';

export const OUTCOMES = ['pending', 'rejected', 'missed', 'active', 'completed', 'transferred', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface TranscriptEntry {
  role: 'caller' | 'agent';
  text: string;
  /** When it was said (ISO 8601); the transcript reads in this order. */
  at: string;
  /** OpenAI's item id: the same words are stored once, however often they are delivered. */
  id: string;
}

export interface CallAction {
  type: string;
  at: string;
  [detail: string]: unknown;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface CallRecord {
  callId: string;
  /** Dialed number, E.164 ('unknown' when no SIP header named one). */
  number: string;
  /** E.164 or 'anonymous'. */
  caller: string;
  startedAt: string;
  endedAt?: string;
  durationSeconds?: number;
  outcome: Outcome;
  reason?: string;
  rejectStatus?: number;
  transferTarget?: string;
  /** Milliseconds from webhook receipt to OpenAI's answer to accept or reject. */
  decisionMs?: number;
  label?: string;
  transcript: TranscriptEntry[];
  actions: CallAction[];
  usage: TokenUsage;
  webhookId?: string;
  /** What the number's lookup answered before the call was accepted (variables included). */
  lookup?: LookupRecord;
}

export const UNKNOWN_NUMBER = 'unknown';

/**
 * A Realtime call id as OpenAI documents it (`rtc_...`), to be passed on unchanged. It goes into
 * call-control paths and DynamoDB keys, so only URL-safe characters and a bounded length are
 * taken: anything else did not come from OpenAI (`../../v1/realtime/calls/rtc_other/hangup`).
 */
export function isCallId(value: unknown): value is string {
  return typeof value === 'string' && /^rtc_[A-Za-z0-9._~-]{1,200}$/.test(value);
}

/** Transcript in spoken order (entries are appended as they arrive, which can differ). */
export function inSpokenOrder(entries: readonly TranscriptEntry[]): TranscriptEntry[] {
  return [...entries].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
