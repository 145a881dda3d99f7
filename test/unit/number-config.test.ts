import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkNumberConfig, parseNumberConfig, InvalidNumberConfigError } from '../../core/numbers/config';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const withAgent = (agent: Record<string, unknown>) => ({ ...example, agent: { ...example.agent, ...agent } });

describe('number config', () => {
  it('accepts the documented example as it is, normalising numbers to E.164', () => {
    const config = parseNumberConfig(example);
    expect(config.number).toBe('+17134810111');
    expect(config.agent).toMatchObject({ model: 'gpt-realtime', voice: 'cedar', turnDetection: { type: 'semantic_vad', eagerness: 'auto' } });
    expect(config.transfers.map((t) => t.target)).toEqual(['+17135550100', 'sip:billing@pbx.example.com']);
    expect(config.limits).toEqual({ maxCallSeconds: 1800, maxConcurrentCalls: 10 });
    expect(config.callers.block).toEqual(['+14155550199']);
  });

  it('fills defaults for a minimal config', () => {
    expect(parseNumberConfig({ number: '17134810111', agent: { instructions: 'Be helpful.' } })).toEqual({
      number: '+17134810111',
      enabled: true,
      agent: {
        model: 'gpt-realtime',
        voice: 'marin',
        instructions: 'Be helpful.',
        transcription: { model: 'gpt-4o-mini-transcribe' },
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
