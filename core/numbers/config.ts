import { z } from 'zod';
import { SESSION_CAP_SECONDS } from '../openai/limits';
import { DEFAULTS } from '../openai/models';
import { toE164 } from './e164';

/**
 * A number's config: how Switchboard answers calls to one dialed number. Users write it as
 * JSON or YAML; everything is checked before it is stored, so a call never meets a config that
 * OpenAI would refuse at accept time.
 */

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Free text with an upper bound. The bounds keep the largest config, even in characters of 3
 * UTF-8 bytes each, well under DynamoDB's 400 KB item size, so a valid config can always be
 * stored (test/integration/cli-numbers.test.ts stores one with every field at its bound).
 */
const text = (whatIsOrAre: string, max: number, fix: string) =>
  z.string().max(max, { error: (issue) => `${whatIsOrAre} ${count((issue.input as string).length)} characters long; at most ${count(max)} are allowed: ${fix}` });

/**
 * Phone numbers are text. YAML reads an unquoted `+17134810111` as the number 17134810111
 * (dropping the `+`, and any leading zeros of `0017...`), so a number is refused with the fix
 * rather than guessed back into a phone number.
 */
const phoneText = (what: string) =>
  z.unknown().transform((value, ctx): string => {
    if (typeof value === 'number') {
      ctx.addIssue({ code: 'custom', message: `${what} ${value} was read as a number, not text: put it in quotes, e.g. "+${value}"` });
      return z.NEVER;
    }
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: `${what} must be text, e.g. "+17134810111"` });
      return z.NEVER;
    }
    return value;
  });

const e164 = (what: string) =>
  phoneText(what).transform((value, ctx) => {
    const normalised = toE164(value);
    if (!normalised) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} "${value}" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)`,
      });
      return z.NEVER;
    }
    return normalised;
  });

const turnDetection = z
  .strictObject({
    type: z.enum(['semantic_vad', 'server_vad']).default('semantic_vad'),
    eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
    createResponse: z.boolean().optional(),
    interruptResponse: z.boolean().optional(),
    idleTimeoutMs: z.number().int().min(5000).max(30000).optional(),
  })
  .refine((td) => td.type === 'semantic_vad' || td.eagerness === undefined, {
    message: '"eagerness" applies only to semantic_vad turn detection',
    path: ['eagerness'],
  });

/**
 * OpenAI documents no length limit for Realtime instructions. GPT-Live, on the same SIP trunk,
 * takes up to 16,384 tokens (and asks for short prompts); at about 4 characters a token that is
 * 65,536 characters. Counted in characters, because tokens depend on the model's tokenizer.
 */
const MAX_INSTRUCTIONS = 65_536;

/** A model or voice name: OpenAI's are a few dozen characters. */
const identifier = z.string().min(1).max(100);

const agent = z.strictObject({
  model: identifier.default(DEFAULTS.model),
  voice: identifier.default(DEFAULTS.voice),
  instructions: text('instructions are', MAX_INSTRUCTIONS, 'shorten them (a voice agent follows a short prompt best)').min(1, 'instructions must not be empty'),
  greeting: text('the greeting is', 1_000, 'it is said word for word when the agent picks up, so keep it to a sentence or two').min(1).optional(),
  transcription: z
    .strictObject({
      model: identifier.default(DEFAULTS.transcriptionModel),
      language: z.string().min(2).max(16).optional(),
    })
    .default({ model: DEFAULTS.transcriptionModel }),
  turnDetection: turnDetection.default({ type: 'semantic_vad' }),
  maxOutputTokens: z.number().int().positive().optional(),
});

/** `+E164` (referred as `tel:`), `tel:+E164`, or a `sip:` URI, used exactly as written. */
const transferTarget = phoneText('transfer target').pipe(text('the transfer target is', 300, 'use a shorter sip: URI')).transform((value, ctx) => {
  if (/^sip:[^@\s]+@[^\s]+$/.test(value)) return value;
  const e164 = toE164(value.replace(/^tel:/, ''));
  if (e164) return e164;
  ctx.addIssue({
    code: 'custom',
    message: `transfer target "${value}" is neither an E.164 number (e.g. +17135550100) nor a sip: URI (e.g. sip:desk@pbx.example.com)`,
  });
  return z.NEVER;
});

const transfer = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'transfer name must be lowercase letters, digits, "-" or "_" (the agent says it)'),
  description: text('the description is', 500, 'shorten it (the agent reads it to choose whom to transfer to)').min(1),
  target: transferTarget,
});

export const numberConfigSchema = z
  .strictObject({
      number: e164('number'),
      label: text('the label is', 100, 'shorten it').optional(),
      enabled: z.boolean().default(true),
      agent: agent.optional(),
      transfers: z.array(transfer).max(20, 'at most 20 transfer targets: the agent chooses among them by name').default([]),
      endCall: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
      limits: z
        .strictObject({
          // OpenAI ends every session at 60 minutes.
          maxCallSeconds: z.number().int().min(30).max(SESSION_CAP_SECONDS).default(1800),
          maxConcurrentCalls: z.number().int().positive().optional(),
        })
        .default({ maxCallSeconds: 1800 }),
      callers: z
        .strictObject({ block: z.array(e164('blocked caller')).max(1_000, 'at most 1,000 blocked callers').default([]) })
        .default({ block: [] }),
  })
  .superRefine((config, ctx) => {
    if (config.enabled && !config.agent) {
      ctx.addIssue({ code: 'custom', path: ['agent'], message: 'an enabled number needs an "agent" (instructions, voice, ...)' });
    }
    const names = config.transfers.map((t) => t.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['transfers', i, 'name'], message: `transfer name "${name}" is used twice` });
      }
    });
  });

export type NumberConfig = z.output<typeof numberConfigSchema>;
export type AgentConfig = NonNullable<NumberConfig['agent']>;
export type TransferConfig = NumberConfig['transfers'][number];

export interface ConfigProblem {
  /** Where in the document, e.g. `agent.turnDetection.threshold` or `transfers[1].target`. */
  path: string;
  message: string;
}

export class InvalidNumberConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid number config:\n${problems.map((p) => `  - ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n')}`,
    );
    this.name = 'InvalidNumberConfigError';
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** Every problem in a document, each with its path; empty when the document is valid. */
export function checkNumberConfig(doc: unknown): { config?: NumberConfig; problems: ConfigProblem[] } {
  const result = numberConfigSchema.safeParse(doc);
  if (result.success) return { config: result.data, problems: [] };
  return { problems: result.error.issues.flatMap((issue) => describeIssue(issue)) };
}

/** OpenAI refuses these turn-detection fields for SIP calls (400 at accept). */
const SIP_REFUSED_TURN_DETECTION = ['threshold', 'prefix_padding_ms', 'silence_duration_ms', 'prefixPaddingMs', 'silenceDurationMs'];

/** Fields users put at the top level that belong to the agent. */
const AGENT_FIELDS = ['greeting', 'instructions', 'voice', 'model', 'transcription', 'turnDetection'];

function unknownFieldMessage(path: readonly PropertyKey[], key: string): string {
  const where = pathText(path);
  if (where === 'agent.turnDetection' && SIP_REFUSED_TURN_DETECTION.includes(key)) {
    return `"${key}" cannot be set for phone calls: OpenAI refuses it for SIP sessions (allowed: type, eagerness, createResponse, interruptResponse, idleTimeoutMs)`;
  }
  if (where === '' && AGENT_FIELDS.includes(key)) {
    return `unknown field "${key}": it belongs inside "agent" (agent.${key})`;
  }
  return `unknown field "${key}"`;
}

function describeIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: pathText([...issue.path, key]), message: unknownFieldMessage(issue.path, key) }));
  }
  return [{ path: pathText(issue.path), message: issue.message }];
}

/** Parses a number config, throwing one error that lists every problem. */
export function parseNumberConfig(doc: unknown): NumberConfig {
  const { config, problems } = checkNumberConfig(doc);
  if (!config) throw new InvalidNumberConfigError(problems);
  return config;
}
