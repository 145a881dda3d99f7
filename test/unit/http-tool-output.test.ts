import { TOOL_ANSWER_CUT_BYTES } from '../../core/tools/limits';
import { secretNames, withoutSecrets } from '../../core/tools/secret-headers';
import { answerOutput, cutUtf8, toolFailureOutput, type HttpToolFailure } from '../../core/tools/tool-output';

describe('cutUtf8', () => {
  it.each<[string, string, number, string]>([
    ['short text', 'abc', 5, 'abc'],
    ['exactly the size', 'abcde', 5, 'abcde'],
    ['ASCII', 'abcdef', 4, 'abcd'],
    ['before a 2-byte character', 'aé', 2, 'a'],
    ['after a 2-byte character', 'aéb', 3, 'aé'],
    ['inside a 3-byte character', 'ab€', 4, 'ab'],
    ['inside a 4-byte character (an emoji: a surrogate pair in JS)', 'a😀b', 4, 'a'],
    ['after a 4-byte character', 'a😀b', 5, 'a😀'],
    ['nothing fits', '€', 2, ''],
    ['zero bytes', 'abc', 0, ''],
  ])('%s', (_, text, max, cut) => {
    expect(cutUtf8(text, max)).toBe(cut);
    expect(Buffer.byteLength(cutUtf8(text, max))).toBeLessThanOrEqual(max);
  });
});

describe('answerOutput', () => {
  it.each([
    ['JSON', '{"status":"shipped"}', '{"status":"shipped"}'],
    ['text', 'Your order shipped on Monday.', 'Your order shipped on Monday.'],
    ['an empty answer', '', '{"ok":true,"note":"the lookup_order tool answered with no content"}'],
    ['only white space', ' \n', '{"ok":true,"note":"the lookup_order tool answered with no content"}'],
  ])('gives %s as it came', (_, answer, output) => {
    expect(answerOutput('lookup_order', answer)).toEqual({ output, truncated: false });
  });

  it('gives an answer of exactly the cut size whole', () => {
    const answer = 'x'.repeat(TOOL_ANSWER_CUT_BYTES);
    expect(answerOutput('lookup_order', answer)).toEqual({ output: answer, truncated: false });
  });

  it.each([
    ['ASCII', 'x'.repeat(20_000)],
    ['3-byte characters', '€'.repeat(5_000)],
    ['emoji', '😀'.repeat(5_000)],
  ])('cuts a longer answer of %s to the cut size, note included, on a character boundary', (_, answer) => {
    const { output, truncated } = answerOutput('lookup_order', answer);
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(TOOL_ANSWER_CUT_BYTES);
    expect(Buffer.byteLength(output)).toBeGreaterThan(TOOL_ANSWER_CUT_BYTES - 100);
    const [kept, note] = output.split('\n[cut: ');
    expect(answer.startsWith(kept)).toBe(true);
    expect(note).toBe(`the lookup_order tool's answer was ${Buffer.byteLength(answer)} bytes; only its first ${Buffer.byteLength(kept)} bytes are above]`);
  });
});

describe('toolFailureOutput', () => {
  it.each<[HttpToolFailure, string]>([
    ['timeout', 'the lookup_order tool did not answer in time'],
    ['unreachable', 'the lookup_order tool could not be reached'],
    ['http-error', 'the lookup_order tool failed: it answered with an error'],
    ['redirected', 'the lookup_order tool failed: it answered with a redirect, and redirects are not followed'],
    ['too-large', "the lookup_order tool's answer was too large to use"],
    ['refused-address', "the lookup_order tool's address is not allowed"],
    ['bad-url', 'the lookup_order tool is not set up correctly: its address is not a usable https address'],
    ['secret-missing', 'the lookup_order tool is not set up correctly: a secret it needs is missing'],
    ['bad-header', 'the lookup_order tool is not set up correctly: one of its headers is not valid'],
    ['bad-signing-secret', 'the lookup_order tool is not set up correctly: its signing secret is not valid'],
    ['bad-arguments', 'the arguments for the lookup_order tool were not valid JSON: call it again with a JSON object'],
  ])('%s', (outcome, words) => {
    expect(JSON.parse(toolFailureOutput('lookup_order', outcome))).toEqual({ error: words });
  });
});

describe('secret references in headers', () => {
  it.each<[string, Record<string, string>, string[]]>([
    ['none', { accept: 'application/json' }, []],
    ['one', { Authorization: 'Bearer {{secret:orders-api}}' }, ['orders-api']],
    ['spaces inside the braces', { Authorization: 'Bearer {{ secret:orders-api }}' }, ['orders-api']],
    ['two in one value, one used twice', { a: '{{secret:x}}:{{secret:y}}', b: '{{secret:x}}' }, ['x', 'y']],
    ['a path-like name', { a: '{{secret:prod/orders.api_key}}' }, ['prod/orders.api_key']],
    ['not a reference', { a: '{{other:x}} {secret:y} {{secret:}}' }, []],
  ])('%s', (_, headers, names) => {
    expect(secretNames(headers)).toEqual(names);
  });

  it('keeps secret values out of text', () => {
    expect(withoutSecrets('token s3cr3t and s3cr3t again, key k-9', ['s3cr3t', 'k-9'])).toBe('token [secret] and [secret] again, key [secret]');
  });
});
