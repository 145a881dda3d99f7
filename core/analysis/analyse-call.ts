import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type OpenAI from 'openai';
import type { CallRecord } from '../calls/record';
import {
  afterAnalysisFailure,
  analysisInput,
  analysisInstructions,
  analysisSchema,
  ANALYSIS_TIMEOUT_MS,
  readAnalysisAnswer,
  type AnalysisConfig,
  type AnalysisRecord,
} from './analysis-plan';

export type AnalysisStep = { kind: 'done'; analysis: AnalysisRecord } | { kind: 'retry'; delaySeconds: number; analysis: AnalysisRecord };

/**
 * One attempt at a call's analysis: one Responses API request, with the transcript and the
 * timeline, whose answer must match the number's schema (strict structured outputs). Never
 * throws: whatever OpenAI answers becomes the record's analysis, done, retrying or failed.
 * Stored nowhere by OpenAI (`store: false`): the call's words stay in the user's account.
 */
export async function analyseCall(
  record: CallRecord,
  config: AnalysisConfig,
  attempt: number,
  openai: Pick<OpenAI, 'responses'>,
  now: () => number = Date.now,
): Promise<AnalysisStep> {
  const at = () => new Date(now()).toISOString();
  const failed = (error: string, failure: Parameters<typeof afterAnalysisFailure>[0]): AnalysisStep => {
    const next = afterAnalysisFailure(failure, attempt);
    const status = next.kind === 'retry' ? 'retrying' : 'failed';
    const analysis: AnalysisRecord = { status, model: config.model, at: at(), attempts: attempt, error };
    return next.kind === 'retry' ? { kind: 'retry', delaySeconds: next.delaySeconds, analysis } : { kind: 'done', analysis };
  };
  let response: Awaited<ReturnType<OpenAI['responses']['create']>>;
  try {
    response = await openai.responses.create(
      {
        model: config.model,
        instructions: analysisInstructions(config),
        input: analysisInput(record),
        store: false,
        text: { format: { type: 'json_schema', name: 'call_analysis', schema: analysisSchema(config), strict: true } },
      },
      { timeout: ANALYSIS_TIMEOUT_MS, maxRetries: 0 },
    );
  } catch (error) {
    if (error instanceof APIConnectionTimeoutError) return failed(`OpenAI did not answer within ${ANALYSIS_TIMEOUT_MS / 1000} s`, { retryable: true });
    if (error instanceof APIConnectionError) return failed(`OpenAI could not be reached: ${error.message}`, { retryable: true });
    if (error instanceof APIError) {
      const retryAfter = Number(error.headers?.get?.('retry-after'));
      return failed(`OpenAI answered ${error.status}: ${error.message}`, { status: error.status, ...(retryAfter > 0 && { retryAfterSeconds: retryAfter }) });
    }
    return failed(`the analysis failed: ${(error as Error).message}`, { retryable: false });
  }
  const answer = readAnalysisAnswer(response as Parameters<typeof readAnalysisAnswer>[0]);
  if (answer.kind !== 'answer') return failed(answer.reason, { retryable: false });
  const usage = response.usage;
  return {
    kind: 'done',
    analysis: {
      status: 'done',
      model: config.model,
      at: at(),
      ...(answer.summary !== undefined && { summary: answer.summary }),
      ...(answer.fields !== undefined && { fields: answer.fields }),
      usage: {
        inputTokens: usage?.input_tokens ?? 0,
        cachedInputTokens: usage?.input_tokens_details?.cached_tokens ?? 0,
        outputTokens: usage?.output_tokens ?? 0,
        totalTokens: usage?.total_tokens ?? 0,
        // Some models bill tokens written to the cache apart; without the count such a model is unpriced.
        ...(cacheWrites(usage) !== undefined && { cacheWriteTokens: cacheWrites(usage) }),
      },
    },
  };
}

/** `input_tokens_details.cache_write_tokens`, which the SDK's types do not name yet. */
function cacheWrites(usage: { input_tokens_details?: object } | undefined): number | undefined {
  const count = (usage?.input_tokens_details as { cache_write_tokens?: unknown } | undefined)?.cache_write_tokens;
  return typeof count === 'number' ? count : undefined;
}
