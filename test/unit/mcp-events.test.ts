import { parseNumberConfig } from '../../core/numbers/config';
import { McpTimeline } from '../../core/worker/mcp-timeline';
import { readSessionEvent, type McpEvent, type SessionEvent } from '../../core/worker/server-events';

const frame = (event: Record<string, unknown>) => JSON.stringify({ event_id: 'event_1', ...event });
const listItem = (tools: unknown[] = []) => ({ id: 'mcpl_1', type: 'mcp_list_tools', server_label: 'orders', tools });
const callItem = (over: Record<string, unknown> = {}) => ({
  id: 'mcp_1',
  type: 'mcp_call',
  server_label: 'orders',
  name: 'lookup_order',
  arguments: '{"order":"A-17"}',
  approval_request_id: null,
  output: null,
  error: null,
  ...over,
});

describe('reading MCP server events', () => {
  it.each<[string, Record<string, unknown>, SessionEvent | undefined]>([
    ['a listing begun (conversation.item.added)', { type: 'conversation.item.added', item: listItem() }, { type: 'mcp-started', itemId: 'mcpl_1', stage: 'list', serverLabel: 'orders' }],
    [
      'a listing done, with the tools',
      { type: 'conversation.item.done', item: listItem([{ name: 'lookup_order', input_schema: {} }, { name: 'track', input_schema: {} }, { input_schema: {} }]) },
      { type: 'mcp-listed', itemId: 'mcpl_1', serverLabel: 'orders', tools: ['lookup_order', 'track'] },
    ],
    ['mcp_list_tools.completed', { type: 'mcp_list_tools.completed', item_id: 'mcpl_1' }, { type: 'mcp-status', itemId: 'mcpl_1', stage: 'list', status: 'completed' }],
    ['mcp_list_tools.failed', { type: 'mcp_list_tools.failed', item_id: 'mcpl_1' }, { type: 'mcp-status', itemId: 'mcpl_1', stage: 'list', status: 'failed' }],
    ['mcp_list_tools.in_progress (nothing to record)', { type: 'mcp_list_tools.in_progress', item_id: 'mcpl_1' }, undefined],
    ['a call begun (response.output_item.added)', { type: 'response.output_item.added', response_id: 'r', output_index: 0, item: callItem({ arguments: '' }) }, { type: 'mcp-started', itemId: 'mcp_1', stage: 'call', serverLabel: 'orders', name: 'lookup_order' }],
    [
      'a call done with its output (response.output_item.done)',
      { type: 'response.output_item.done', response_id: 'r', output_index: 0, item: callItem({ output: 'Shipped on Monday' }) },
      { type: 'mcp-call', itemId: 'mcp_1', serverLabel: 'orders', name: 'lookup_order', arguments: '{"order":"A-17"}', output: 'Shipped on Monday' },
    ],
    [
      'a call done with an HTTP error (conversation.item.done)',
      { type: 'conversation.item.done', item: callItem({ error: { type: 'http_error', code: 502, message: 'Bad gateway' } }) },
      { type: 'mcp-call', itemId: 'mcp_1', serverLabel: 'orders', name: 'lookup_order', arguments: '{"order":"A-17"}', error: { type: 'http_error', code: 502, message: 'Bad gateway' } },
    ],
    [
      'a call done with a tool execution error (no code)',
      { type: 'conversation.item.done', item: callItem({ error: { type: 'tool_execution_error', message: 'No such order' } }) },
      { type: 'mcp-call', itemId: 'mcp_1', serverLabel: 'orders', name: 'lookup_order', arguments: '{"order":"A-17"}', error: { type: 'tool_execution_error', message: 'No such order' } },
    ],
    ['response.mcp_call.completed', { type: 'response.mcp_call.completed', item_id: 'mcp_1', output_index: 0 }, { type: 'mcp-status', itemId: 'mcp_1', stage: 'call', status: 'completed' }],
    ['response.mcp_call.failed', { type: 'response.mcp_call.failed', item_id: 'mcp_1', output_index: 0 }, { type: 'mcp-status', itemId: 'mcp_1', stage: 'call', status: 'failed' }],
    ['response.mcp_call_arguments.done (the item carries them)', { type: 'response.mcp_call_arguments.done', item_id: 'mcp_1', response_id: 'r', output_index: 0, arguments: '{}' }, undefined],
    ['a message item done (not MCP)', { type: 'conversation.item.done', item: { id: 'item_1', type: 'message', role: 'assistant', content: [] } }, undefined],
    ['a function call item done (read from its arguments event)', { type: 'response.output_item.done', item: { id: 'item_2', type: 'function_call', call_id: 'c', name: 'end_call', arguments: '{}' } }, undefined],
    ['an MCP item without a server label', { type: 'conversation.item.done', item: { id: 'mcp_1', type: 'mcp_call', name: 'x' } }, undefined],
    ['a status event without an item id', { type: 'mcp_list_tools.failed' }, undefined],
    ['an error answering the MCP setup', { type: 'error', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'bad', event_id: 'switchboard_mcp_setup' } }, { type: 'error', code: 'invalid_value', message: 'bad', clientEventId: 'switchboard_mcp_setup' }],
    ['an error answering nothing', { type: 'error', error: { type: 'server_error', code: null, message: 'oops', event_id: null } }, { type: 'error', code: 'server_error', message: 'oops' }],
  ])('%s', (_, event, expected) => {
    expect(readSessionEvent(frame(event))).toEqual(expected);
  });
});

describe('the MCP timeline', () => {
  const config = parseNumberConfig({ number: '+17134810111', agent: { instructions: 'x' }, mcp: [{ label: 'orders', url: 'https://mcp.example.com/mcp', redact: ['card'] }] });
  const started = (stage: 'list' | 'call', itemId = stage === 'list' ? 'mcpl_1' : 'mcp_1'): McpEvent => ({ type: 'mcp-started', itemId, stage, serverLabel: 'orders', ...(stage === 'call' && { name: 'lookup_order' }) });
  const listed: McpEvent = { type: 'mcp-listed', itemId: 'mcpl_1', serverLabel: 'orders', tools: ['lookup_order', 'track'] };
  const status = (stage: 'list' | 'call', s: 'completed' | 'failed'): McpEvent => ({ type: 'mcp-status', itemId: stage === 'list' ? 'mcpl_1' : 'mcp_1', stage, status: s });
  const call = (over: Partial<Extract<McpEvent, { type: 'mcp-call' }>> = {}): McpEvent => ({
    type: 'mcp-call',
    itemId: 'mcp_1',
    serverLabel: 'orders',
    name: 'lookup_order',
    arguments: '{"order":"A-17","card":"4242"}',
    output: 'Shipped on Monday',
    ...over,
  });
  const LISTED = { type: 'mcp-listed', details: { itemId: 'mcpl_1', server: 'orders', toolCount: 2, tools: ['lookup_order', 'track'] } };
  const CALLED = { type: 'mcp-call', details: { itemId: 'mcp_1', server: 'orders', tool: 'lookup_order', arguments: { order: 'A-17', card: '[redacted]' }, outcome: 'completed', bytes: 17 } };

  it.each<[string, McpEvent[], unknown[]]>([
    ['a listing: added, completed, done (recorded at the status, once)', [started('list'), status('list', 'completed'), listed], [{ type: 'mcp-listed', details: { itemId: 'mcpl_1', server: 'orders' } }]],
    ['a listing: added, done, completed (with the tools)', [started('list'), listed, status('list', 'completed')], [LISTED]],
    ['a listing that failed', [started('list'), status('list', 'failed')], [{ type: 'mcp-list-failed', details: { itemId: 'mcpl_1', server: 'orders' } }]],
    ['a failed listing whose item is done after', [started('list'), status('list', 'failed'), { ...listed, tools: [] }], [{ type: 'mcp-list-failed', details: { itemId: 'mcpl_1', server: 'orders' } }]],
    ['a failure of a listing never seen begun', [status('list', 'failed')], [{ type: 'mcp-list-failed', details: { itemId: 'mcpl_1' } }]],
    ['a call, its item done twice (both event pairs)', [started('call'), started('call'), status('call', 'completed'), call(), call()], [CALLED]],
    [
      'a call that failed, the error on its item',
      [started('call'), status('call', 'failed'), call({ output: undefined, error: { type: 'http_error', code: 401, message: 'Unauthorized: bad token tok-123' } })],
      [{ type: 'mcp-call', details: { ...CALLED.details, outcome: 'failed', bytes: undefined, error: { type: 'http_error', code: 401, message: 'Unauthorized: bad token [secret]' } } }],
    ],
    ['a call reported failed, its item without an error', [status('call', 'failed'), call({ output: undefined })], [{ type: 'mcp-call', details: { ...CALLED.details, outcome: 'failed', bytes: undefined } }]],
    ['arguments that are not JSON, on a server that redacts a field: hidden whole', [call({ arguments: 'order A-17 card 4111' })], [{ type: 'mcp-call', details: { ...CALLED.details, arguments: '[redacted]' } }]],
  ])('%s', (_, events, actions) => {
    const timeline = new McpTimeline(config, ['tok-123']);
    const recorded = events.map((e) => timeline.read(e)).filter((a) => a !== undefined);
    expect(JSON.parse(JSON.stringify(recorded))).toEqual(JSON.parse(JSON.stringify(actions)));
  });

  it('never records the output text, only its size', () => {
    const action = new McpTimeline(config).read(call({ output: 'Order A-17 for Jane Doe, 12 Elm St' }));
    expect(JSON.stringify(action)).not.toContain('Jane');
    expect(action?.details.bytes).toBe(34);
  });
});
