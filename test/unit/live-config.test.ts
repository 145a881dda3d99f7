import { buildLiveSessionConfig } from '../../core/calls/live-session-config';
import { routeCall } from '../../core/calls/route';
import { checkAgainstCatalogue } from '../../core/numbers/catalogue-check';
import { checkNumberConfig, parseNumberConfig, type LiveAgentConfig, type NumberConfig } from '../../core/numbers/config';

const NUMBER = '+17134810111';
const CALLER = '+14067704205';
const call = { number: NUMBER, caller: CALLER };

const live = (agent: Record<string, unknown> = {}, rest: Record<string, unknown> = {}) =>
  parseNumberConfig({
    number: NUMBER,
    agent: { engine: 'live', instructions: 'Warm and brief. Delegate anything about orders.', greeting: 'Hi, Alex here.', backend: { instructions: 'Orders: look them up with lookup_order. Caller {{caller}}.' }, ...agent },
    transfers: [{ name: 'sales', description: 'Sales', target: '+17135550100' }],
    tools: [{ name: 'lookup_order', description: 'Look up an order', parameters: { type: 'object', properties: { order: { type: 'string' } } }, url: 'https://api.example.com/orders' }],
    ...rest,
  });

describe('a GPT-Live agent in a number config', () => {
  it('takes the Live defaults: gpt-live-1, marin, a gpt-5.6-luna backend without web search', () => {
    expect(live().agent).toEqual({
      engine: 'live',
      model: 'gpt-live-1',
      voice: 'marin',
      instructions: 'Warm and brief. Delegate anything about orders.',
      greeting: 'Hi, Alex here.',
      backend: { model: 'gpt-5.6-luna', instructions: 'Orders: look them up with lookup_order. Caller {{caller}}.', webSearch: false },
    });
  });

  it.each([
    ['turnDetection', { turnDetection: { type: 'semantic_vad' } }, /GPT-Live decides itself when to speak/],
    ['transcription', { transcription: { model: 'gpt-live-transcribe' } }, /GPT-Live transcribes the call itself/],
    ['maxOutputTokens', { maxOutputTokens: 100 }, /backend.maxOutputTokens/],
  ])('refuses %s, saying why', (field, agent, message) => {
    expect(checkNumberConfig({ number: NUMBER, agent: { engine: 'live', instructions: 'x', ...agent } }).problems).toEqual([{ path: `agent.${field}`, message: expect.stringMatching(message) }]);
  });

  it('refuses MCP servers for a Live agent, and a backend for a Realtime one', () => {
    expect(checkNumberConfig({ number: NUMBER, agent: { engine: 'live', instructions: 'x' }, mcp: [{ label: 'orders', url: 'https://mcp.example.com/mcp' }] }).problems).toEqual([
      { path: 'mcp', message: expect.stringContaining('a GPT-Live agent calls no MCP servers') },
    ]);
    expect(checkNumberConfig({ number: NUMBER, agent: { instructions: 'x', backend: { model: 'gpt-5.6-luna' } } }).problems).toEqual([
      { path: 'agent.backend', message: expect.stringContaining('"backend" is for GPT-Live agents') },
    ]);
  });

  it('reads a config written before engines as a Realtime one, unchanged', () => {
    const config = parseNumberConfig({ number: NUMBER, agent: { instructions: 'x' } });
    expect(config.agent).not.toHaveProperty('engine');
    expect(routeCall(call, config, 0, '2026-12-01')).toMatchObject({ kind: 'accept', engine: 'realtime', session: { type: 'realtime' } });
  });

  it('explains where the business rules belong when a Live agent has no backend instructions', () => {
    const config = parseNumberConfig({ number: NUMBER, agent: { engine: 'live', instructions: 'x', voice: 'vesper' } });
    expect(checkAgainstCatalogue(config, '2026-12-01')).toEqual({
      errors: [],
      warnings: [{ path: 'agent.backend.instructions', message: expect.stringContaining('the business rules and tool workflows belong in backend.instructions') }],
    });
    expect(checkAgainstCatalogue(parseNumberConfig({ number: NUMBER, agent: { engine: 'live', instructions: 'x', voice: 'nobody', backend: { instructions: 'y' } } }), '2026-12-01').warnings).toEqual([
      { path: 'agent.voice', message: expect.stringContaining('not one of GPT-Live\'s voices') },
    ]);
  });

  it('knows gpt-live-1 and gpt-live-1.1, and warns of another model that it is sent as written', () => {
    const live = (model: string) => parseNumberConfig({ number: NUMBER, agent: { engine: 'live', model, instructions: 'x', backend: { instructions: 'y' } } });
    expect(checkAgainstCatalogue(live('gpt-live-1.1'), '2026-12-02').warnings).toEqual([]);
    expect(checkAgainstCatalogue(live('gpt-live-2'), '2026-12-02').warnings).toEqual([
      { path: 'agent.model', message: '"gpt-live-2" is not a GPT-Live model Switchboard knows ("gpt-live-1", "gpt-live-1.1"); it is sent to OpenAI as written' },
    ]);
  });
});

it('warns that a GPT-Live agent never says a tool\'s whileWaiting', () => {
  const tool = { name: 'lookup_order', description: 'Looks up an order', url: 'https://api.example.com/orders', whileWaiting: 'One moment.' };
  const config = parseNumberConfig({ number: NUMBER, agent: { engine: 'live', instructions: 'x', backend: { instructions: 'y' } }, tools: [{ ...tool, name: 'first' }, tool] });
  expect(checkAgainstCatalogue(config, '2026-12-01').warnings).toEqual([
    { path: 'tools[0].whileWaiting', message: expect.stringContaining('a GPT-Live agent never says whileWaiting') },
    { path: 'tools[1].whileWaiting', message: expect.stringContaining('a GPT-Live agent never says whileWaiting') },
  ]);
  expect(checkAgainstCatalogue(parseNumberConfig({ number: NUMBER, agent: { instructions: 'x' }, tools: [tool] }), '2026-12-01').warnings).toEqual([]);
});

describe('the Live accept body', () => {
  it('has the front end, and a Responses backend with the same function tools a Realtime agent gets', () => {
    const config = live() as NumberConfig & { agent: LiveAgentConfig };
    const body = buildLiveSessionConfig(config, call);
    expect(body).toEqual({
      session: {
        type: 'live',
        model: 'gpt-live-1',
        instructions: 'Warm and brief. Delegate anything about orders.',
        audio: { output: { voice: 'marin' } },
        delegation: {
          type: 'responses',
          responses: {
            model: 'gpt-5.6-luna',
            instructions: `Orders: look them up with lookup_order. Caller ${CALLER}.`,
            tool_choice: 'auto',
            tools: [
              expect.objectContaining({ type: 'function', name: 'transfer_call', parameters: expect.objectContaining({ required: ['target'] }) }),
              expect.objectContaining({ type: 'function', name: 'end_call' }),
              { type: 'function', name: 'lookup_order', description: 'Look up an order', parameters: { type: 'object', properties: { order: { type: 'string' } } } },
            ],
          },
        },
      },
    });
    expect(JSON.stringify(body)).not.toContain('api.example.com');
  });

  it('adds web search, reasoning and the backend bound only when asked', () => {
    const config = live({ backend: { webSearch: true, reasoning: { effort: 'low' }, maxOutputTokens: 500 } }) as NumberConfig & { agent: LiveAgentConfig };
    expect(buildLiveSessionConfig(config, call).session.delegation).toMatchObject({
      responses: { tools: expect.arrayContaining([{ type: 'web_search' }]), reasoning: { effort: 'low' }, max_output_tokens: 500 },
    });
  });

  it('is what routeCall answers a Live number with', () => {
    expect(routeCall(call, live(), 0, '2026-12-01')).toMatchObject({ kind: 'accept', engine: 'live', session: { session: { type: 'live' } }, greeting: 'Hi, Alex here.' });
  });
});
