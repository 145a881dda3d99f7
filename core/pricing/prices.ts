/**
 * What OpenAI charges for the models a call uses, as one dated table: USD per 1M tokens of each
 * kind, or per minute of audio where a model is billed so. Every price here was read on the
 * page named on its entry, on the day given. When a page changes, change the table, not the
 * code.
 *
 * A model missing from the table is unpriced, never priced like a neighbour: OpenAI prices
 * sizes, generations and even snapshots differently (gpt-realtime-2 and gpt-realtime-1.5 share
 * input rates but not output ones). Left out because no page we could read gave their prices
 * (OpenAI's Realtime cost guide, https://developers.openai.com/api/docs/guides/realtime-costs,
 * says they are on the model pages): gpt-realtime, gpt-realtime-mini and their dated snapshots,
 * gpt-4o-mini-transcribe-2025-12-15, whisper-1, and gpt-5.6-terra (only its text input price,
 * $2.00, appears, in the comparison on gpt-5.6-luna's page).
 *
 * Image tokens are not carried: a phone call sends the model none.
 */

import type { Day } from '../openai/models';

/** USD per 1M tokens, by kind. A kind its page gives no price for is absent, and tokens of it are unpriced. */
export interface TokenRates {
  textInput?: number;
  cachedTextInput?: number;
  /** Input written to the cache, for models that bill it apart (see TokenUsage.cacheWriteTextTokens). */
  cacheWriteTextInput?: number;
  textOutput?: number;
  audioInput?: number;
  cachedAudioInput?: number;
  audioOutput?: number;
}

export type ModelPrice = {
  model: string;
  /** The page the price was read on. */
  source: string;
  /** The day it was read. */
  read: Day;
} & (
  | {
      per: 'token';
      usdPer1M: TokenRates;
      /** One request with more input tokens than this is billed at rates the table does not carry. */
      longPromptAbove?: number;
    }
  | { per: 'minute'; usdPerMinute: number }
);

const READ: Day = '2026-12-01';

/** The voice models' pages give text, audio and image rates; the images' are left out (see above). */
const realtime = (model: string, source: string, text: [number, number, number], audio: [number, number, number]): ModelPrice => ({
  model,
  source,
  read: READ,
  per: 'token',
  usdPer1M: {
    textInput: text[0],
    cachedTextInput: text[1],
    textOutput: text[2],
    audioInput: audio[0],
    cachedAudioInput: audio[1],
    audioOutput: audio[2],
  },
});

export const PRICES: readonly ModelPrice[] = [
  // Voice sessions: [input, cached input, output] per 1M text tokens, then audio tokens.
  // The English page was not among the stored copies; its ja-JP, zh-Hans and ko-KR copies
  // (https://developers.openai.com/zh-Hans/api/docs/models/gpt-realtime-2.1,
  // https://developers.openai.com/ko-KR/api/docs/models/gpt-realtime-2.1) give the same prices.
  realtime('gpt-realtime-2.1', 'https://developers.openai.com/ja-JP/api/docs/models/gpt-realtime-2.1', [4, 0.4, 24], [32, 0.4, 64]),
  realtime('gpt-realtime-2.1-mini', 'https://developers.openai.com/api/docs/models/gpt-realtime-2.1-mini.md', [0.6, 0.06, 2.4], [10, 0.3, 20]),
  realtime('gpt-realtime-2', 'https://developers.openai.com/api/docs/models/gpt-realtime-2.md', [4, 0.4, 24], [32, 0.4, 64]),
  realtime('gpt-realtime-1.5', 'https://developers.openai.com/api/docs/models/gpt-realtime-1.5.md', [4, 0.4, 16], [32, 0.4, 64]),

  // GPT-Live voice sessions, by duration: "$0.05 per minute, billed per second" (not rounded up
  // to the minute); the backend's Responses calls are billed apart, at the backend model's rates.
  // gpt-live-1.1's page adds a $0.02 standby rate for WebRTC sessions while inference is paused:
  // the page gives standby for WebRTC only, so a SIP call is billed at the active rate.
  { model: 'gpt-live-1', source: 'https://developers.openai.com/api/docs/models/gpt-live-1.md', read: '2026-12-02', per: 'minute', usdPerMinute: 0.05 },
  { model: 'gpt-live-1.1', source: 'https://developers.openai.com/api/docs/models/gpt-live-1.1.md', read: '2026-12-02', per: 'minute', usdPerMinute: 0.05 },

  // Transcription of the caller. "Realtime audio duration, per minute" / "Transcription audio duration, per minute".
  { model: 'gpt-live-transcribe', source: 'https://developers.openai.com/api/docs/models/gpt-live-transcribe.md', read: READ, per: 'minute', usdPerMinute: 0.017 },
  { model: 'gpt-realtime-whisper', source: 'https://developers.openai.com/api/docs/models/gpt-realtime-whisper.md', read: READ, per: 'minute', usdPerMinute: 0.017 },
  { model: 'gpt-transcribe', source: 'https://developers.openai.com/api/docs/models/gpt-transcribe', read: READ, per: 'minute', usdPerMinute: 0.0045 },
  // These pages list one table, headed "Audio tokens": input and output per 1M. The input is
  // the caller's audio (Switchboard sends the transcription no prompt, so no text goes in) and
  // the output the transcript, text ("Output modalities: text" on the same page).
  {
    model: 'gpt-4o-transcribe',
    source: 'https://developers.openai.com/api/docs/models/gpt-4o-transcribe.md',
    read: READ,
    per: 'token',
    usdPer1M: { audioInput: 2.5, textOutput: 10 },
  },
  {
    model: 'gpt-4o-mini-transcribe',
    source: 'https://developers.openai.com/fr-FR/api/docs/models/gpt-4o-mini-transcribe',
    read: READ,
    per: 'token',
    usdPer1M: { audioInput: 1.25, textOutput: 5 },
  },

  // Small Responses models, for reading a call afterwards. The page marks gpt-5-mini for
  // deprecation and points new workloads to gpt-5.6-terra, which is not priced here (see above).
  {
    model: 'gpt-5-mini',
    source: 'https://developers.openai.com/ko-KR/api/docs/models/gpt-5-mini',
    read: READ,
    per: 'token',
    usdPer1M: { textInput: 0.25, cachedTextInput: 0.025, textOutput: 2 },
  },
  // "Cache writes are billed at 1.25x the uncached input token rate" (1.25 x $0.20), and
  // "Prompts with >272K input tokens are priced at 2x input and 1.5x output for the full request".
  {
    model: 'gpt-5.6-luna',
    source: 'https://developers.openai.com/api/docs/models/gpt-5.6-luna',
    read: READ,
    per: 'token',
    usdPer1M: { textInput: 0.2, cachedTextInput: 0.02, cacheWriteTextInput: 0.25, textOutput: 1.2 },
    longPromptAbove: 272_000,
  },
];

export function priceOf(model: string): ModelPrice | undefined {
  return PRICES.find((price) => price.model === model);
}
