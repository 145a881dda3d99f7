import { addUsage, type TokenUsage } from '../../core/calls/record';
import { callCost, liveCallCost, WITHOUT_DETAIL, type CostModels } from '../../core/pricing/call-cost';
import { PRICES } from '../../core/pricing/prices';

const NOTHING: TokenUsage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };

/** A session's usage from its detail, the totals as OpenAI reports them (the detail's sums). */
function session(d: { text?: number; cachedText?: number; audio?: number; cachedAudio?: number; textOut?: number; audioOut?: number }): TokenUsage {
  const [text, audio, textOut, audioOut] = [d.text ?? 0, d.audio ?? 0, d.textOut ?? 0, d.audioOut ?? 0];
  return {
    inputTokens: text + audio,
    outputTokens: textOut + audioOut,
    totalTokens: text + audio + textOut + audioOut,
    inputTextTokens: text,
    inputAudioTokens: audio,
    cachedTextTokens: d.cachedText ?? 0,
    cachedAudioTokens: d.cachedAudio ?? 0,
    outputTextTokens: textOut,
    outputAudioTokens: audioOut,
  };
}

const DEFAULTS: CostModels = { model: 'gpt-realtime-2.1', transcriptionModel: 'gpt-live-transcribe' };
const sessionUsd = (usage: TokenUsage, model = 'gpt-realtime-2.1') => callCost(usage, { ...DEFAULTS, model }).parts.session;
const transcriptionUsd = (usage: Partial<TokenUsage>, transcriptionModel: string | undefined) =>
  callCost({ ...session({ text: 100 }), ...usage }, { ...DEFAULTS, transcriptionModel }).parts.transcription;

describe('what a call cost', () => {
  it('prices each part at its model\'s rates and adds them up', () => {
    // gpt-realtime-2.1 per 1M: text 4 / cached 0.40 / out 24, audio 32 / cached 0.40 / out 64.
    //   6,000 text x 4 + 4,000 cached text x 0.40 + 15,000 audio x 32 + 5,000 cached audio x 0.40
    //   + 1,000 text out x 24 + 8,000 audio out x 64 = $1.0436
    // gpt-live-transcribe: 90 s at $0.017 a minute = $0.0255
    // gpt-5-mini per 1M: 10,000 text x 0.25 + 10,000 cached x 0.025 + 2,000 out x 2 = $0.00675
    const usage = { ...session({ text: 10_000, cachedText: 4_000, audio: 20_000, cachedAudio: 5_000, textOut: 1_000, audioOut: 8_000 }), transcriptionSeconds: 90 };
    const analysis = { model: 'gpt-5-mini', usage: session({ text: 20_000, cachedText: 10_000, textOut: 2_000 }) };
    const cost = callCost(usage, { ...DEFAULTS, analysis });
    expect(cost.parts.session).toEqual({ usd: expect.closeTo(1.0436, 12) });
    expect(cost.parts.transcription).toEqual({ usd: expect.closeTo(0.0255, 12) });
    expect(cost.parts.analysis).toEqual({ usd: expect.closeTo(0.00675, 12) });
    expect(cost.totalUsd).toBeCloseTo(1.07585, 12);
  });

  it('keeps the value unrounded (rounding is for showing it)', () => {
    // 7 text tokens of gpt-realtime-2.1-mini at $0.60 per 1M.
    expect(sessionUsd(session({ text: 7 }), 'gpt-realtime-2.1-mini')).toEqual({ usd: expect.closeTo(0.0000042, 15) });
  });

  it.each<[string, TokenUsage, number]>([
    ['text read from the cache', session({ text: 1_000, cachedText: 1_000 }), 0.0004],
    ['the same text not cached', session({ text: 1_000 }), 0.004],
    ['audio read from the cache', session({ audio: 1_000, cachedAudio: 1_000 }), 0.0004],
    ['the same audio not cached', session({ audio: 1_000 }), 0.032],
  ])('prices %s at its rate', (_, usage, usd) => {
    expect(sessionUsd(usage)).toEqual({ usd: expect.closeTo(usd, 15) });
  });

  it('costs nothing for a call that used nothing (rejected, missed)', () => {
    expect(callCost(NOTHING, DEFAULTS)).toEqual({ totalUsd: 0, parts: { session: { usd: 0 }, transcription: { usd: 0 } } });
  });

  it('says a record stored with only the totals is unpriced, and why, rather than guessing its kinds of tokens', () => {
    expect(callCost({ inputTokens: 1200, outputTokens: 300, totalTokens: 1500 }, DEFAULTS)).toEqual({
      parts: { session: { unpriced: WITHOUT_DETAIL }, transcription: { unpriced: WITHOUT_DETAIL } },
    });
  });

  it('gives no total when any part is unpriced, and says which', () => {
    const cost = callCost(session({ text: 100 }), { ...DEFAULTS, analysis: { model: 'gpt-5.6-terra', usage: session({ text: 100 }) } });
    expect(cost).toEqual({
      parts: { session: { usd: expect.any(Number) }, transcription: { usd: 0 }, analysis: { unpriced: 'no price for gpt-5.6-terra in the table' } },
    });
  });

  it.each<[string, TokenUsage, string, string]>([
    ['a model not in the table', session({ text: 100 }), 'gpt-realtime', 'no price for gpt-realtime in the table'],
    ['a model priced by the minute', session({ text: 100 }), 'gpt-live-transcribe', 'gpt-live-transcribe is priced per minute of audio, not per token'],
    ['a kind of token its page gives no price for', session({ audio: 100 }), 'gpt-5-mini', "no price for gpt-5-mini's audio input tokens in the table"],
    [
      'a detail that does not add up to the totals (e.g. image tokens)',
      { ...session({ text: 100, textOut: 10 }), inputTokens: 120, totalTokens: 130 },
      'gpt-realtime-2.1',
      'its detail (input 100 text + 0 audio, output 10 text + 0 audio) does not add up to its 120 input and 10 output tokens',
    ],
    ['more cached tokens than input', session({ text: 100, cachedText: 200 }), 'gpt-realtime-2.1', 'its cached tokens exceed the input tokens they are a part of'],
  ])('leaves %s unpriced', (_, usage, model, reason) => {
    expect(sessionUsd(usage, model)).toEqual({ unpriced: reason });
  });

  describe('the transcription of the caller', () => {
    it.each<[string, Partial<TokenUsage>, string | undefined, number]>([
      ['by the minute, a part of a minute at its share', { transcriptionSeconds: 30 }, 'gpt-live-transcribe', 0.0085],
      ['by the minute, gpt-transcribe', { transcriptionSeconds: 120 }, 'gpt-transcribe', 0.009],
      // 1,000 input x $2.50 + 200 output x $10 per 1M
      ['by token', { transcriptionInputTokens: 1_000, transcriptionOutputTokens: 200 }, 'gpt-4o-transcribe', 0.0045],
      ['none (the caller said nothing)', {}, 'gpt-live-transcribe', 0],
      ['none, and no transcription model', {}, undefined, 0],
    ])('%s', (_, usage, model, usd) => {
      expect(transcriptionUsd(usage, model)).toEqual({ usd: expect.closeTo(usd, 15) });
    });

    it.each<[string, Partial<TokenUsage>, string | undefined, string]>([
      ['a model not in the table', { transcriptionSeconds: 30 }, 'whisper-1', 'no price for whisper-1 in the table'],
      ['tokens for a model billed by the minute', { transcriptionInputTokens: 10 }, 'gpt-live-transcribe', 'gpt-live-transcribe is priced per minute of audio, and the usage gives tokens'],
      ['seconds for a model billed by token', { transcriptionSeconds: 30 }, 'gpt-4o-transcribe', 'gpt-4o-transcribe is priced per token, and the usage gives seconds'],
      ['usage with no model named', { transcriptionSeconds: 30 }, undefined, 'transcription usage with no transcription model named'],
    ])('leaves %s unpriced', (_, usage, model, reason) => {
      expect(transcriptionUsd(usage, model)).toEqual({ unpriced: reason });
    });
  });

  describe('an analysis on a model that bills cache writes (gpt-5.6-luna)', () => {
    const analysisCost = (usage: TokenUsage) => callCost(NOTHING, { ...DEFAULTS, analysis: { model: 'gpt-5.6-luna', usage } }).parts.analysis;

    it('prices the writes at their rate, apart from the uncached and the cached input', () => {
      // 5,000 uncached x $0.20 + 2,000 cached x $0.02 + 3,000 written x $0.25 + 1,000 out x $1.20 per 1M
      expect(analysisCost({ ...session({ text: 10_000, cachedText: 2_000, textOut: 1_000 }), cacheWriteTextTokens: 3_000 })).toEqual({ usd: expect.closeTo(0.00299, 15) });
    });

    it.each<[string, TokenUsage, string]>([
      ['usage that does not say how many were written', session({ text: 10_000, textOut: 1_000 }), 'gpt-5.6-luna bills tokens written to its cache apart, and the usage does not say how many were'],
      [
        'a prompt past the long-prompt threshold',
        { ...session({ text: 300_000, textOut: 1_000 }), cacheWriteTextTokens: 0 },
        'gpt-5.6-luna bills a prompt of over 272000 input tokens at rates the table does not carry',
      ],
    ])('leaves %s unpriced', (_, usage, reason) => {
      expect(analysisCost(usage)).toEqual({ unpriced: reason });
    });
  });
});

describe('what a GPT-Live call cost', () => {
  const backend = (d: { text: number; cachedText?: number; written?: number; textOut: number }): TokenUsage => ({ ...session(d), cacheWriteTextTokens: d.written ?? 0 });

  it('bills the session per second at $0.05 a minute and the backend at its model\'s token rates', () => {
    // 90 s x $0.05/60 = $0.075 (a part of a minute at its share, never rounded up);
    // backend: 5,000 uncached x $0.20 + 2,000 cached x $0.02 + 3,000 written x $0.25 + 1,000 out x $1.20 per 1M = $0.00299.
    const usage = addUsage({ ...NOTHING, liveSeconds: 90 }, backend({ text: 10_000, cachedText: 2_000, written: 3_000, textOut: 1_000 }));
    expect(liveCallCost(usage, { model: 'gpt-live-1', backendModel: 'gpt-5.6-luna' })).toEqual({
      totalUsd: expect.closeTo(0.07799, 12),
      parts: { session: { usd: expect.closeTo(0.075, 12) }, transcription: { usd: 0 }, backend: { usd: expect.closeTo(0.00299, 12) } },
    });
    expect(liveCallCost({ ...NOTHING, liveSeconds: 60 }, { model: 'gpt-live-1.1', backendModel: 'gpt-5.6-luna' })).toMatchObject({ totalUsd: expect.closeTo(0.05, 12) });
  });

  it('sums the backend\'s cache writes across responses, and only while every response reports them', () => {
    const two = addUsage(backend({ text: 1_000, written: 100, textOut: 10 }), backend({ text: 2_000, written: 300, textOut: 20 }));
    expect(two.cacheWriteTextTokens).toBe(400);
    const oneSilent = addUsage(backend({ text: 1_000, written: 100, textOut: 10 }), session({ text: 2_000, textOut: 20 }));
    expect(oneSilent.cacheWriteTextTokens).toBeUndefined();
    expect(liveCallCost({ ...oneSilent, liveSeconds: 30 }, { model: 'gpt-live-1', backendModel: 'gpt-5.6-luna' }).parts.backend).toEqual({
      unpriced: 'gpt-5.6-luna bills tokens written to its cache apart, and the usage does not say how many were',
    });
  });

  it.each<[string, TokenUsage, string | undefined, string, keyof ReturnType<typeof liveCallCost>['parts']]>([
    ['a session that never reported its seconds', NOTHING, 'gpt-5.6-luna', 'the GPT-Live session never reported its seconds', 'session'],
    ['backend tokens with no backend model', { ...backend({ text: 10, textOut: 1 }), liveSeconds: 5 }, undefined, 'backend tokens with no backend model named', 'backend'],
    ['backend tokens stored without their detail', { inputTokens: 10, outputTokens: 1, totalTokens: 11, liveSeconds: 5 }, 'gpt-5.6-luna', WITHOUT_DETAIL, 'backend'],
  ])('leaves %s unpriced, with no total', (_, usage, backendModel, reason, part) => {
    const cost = liveCallCost(usage, { model: 'gpt-live-1', backendModel });
    expect(cost.totalUsd).toBeUndefined();
    expect(cost.parts[part]).toEqual({ unpriced: reason });
  });

  it('costs a session that never delegated its seconds only', () => {
    expect(liveCallCost({ ...NOTHING, liveSeconds: 12 }, { model: 'gpt-live-1', backendModel: 'gpt-5.6-luna' })).toMatchObject({ totalUsd: expect.closeTo(0.01, 12), parts: { backend: { usd: 0 } } });
  });
});

describe('the price table', () => {
  it('names, for every price, the OpenAI page it was read on and the day', () => {
    for (const price of PRICES) {
      expect(price.source).toMatch(/^https:\/\/developers\.openai\.com\//);
      expect(price.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('prices each model once', () => {
    const models = PRICES.map((p) => p.model);
    expect(new Set(models).size).toBe(models.length);
  });
});
