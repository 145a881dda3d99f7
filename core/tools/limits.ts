/**
 * The bounds of an HTTP tool call, in one place for the runner, the number config's schema and
 * the README.
 */

/** How long a tool call may take when its config says nothing: connect, answer and body together. */
export const DEFAULT_TOOL_TIMEOUT_MS = 4_000;

/** The longest a tool's `timeoutMs` may be: the caller hears silence (or `whileWaiting`) meanwhile. */
export const MAX_TOOL_TIMEOUT_MS = 10_000;

/**
 * The most of an answer the model is given, in UTF-8 bytes, note included: a longer answer is cut
 * at a character boundary and ends with a note saying so. The Realtime model reads every byte of
 * it on every later turn of the call.
 */
export const TOOL_ANSWER_CUT_BYTES = 8 * 1024;

/** The most of an answer that is read: past this the call is an error ("answer too large") and reading stops. */
export const TOOL_ANSWER_MAX_BYTES = 256 * 1024;
