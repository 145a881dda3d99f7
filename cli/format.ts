/** Plain-text tables for people; `--json` output is for programs. */
export function table(headers: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === undefined ? '' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => visibleLength(row[i] ?? ''))));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** `2026-11-24T08:45:30.123Z` -> `2026-11-24 08:45:30` (UTC, as stored). */
export function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '';
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Length as shown on a terminal: colour codes take no room. */
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}
