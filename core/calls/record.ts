/** The call record: one per OpenAI `call_id`, written as the call happens. */

import type { AnalysisRecord } from '../analysis/analysis-plan';
import type { DeliveryAttempt } from '../delivery/delivery-plan';
import type { CallCost } from '../pricing/call-cost';
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

/**
 * What a call used of OpenAI, as its sideband reports it. The three totals are the voice
 * session's (every `response.done`); records stored by earlier releases have only those.
 *
 * The detail is what OpenAI bills by, each kind at its own rate: the input and output of the
 * session by modality, and the caller's transcription, which OpenAI bills apart, at its model's
 * rate. It is there only when every response reported it (see addUsage).
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Text input, cached included (`input_token_details.text_tokens`). */
  inputTextTokens?: number;
  /** Audio input, cached included (`input_token_details.audio_tokens`). */
  inputAudioTokens?: number;
  /** The part of inputTextTokens read from OpenAI's cache, billed at the cached rate. */
  cachedTextTokens?: number;
  /** The part of inputAudioTokens read from OpenAI's cache, billed at the cached rate. */
  cachedAudioTokens?: number;
  outputTextTokens?: number;
  outputAudioTokens?: number;
  /**
   * The part of inputTextTokens written to the cache, which some models bill above the input
   * rate. Responses API usage reports it (`input_tokens_details.cache_write_tokens`); Realtime
   * usage does not.
   */
  cacheWriteTextTokens?: number;
  /** The caller's transcription, for models billed by token. */
  transcriptionInputTokens?: number;
  transcriptionOutputTokens?: number;
  /** The caller's transcription, for models billed by the duration of the audio. */
  transcriptionSeconds?: number;
  /** A GPT-Live session's seconds, which it is billed by (its cumulative `session.usage.updated`). */
  liveSeconds?: number;
}

/**
 * What transcribing one thing the caller said used, as
 * `conversation.item.input_audio_transcription.completed` reports it: tokens or seconds, by how
 * the transcription model is billed.
 */
export type TranscriptionUsage = Pick<TokenUsage, 'transcriptionInputTokens' | 'transcriptionOutputTokens' | 'transcriptionSeconds'>;

/** The fields of TokenUsage's detail of the session, all there or none. */
const SESSION_DETAIL = ['inputTextTokens', 'inputAudioTokens', 'cachedTextTokens', 'cachedAudioTokens', 'outputTextTokens', 'outputAudioTokens'] as const;

const TRANSCRIPTION = ['transcriptionInputTokens', 'transcriptionOutputTokens', 'transcriptionSeconds'] as const;

/** Summed like the transcription's: a Live session stores one item of them, overwritten as it grows. */
const LIVE = ['liveSeconds'] as const;

/** The fields of TokenUsage a call's sideband reports (cacheWriteTextTokens only a Live backend's Responses usage). */
export const SIDEBAND_USAGE_FIELDS = ['inputTokens', 'outputTokens', 'totalTokens', ...SESSION_DETAIL, 'cacheWriteTextTokens', ...TRANSCRIPTION, ...LIVE] as const;

/**
 * A Responses API request's usage (a GPT-Live backend's response, a call's analysis) in
 * TokenUsage's terms: all text, as those requests take and give words, with the part read from
 * the cache and, where reported, the part written to it.
 */
export function textTokenUsage(u: { inputTokens: number; cachedTokens: number; cacheWriteTokens?: number; outputTokens: number; totalTokens: number }): TokenUsage {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    totalTokens: u.totalTokens,
    inputTextTokens: u.inputTokens,
    inputAudioTokens: 0,
    cachedTextTokens: u.cachedTokens,
    cachedAudioTokens: 0,
    outputTextTokens: u.outputTokens,
    outputAudioTokens: 0,
    ...(u.cacheWriteTokens !== undefined && { cacheWriteTextTokens: u.cacheWriteTokens }),
  };
}

/** Whether usage has the session's detail; 'empty' when it used nothing, so there is nothing to detail. */
export function sessionDetailOf(usage: Partial<TokenUsage>): 'known' | 'empty' | 'missing' {
  if (SESSION_DETAIL.every((field) => typeof usage[field] === 'number')) return 'known';
  return usage.inputTokens || usage.outputTokens || usage.totalTokens ? 'missing' : 'empty';
}

/**
 * Two usages as one. The session's detail stays only if both sides have it (or used nothing):
 * a sum with part of it undetailed, e.g. a call live across the update that added the detail,
 * would make the detail a part of the totals that reads as all of them. Transcription usage
 * adds up where either side has it. cacheWriteTextTokens (a Live backend's; Realtime usage has
 * none) stays only if every side that used tokens says it: without it a model that bills cache
 * writes is unpriced rather than under-priced.
 */
export function addUsage(a: Partial<TokenUsage>, b: Partial<TokenUsage>): TokenUsage {
  const sum: TokenUsage = {
    inputTokens: (a.inputTokens ?? 0) + (b.inputTokens ?? 0),
    outputTokens: (a.outputTokens ?? 0) + (b.outputTokens ?? 0),
    totalTokens: (a.totalTokens ?? 0) + (b.totalTokens ?? 0),
  };
  const details = [sessionDetailOf(a), sessionDetailOf(b)];
  if (details.includes('known') && !details.includes('missing')) {
    for (const field of SESSION_DETAIL) sum[field] = (a[field] ?? 0) + (b[field] ?? 0);
  }
  const saysCacheWrites = (usage: Partial<TokenUsage>) => usage.cacheWriteTextTokens !== undefined || sessionDetailOf(usage) === 'empty';
  if ((a.cacheWriteTextTokens !== undefined || b.cacheWriteTextTokens !== undefined) && saysCacheWrites(a) && saysCacheWrites(b)) {
    sum.cacheWriteTextTokens = (a.cacheWriteTextTokens ?? 0) + (b.cacheWriteTextTokens ?? 0);
  }
  for (const field of [...TRANSCRIPTION, ...LIVE]) {
    if (a[field] !== undefined || b[field] !== undefined) sum[field] = (a[field] ?? 0) + (b[field] ?? 0);
  }
  return sum;
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
  /** Which OpenAI API answered the call; absent means Realtime (records before GPT-Live, and every Realtime call). */
  engine?: 'live';
  /** The INVITE's SIP Call-ID, as the carrier knows the call. */
  sipCallId?: string;
  /** The ids the other API offered the same SIP call under, acknowledged and not answered (`rtc_...` on a GPT-Live call, `live_...` on a Realtime one). */
  otherEngineOffers?: string[];
  /** The models the call was answered with (absent from records before 2026-12-01, and from calls never accepted). */
  model?: string;
  transcriptionModel?: string;
  /** The Responses model a GPT-Live call delegated reasoning and tools to (`model` is its voice front end). */
  backendModel?: string;
  label?: string;
  transcript: TranscriptEntry[];
  actions: CallAction[];
  usage: TokenUsage;
  webhookId?: string;
  /** What the number's lookup answered before the call was accepted (variables included). */
  lookup?: LookupRecord;
  /** Each attempt to deliver the finished call to the number's `notify` endpoint, in order. */
  deliveries?: DeliveryAttempt[];
  /** The summary and fields of the number's `analysis`, once the call has ended. */
  analysis?: AnalysisRecord;
  /** What the call cost, by part (core/pricing/call-cost.ts): worked out as the record is read, never stored. */
  cost?: CallCost;
}

export const UNKNOWN_NUMBER = 'unknown';

/**
 * A call id as OpenAI documents it, a Realtime call's (`rtc_...`) or a Live session's (`live_...`), to be passed on unchanged. It goes into
 * call-control paths and DynamoDB keys, so only URL-safe characters and a bounded length are
 * taken: anything else did not come from OpenAI (`../../v1/realtime/calls/rtc_other/hangup`).
 */
export function isCallId(value: unknown): value is string {
  return typeof value === 'string' && /^(rtc|live)_[A-Za-z0-9._~-]{1,200}$/.test(value);
}

/** Transcript in spoken order (entries are appended as they arrive, which can differ). */
export function inSpokenOrder(entries: readonly TranscriptEntry[]): TranscriptEntry[] {
  return [...entries].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** One thing that happened on a call: a line said, or an action with the details a reader is shown. */
export type TimelineEvent = { at: string; line: TranscriptEntry } | { at: string; action: CallAction; details: Record<string, unknown> };

/** What was said and done on a call, in the order it happened: the timeline `calls show` prints and the console shows. */
export function callTimeline(record: Pick<CallRecord, 'transcript' | 'actions'>): TimelineEvent[] {
  return [
    ...record.transcript.map((line) => ({ at: line.at, line })),
    ...record.actions.map((action) => {
      // toolCallId ties an action to the model's function call; it means nothing to a reader.
      const { type: _type, at, toolCallId: _toolCallId, ...details } = action;
      return { at, action, details };
    }),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
