import { addUsage, type TokenUsage } from '../../core/calls/record';
import { readSessionEvent } from '../../core/worker/server-events';

const frame = (event: Record<string, unknown>) => JSON.stringify({ event_id: 'event_1', ...event });
const responseDone = (usage: unknown) => frame({ type: 'response.done', response: { id: 'resp_1', status: 'completed', usage } });
const transcribed = (usage?: unknown) =>
  frame({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_1', content_index: 0, transcript: 'Hello', ...(usage !== undefined && { usage }) });

// A `response.done` usage as the GA Realtime API sends it (RealtimeResponseUsage).
const DETAILED = {
  total_tokens: 1470,
  input_tokens: 1270,
  output_tokens: 200,
  input_token_details: {
    text_tokens: 1190,
    audio_tokens: 80,
    image_tokens: 0,
    cached_tokens: 1088,
    cached_tokens_details: { text_tokens: 1024, audio_tokens: 64, image_tokens: 0 },
  },
  output_token_details: { text_tokens: 40, audio_tokens: 160 },
};

describe("reading a response's usage", () => {
  it.each<[string, unknown, TokenUsage | undefined]>([
    [
      'the detail by modality, cached tokens apart',
      DETAILED,
      {
        inputTokens: 1270, outputTokens: 200, totalTokens: 1470,
        inputTextTokens: 1190, inputAudioTokens: 80, cachedTextTokens: 1024, cachedAudioTokens: 64, outputTextTokens: 40, outputAudioTokens: 160,
      },
    ],
    [
      'no split of cached tokens, and none cached: the cached counts are zero',
      { ...DETAILED, input_token_details: { text_tokens: 1190, audio_tokens: 80, cached_tokens: 0 } },
      {
        inputTokens: 1270, outputTokens: 200, totalTokens: 1470,
        inputTextTokens: 1190, inputAudioTokens: 80, cachedTextTokens: 0, cachedAudioTokens: 0, outputTextTokens: 40, outputAudioTokens: 160,
      },
    ],
    [
      'cached tokens without their split by modality: the totals only, as they could not be priced',
      { ...DETAILED, input_token_details: { text_tokens: 1190, audio_tokens: 80, cached_tokens: 1088 } },
      { inputTokens: 1270, outputTokens: 200, totalTokens: 1470 },
    ],
    ['no detail: the totals only', { input_tokens: 3, output_tokens: 4, total_tokens: 7 }, { inputTokens: 3, outputTokens: 4, totalTokens: 7 }],
    ['no output detail: the totals only', { ...DETAILED, output_token_details: undefined }, { inputTokens: 1270, outputTokens: 200, totalTokens: 1470 }],
    ['no usage (a response in progress)', null, undefined],
  ])('%s', (_, usage, expected) => {
    expect(readSessionEvent(responseDone(usage))).toEqual({ type: 'response-done', responseId: 'resp_1', usage: expected });
  });
});

describe("reading a transcription's usage", () => {
  it.each<[string, unknown, object]>([
    ['by duration (models billed by the minute)', { type: 'duration', seconds: 2.4 }, { usage: { transcriptionSeconds: 2.4 } }],
    [
      'by tokens (models billed by token)',
      { type: 'tokens', input_tokens: 24, output_tokens: 6, total_tokens: 30, input_token_details: { audio_tokens: 24, text_tokens: 0 } },
      { usage: { transcriptionInputTokens: 24, transcriptionOutputTokens: 6 } },
    ],
    ['none sent', undefined, {}],
    ['a kind not known', { type: 'characters', count: 5 }, {}],
    ['a duration without seconds', { type: 'duration' }, {}],
  ])('%s', (_, usage, expected) => {
    expect(readSessionEvent(transcribed(usage))).toEqual({ type: 'caller-said', itemId: 'item_1', transcript: 'Hello', ...expected });
  });
});

describe('adding usages up', () => {
  const detailed = (n: number): TokenUsage => ({
    inputTokens: 3 * n, outputTokens: 2 * n, totalTokens: 5 * n,
    inputTextTokens: 2 * n, inputAudioTokens: n, cachedTextTokens: n, cachedAudioTokens: 0, outputTextTokens: n, outputAudioTokens: n,
  });
  const NOTHING: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };

  it.each<[string, Partial<TokenUsage>, Partial<TokenUsage>, TokenUsage]>([
    ['two detailed responses: the detail adds up', detailed(1), detailed(2), detailed(3)],
    ['detail and nothing yet: the detail stays', NOTHING, detailed(1), detailed(1)],
    ['nothing and nothing: no detail appears', NOTHING, NOTHING, NOTHING],
    [
      'a response stored before the detail: the totals only, as the detail would be a part read as the whole',
      { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      detailed(1),
      { inputTokens: 13, outputTokens: 7, totalTokens: 20 },
    ],
    [
      'transcriptions: their usage adds up, the session detail kept',
      addUsage(detailed(1), { transcriptionSeconds: 1.5 }),
      { transcriptionSeconds: 2 },
      { ...detailed(1), transcriptionSeconds: 3.5 },
    ],
    [
      'transcription by tokens',
      { transcriptionInputTokens: 20, transcriptionOutputTokens: 4 },
      { transcriptionInputTokens: 10, transcriptionOutputTokens: 2 },
      { ...NOTHING, transcriptionInputTokens: 30, transcriptionOutputTokens: 6 },
    ],
  ])('%s', (_, a, b, sum) => {
    expect(addUsage(a, b)).toEqual(sum);
  });
});
