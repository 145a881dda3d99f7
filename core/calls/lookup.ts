/**
 * A lookup before answering: the number's config names the user's endpoint, which is asked about
 * each incoming call before it is accepted and may answer with variables for the instructions and
 * the greeting, a greeting of its own, or a SIP code to turn the call away. These are the pure
 * parts (the bounds, what an answer means, what the record keeps); core/webhook/lookup.ts sends
 * the request.
 */

/** How long the webhook waits when the config says nothing. The caller hears ringing meanwhile. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 1_500;
/** The longest a lookup's `timeoutMs` may be: OpenAI waits for the accept, and so does the caller. */
export const MAX_LOOKUP_TIMEOUT_MS = 3_000;
/** The most of an answer read: it carries a few variables, not documents. */
export const LOOKUP_ANSWER_MAX_BYTES = 16 * 1024;
export const MAX_LOOKUP_VARIABLES = 50;
export const MAX_LOOKUP_VARIABLE_CHARS = 1_000;
/** A greeting from the lookup is held to the config's own bound for one. */
export const MAX_LOOKUP_GREETING_CHARS = 1_000;

/** A `{{name}}` a template may hold: letters, digits and `_`, not starting with a digit. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** What the call's record keeps of the lookup. */
export type LookupRecord =
  | {
      status: 'answered';
      durationMs: number;
      httpStatus: number;
      /** Filled into `{{name}}` in the instructions and the greeting. */
      variables?: Record<string, string>;
      /** Said instead of the config's greeting. */
      greeting?: string;
    }
  | { status: 'rejected'; durationMs: number; httpStatus: number; rejectStatus: number }
  /** The call was answered with the stored config. */
  | { status: 'failed'; durationMs: number; httpStatus?: number; error: string };

export type LookupAnswer =
  | { kind: 'answer'; variables?: Record<string, string>; greeting?: string }
  | { kind: 'reject'; status: number }
  | { kind: 'invalid'; problem: string };

/**
 * What a 2xx answer's body means. Empty: answer with the stored config. Otherwise a JSON object
 * with any of `variables` (names to strings, numbers or booleans), `greeting` and `reject` (a SIP
 * code from 400 to 699, which wins over the rest). Other fields are ignored, so an endpoint may
 * send more than Switchboard reads. Anything else is invalid, with the reason for the record.
 */
export function readLookupAnswer(body: string): LookupAnswer {
  if (body.trim() === '') return { kind: 'answer' };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { kind: 'invalid', problem: 'the answer is not JSON' };
  }
  if (!isObject(doc)) return { kind: 'invalid', problem: 'the answer is not a JSON object' };
  if (doc.reject !== undefined) {
    const code = doc.reject;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 400 || code > 699) {
      return { kind: 'invalid', problem: `"reject" must be a SIP code from 400 to 699 (e.g. 486 busy, 603 decline), not ${JSON.stringify(code)}` };
    }
    return { kind: 'reject', status: code };
  }
  let variables: Record<string, string> | undefined;
  if (doc.variables !== undefined) {
    if (!isObject(doc.variables)) return { kind: 'invalid', problem: '"variables" must be an object of names to strings' };
    const entries = Object.entries(doc.variables);
    if (entries.length > MAX_LOOKUP_VARIABLES) return { kind: 'invalid', problem: `at most ${MAX_LOOKUP_VARIABLES} variables, not ${entries.length}` };
    variables = {};
    for (const [name, value] of entries) {
      if (!VARIABLE_NAME.test(name)) return { kind: 'invalid', problem: `variable name "${name.slice(0, 70)}" must be letters, digits or "_", not starting with a digit` };
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return { kind: 'invalid', problem: `variable "${name}" must be a string, number or boolean` };
      }
      const text = String(value);
      if (text.length > MAX_LOOKUP_VARIABLE_CHARS) return { kind: 'invalid', problem: `variable "${name}" is longer than ${MAX_LOOKUP_VARIABLE_CHARS} characters` };
      variables[name] = text;
    }
  }
  let greeting: string | undefined;
  if (doc.greeting !== undefined) {
    if (typeof doc.greeting !== 'string' || doc.greeting.trim() === '') return { kind: 'invalid', problem: '"greeting" must be a non-empty string' };
    if (doc.greeting.length > MAX_LOOKUP_GREETING_CHARS) return { kind: 'invalid', problem: `"greeting" is longer than ${MAX_LOOKUP_GREETING_CHARS} characters` };
    greeting = doc.greeting;
  }
  return { kind: 'answer', ...(variables && { variables }), ...(greeting !== undefined && { greeting }) };
}

/**
 * Fills `{{name}}` from `values`. A name with no value becomes nothing: the model would read the
 * braces out, and the caller would hear them in a greeting. `{{secret:...}}` is not a name and is
 * left alone (it belongs in headers, never in words).
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => (Object.hasOwn(values, name) ? values[name] : ''));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
