import type { CallRecord } from '../../core/calls/record';
import {
  afterAnalysisFailure,
  analysisInput,
  analysisSchema,
  MAX_ANALYSIS_ATTEMPTS,
  needsAnalysis,
  readAnalysisAnswer,
  strictSchemaProblem,
} from '../../core/analysis/analysis-plan';
import { checkNumberConfig, parseNumberConfig } from '../../core/numbers/config';
import { costOfRecord } from '../../core/pricing/call-cost';

const FIELDS = { type: 'object', properties: { order: { type: ['string', 'null'] } }, required: ['order'], additionalProperties: false };

describe('strict structured outputs', () => {
  it('takes a schema with every property required and no additional ones, at every depth', () => {
    expect(strictSchemaProblem(FIELDS)).toBeUndefined();
    expect(strictSchemaProblem({ type: 'object', properties: { items: { type: 'array', items: FIELDS } }, required: ['items'], additionalProperties: false })).toBeUndefined();
  });
  it.each([
    ['no additionalProperties', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, ['additionalProperties'], /additionalProperties": false/],
    ['a property not required', { type: 'object', properties: { a: { type: 'string' } }, required: [], additionalProperties: false }, ['required'], /missing: a.*allow null/],
    ['a nested object', { type: 'object', properties: { a: { type: 'object', properties: {} } }, required: ['a'], additionalProperties: false }, ['properties', 'a', 'additionalProperties'], /additionalProperties/],
    ['an item object', { type: 'array', items: { type: 'object', properties: { b: { type: 'number' } }, additionalProperties: false } }, ['items', 'required'], /missing: b/],
  ])('refuses %s, saying where', (_, schema, path, message) => {
    expect(strictSchemaProblem(schema)).toEqual({ path, message: expect.stringMatching(message) });
  });
});

describe("a number's analysis config", () => {
  const base = { number: '+17134810111', agent: { instructions: 'x' } };
  it('defaults to a summary by gpt-5.6-luna', () => {
    expect(parseNumberConfig({ ...base, analysis: {} }).analysis).toEqual({ summary: true, model: 'gpt-5.6-luna' });
  });
  it('refuses fields that strict structured outputs refuse, and one that asks for nothing', () => {
    expect(checkNumberConfig({ ...base, analysis: { fields: { type: 'object', properties: { a: { type: 'string' } } } } }).problems).toEqual([
      { path: 'analysis.fields.additionalProperties', message: expect.stringContaining('additionalProperties') },
    ]);
    expect(checkNumberConfig({ ...base, analysis: { summary: false } }).problems).toEqual([{ path: 'analysis', message: expect.stringContaining('asks for nothing') }]);
  });
});

describe('the request and its answer', () => {
  it('asks for the summary and the fields, all required', () => {
    expect(analysisSchema({ summary: true, fields: FIELDS, model: 'm' })).toEqual({
      type: 'object',
      properties: { summary: expect.objectContaining({ type: 'string' }), fields: FIELDS },
      required: ['summary', 'fields'],
      additionalProperties: false,
    });
    expect(strictSchemaProblem(analysisSchema({ summary: true, fields: FIELDS, model: 'm' }))).toBeUndefined();
  });
  it('gives the model the call: who, how it ended, what was said and done in order', () => {
    const record = {
      callId: 'rtc_1', number: '+17134810111', caller: '+14067704205', startedAt: '2026-12-01T10:00:00.000Z', outcome: 'completed', reason: 'caller-hung-up', durationSeconds: 30,
      transcript: [{ role: 'caller', text: 'Hello', at: '2026-12-01T10:00:02.000Z', id: 'i1' }, { role: 'agent', text: 'Hi!', at: '2026-12-01T10:00:01.000Z', id: 'i2' }],
      actions: [{ type: 'tool-call', at: '2026-12-01T10:00:03.000Z', toolCallId: 'fc_1', name: 'lookup_order' }],
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    } as CallRecord;
    expect(analysisInput(record)).toBe(
      'call rtc_1: +14067704205 called +17134810111 at 2026-12-01T10:00:00.000Z\nending: completed (caller-hung-up), after 30 s\n\nagent: Hi!\ncaller: Hello\n[tool-call] {"name":"lookup_order"}',
    );
  });
  it.each([
    ['an answer', { status: 'completed', output: [{ type: 'message', content: [{ type: 'output_text', text: '{"summary":"s","fields":{"order":null}}' }] }] }, { kind: 'answer', summary: 's', fields: { order: null } }],
    ['a refusal', { status: 'completed', output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'no' }] }] }, { kind: 'refused', reason: 'the model refused: no' }],
    ['an incomplete answer', { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] }, { kind: 'invalid', reason: 'the response is incomplete (max_output_tokens)' }],
    ['text that is not JSON', { status: 'completed', output: [{ type: 'message', content: [{ type: 'output_text', text: 'hello' }] }] }, { kind: 'invalid', reason: 'the answer is not JSON' }],
  ])('reads %s', (_, response, answer) => {
    expect(readAnalysisAnswer(response)).toEqual(answer);
  });
});

describe('after a failed attempt', () => {
  it.each([429, 500, 503, 408])('retries %s, and records it failed after the last attempt', (status) => {
    expect(afterAnalysisFailure({ status }, 1)).toEqual({ kind: 'retry', delaySeconds: 20 });
    expect(afterAnalysisFailure({ status }, MAX_ANALYSIS_ATTEMPTS)).toEqual({ kind: 'failed' });
  });
  it('never retries a 400 or a refusal', () => {
    expect(afterAnalysisFailure({ status: 400 }, 1)).toEqual({ kind: 'failed' });
    expect(afterAnalysisFailure({ retryable: false }, 1)).toEqual({ kind: 'failed' });
  });
  it('waits as long as OpenAI asks when that is longer', () => {
    expect(afterAnalysisFailure({ status: 429, retryAfterSeconds: 90 }, 1)).toEqual({ kind: 'retry', delaySeconds: 90 });
  });
  it('is needed until it is done or failed', () => {
    expect(needsAnalysis({})).toBe(true);
    expect(needsAnalysis({ analysis: { status: 'retrying', model: 'm', at: '', attempts: 1, error: 'e' } })).toBe(true);
    expect(needsAnalysis({ analysis: { status: 'failed', model: 'm', at: '', attempts: 3, error: 'e' } })).toBe(false);
  });
});

describe("a record's cost", () => {
  const record = (over: Partial<CallRecord>): CallRecord => ({ callId: 'rtc_1', number: '+1', caller: '+2', startedAt: '', outcome: 'completed', transcript: [], actions: [], usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 }, ...over });
  it('is nothing for a call that was never answered', () => {
    expect(costOfRecord(record({ outcome: 'rejected' }))).toMatchObject({ totalUsd: 0 });
  });
  it('is unpriced, not guessed, for an answered call whose record does not name its model', () => {
    expect(costOfRecord(record({ usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } }))).toEqual({
      parts: { session: { unpriced: 'the record does not name the model that answered the call' }, transcription: { unpriced: 'the record does not name the model that answered the call' } },
    });
  });
  it('adds the analysis at its model\'s text rates', () => {
    const analysed = costOfRecord(
      record({ outcome: 'rejected', analysis: { status: 'done', model: 'gpt-5.6-luna', at: '', usage: { inputTokens: 100_000, cachedInputTokens: 0, outputTokens: 10_000, totalTokens: 110_000, cacheWriteTokens: 0 } } }),
    );
    // $0.20 per 1M input, $1.20 per 1M output (core/pricing/prices.ts).
    expect((analysed.parts.analysis as { usd: number }).usd).toBeCloseTo(0.1 * 0.2 + 0.01 * 1.2, 10);
  });
});
