/**
 * After a call: a summary and the fields a number asks for, from one Responses API request with
 * structured outputs (https://developers.openai.com/api/docs/guides/structured-outputs). Pure:
 * the schema sent, the input, what an answer or a failure means; core/analysis/analyse-call.ts
 * makes the request.
 */
import type { CallRecord } from '../calls/record';
import type { ParametersProblem, PathPart } from '../numbers/tool-parameters';

/**
 * The default model: gpt-5.6-luna, the smallest and lowest-cost model of OpenAI's current GPT-5.6
 * family (its model page, https://developers.openai.com/api/docs/models/gpt-5.6-luna, read
 * 2026-12-01; priced in core/pricing/prices.ts). The models page's older advice for latency and
 * cost, gpt-5.4-mini (https://developers.openai.com/docs/models), predates GPT-5.6. A summary and a
 * few fields from a call's words are a well-defined task that needs no more.
 */
export const DEFAULT_ANALYSIS_MODEL = 'gpt-5.6-luna';

/** Attempts at the analysis before it is recorded as failed and the delivery goes without it. */
export const MAX_ANALYSIS_ATTEMPTS = 3;
/** The waits between them: with the attempts themselves, the bound on how long a delivery waits for its analysis. */
const ANALYSIS_RETRY_SECONDS = [20, 60] as const;
/** How long one request may take. */
export const ANALYSIS_TIMEOUT_MS = 30_000;
/** The most of a call's transcript and timeline sent: a 60-minute call's words fit several times over. */
export const MAX_ANALYSIS_INPUT_CHARS = 200_000;

/** What the call's record keeps of its analysis. */
export type AnalysisRecord =
  | {
      status: 'done';
      model: string;
      at: string;
      summary?: string;
      fields?: Record<string, unknown>;
      /** What the request used, for its cost. */
      usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number; totalTokens: number; cacheWriteTokens?: number };
    }
  /** `retrying`: the delivery waits for the next attempt; `failed`: it went without the analysis. */
  | { status: 'retrying' | 'failed'; model: string; at: string; attempts: number; error: string };

/** A number's `analysis`, as the config holds it. */
export interface AnalysisConfig {
  summary: boolean;
  fields?: Record<string, unknown>;
  instructions?: string;
  model: string;
}

/**
 * The first place a schema breaks the rules of strict structured outputs, or undefined: every
 * object lists all its properties in `required` and sets `additionalProperties: false`
 * (https://developers.openai.com/api/docs/guides/structured-outputs, "Supported schemas"). An
 * optional field is a required one whose type admits null: `"type": ["string", "null"]`.
 */
export function strictSchemaProblem(schema: unknown, path: PathPart[] = []): ParametersProblem | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const node = schema as Record<string, unknown>;
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (types.includes('object') || node.properties !== undefined) {
    const properties = (typeof node.properties === 'object' && node.properties !== null ? node.properties : {}) as Record<string, unknown>;
    if (node.additionalProperties !== false) {
      return { path: [...path, 'additionalProperties'], message: 'strict structured outputs need "additionalProperties": false on every object' };
    }
    const required = Array.isArray(node.required) ? node.required : [];
    const missing = Object.keys(properties).filter((name) => !required.includes(name));
    if (missing.length > 0) {
      return {
        path: [...path, 'required'],
        message: `strict structured outputs need every property in "required" (missing: ${missing.join(', ')}); for a field that may be unknown, allow null: "type": ["string", "null"]`,
      };
    }
    for (const [name, inner] of Object.entries(properties)) {
      const problem = strictSchemaProblem(inner, [...path, 'properties', name]);
      if (problem) return problem;
    }
  }
  if (node.items !== undefined) return strictSchemaProblem(node.items, [...path, 'items']);
  for (const key of ['anyOf', '$defs', 'definitions'] as const) {
    const group = node[key];
    if (Array.isArray(group)) {
      for (const [i, inner] of group.entries()) {
        const problem = strictSchemaProblem(inner, [...path, key, i]);
        if (problem) return problem;
      }
    } else if (typeof group === 'object' && group !== null) {
      for (const [name, inner] of Object.entries(group)) {
        const problem = strictSchemaProblem(inner, [...path, key, name]);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

/** The JSON Schema the answer must match: `summary` (when asked) and `fields` (the number's own schema). */
export function analysisSchema(config: AnalysisConfig): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  if (config.summary) properties.summary = { type: 'string', description: 'Two or three sentences: who called, what they wanted, how it ended.' };
  if (config.fields) properties.fields = config.fields;
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

const BASE_INSTRUCTIONS =
  'You read the record of one phone call between a caller and a voice agent: what each said, and what the agent did (tool calls, transfers, the ending). ' +
  'Answer only from that record: where it does not say something, give null (or an empty value) rather than a guess.';

export function analysisInstructions(config: AnalysisConfig): string {
  return config.instructions ? `${BASE_INSTRUCTIONS}\n\n${config.instructions}` : BASE_INSTRUCTIONS;
}

/** The call as the model reads it: who, when, how it ended, then what was said and done, in order. */
export function analysisInput(record: CallRecord): string {
  const head = [
    `call ${record.callId}: ${record.caller} called ${record.number}${record.label ? ` (${record.label})` : ''} at ${record.startedAt}`,
    `ending: ${record.outcome}${record.reason ? ` (${record.reason})` : ''}${record.durationSeconds !== undefined ? `, after ${record.durationSeconds} s` : ''}`,
  ];
  const lines = [
    ...record.transcript.map((t) => ({ at: t.at, text: `${t.role}: ${t.text}` })),
    ...record.actions.map(({ type, at, toolCallId: _id, ...details }) => ({ at, text: `[${type}]${Object.keys(details).length > 0 ? ` ${JSON.stringify(details)}` : ''}` })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const text = [...head, '', ...lines.map((l) => l.text)].join('\n');
  return text.length > MAX_ANALYSIS_INPUT_CHARS ? `${text.slice(0, MAX_ANALYSIS_INPUT_CHARS)}\n[the record is cut here]` : text;
}

/** What an answer says: the summary and fields, or why it gave none. */
export type AnalysisAnswer = { kind: 'answer'; summary?: string; fields?: Record<string, unknown> } | { kind: 'refused'; reason: string } | { kind: 'invalid'; reason: string };

/** Reads a Responses API answer (its `output` and `status`). */
export function readAnalysisAnswer(response: { status?: string | null; output?: unknown[]; incomplete_details?: { reason?: string } | null }): AnalysisAnswer {
  if (response.status && response.status !== 'completed') {
    return { kind: 'invalid', reason: `the response is ${response.status}${response.incomplete_details?.reason ? ` (${response.incomplete_details.reason})` : ''}` };
  }
  const content = (response.output ?? []).flatMap((item) => {
    const message = item as { type?: string; content?: unknown[] };
    return message.type === 'message' ? (message.content ?? []) : [];
  }) as { type?: string; text?: string; refusal?: string }[];
  const refusal = content.find((c) => c.type === 'refusal');
  if (refusal) return { kind: 'refused', reason: `the model refused: ${refusal.refusal ?? ''}`.trim() };
  const text = content.filter((c) => c.type === 'output_text').map((c) => c.text ?? '').join('');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'the answer is not JSON' };
  }
  if (typeof doc !== 'object' || doc === null) return { kind: 'invalid', reason: 'the answer is not a JSON object' };
  const { summary, fields } = doc as { summary?: unknown; fields?: unknown };
  return {
    kind: 'answer',
    ...(typeof summary === 'string' && { summary }),
    ...(typeof fields === 'object' && fields !== null && !Array.isArray(fields) && { fields: fields as Record<string, unknown> }),
  };
}

/**
 * After a failed attempt: retried on 408, 409, 429, 5xx, a timeout and a connection that failed
 * (after `retryAfterSeconds` when OpenAI says so and it is longer), up to MAX_ANALYSIS_ATTEMPTS;
 * never on a refusal, an answer that does not fit, or another 4xx (a retry would get the same).
 */
export function afterAnalysisFailure(failure: { status?: number; retryable?: boolean; retryAfterSeconds?: number }, attempt: number): { kind: 'retry'; delaySeconds: number } | { kind: 'failed' } {
  const retryable = failure.retryable ?? (failure.status === undefined || failure.status === 408 || failure.status === 409 || failure.status === 429 || failure.status >= 500);
  if (!retryable || attempt >= MAX_ANALYSIS_ATTEMPTS) return { kind: 'failed' };
  return { kind: 'retry', delaySeconds: Math.max(ANALYSIS_RETRY_SECONDS[attempt - 1] ?? 60, failure.retryAfterSeconds ?? 0) };
}

/** Whether the record still needs its analysis: none yet, or one waiting for another attempt. */
export function needsAnalysis(record: Pick<CallRecord, 'analysis'>): boolean {
  return record.analysis === undefined || record.analysis.status === 'retrying';
}
