import { csvCell } from '../../cli/csv';

describe('a CSV cell', () => {
  it.each<[string, unknown, string]>([
    ['plain text', 'caller-hung-up', 'caller-hung-up'],
    ['a formula', '=HYPERLINK("https://evil.example","open")', `"'=HYPERLINK(""https://evil.example"",""open"")"`],
    ['a phone number', '+17134810111', "'+17134810111"],
    ['a minus', '-2+3', "'-2+3"],
    ['an at sign', '@SUM(A1)', "'@SUM(A1)"],
    ['a leading tab', '\t=1+1', "'\t=1+1"],
    ['a leading carriage return', '\r=1+1', `"'\r=1+1"`],
    ['a comma', 'a,b', '"a,b"'],
    ['a quote', 'say "hi"', '"say ""hi"""'],
    ['a line break', 'one\ntwo', '"one\ntwo"'],
    ['a negative number (a number, not a formula)', -1, '-1'],
    ['a number', 42, '42'],
    ['nothing', undefined, ''],
  ])('%s', (_, value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });
});
