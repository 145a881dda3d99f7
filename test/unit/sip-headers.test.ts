import { parseCallParties, sipCallIdOf, type SipHeader } from '../../core/calls/sip-headers';

const PROJECT_TO = 'sip:proj_XnGzQBp38qGPqjV5GaYVXVGY@sip.api.openai.com;transport=tls';
const h = (name: string, value: string): SipHeader => ({ name, value });

describe('parseCallParties', () => {
  it('reads the example webhook from the Wavix guide', () => {
    const headers = [
      h('From', '"+14067704205" <sip:+14067704205@209.58.144.243>;tag=as6442942c'),
      h('To', PROJECT_TO),
      h('Call-ID', '03782086-4ce9-44bf-8b0d-4e303d2cc590'),
      h('x-number', '17134810111'),
    ];
    expect(parseCallParties(headers)).toEqual({ dialed: '+17134810111', caller: '+14067704205' });
  });

  describe('dialed number', () => {
    it.each<[string, SipHeader[], string | undefined]>([
      ['x-number, digits without +', [h('x-number', '17134810111')], '+17134810111'],
      ['x-number with +', [h('x-number', '+17134810111')], '+17134810111'],
      ['x-number wins over To', [h('To', '<sip:+442079460000@carrier>'), h('x-number', '17134810111')], '+17134810111'],
      ['X-NUMBER in upper case', [h('X-NUMBER', '17134810111')], '+17134810111'],
      ['To user part when there is no x-number', [h('To', '<sip:+17134810111@sip.api.openai.com>')], '+17134810111'],
      ['To user part without +', [h('To', 'sip:17134810111@sip.api.openai.com;user=phone')], '+17134810111'],
      ['To as a tel URI', [h('To', '<tel:+1-713-481-0111>')], '+17134810111'],
      ['compact To (t)', [h('t', '<sip:+17134810111@sip.api.openai.com>')], '+17134810111'],
      ['To naming the OpenAI project, nothing else', [h('To', PROJECT_TO)], undefined],
      [
        'Diversion when To names the project',
        [h('To', PROJECT_TO), h('Diversion', '<sip:+17134810111@carrier.example>;reason=unconditional;counter=1')],
        '+17134810111',
      ],
      [
        'the most recent diversion (listed first)',
        [h('Diversion', '<sip:+17134810111@a.example>;reason=unconditional, <sip:+442079460000@b.example>;reason=user-busy')],
        '+17134810111',
      ],
      ['P-Called-Party-ID', [h('To', PROJECT_TO), h('P-Called-Party-ID', '<sip:+17134810111@ims.example>')], '+17134810111'],
      [
        'Diversion before P-Called-Party-ID',
        [h('P-Called-Party-ID', '<tel:+442079460000>'), h('Diversion', '<sip:+17134810111@carrier>')],
        '+17134810111',
      ],
      ['garbage x-number falls through to To', [h('x-number', 'not-a-number'), h('To', '<sip:+17134810111@h>')], '+17134810111'],
      ['an invalid x-number (too short) falls through', [h('x-number', '12'), h('To', '<sip:+17134810111@h>')], '+17134810111'],
      ['first usable of repeated x-number headers', [h('x-number', ''), h('x-number', '17134810111'), h('x-number', '442079460000')], '+17134810111'],
      ['no headers', [], undefined],
      ['only garbage', [h('x-number', '¯\\_(ツ)_/¯'), h('To', '<<<>>>'), h('Diversion', 'sip:'), h('P-Called-Party-ID', 'tel:')], undefined],
    ])('%s', (_, headers, dialed) => {
      expect(parseCallParties(headers).dialed).toBe(dialed);
    });
  });

  describe('caller', () => {
    it.each<[string, SipHeader[], string]>([
      ['display name and tag', [h('From', '"+14067704205" <sip:+14067704205@209.58.144.243>;tag=as6442942c')], '+14067704205'],
      ['bracketed URI, digits without +', [h('From', '<sip:14067704205@host>;tag=1')], '+14067704205'],
      ['addr-spec with user=phone', [h('From', 'sip:+14067704205@host;user=phone')], '+14067704205'],
      ['sips URI', [h('From', '<sips:+14067704205@host>')], '+14067704205'],
      ['user parameters in the user part', [h('From', '<sip:+14067704205;npdi;rn=+14065550000@host;user=phone>')], '+14067704205'],
      ['percent-encoded +', [h('From', '<sip:%2B14067704205@host>')], '+14067704205'],
      ['tel URI', [h('From', '<tel:+14067704205>')], '+14067704205'],
      ['tel URI with visual separators', [h('From', 'tel:+1-406-770-4205')], '+14067704205'],
      ['tel URI with dots, parentheses and parameters', [h('From', '<tel:+1.(406).770.4205;ext=12>;tag=9')], '+14067704205'],
      ['00 international prefix', [h('From', '<sip:0014067704205@host>')], '+14067704205'],
      ['display name differs from the URI: the URI wins', [h('From', '"+17134810111" <sip:+14067704205@host>')], '+14067704205'],
      ['display name containing a fake URI', [h('From', '"<sip:+17134810111@x>" <sip:+14067704205@host>')], '+14067704205'],
      ['unquoted display name', [h('From', 'John Smith <sip:+14067704205@host>;tag=x')], '+14067704205'],
      ['lower-case name', [h('from', '<sip:+14067704205@host>')], '+14067704205'],
      ['upper-case name', [h('FROM', '<sip:+14067704205@host>')], '+14067704205'],
      ['compact From (f)', [h('f', '<sip:+14067704205@host>;tag=1')], '+14067704205'],
      ['compact F in upper case', [h('F', '<sip:+14067704205@host>;tag=1')], '+14067704205'],
      ['first usable of repeated From headers', [h('From', 'Restricted'), h('From', '<sip:+14067704205@host>')], '+14067704205'],
      ['the first of two usable From headers', [h('From', '<sip:+14067704205@h>'), h('From', '<sip:+17134810111@h>')], '+14067704205'],
      ['Anonymous (RFC 3323)', [h('From', '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=hyh8')], 'anonymous'],
      ['Restricted', [h('From', 'Restricted')], 'anonymous'],
      ['unavailable user part', [h('From', '<sip:unavailable@carrier.example>')], 'anonymous'],
      ['empty From', [h('From', '')], 'anonymous'],
      ['no From', [h('To', PROJECT_TO)], 'anonymous'],
      ['a number only in the display name', [h('From', '"+14067704205" <sip:anonymous@anonymous.invalid>')], 'anonymous'],
      ['SIP URI without a user part', [h('From', '<sip:carrier.example>')], 'anonymous'],
      ['national number without country code', [h('From', '<sip:0406770420@host>')], 'anonymous'],
      ['another scheme', [h('From', '<mailto:+14067704205@example.com>')], 'anonymous'],
      ['malformed percent escape', [h('From', '<sip:%E0%A4%A@host>')], 'anonymous'],
      ['garbage', [h('From', '<<sip:@@;;>>"')], 'anonymous'],
      ['P-Asserted-Identity is not used', [h('From', 'Anonymous <sip:anonymous@anonymous.invalid>'), h('P-Asserted-Identity', '<sip:+14067704205@h>')], 'anonymous'],
    ])('%s', (_, headers, caller) => {
      expect(parseCallParties(headers).caller).toBe(caller);
    });
  });
});

describe('the SIP Call-ID', () => {
  it.each([
    ['its full name, any case', [{ name: 'call-ID', value: ' a84b4c76e66710@pc33.example.com ' }], 'a84b4c76e66710@pc33.example.com'],
    ['its compact form', [{ name: 'i', value: 'f81d4fae' }], 'f81d4fae'],
    ['none', [{ name: 'From', value: '<sip:+14067704205@sip.example>' }], undefined],
  ])('is read from %s', (_, headers, id) => {
    expect(sipCallIdOf(headers)).toBe(id);
  });
  it('is bounded', () => {
    expect(sipCallIdOf([{ name: 'Call-ID', value: 'x'.repeat(1000) }])).toHaveLength(300);
  });
});
