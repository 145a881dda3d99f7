import { parseNumberConfig } from '../../core/numbers/config';
import { END_CALL_OUTPUT, planFunctionCall, planTransfer, referUri, sayExactly, transferFailedNote, unknownToolOutput } from '../../core/worker/tools';

const config = parseNumberConfig({
  number: '+17134810111',
  agent: { instructions: 'Help.' },
  transfers: [
    { name: 'sales', description: 'Sales', target: '+17135550100' },
    { name: 'billing', description: 'Billing', target: 'sip:billing@pbx.example.com' },
  ],
});

describe('referUri', () => {
  it.each([
    ['+17135550100', 'tel:+17135550100'],
    ['sip:billing@pbx.example.com', 'sip:billing@pbx.example.com'],
    ['sip:desk@10.0.0.5:5060;transport=tls', 'sip:desk@10.0.0.5:5060;transport=tls'],
  ])('%s -> %s', (target, uri) => {
    expect(referUri(target)).toBe(uri);
  });
});

describe('planTransfer', () => {
  it.each([
    ['a number', '{"target":"sales"}', { kind: 'refer', name: 'sales', uri: 'tel:+17135550100', output: '{"status":"transferring","target":"sales"}' }],
    ['a sip: URI', '{"target":"billing"}', { kind: 'refer', name: 'billing', uri: 'sip:billing@pbx.example.com' }],
    ['an unknown name', '{"target":"legal"}', { kind: 'refuse', output: '{"error":"unknown transfer target \\"legal\\"; valid targets: sales, billing"}' }],
    ['no target', '{}', { kind: 'refuse', output: '{"error":"unknown transfer target null; valid targets: sales, billing"}' }],
    ['arguments that are not JSON', '{"target":', { kind: 'refuse', output: expect.stringContaining('valid targets: sales, billing') }],
    ['a name in another case', '{"target":"Sales"}', { kind: 'refuse' }],
  ])('%s', (_, args, plan) => {
    expect(planTransfer(config, args)).toMatchObject(plan);
  });

  it('refuses every target when the number has no config', () => {
    expect(planTransfer(undefined, '{"target":"sales"}')).toEqual({ kind: 'refuse', output: '{"error":"unknown transfer target \\"sales\\"; valid targets: none"}' });
  });
});

describe('planFunctionCall', () => {
  const withTool = parseNumberConfig({
    number: '+17134810111',
    agent: { instructions: 'Help.' },
    transfers: [{ name: 'sales', description: 'Sales', target: '+17135550100' }],
    tools: [{ name: 'lookup_order', description: 'Look up an order', url: 'https://api.example.com/orders' }],
  });

  it('tells Switchboard\'s own tools from the number\'s', () => {
    expect(planFunctionCall(withTool, 'transfer_call', '{"target":"sales"}')).toMatchObject({ kind: 'transfer', plan: { kind: 'refer', uri: 'tel:+17135550100' } });
    expect(planFunctionCall(withTool, 'end_call', '{}')).toEqual({ kind: 'end-call' });
    expect(planFunctionCall(withTool, 'lookup_order', '{}')).toMatchObject({ kind: 'http-tool', tool: { name: 'lookup_order', url: 'https://api.example.com/orders' } });
    expect(planFunctionCall(withTool, 'delete_everything', '{}')).toEqual({ kind: 'refuse', output: unknownToolOutput('delete_everything') });
  });

  it('refuses end_call on a number that turned it off', () => {
    const noEnd = parseNumberConfig({ number: '+17134810111', agent: { instructions: 'Help.' }, endCall: { enabled: false } });
    expect(planFunctionCall(noEnd, 'end_call', '{}')).toEqual({ kind: 'refuse', output: unknownToolOutput('end_call') });
  });
});

describe('what the model is told', () => {
  it.each([
    ['Thanks for calling, how can I help?', "Say exactly 'Thanks for calling, how can I help?'"],
    ["You've reached Bob's Garage.", "Say exactly 'You\u2019ve reached Bob\u2019s Garage.'"],
  ])('greeting %j', (greeting, instructions) => {
    expect(sayExactly(greeting)).toBe(instructions);
  });

  it('tool outputs are JSON strings', () => {
    expect(JSON.parse(END_CALL_OUTPUT)).toMatchObject({ status: 'ending' });
    expect(JSON.parse(unknownToolOutput('lookup_order'))).toEqual({ error: 'no tool named lookup_order' });
    expect(transferFailedNote('sales')).toMatch(/^The transfer to sales did not go through\. Apologise/);
  });
});
