import { CliError, EXIT } from './errors';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `24h`, `7d`, `2w`, or a date/time (`2026-11-20`, `2026-11-20T08:00Z`) -> ISO 8601. */
export function parseSince(text: string, now: number): string {
  const relative = /^(\d+)([mhdw])$/.exec(text.trim());
  if (relative) return new Date(now - Number(relative[1]) * UNITS[relative[2]]).toISOString();
  if (/^\d{4}-\d\d-\d\d/.test(text.trim())) {
    const at = Date.parse(text.trim());
    if (!Number.isNaN(at)) return new Date(at).toISOString();
  }
  throw new CliError(`--since "${text}" is not a time: use e.g. 30m, 24h, 7d, 2w or a date like 2026-11-20`, EXIT.usage);
}
