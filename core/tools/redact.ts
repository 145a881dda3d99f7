/** What a redacted field's value becomes. */
export const REDACTED = '[redacted]';

/**
 * `args` with every field named in `fields` (at any depth, in objects and in arrays; names
 * compared without regard to letter case, so `cardNumber` also covers `CardNumber`) replaced by
 * "[redacted]", whatever its value was. For what is logged and recorded of a tool call; the
 * user's endpoint gets the arguments as the model gave them. `args` is not changed.
 */
export function redactArguments(args: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0) return args;
  const names = new Set(fields.map((f) => f.toLowerCase()));
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, names.has(key.toLowerCase()) ? REDACTED : walk(inner)]));
  };
  return walk(args);
}

/**
 * A tool call's arguments as they are recorded and logged: the model's JSON with `fields`
 * redacted. Text that is not JSON cannot be searched for a field, so it is recorded whole only
 * when nothing is to be redacted (cut to `maxChars`), and as "[redacted]" otherwise.
 */
export function recordedArguments(raw: string, fields: readonly string[], maxChars = Infinity): unknown {
  try {
    return redactArguments(raw.trim() === '' ? {} : JSON.parse(raw), fields);
  } catch {
    return fields.length > 0 ? REDACTED : raw.slice(0, maxChars);
  }
}
