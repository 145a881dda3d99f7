import { TOOL_ANSWER_CUT_BYTES } from './limits';

/**
 * What the model is told of an HTTP tool call: its `function_call_output`. Pure, so the wording
 * is tested in one place. Errors name the tool and what went wrong in words the agent can say
 * to the caller: no status codes, addresses, error codes or secrets (those go to the timeline).
 */

/** How a tool call went, for the model's words and the call's timeline. */
export type HttpToolOutcome =
  | 'ok'
  /** The whole call (connect, answer and body, and the one retry) took longer than the tool's timeoutMs. */
  | 'timeout'
  /** No connection (refused, twice; DNS failed; TLS failed) or it broke before the answer was complete. */
  | 'unreachable'
  /** The endpoint answered with a status outside 2xx and 3xx. */
  | 'http-error'
  /** The endpoint answered 3xx: redirects are not followed (the next address would not have been checked). */
  | 'redirected'
  /** The answer was longer than TOOL_ANSWER_MAX_BYTES; reading stopped there. */
  | 'too-large'
  /** The tool's host is, or resolved to, an address the policy refuses; nothing was sent. */
  | 'refused-address'
  /** The tool's url is not one the runner may use (see checkEndpointUrl); nothing was sent. */
  | 'bad-url'
  /** A `{{secret:NAME}}` in the headers has no value; nothing was sent. */
  | 'secret-missing'
  /** A header name or value (after its secrets were filled in) that HTTP cannot carry, e.g. a line break; nothing was sent. */
  | 'bad-header'
  /** The tool signing secret is not `whsec_` + base64; nothing was sent. */
  | 'bad-signing-secret'
  /** The model's arguments are not JSON; nothing was sent, and the model is asked to call again. */
  | 'bad-arguments';

export type HttpToolFailure = Exclude<HttpToolOutcome, 'ok'>;

const FAILURE_WORDS: Record<HttpToolFailure, (tool: string) => string> = {
  timeout: (tool) => `the ${tool} tool did not answer in time`,
  unreachable: (tool) => `the ${tool} tool could not be reached`,
  'http-error': (tool) => `the ${tool} tool failed: it answered with an error`,
  redirected: (tool) => `the ${tool} tool failed: it answered with a redirect, and redirects are not followed`,
  'too-large': (tool) => `the ${tool} tool's answer was too large to use`,
  'refused-address': (tool) => `the ${tool} tool's address is not allowed`,
  'bad-url': (tool) => `the ${tool} tool is not set up correctly: its address is not a usable https address`,
  'secret-missing': (tool) => `the ${tool} tool is not set up correctly: a secret it needs is missing`,
  'bad-header': (tool) => `the ${tool} tool is not set up correctly: one of its headers is not valid`,
  'bad-signing-secret': (tool) => `the ${tool} tool is not set up correctly: its signing secret is not valid`,
  'bad-arguments': (tool) => `the arguments for the ${tool} tool were not valid JSON: call it again with a JSON object`,
};

/** The output for a tool call that failed, e.g. `{"error":"the lookup_order tool did not answer in time"}`. */
export function toolFailureOutput(tool: string, outcome: HttpToolFailure): string {
  return JSON.stringify({ error: FAILURE_WORDS[outcome](tool) });
}

/**
 * The output for a 2xx answer: its text as it came (JSON or not), at most TOOL_ANSWER_CUT_BYTES of
 * UTF-8 with the note included. A longer answer is cut at a character boundary and ends with a
 * note saying it was cut, so the model does not take a part for the whole.
 */
export function answerOutput(tool: string, answer: string, maxBytes = TOOL_ANSWER_CUT_BYTES): { output: string; truncated: boolean } {
  if (answer.trim() === '') return { output: JSON.stringify({ ok: true, note: `the ${tool} tool answered with no content` }), truncated: false };
  const bytes = Buffer.byteLength(answer);
  if (bytes <= maxBytes) return { output: answer, truncated: false };
  // The note's length depends on how much is kept only through the digits: size it for the most.
  const note = (kept: number) => `\n[cut: the ${tool} tool's answer was ${bytes} bytes; only its first ${kept} bytes are above]`;
  const kept = cutUtf8(answer, Math.max(0, maxBytes - Buffer.byteLength(note(maxBytes))));
  return { output: kept + note(Buffer.byteLength(kept)), truncated: true };
}

/** The longest start of `text` that is at most `maxBytes` of UTF-8, never ending inside a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // A UTF-8 continuation byte is 10xxxxxx: back up to the first byte of the character it is in.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
