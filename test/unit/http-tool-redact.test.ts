import { recordedArguments, redactArguments } from '../../core/tools/redact';

describe('redactArguments', () => {
  it.each<[string, unknown, string[], unknown]>([
    ['a top-level field', { order: 'A1', cardNumber: '4111' }, ['cardNumber'], { order: 'A1', cardNumber: '[redacted]' }],
    ['a nested field', { customer: { name: 'Ann', ssn: '123' } }, ['ssn'], { customer: { name: 'Ann', ssn: '[redacted]' } }],
    ['fields in an array of objects', { items: [{ pin: 1 }, { pin: 2, sku: 'x' }] }, ['pin'], { items: [{ pin: '[redacted]' }, { pin: '[redacted]', sku: 'x' }] }],
    ['a field whose value is an object', { card: { number: '4111', cvc: '1' } }, ['card'], { card: '[redacted]' }],
    ['names in another letter case', { CardNumber: '4111' }, ['cardnumber'], { CardNumber: '[redacted]' }],
    ['several names', { a: 1, b: 2, c: 3 }, ['a', 'c'], { a: '[redacted]', b: 2, c: '[redacted]' }],
    ['null and empty values', { a: null, b: '' }, ['a', 'b'], { a: '[redacted]', b: '[redacted]' }],
    ['no names', { a: 1 }, [], { a: 1 }],
    ['a name that is not there', { a: 1 }, ['z'], { a: 1 }],
    ['a value, not a field name', { note: 'ssn' }, ['ssn'], { note: 'ssn' }],
    ['a top-level array', [{ ssn: 1 }], ['ssn'], [{ ssn: '[redacted]' }]],
    ['a string', 'ssn', ['ssn'], 'ssn'],
    ['null', null, ['ssn'], null],
  ])('%s', (_, args, fields, expected) => {
    expect(redactArguments(args, fields)).toEqual(expected);
  });

  it('leaves its argument as it was', () => {
    const args = { customer: { ssn: '123' } };
    redactArguments(args, ['ssn']);
    expect(args).toEqual({ customer: { ssn: '123' } });
  });
});

describe('recordedArguments', () => {
  it('redacts the fields of JSON arguments, and reads empty arguments as {}', () => {
    expect(recordedArguments('{"order":"A1","cardNumber":"4111"}', ['cardNumber'])).toEqual({ order: 'A1', cardNumber: '[redacted]' });
    expect(recordedArguments('', ['cardNumber'])).toEqual({});
  });
  it('records text that is not JSON whole only when nothing is to be redacted: a field in it cannot be found', () => {
    expect(recordedArguments('{"cardNumber":"4111', ['cardNumber'])).toBe('[redacted]');
    expect(recordedArguments('{"order":"A1', [])).toBe('{"order":"A1');
    expect(recordedArguments('x'.repeat(50), [], 10)).toBe('x'.repeat(10));
  });
});
