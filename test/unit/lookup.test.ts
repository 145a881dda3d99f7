import { fillTemplate, readLookupAnswer } from '../../core/calls/lookup';
import { greetingFor, rejectedBeforeLookup, routeCall } from '../../core/calls/route';
import { checkNumberConfig, parseNumberConfig } from '../../core/numbers/config';
import { lookupSigningSecret, runLookup } from '../../core/webhook/lookup';
import { staticSecret } from '../../core/webhook/secret-provider';
import { deriveSigningSecret } from '../../core/webhook/signature';

const CALLER = '+14067704205';
const NUMBER = '+17134810111';
const call = { number: NUMBER, caller: CALLER };
const WEBHOOK_SECRET = 'whsec_' + Buffer.from('an-openai-webhook-secret-of-32-bytes').toString('base64');

const config = (over: Record<string, unknown> = {}) =>
  parseNumberConfig({
    number: NUMBER,
    agent: { instructions: 'Caller {{first_name}} at {{caller}}.', greeting: 'Hi {{first_name}}!' },
    lookup: { url: 'https://crm.example.com/caller' },
    ...over,
  });

describe('what a lookup answers', () => {
  it.each([
    ['an empty body', '', { kind: 'answer' }],
    ['variables of strings, numbers and booleans (kept as text)', '{"variables":{"first_name":"Dana","visits":3,"vip":true}}', { kind: 'answer', variables: { first_name: 'Dana', visits: '3', vip: 'true' } }],
    ['a greeting', '{"greeting":"Welcome back!"}', { kind: 'answer', greeting: 'Welcome back!' }],
    ['a reject, which wins over the rest', '{"reject":486,"variables":{"a":"b"}}', { kind: 'reject', status: 486 }],
    ['fields it does not read (ignored)', '{"customerId":"c_1","variables":{}}', { kind: 'answer', variables: {} }],
  ])('reads %s', (_, body, expected) => {
    expect(readLookupAnswer(body)).toEqual(expected);
  });

  it.each([
    ['text', 'Dana', /not JSON/],
    ['an array', '[1]', /not a JSON object/],
    ['a reject outside 400-699', '{"reject":302}', /SIP code from 400 to 699/],
    ['a reject that is not a number', '{"reject":"busy"}', /SIP code/],
    ['variables that are not an object', '{"variables":["Dana"]}', /object of names to strings/],
    ['a variable name with a space', '{"variables":{"first name":"Dana"}}', /letters, digits or "_"/],
    ['a nested variable', '{"variables":{"name":{"first":"Dana"}}}', /string, number or boolean/],
    ['a very long variable', JSON.stringify({ variables: { note: 'x'.repeat(1_001) } }), /longer than 1000/],
    ['too many variables', JSON.stringify({ variables: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`v${i}`, 'x'])) }), /at most 50/],
    ['an empty greeting', '{"greeting":"  "}', /non-empty string/],
  ])('refuses %s, saying why', (_, body, problem) => {
    expect(readLookupAnswer(body)).toEqual({ kind: 'invalid', problem: expect.stringMatching(problem) });
  });
});

describe('filling templates', () => {
  it('fills names, spaces inside the braces allowed, and leaves secret references alone', () => {
    expect(fillTemplate('{{ a }}-{{b}}-{{secret:x}}', { a: '1', b: '2' })).toBe('1-2-{{secret:x}}');
  });
  it('does not let a variable stand in for what SIP said', () => {
    const decision = routeCall(call, config(), 0, '2026-12-01', { status: 'answered', durationMs: 5, httpStatus: 200, variables: { caller: '+19999999999', first_name: 'Dana' } });
    expect(decision).toMatchObject({ kind: 'accept', session: { instructions: `Caller Dana at ${CALLER}.` }, greeting: 'Hi Dana!' });
  });
  it('does not take a name from the object prototype', () => {
    expect(fillTemplate('{{constructor}}{{toString}}', {})).toBe('');
  });
});

describe('the decision with a lookup', () => {
  it('rejects with the code the lookup gave, after the number\'s own rules', () => {
    const rejected = { status: 'rejected' as const, durationMs: 5, httpStatus: 200, rejectStatus: 603 };
    expect(routeCall(call, config(), 0, '2026-12-01', rejected)).toEqual({ kind: 'reject', status: 603, reason: 'lookup-rejected' });
    expect(routeCall(call, config({ limits: { maxConcurrentCalls: 1 } }), 1, '2026-12-01', rejected)).toMatchObject({ reason: 'number-busy' });
  });
  it('answers with the stored config when the lookup failed', () => {
    const decision = routeCall(call, config(), 0, '2026-12-01', { status: 'failed', durationMs: 1500, error: 'timeout' });
    expect(decision).toMatchObject({ kind: 'accept', session: { instructions: `Caller  at ${CALLER}.` }, greeting: 'Hi !' });
  });
  it('greets with the lookup\'s own greeting, filled in too', () => {
    expect(greetingFor(call, config(), { status: 'answered', durationMs: 5, httpStatus: 200, greeting: 'Hello {{first_name}} on {{number}}', variables: { first_name: 'Dana' } })).toBe(`Hello Dana on ${NUMBER}`);
  });
  it('is skipped for calls the number turns away by itself', () => {
    expect(rejectedBeforeLookup(call, config())).toBe(false);
    expect(rejectedBeforeLookup(call, config({ enabled: false }))).toBe(true);
    expect(rejectedBeforeLookup(call, config({ callers: { block: [CALLER] } }))).toBe(true);
    expect(rejectedBeforeLookup(call, undefined)).toBe(true);
  });
});

describe("a number's lookup in its config", () => {
  it('defaults to 1.5 s and refuses more than 3 s', () => {
    expect(config().lookup).toEqual({ url: 'https://crm.example.com/caller', timeoutMs: 1500, allowPrivateNetwork: false });
    expect(checkNumberConfig({ number: NUMBER, agent: { instructions: 'x' }, lookup: { url: 'https://crm.example.com', timeoutMs: 3001 } }).problems).toEqual([
      { path: 'lookup.timeoutMs', message: expect.stringMatching(/from 100 to 3,000/) },
    ]);
  });
  it.each([
    ['plain http to another machine', { url: 'http://crm.example.com/caller' }, /http:\/\/ is allowed only to this machine/],
    ['credentials in the url', { url: 'https://user:pw@crm.example.com/caller' }, /must not carry a user name or password/],
    ['headers (the webhook holds no tool secrets)', { url: 'https://crm.example.com', headers: { a: 'b' } }, /unknown field "headers"/],
  ])('refuses %s', (_, lookup, message) => {
    expect(checkNumberConfig({ number: NUMBER, agent: { instructions: 'x' }, lookup }).problems).toEqual([expect.objectContaining({ message: expect.stringMatching(message) })]);
  });
});

describe('the lookup signing secret', () => {
  it('is a Standard Webhooks secret of its own, derived from the webhook secret and never equal to it', () => {
    const secret = lookupSigningSecret(WEBHOOK_SECRET);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secret).not.toBe(WEBHOOK_SECRET);
    expect(lookupSigningSecret(WEBHOOK_SECRET)).toBe(secret);
    expect(deriveSigningSecret(WEBHOOK_SECRET, 'something else')).not.toBe(secret);
  });
});

describe('where a lookup may go', () => {
  const host = (address: string) => ({ webhookSecret: staticSecret(WEBHOOK_SECRET), allowLoopback: false, resolve: async () => [{ address, family: address.includes(':') ? 6 : 4 }] });
  const request = { callId: 'rtc_1', number: NUMBER, caller: CALLER, sipHeaders: [] };

  it.each([
    ['the instance metadata service', 'https://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['a name that resolves to a private address', 'https://crm.internal.example/caller', '10.0.0.5'],
    ['a link-local address', 'https://[fe80::1]/caller', 'fe80::1'],
  ])('refuses %s, and sends nothing', async (_, url, address) => {
    const record = await runLookup({ url, timeoutMs: 500, allowPrivateNetwork: false }, request, host(address));
    expect(record).toEqual({ status: 'failed', durationMs: expect.any(Number), error: expect.stringMatching(/address: .*nothing was sent/) });
  });
});
