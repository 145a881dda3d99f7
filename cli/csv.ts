/** What makes a spreadsheet run a cell as a formula when the cell starts with it (OWASP, "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field. Text that would start a formula gets a leading `'`, which makes the cell text:
 * `=HYPERLINK(...)` stays words, and an E.164 number such as `+17134810111` stays text with its
 * plus (unguarded, a spreadsheet reads it as the number 17134810111, plus gone). One
 * rule for every column, phone numbers included, so no column is left out by mistake; programs
 * read the JSON lines export instead. Numbers are written as numbers. Then RFC 4180: quoted when
 * it holds a comma, quote or line break.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
