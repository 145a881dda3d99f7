import { requireE164, toE164 } from '../../core/numbers/e164';

describe('toE164', () => {
  it.each([
    ['+1 (713) 481-0111', '+17134810111'],
    ['17134810111', '+17134810111'],
    ['0017134810111', '+17134810111'],
    ['011 44 20 7946 0958', '+442079460958'],
    ['+44 20 7946 0958', '+442079460958'],
    ['0044 20 7946 0958', '+442079460958'],
    ['+1-713-481-0111', '+17134810111'],
    ['  +17134810111 ', '+17134810111'],
  ])('%s -> %s', (input, expected) => {
    expect(toE164(input)).toBe(expected);
  });

  it.each([['abc'], ['+1 713'], ['(713) 481-0111'], [''], ['anonymous'], ['+1713481011199999'], ['sip:+17134810111@host']])(
    'refuses %p',
    (input) => {
      expect(toE164(input)).toBeUndefined();
    },
  );

  it('names the field and the value in its error', () => {
    expect(() => requireE164('+1 713', 'number')).toThrow('number "+1 713" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)');
  });
});
