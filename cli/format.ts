/** How the CLI and the console show things to people: tables, times, durations, dollars. */
import type { CallCost, PartCost } from '../core/pricing/call-cost';

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

/** `$0.0123 (session $0.0100, transcription $0.0020, analysis $0.0003)`, or `unpriced (...)` with each unpriced part's reason. */
export function costText(cost: CallCost): string {
  const parts = Object.entries(cost.parts).filter((entry): entry is [string, PartCost] => entry[1] !== undefined);
  const each = parts.map(([name, part]) => ('usd' in part ? `${name} ${usd(part.usd)}` : `${name}: ${part.unpriced}`)).join(', ');
  return cost.totalUsd !== undefined ? `${usd(cost.totalUsd)} (${each})` : `unpriced (${each})`;
}

/** `also offered by Realtime as rtc_1, acknowledged and not answered`: the other API's offers of a call's SIP call. */
export function otherEngineOffersText(ids: readonly string[]): string {
  return `also offered by ${ids.map((id) => `${id.startsWith('live_') ? 'GPT-Live' : 'Realtime'} as ${id}`).join(', ')}, acknowledged and not answered`;
}

/** Dollars: cents from a dollar up, four places below (a call's cost), two significant digits below a cent. */
export function usd(value: number): string {
  if (value === 0) return '$0';
  if (value >= 1) return `$${value.toFixed(2)}`;
  return value >= 0.01 ? `$${value.toFixed(4)}` : `$${value.toPrecision(2)}`;
}

/** A call's total as listings show it: dollars, `unpriced`, or nothing for a call without a cost. */
export function totalCostText(cost: CallCost | undefined): string {
  return cost ? (cost.totalUsd !== undefined ? usd(cost.totalUsd) : 'unpriced') : '';
}
