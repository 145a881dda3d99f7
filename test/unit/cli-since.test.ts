import { CliError } from '../../cli/errors';
import { parseSince } from '../../cli/since';

describe('--since', () => {
  const NOW = Date.parse('2026-12-01T20:00:00Z');
  // That a zone-less time is UTC on a machine in another zone is checked in cli-operator.test.ts:
  // TZ takes effect in a child process, not inside a Jest test file.

  it.each([
    ['30m', '2026-12-01T19:30:00.000Z'],
    ['2w', '2026-11-17T20:00:00.000Z'],
    ['2026-11-20', '2026-11-20T00:00:00.000Z'],
    ['2026-11-20T08:00', '2026-11-20T08:00:00.000Z'],
    ['2026-11-20 08:00', '2026-11-20T08:00:00.000Z'],
    ['2026-11-20T08:00:30.5', '2026-11-20T08:00:30.500Z'],
    ['2026-11-20T08:00Z', '2026-11-20T08:00:00.000Z'],
    ['2026-11-20T08:00-05:00', '2026-11-20T13:00:00.000Z'],
    ['2026-11-20T08:00+01:00', '2026-11-20T07:00:00.000Z'],
  ])('%s -> %s', (text, iso) => {
    expect(parseSince(text, NOW)).toBe(iso);
  });

  it.each([['yesterday'], ['2026-02-30'], ['2026-11-20T25:00'], ['2026-11-20T08'], ['2026-11-20T08:00+24:00'], ['2026-11-20foo'], ['20m ago']])('refuses %s', (text) => {
    expect(() => parseSince(text, NOW)).toThrow(CliError);
  });
});
