import { routeCall } from '../../core/calls/route';
import { buildSessionConfig, renderTemplate } from '../../core/calls/session-config';
import { parseNumberConfig, type NumberConfig } from '../../core/numbers/config';
import { acceptParamsError } from '../../local/openai-emulator/accept-params';

const CALLER = '+14067704205';
const NUMBER = '+17134810111';
const TODAY = '2026-12-01';

const LOOKUP_ORDER = {
  name: 'lookup_order',
  description: 'Look up an order by its number',
  parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] },
  url: 'https://api.example.com/voice/orders',
  headers: { Authorization: 'Bearer {{secret:orders-api}}' },
  whileWaiting: 'One moment while I look that up.',
  redact: ['cardNumber'],
  record: 'full',
};
const OPENING_HOURS = { name: 'opening_hours', description: "Today's opening hours", url: 'http://localhost:8080/hours' };

function cfg(over: { enabled?: boolean; block?: string[]; maxConcurrent?: number; transfers?: boolean; endCall?: boolean; tools?: unknown[] } = {}): NumberConfig {
  return parseNumberConfig({
    number: NUMBER,
    enabled: over.enabled ?? true,
    agent: {
      voice: 'cedar',
      instructions: 'You are Alex. The caller is {{caller}}, they dialed {{ number }}.',
      greeting: 'Hello!',
      turnDetection: { type: 'semantic_vad', eagerness: 'auto' },
    },
    transfers: over.transfers === false ? [] : [
      { name: 'sales', description: 'The sales team', target: '+17135550100' },
      { name: 'billing', description: 'Billing desk', target: 'sip:billing@pbx.example.com' },
    ],
    endCall: { enabled: over.endCall ?? true },
    ...(over.tools && { tools: over.tools }),
    limits: { maxCallSeconds: 600, ...(over.maxConcurrent !== undefined && { maxConcurrentCalls: over.maxConcurrent }) },
    callers: { block: over.block ?? [] },
  });
}

const call = { number: NUMBER, caller: CALLER };

describe('routeCall', () => {
  it.each<[string, NumberConfig | undefined, number, number, string]>([
    ['no config', undefined, 0, 404, 'unknown-number'],
    ['disabled', cfg({ enabled: false }), 0, 480, 'number-disabled'],
    ['blocked caller', cfg({ block: [CALLER] }), 0, 603, 'caller-blocked'],
    ['at the cap', cfg({ maxConcurrent: 2 }), 2, 486, 'number-busy'],
    ['over the cap', cfg({ maxConcurrent: 2 }), 5, 486, 'number-busy'],
  ])('%s -> SIP %i', (_, number, active, status, reason) => {
    expect(routeCall(call, number, active, TODAY)).toEqual({ kind: 'reject', status, reason });
  });

  it.each<[string, NumberConfig, number]>([
    ['under the cap', cfg({ maxConcurrent: 2 }), 1],
    ['no cap', cfg(), 1000],
    ['another caller blocked', cfg({ block: ['+14155550199'] }), 0],
  ])('%s -> accept', (_, number, active) => {
    expect(routeCall(call, number, active, TODAY).kind).toBe('accept');
  });
});

describe('buildSessionConfig', () => {
  it('builds the accept body from the number config', () => {
    const config = cfg();
    expect(buildSessionConfig({ ...config, agent: config.agent! }, call, TODAY)).toEqual({
      type: 'realtime',
      model: 'gpt-realtime-2.1',
      instructions: `You are Alex. The caller is ${CALLER}, they dialed ${NUMBER}.`,
      audio: {
        input: { transcription: { model: 'gpt-live-transcribe' }, turn_detection: { type: 'semantic_vad', eagerness: 'auto' } },
        output: { voice: 'cedar' },
      },
      tools: [
        expect.objectContaining({
          type: 'function',
          name: 'transfer_call',
          parameters: expect.objectContaining({
            properties: { target: expect.objectContaining({ type: 'string', enum: ['sales', 'billing'] }) },
            required: ['target'],
          }),
        }),
        expect.objectContaining({ type: 'function', name: 'end_call' }),
      ],
      tool_choice: 'auto',
    });
    expect(acceptParamsError(buildSessionConfig({ ...config, agent: config.agent! }, call, TODAY), TODAY)).toBeUndefined();
  });

  it("offers the number's own tools after transfer_call and end_call, with only what the model reads", () => {
    const config = cfg({ tools: [LOOKUP_ORDER, OPENING_HOURS] });
    const session = buildSessionConfig({ ...config, agent: config.agent! }, call, TODAY);
    expect(session.tools?.map((t) => t.type === 'function' && t.name)).toEqual(['transfer_call', 'end_call', 'lookup_order', 'opening_hours']);
    expect(session.tools?.slice(2)).toEqual([
      { type: 'function', name: 'lookup_order', description: 'Look up an order by its number', parameters: LOOKUP_ORDER.parameters },
      { type: 'function', name: 'opening_hours', description: "Today's opening hours", parameters: { type: 'object', properties: {} } },
    ]);
    expect(JSON.stringify(session)).not.toMatch(/api\.example\.com|secret|cardNumber|One moment/);
    expect(session.tool_choice).toBe('auto');
    // What the emulator's accept takes, as strict as OpenAI's for SIP calls.
    expect(acceptParamsError(session, TODAY)).toBeUndefined();
  });

  it("offers a number's own tools when it has neither transfers nor end call", () => {
    const config = cfg({ transfers: false, endCall: false, tools: [OPENING_HOURS] });
    const session = buildSessionConfig({ ...config, agent: config.agent! }, call, TODAY);
    expect(session.tools).toEqual([{ type: 'function', name: 'opening_hours', description: "Today's opening hours", parameters: { type: 'object', properties: {} } }]);
    expect(session.tool_choice).toBe('auto');
  });

  it('takes a config stored before numbers had tools', () => {
    const { tools: _, ...stored } = cfg();
    const session = buildSessionConfig({ ...(stored as NumberConfig), agent: stored.agent! }, call, TODAY);
    expect(session.tools?.map((t) => t.type === 'function' && t.name)).toEqual(['transfer_call', 'end_call']);
  });

  it("keeps the number's MCP servers, and their secrets, out of the accept: the worker adds them", () => {
    const config = parseNumberConfig({
      number: NUMBER,
      agent: { instructions: 'x' },
      mcp: [{ label: 'orders', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer {{secret:orders-mcp}}' } }],
    });
    const session = buildSessionConfig({ ...config, agent: config.agent! }, call, TODAY);
    expect(session.tools?.map((t) => t.type)).toEqual(['function']);
    expect(JSON.stringify(session)).not.toMatch(/mcp|secret/);
  });

  it('offers only the tools the number enables', () => {
    const config = cfg({ transfers: false, endCall: false });
    const session = buildSessionConfig({ ...config, agent: config.agent! }, call, TODAY);
    expect(session.tools).toBeUndefined();
    expect(session.tool_choice).toBeUndefined();
  });

  it('never sends turn-detection fields SIP refuses', () => {
    const config = parseNumberConfig({ number: NUMBER, agent: { instructions: 'x', turnDetection: { type: 'server_vad', idleTimeoutMs: 6000, createResponse: true } } });
    expect(buildSessionConfig({ ...config, agent: config.agent! }, call, TODAY).audio?.input?.turn_detection).toEqual({
      type: 'server_vad',
      create_response: true,
      idle_timeout_ms: 6000,
    });
  });

  it('fills every placeholder, and a name with no value with nothing (never braces the caller would hear)', () => {
    expect(renderTemplate('{{caller}} {{caller}} {{number}} {{other}}', call)).toBe(`${CALLER} ${CALLER} ${NUMBER} `);
  });
});
