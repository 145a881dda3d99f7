/**
 * The emulator's stand-in model: every answer follows from the conversation, so tests can say what
 * it answers. The text session (`switchboard try` on a Realtime number) and the Responses API
 * (`switchboard try` on a GPT-Live number's backend) answer by the same rules. Items are in the
 * Realtime conversation's and the Responses API's shared shape: `message` (content parts with
 * `text` or `transcript`), `function_call`, `function_call_output`.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a function call's output is cut to in the answer that reads it back. */
const OUTPUT_SHOWN = 500;

/** The answer when the conversation holds no user message to answer. */
const NOTHING_SAID = 'Hello! How can I help you?';

export type Reply = { kind: 'message'; text: string } | { kind: 'function_call'; name: string; arguments: string };

/**
 * What the stand-in model answers, first rule that applies:
 * 1. the response's instructions are the worker's greeting (`sayExactly`): exactly those words;
 * 2. the last item is a function call's output: `Here is what I found: <output>`;
 * 3. the last user message names one of the session's function tools as a word: a call of the
 *    one named first, its arguments the first JSON object in the message (else `{}`);
 * 4. `You said: <the last user message>`.
 */
export function replyTo(conversation: readonly Json[], tools: unknown, instructions: unknown): Reply {
  // sayExactly turns the words' apostrophes into typographic ones, so the quotes delimit them.
  const greeting = typeof instructions === 'string' ? /^Say exactly '(.*)'$/s.exec(instructions) : null;
  if (greeting) return { kind: 'message', text: greeting[1] };
  const last = conversation.at(-1);
  if (last?.type === 'function_call_output') return { kind: 'message', text: `Here is what I found: ${String(last.output).slice(0, OUTPUT_SHOWN)}` };
  const message = [...conversation].reverse().find((item) => item.type === 'message' && item.role === 'user');
  if (!message) return { kind: 'message', text: NOTHING_SAID };
  const said = textOf(message);
  const tool = toolNamedIn(said, tools);
  if (tool) return { kind: 'function_call', name: tool, arguments: firstJsonObject(said) ?? '{}' };
  return { kind: 'message', text: `You said: ${said}` };
}

/** An item's words: a message's text (or transcripts), a call's arguments, an output. */
export function textOf(item: Json): string {
  if (item.type === 'function_call') return String(item.arguments ?? '');
  if (item.type === 'function_call_output') return String(item.output ?? '');
  const content = Array.isArray(item.content) ? item.content.filter(isObject) : [];
  return content.map((part) => String(part.text ?? part.transcript ?? '')).join(' ');
}

/** The session's function tool whose name comes first in `text` as a whole word (names are letters, digits, `_` and `-`). */
function toolNamedIn(text: string, tools: unknown): string | undefined {
  const names = (Array.isArray(tools) ? tools : []).flatMap((t) => (isObject(t) && t.type === 'function' && typeof t.name === 'string' ? [t.name] : []));
  const at = (name: string) => new RegExp(`(?<![\\w-])${name.replace(/[^\w-]/g, '\\$&')}(?![\\w-])`).exec(text)?.index ?? -1;
  return names
    .map((name) => ({ name, index: at(name) }))
    .filter((found) => found.index >= 0)
    .sort((a, b) => a.index - b.index)[0]?.name;
}

/** The first `{...}` in `text` that parses as JSON, as written. */
function firstJsonObject(text: string): string | undefined {
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    for (let end = text.indexOf('}', start); end >= 0; end = text.indexOf('}', end + 1)) {
      const candidate = text.slice(start, end + 1);
      try {
        JSON.parse(candidate);
        return candidate;
      } catch {
        // not a whole object yet: try the next closing brace
      }
    }
  }
  return undefined;
}
