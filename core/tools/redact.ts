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
