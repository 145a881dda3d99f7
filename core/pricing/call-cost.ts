import { sessionDetailOf, textTokenUsage, type CallRecord, type TokenUsage } from '../calls/record';
import { priceOf, type TokenRates } from './prices';

/** What a part of a call cost, or why it cannot be said. */
export type PartCost = { usd: number } | { unpriced: string };

export interface CallCost {
  /** The parts' sum, only when every part is priced: a part left out would make it read as the whole. */
  totalUsd?: number;
  /**
   * A Realtime call's session is its tokens and `transcription` the caller's transcript; a
   * GPT-Live call's session is its seconds (its transcripts are part of them, so transcription
   * is $0) and `backend` the Responses model's tokens it delegated to.
   */
  parts: { session: PartCost; transcription: PartCost; backend?: PartCost; analysis?: PartCost };
}

export interface CostModels {
  /** The voice session's model. */
  model: string;
  /** What transcribed the caller; undefined when nothing did. */
  transcriptionModel: string | undefined;
  /** A Responses API request that read the call afterwards, its usage mapped to TokenUsage's text fields. */
  analysis?: { model: string; usage: TokenUsage };
}

export const WITHOUT_DETAIL = 'usage stored without its detail';

/**
 * What a call cost in US dollars, by part, at the prices of core/pricing/prices.ts. Nothing is
 * estimated: a part whose model has no price, or whose usage lacks what its price is by, is
 * unpriced, with the reason. The values are not rounded; round them only to show them.
 */
export function callCost(usage: TokenUsage, { model, transcriptionModel, analysis }: CostModels): CallCost {
  return withTotal({
    session: tokenCost(model, usage),
    transcription: transcriptionCost(transcriptionModel, usage),
    ...(analysis && { analysis: tokenCost(analysis.model, analysis.usage) }),
  });
}

/**
 * A GPT-Live call: its session's seconds at the model's rate per minute (billed per second, so
 * a part of a minute at its share) and its backend's tokens at the backend model's rates.
 */
export function liveCallCost(usage: TokenUsage, { model, backendModel, analysis }: { model: string; backendModel: string | undefined; analysis?: CostModels['analysis'] }): CallCost {
  const { liveSeconds, ...tokens } = usage;
  return withTotal({
    session: liveSecondsCost(model, liveSeconds),
    transcription: { usd: 0 },
    backend: backendModel ? tokenCost(backendModel, tokens) : sessionDetailOf(tokens) === 'empty' ? { usd: 0 } : { unpriced: 'backend tokens with no backend model named' },
    ...(analysis && { analysis: tokenCost(analysis.model, analysis.usage) }),
  });
}

function liveSecondsCost(model: string, seconds: number | undefined): PartCost {
  // A session that never reported its seconds (closed before its first usage event) ran, but for how long is not known.
  if (seconds === undefined) return { unpriced: 'the GPT-Live session never reported its seconds' };
  const price = priceOf(model);
  if (!price) return { unpriced: `no price for ${model} in the table` };
  if (price.per !== 'minute') return { unpriced: `${model} is priced per token, not per minute of session` };
  return { usd: (seconds / 60) * price.usdPerMinute };
}

function withTotal(parts: CallCost['parts']): CallCost {
  let totalUsd = 0;
  for (const part of Object.values(parts)) {
    if ('unpriced' in part) return { parts };
    totalUsd += part.usd;
  }
  return { totalUsd, parts };
}

/** A session's or an analysis's tokens, each kind at its rate. */
function tokenCost(model: string, usage: TokenUsage): PartCost {
  const detail = sessionDetailOf(usage);
  if (detail === 'empty') return { usd: 0 };
  if (detail === 'missing') return { unpriced: WITHOUT_DETAIL };
  const price = priceOf(model);
  if (!price) return { unpriced: `no price for ${model} in the table` };
  if (price.per !== 'token') return { unpriced: `${model} is priced per minute of audio, not per token` };
  const inputText = usage.inputTextTokens ?? 0;
  const inputAudio = usage.inputAudioTokens ?? 0;
  const outputText = usage.outputTextTokens ?? 0;
  const outputAudio = usage.outputAudioTokens ?? 0;
  const cachedText = usage.cachedTextTokens ?? 0;
  const cachedAudio = usage.cachedAudioTokens ?? 0;
  // Tokens the detail leaves out (image tokens, or a kind OpenAI adds) would go unbilled here.
  if (inputText + inputAudio !== usage.inputTokens || outputText + outputAudio !== usage.outputTokens) {
    return { unpriced: `its detail (input ${inputText} text + ${inputAudio} audio, output ${outputText} text + ${outputAudio} audio) does not add up to its ${usage.inputTokens} input and ${usage.outputTokens} output tokens` };
  }
  if (price.longPromptAbove !== undefined && usage.inputTokens > price.longPromptAbove) {
    return { unpriced: `${model} bills a prompt of over ${price.longPromptAbove} input tokens at rates the table does not carry` };
  }
  const rates = price.usdPer1M;
  if (rates.cacheWriteTextInput !== undefined && usage.cacheWriteTextTokens === undefined) {
    return { unpriced: `${model} bills tokens written to its cache apart, and the usage does not say how many were` };
  }
  const cacheWrite = usage.cacheWriteTextTokens ?? 0;
  const counts: [keyof TokenRates, number][] = [
    ['textInput', inputText - cachedText - cacheWrite],
    ['cachedTextInput', cachedText],
    ['cacheWriteTextInput', cacheWrite],
    ['audioInput', inputAudio - cachedAudio],
    ['cachedAudioInput', cachedAudio],
    ['textOutput', outputText],
    ['audioOutput', outputAudio],
  ];
  if (counts.some(([, n]) => n < 0)) return { unpriced: 'its cached tokens exceed the input tokens they are a part of' };
  return perToken(model, rates, counts);
}

/** The caller's transcription: by the minute or by token, as its model is billed. */
function transcriptionCost(model: string | undefined, usage: TokenUsage): PartCost {
  const { transcriptionInputTokens: input, transcriptionOutputTokens: output, transcriptionSeconds: seconds } = usage;
  const byTokens = input !== undefined || output !== undefined;
  if (!byTokens && seconds === undefined) {
    // A record from before transcription usage was stored says nothing of it, which is not zero.
    return sessionDetailOf(usage) === 'missing' ? { unpriced: WITHOUT_DETAIL } : { usd: 0 };
  }
  if (!model) return { unpriced: 'transcription usage with no transcription model named' };
  const price = priceOf(model);
  if (!price) return { unpriced: `no price for ${model} in the table` };
  if (price.per === 'minute') {
    if (byTokens) return { unpriced: `${model} is priced per minute of audio, and the usage gives tokens` };
    // The page gives a rate per minute and the usage seconds: a part of a minute at its share.
    return { usd: ((seconds ?? 0) / 60) * price.usdPerMinute };
  }
  if (seconds !== undefined) return { unpriced: `${model} is priced per token, and the usage gives seconds` };
  return perToken(model, price.usdPer1M, [
    ['audioInput', input ?? 0],
    ['textOutput', output ?? 0],
  ]);
}

/** Tokens of each kind at its rate; unpriced when tokens of a kind have no rate. */
function perToken(model: string, rates: TokenRates, counts: [keyof TokenRates, number][]): PartCost {
  let usd = 0;
  for (const [kind, n] of counts) {
    if (n === 0) continue;
    const rate = rates[kind];
    if (rate === undefined) return { unpriced: `no price for ${model}'s ${KIND_NAMES[kind]} tokens in the table` };
    usd += (n * rate) / 1_000_000;
  }
  return { usd };
}

const KIND_NAMES: Record<keyof TokenRates, string> = {
  textInput: 'text input',
  cachedTextInput: 'cached text input',
  cacheWriteTextInput: 'cache-write',
  textOutput: 'text output',
  audioInput: 'audio input',
  cachedAudioInput: 'cached audio input',
  audioOutput: 'audio output',
};

/**
 * A call's cost from its record: the session and the caller's transcription at the models it
 * was answered with, and its analysis. A call never answered (rejected, missed) cost nothing of
 * OpenAI; an answered one whose record does not name its model (stored before 2026-12-01) is
 * unpriced rather than priced at today's config.
 */
export function costOfRecord(record: CallRecord): CallCost {
  const analysis = record.analysis?.status === 'done' ? record.analysis : undefined;
  const analysisModels = analysis && { model: analysis.model, usage: textTokenUsage({ ...analysis.usage, cachedTokens: analysis.usage.cachedInputTokens }) };
  if (!record.model) {
    if (record.outcome === 'rejected' || record.outcome === 'missed' || record.usage.totalTokens === 0) {
      return callCost({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }, { model: '', transcriptionModel: undefined, ...(analysisModels && { analysis: analysisModels }) });
    }
    const unpriced = { unpriced: 'the record does not name the model that answered the call' };
    return { parts: { session: unpriced, transcription: unpriced } };
  }
  if (record.engine === 'live') {
    return liveCallCost(record.usage, { model: record.model, backendModel: record.backendModel, ...(analysisModels && { analysis: analysisModels }) });
  }
  return callCost(record.usage, { model: record.model, transcriptionModel: record.transcriptionModel, ...(analysisModels && { analysis: analysisModels }) });
}
