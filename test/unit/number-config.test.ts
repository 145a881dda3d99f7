import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkNumberConfig, parseNumberConfig, InvalidNumberConfigError } from '../../core/numbers/config';
import { numberOverrideNote, parseConfigFile } from '../../core/numbers/config-file';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const withAgent = (agent: Record<string, unknown>) => ({ ...example, agent: { ...example.agent, ...agent } });

describe('number config', () => {
  it('accepts the documented example as it is, normalising numbers to E.164', () => {
    const config = parseNumberConfig(example);
    expect(config.number).toBe('+17134810111');
    expect(config.agent).toMatchObject({ model: 'gpt-realtime-2.1', voice: 'cedar', transcription: { model: 'gpt-live-transcribe' }, turnDetection: { type: 'semantic_vad', eagerness: 'auto' } });
    expect(config.transfers.map((t) => t.target)).toEqual(['+17135550100', 'sip:billing@pbx.example.com']);
    expect(config.limits).toEqual({ maxCallSeconds: 1800, maxConcurrentCalls: 10 });
    expect(config.callers.block).toEqual(['+14155550199']);
  });

  it('fills defaults for a minimal config', () => {
    expect(parseNumberConfig({ number: '17134810111', agent: { instructions: 'Be helpful.' } })).toEqual({
      number: '+17134810111',
      enabled: true,
      agent: {
        model: 'gpt-realtime-2.1',
        voice: 'marin',
        instructions: 'Be helpful.',
        transcription: { model: 'gpt-live-transcribe' },
        turnDetection: { type: 'semantic_vad' },
      },
      transfers: [],
      endCall: { enabled: true },
      limits: { maxCallSeconds: 1800 },
      callers: { block: [] },
    });
  });

  it('lets a disabled number go without an agent', () => {
    expect(parseNumberConfig({ number: '+17134810111', enabled: false }).enabled).toBe(false);
  });

  it.each<[string, unknown, string, string]>([
    ['a number that is not a number', { ...example, number: 'support' }, 'number', 'number "support" is not a valid phone number'],
    ['an unknown field', { ...example, colour: 'blue' }, 'colour', 'unknown field "colour"'],
    ['an unknown agent field', withAgent({ temperature: 0.7 }), 'agent.temperature', 'unknown field "temperature"'],
    ['a greeting with no agent', { number: '+17134810111', greeting: 'Hello!' }, 'greeting', 'it belongs inside "agent"'],
    ['an enabled number with no agent', { number: '+17134810111' }, 'agent', 'an enabled number needs an "agent"'],
    ['threshold', withAgent({ turnDetection: { type: 'server_vad', threshold: 0.5 } }), 'agent.turnDetection.threshold', 'OpenAI refuses it for SIP'],
    ['prefix_padding_ms', withAgent({ turnDetection: { type: 'server_vad', prefix_padding_ms: 300 } }), 'agent.turnDetection.prefix_padding_ms', 'OpenAI refuses it for SIP'],
    ['silence_duration_ms', withAgent({ turnDetection: { type: 'server_vad', silence_duration_ms: 500 } }), 'agent.turnDetection.silence_duration_ms', 'OpenAI refuses it for SIP'],
    ['an unknown turn detection type', withAgent({ turnDetection: { type: 'push_to_talk' } }), 'agent.turnDetection.type', ''],
    ['a transfer target that is neither E.164 nor sip:', { ...example, transfers: [{ name: 'sales', description: 'Sales', target: 'sales-desk' }] }, 'transfers[0].target', 'neither an E.164 number'],
    ['a duplicate transfer name', { ...example, transfers: [example.transfers[0], example.transfers[0]] }, 'transfers[1].name', 'used twice'],
    ['a blocked caller that is not a number', { ...example, callers: { block: ['nobody'] } }, 'callers.block[0]', 'blocked caller "nobody"'],
    ['a call limit beyond the 60-minute session cap', { ...example, limits: { maxCallSeconds: 7200 } }, 'limits.maxCallSeconds', ''],
    ['instructions longer than 65,536 characters', withAgent({ instructions: 'x'.repeat(500_000) }), 'agent.instructions', 'instructions are 500,000 characters long; at most 65,536 are allowed'],
    ['a greeting longer than 1,000 characters', withAgent({ greeting: 'Hello! '.repeat(200) }), 'agent.greeting', 'the greeting is 1,400 characters long; at most 1,000 are allowed'],
    ['a transfer description longer than 500 characters', { ...example, transfers: [{ ...example.transfers[0], description: 'd'.repeat(501) }] }, 'transfers[0].description', 'at most 500 are allowed'],
    ['more than 20 transfers', { ...example, transfers: Array.from({ length: 21 }, (_, i) => ({ name: `desk-${i}`, description: 'A desk', target: '+17135550100' })) }, 'transfers', 'at most 20 transfer targets'],
    ['more than 1,000 blocked callers', { ...example, callers: { block: Array.from({ length: 1_001 }, (_, i) => `+1415${2_000_000 + i}`) } }, 'callers.block', 'at most 1,000 blocked callers'],
    ['a number written as a number', { ...example, number: 17134810111 }, 'number', 'number 17134810111 was read as a number, not text: put it in quotes, e.g. "+17134810111"'],
    ['a transfer target written as a number', { ...example, transfers: [{ ...example.transfers[0], target: 17135550100 }] }, 'transfers[0].target', 'transfer target 17135550100 was read as a number, not text: put it in quotes, e.g. "+17135550100"'],
    ['a number that is neither text nor a number', { ...example, number: true }, 'number', 'number must be text, e.g. "+17134810111"'],
  ])('refuses %s, naming where', (_, doc, path, message) => {
    const { config, problems } = checkNumberConfig(doc);
    expect(config).toBeUndefined();
    expect(problems).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('reports every problem at once', () => {
    const { problems } = checkNumberConfig({ ...example, number: 'x', colour: 1, transfers: [{ name: 'Sales Team', description: 'x', target: 'y' }] });
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['number', 'colour', 'transfers[0].name', 'transfers[0].target']));
  });

  it('throws one error listing the problems', () => {
    expect(() => parseNumberConfig({ number: 'x' })).toThrow(InvalidNumberConfigError);
    expect(() => parseNumberConfig({ number: 'x' })).toThrow(/number: number "x" is not a valid phone number/);
  });
});

describe('number config files', () => {
  it.each<[string, string, string]>([
    ['a trailing comma', '{\n  "number": "+17134810111",\n}\n', 'Expected double-quoted property name at line 3, column 1'],
    ['a trailing comma in a list', '{\n  "callers": { "block": ["+14155550199",] }\n}', "Unexpected token ']' at line 2, column 41"],
    ['a comment', '{\n  // the support line\n  "number": "+17134810111"\n}', "Expected property name or '}' at line 2, column 3"],
    ['a misspelt literal', '{ "enabled": tru }', "Unexpected token ' ' at line 1, column 17"],
    ['text after the object', '{ "enabled": true } x', 'Unexpected non-whitespace character after JSON at line 1, column 21'],
    ['an empty file', '', 'Unexpected end of JSON input at line 1, column 1'],
    ['a file cut short', '{\n  "number": "+1713', 'Unterminated string at line 2, column 19'],
  ])('a .json file with %s is refused with the line and column', (_, text, why) => {
    expect(parseConfigFile('line.json', text)).toEqual({ ok: false, message: `line.json is not valid JSON: ${why}` });
  });

  it('reads .json as JSON and anything else as YAML (which reads JSON too)', () => {
    const json = '{ "number": "+17134810111", "enabled": false }';
    expect(parseConfigFile('line.json', json)).toEqual({ ok: true, doc: { number: '+17134810111', enabled: false } });
    expect(parseConfigFile('line.yaml', 'number: "+17134810111"\nenabled: false\n')).toEqual({ ok: true, doc: { number: '+17134810111', enabled: false } });
    expect(parseConfigFile('line.txt', json)).toEqual({ ok: true, doc: { number: '+17134810111', enabled: false } });
    expect(parseConfigFile('line.yaml', 'a: [1\n')).toMatchObject({ ok: false, message: expect.stringMatching(/^line.yaml is not valid YAML: .* at line 2, column 1:$/) });
  });

  it('takes the version `numbers get --out` writes, apart from the config', () => {
    expect(parseConfigFile('line.json', '{ "number": "+17134810111", "version": 3 }')).toEqual({ ok: true, doc: { number: '+17134810111' }, version: 3 });
    expect(parseConfigFile('line.json', '{ "version": "3" }')).toEqual({ ok: false, message: 'line.json: "version" must be the whole number `numbers get` wrote, got "3"' });
    expect(parseConfigFile('line.json', '[]')).toEqual({ ok: false, message: 'line.json must hold one number config object' });
  });

  it.each<[string, unknown, string | undefined]>([
    ['no number in the file', undefined, undefined],
    ['the same number', '+17134810111', undefined],
    ['the same number written another way', '1 (713) 481-0111', undefined],
    ['another number', '+1 713 481 0122', 'line.yaml names +17134810122; the config is stored under +17134810111, the number on the command line'],
    ['something that is not a number', 'support', 'line.yaml names "support"; the config is stored under +17134810111, the number on the command line'],
    ['a number YAML read as a number', 17134810122, 'line.yaml names 17134810122; the config is stored under +17134810111, the number on the command line'],
  ])('put +17134810111 with %s in the file', (_, number, note) => {
    expect(numberOverrideNote('line.yaml', '+17134810111', number === undefined ? {} : { number })).toBe(note);
  });
});
