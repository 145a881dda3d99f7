import { CliError, EXIT } from './errors';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A date, or a date and a time with an optional zone: `2026-11-20`, `2026-11-20T08:00[:30[.5]][Z|-05:00]`. */
const DATE_TIME = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?)(Z|[+-]\d\d:\d\d)?)?$/i;

/**
 * `30m`, `24h`, `7d`, `2w`, or a date/time -> ISO 8601. A time without a zone is UTC, as is every
 * time the CLI shows, so the same command means the same on every machine.
 */
export function parseSince(text: string, now: number, option = '--since'): string {
  const trimmed = text.trim();
  const relative = /^(\d+)([mhdw])$/.exec(trimmed);
  if (relative) return new Date(now - Number(relative[1]) * UNITS[relative[2]]).toISOString();
  const parts = DATE_TIME.exec(trimmed);
  if (parts) {
    const [, date, time = '00:00', zone = 'Z'] = parts;
    const wallClock = `${date}T${time}`;
    // Date.parse rolls 2026-02-30 over into March: a time that does not read back as written does not exist.
    const asUtc = Date.parse(`${wallClock}Z`);
    const exists = !Number.isNaN(asUtc) && new Date(asUtc).toISOString().startsWith(wallClock);
    const at = Date.parse(`${wallClock}${zone.toUpperCase()}`);
    if (exists && !Number.isNaN(at)) return new Date(at).toISOString();
  }
  throw new CliError(`${option} "${text}" is not a time: use e.g. 30m, 24h, 7d, 2w or a date like 2026-11-20`, EXIT.usage);
}
