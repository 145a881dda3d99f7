import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkNumberConfig, parseNumberConfig, InvalidNumberConfigError, MAX_TOOLS, type NumberTool } from '../../core/numbers/config';
import { numberOverrideNote, parseConfigFile } from '../../core/numbers/config-file';
import type { HttpToolConfig } from '../../core/tools/http-tool';
import { DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_TIMEOUT_MS } from '../../core/tools/limits';

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
      tools: [],
      mcp: [],
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

const orderLine = JSON.parse(readFileSync(join(__dirname, '../../examples/order-line.json'), 'utf8'));
const lookupOrder = orderLine.tools[0];
const withTool = (over: Record<string, unknown>) => ({ ...orderLine, tools: [{ ...lookupOrder, ...over }] });
const withTools = (tools: unknown[]) => ({ ...orderLine, tools });
const minimalTool = { name: 'opening_hours', description: 'Today\'s opening hours', url: 'https://api.example.com/hours' };
/** Parameters nested `levels` deep (the parameters object is level 1): an object schema in an object schema, and so on. */
const nested = (levels: number): Record<string, unknown> => {
  let schema: Record<string, unknown> = levels % 2 === 0 ? { type: 'string', enum: ['x'] } : { type: 'string' };
  for (let depth = levels % 2 === 0 ? 2 : 1; depth < levels; depth += 2) schema = { type: 'object', properties: { a: schema } };
  return schema;
};
const depthOf = (value: unknown): number =>
  value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
/** Parameters of exactly `size` bytes as JSON: the padding is a description. */
const parametersOf = (size: number) => {
  const base = { type: 'object', properties: { order: { type: 'string', description: '' } } };
  return { type: 'object', properties: { order: { type: 'string', description: 'd'.repeat(size - bytes(base)) } } };
};

describe('number config tools', () => {
  it('accepts the documented tool as it is', () => {
    const config = parseNumberConfig(orderLine);
    expect(config.tools).toEqual([lookupOrder]);
    const tools: NumberTool[] = config.tools;
    const asTheRunnerTakesIt: HttpToolConfig = tools[0];
    expect(asTheRunnerTakesIt.url).toBe('https://api.example.com/voice/orders');
  });

  it('fills defaults for a tool with only a name, description and url', () => {
    expect(parseNumberConfig(withTools([minimalTool])).tools).toEqual([
      {
        ...minimalTool,
        parameters: { type: 'object', properties: {} },
        headers: {},
        timeoutMs: DEFAULT_TOOL_TIMEOUT_MS,
        whileWaitingAfterMs: 1000,
        redact: [],
        allowPrivateNetwork: false,
      },
    ]);
  });

  it.each<[string, unknown]>([
    ['a name of 64 characters', { name: 'a'.repeat(64) }],
    ['a name with dashes, digits and capitals', { name: 'Lookup-Order_2' }],
    ['a description of 1,024 characters', { description: 'd'.repeat(1_024) }],
    ['http:// to this machine', { url: 'http://localhost:8080/orders' }],
    ['http:// to 127.0.0.1', { url: 'http://127.0.0.1:8080/orders' }],
    ['a secret reference with spaces inside the braces', { headers: { Authorization: 'Bearer {{ secret:orders-api }}' } }],
    ['two secret references in one value', { headers: { 'X-Keys': '{{secret:a}}:{{secret:b.c/d}}' } }],
    ['a secret name with every character a secret store takes', { headers: { Authorization: `Bearer {{secret:Orders_API-2.v1/+=@${'s'.repeat(237)}}}` } }],
    ['20 headers', { headers: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`X-H${i}`, 'v'])) }],
    ['a header name of 100 characters', { headers: { ['X'.repeat(100)]: 'v' } }],
    ['a header value of 1,000 characters, tabs and Latin-1 included', { headers: { 'X-Note': `caf\u00e9\t${'v'.repeat(995)}` } }],
    ['the Accept header', { headers: { Accept: 'application/json' } }],
    ['the shortest timeout', { timeoutMs: 100, whileWaitingAfterMs: 0 }],
    ['the longest timeout', { timeoutMs: MAX_TOOL_TIMEOUT_MS, whileWaitingAfterMs: MAX_TOOL_TIMEOUT_MS - 1 }],
    ['a wait longer than the timeout with nothing to say', { whileWaiting: undefined, timeoutMs: 1000, whileWaitingAfterMs: 5000 }],
    ['whileWaiting of 300 characters', { whileWaiting: 'w'.repeat(300) }],
    ['50 redacted fields of 100 characters', { redact: Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(100, 'f')) }],
    ['parameters of 16 KiB', { parameters: parametersOf(16 * 1024) }],
    ['parameters nested 16 levels deep', { parameters: nested(16) }],
    ['parameters with $defs and a $ref to them', { parameters: { type: 'object', properties: { a: { $ref: '#/$defs/money' } }, $defs: { money: { type: 'number', minimum: 0 } } } }],
    ['parameters with definitions and a recursive $ref', { parameters: { type: 'object', properties: { part: { $ref: '#/definitions/part' } }, definitions: { part: { type: 'object', properties: { parts: { type: 'array', items: { $ref: '#/definitions/part' } } } } } } }],
    ['parameters saying they are draft-07', { parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' } }],
    ['parameters with a tuple (draft-07 items as a list), as OpenAI\'s SDK writes them', { parameters: { type: 'object', properties: { at: { type: 'array', items: [{ type: 'number' }, { type: 'number' }] } } } }],
    ['parameters with keywords JSON Schema does not define', { parameters: { type: 'object', properties: {}, 'x-internal': { anything: true } } }],
    ['parameters with the largest and smallest numbers DynamoDB keeps', { parameters: { type: 'object', properties: { n: { type: 'number', maximum: Number.MAX_SAFE_INTEGER, minimum: -Number.MAX_SAFE_INTEGER, multipleOf: 1e-130 } } } }],
    ['record left out', { record: undefined }],
  ])('accepts a tool with %s', (_, over) => {
    const { problems } = checkNumberConfig(withTool(over as Record<string, unknown>));
    expect(problems).toEqual([]);
  });

  it('accepts 20 tools', () => {
    const tools = Array.from({ length: 20 }, (_, i) => ({ ...minimalTool, name: `tool_${i}` }));
    expect(parseNumberConfig(withTools(tools)).tools).toHaveLength(MAX_TOOLS);
  });

  const cyclic: Record<string, unknown> = { type: 'object', properties: {} };
  (cyclic.properties as Record<string, unknown>).self = cyclic;

  it.each<[string, Record<string, unknown>, string, string]>([
    // name
    ['a name with a space', { name: 'lookup order' }, 'tools[0].name', 'tool name "lookup order" must be 1 to 64 letters, digits, "_" or "-" (OpenAI\'s rule for function names)'],
    ['an empty name', { name: '' }, 'tools[0].name', 'tool name "" must be 1 to 64 letters'],
    ['a name of 65 characters', { name: 'a'.repeat(65) }, 'tools[0].name', 'must be 1 to 64 letters'],
    ['the transfer tool\'s name', { name: 'transfer_call' }, 'tools[0].name', 'tool name "transfer_call" is Switchboard\'s own tool for transfers (see "transfers"): choose another name'],
    ['the end-call tool\'s name', { name: 'end_call' }, 'tools[0].name', 'tool name "end_call" is Switchboard\'s own tool for hanging up (see "endCall"): choose another name'],
    // description
    ['no name', { name: undefined }, 'tools[0].name', 'a tool needs a "name": the function name the model calls, e.g. "lookup_order"'],
    ['a name that is not text', { name: 7 }, 'tools[0].name', 'expected string'],
    ['no description', { description: undefined }, 'tools[0].description', 'a tool needs a "description": what it does, which the model reads to choose when to call it'],
    ['an empty description', { description: '' }, 'tools[0].description', 'the description must not be empty: the model reads it to choose when to call the tool'],
    ['a description of 1,025 characters', { description: 'd'.repeat(1_025) }, 'tools[0].description', 'the description is 1,025 characters long; at most 1,024 are allowed: '],
    // parameters
    ['parameters that are a list', { parameters: [] }, 'tools[0].parameters', 'parameters must be a JSON Schema object, e.g. { "type": "object", "properties": { "order": { "type": "string" } } }'],
    ['parameters that are text', { parameters: 'order: string' }, 'tools[0].parameters', 'parameters must be a JSON Schema object'],
    ['parameters without a type', { parameters: { properties: { order: { type: 'string' } } } }, 'tools[0].parameters.type', 'parameters must have "type": "object": OpenAI passes a function\'s arguments as one object, its fields listed under "properties"'],
    ['parameters of type string', { parameters: { type: 'string' } }, 'tools[0].parameters.type', 'parameters must have "type": "object"'],
    ['an unknown type', { parameters: { type: 'object', properties: { order: { type: 'strin' } } } }, 'tools[0].parameters.properties.order.type', 'must be equal to one of the allowed values: array, boolean, integer, null, number, object, string'],
    ['a negative minLength', { parameters: { type: 'object', properties: { order: { type: 'string', minLength: -1 } } } }, 'tools[0].parameters.properties.order.minLength', 'must be >= 0'],
    ['required as text', { parameters: { type: 'object', required: 'order' } }, 'tools[0].parameters.required', 'must be array'],
    ['a required field twice', { parameters: { type: 'object', required: ['order', 'order'] } }, 'tools[0].parameters.required', 'must NOT have duplicate items'],
    ['an enum entry that is wrong under anyOf', { parameters: { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 7 }] } } } }, 'tools[0].parameters.properties.a.anyOf[1].type', 'must be equal to one of the allowed values'],
    ['a bad schema under $defs', { parameters: { type: 'object', $defs: { money: { type: 'money' } } } }, 'tools[0].parameters.$defs.money.type', 'must be equal to one of the allowed values'],
    ['an array without items', { parameters: { type: 'object', properties: { skus: { type: 'array' } } } }, 'tools[0].parameters.properties.skus', 'an array needs "items" saying what each element is, e.g. "items": { "type": "string" } (OpenAI refuses an array schema without it)'],
    ['a nullable array without items', { parameters: { type: 'object', properties: { skus: { type: ['array', 'null'] } } } }, 'tools[0].parameters.properties.skus', 'an array needs "items"'],
    ['a pattern that is not a regular expression', { parameters: { type: 'object', properties: { order: { type: 'string', pattern: '([0-9]' } } } }, 'tools[0].parameters.properties.order.pattern', 'is not a regular expression'],
    ['a patternProperties key that is not a regular expression', { parameters: { type: 'object', patternProperties: { '[': { type: 'string' } } } }, 'tools[0].parameters.patternProperties.[', 'is not a regular expression'],
    ['a $ref to nothing', { parameters: { type: 'object', properties: { a: { $ref: '#/$defs/money' } } } }, 'tools[0].parameters.properties.a.$ref', '"#/$defs/money" refers to nothing in the parameters: define it under "$defs" (OpenAI reads no other document)'],
    ['a $ref to another document', { parameters: { type: 'object', properties: { a: { $ref: 'https://schemas.example.com/money.json' } } } }, 'tools[0].parameters.properties.a.$ref', '"https://schemas.example.com/money.json" refers to nothing in the parameters'],
    ['a $schema of another draft', { parameters: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' } }, 'tools[0].parameters.$schema', 'parameters are read as JSON Schema draft-07, as OpenAI\'s SDKs write them: remove "$schema" or make it "http://json-schema.org/draft-07/schema#"'],
    ['parameters over 16 KiB', { parameters: parametersOf(16 * 1024 + 1) }, 'tools[0].parameters', 'the parameters are 16,385 bytes as JSON; at most 16,384 (16 KiB) are allowed: shorten their descriptions, or split the tool in two'],
    ['parameters nested 17 levels deep', { parameters: nested(17) }, 'tools[0].parameters.properties.a.properties.a.properties.a.properties.a.properties.a.properties.a.properties.a.properties.a', 'nested more than 16 levels deep'],
    ['parameters that contain themselves', { parameters: cyclic }, 'tools[0].parameters.properties.self.properties.self.properties.self.properties.self.properties.self.properties.self.properties.self.properties.self', 'nested more than 16 levels deep'],
    ['a number too large to store', { parameters: { type: 'object', properties: { n: { type: 'integer', maximum: 1e16 } } } }, 'tools[0].parameters.properties.n.maximum', '10000000000000000 cannot be stored: a number in the parameters must be between -9,007,199,254,740,991 and 9,007,199,254,740,991'],
    ['a number too small to store', { parameters: { type: 'object', properties: { n: { type: 'number', multipleOf: 1e-131 } } } }, 'tools[0].parameters.properties.n.multipleOf', '1e-131 cannot be stored: a number in the parameters other than 0 must be at least 1e-130 in size (DynamoDB\'s smallest)'],
    ['a number that is not one', { parameters: { type: 'object', properties: { n: { type: 'number', maximum: Infinity } } } }, 'tools[0].parameters.properties.n.maximum', 'Infinity is not a JSON number'],
    ['an empty property name', { parameters: { type: 'object', properties: { '': { type: 'string' } } } }, 'tools[0].parameters.properties', 'an empty name cannot be stored (DynamoDB takes no empty attribute names): name the field'],
    ['a value that is not JSON', { parameters: { type: 'object', default: new Date(0) } }, 'tools[0].parameters.default', 'is not a JSON value'],
    // url
    ['no url', { url: undefined }, 'tools[0].url', 'a tool needs a "url": where Switchboard POSTs the call, e.g. https://api.example.com/voice/orders'],
    ['an http:// url to another machine', { url: 'http://api.example.com/orders' }, 'tools[0].url', 'http:// is allowed only to this machine (localhost, 127.0.0.1, [::1]): use https://'],
    ['an ftp:// url', { url: 'ftp://api.example.com/orders' }, 'tools[0].url', 'the tool url must start with https:// (not ftp://)'],
    ['a url that is not one', { url: 'api.example.com/orders' }, 'tools[0].url', 'the tool url is not a URL (expected e.g. https://orders.example.com/lookup)'],
    ['a url with a password', { url: 'https://bot:hunter2@api.example.com/orders' }, 'tools[0].url', 'the tool url must not carry a user name or password'],
    ['a url of 2,049 characters', { url: `https://api.example.com/${'o'.repeat(2_025)}` }, 'tools[0].url', 'the url is 2,049 characters long; at most 2,048 are allowed'],
    // headers
    ['a header name with a space', { headers: { 'Api Key': 'x' } }, 'tools[0].headers.Api Key', 'header name "Api Key" is not an HTTP header name: use letters, digits and ! # $ % & \' * + - . ^ _ ` | ~ (no spaces or colons)'],
    ['a header name with a colon', { headers: { 'X-Key:': 'x' } }, 'tools[0].headers.X-Key:', 'is not an HTTP header name'],
    ['a header name of 101 characters', { headers: { ['X'.repeat(101)]: 'v' } }, `tools[0].headers.${'X'.repeat(101)}`, 'the header name is 101 characters long; at most 100 are allowed'],
    ['a header value with a line break', { headers: { 'X-Note': 'one\r\nX-Injected: two' } }, 'tools[0].headers.X-Note', 'header "X-Note" has a line break: a header value is one line'],
    ['a header value with a control character', { headers: { 'X-Note': 'bell\u0007' } }, 'tools[0].headers.X-Note', 'header "X-Note" has a character HTTP cannot carry (a control character, or one beyond U+00FF)'],
    ['a header value beyond Latin-1', { headers: { 'X-Note': 'caf\u00e9 \u2615' } }, 'tools[0].headers.X-Note', 'has a character HTTP cannot carry'],
    ['a header value of 1,001 characters', { headers: { 'X-Note': 'v'.repeat(1_001) } }, 'tools[0].headers.X-Note', 'the header value is 1,001 characters long; at most 1,000 are allowed'],
    ['21 headers', { headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) }, 'tools[0].headers', 'at most 20 headers'],
    ['a header twice, in two cases', { headers: { Authorization: 'a', authorization: 'b' } }, 'tools[0].headers.authorization', 'header "authorization" is given twice (header names ignore case)'],
    ['Content-Type', { headers: { 'Content-Type': 'text/plain' } }, 'tools[0].headers.Content-Type', 'header "Content-Type" is set by Switchboard: the request is JSON, and says so; remove it'],
    ['Content-Length', { headers: { 'content-length': '10' } }, 'tools[0].headers.content-length', 'header "content-length" is set by Switchboard: it is the length of the request\'s body; remove it'],
    ['Transfer-Encoding', { headers: { 'Transfer-Encoding': 'chunked' } }, 'tools[0].headers.Transfer-Encoding', 'is set by Switchboard'],
    ['User-Agent', { headers: { 'User-Agent': 'me' } }, 'tools[0].headers.User-Agent', 'header "User-Agent" is set by Switchboard: it names Switchboard and its version; remove it'],
    ['webhook-id', { headers: { 'Webhook-Id': '1' } }, 'tools[0].headers.Webhook-Id', 'header "Webhook-Id" is set by Switchboard: webhook-id, webhook-timestamp and webhook-signature are its Standard Webhooks signature of the request; remove it'],
    ['webhook-timestamp', { headers: { 'webhook-timestamp': '1' } }, 'tools[0].headers.webhook-timestamp', 'Standard Webhooks signature'],
    ['webhook-signature', { headers: { 'webhook-signature': 'v1,x' } }, 'tools[0].headers.webhook-signature', 'Standard Webhooks signature'],
    ['Host', { headers: { Host: 'api.example.com' } }, 'tools[0].headers.Host', 'header "Host" is set by Switchboard: it comes from the url; remove it'],
    ['Connection', { headers: { Connection: 'keep-alive' } }, 'tools[0].headers.Connection', 'header "Connection" is set by Switchboard: each tool call has a connection of its own; remove it'],
    ['a secret reference with a space in the name', { headers: { Authorization: 'Bearer {{secret:orders api}}' } }, 'tools[0].headers.Authorization', 'header "Authorization": "{{secret:orders api}}" is not a secret reference: write {{secret:NAME}}, NAME without spaces or braces'],
    ['a secret reference without a name', { headers: { Authorization: 'Bearer {{secret:}}' } }, 'tools[0].headers.Authorization', '"{{secret:}}" is not a secret reference'],
    ['a secret reference in capitals', { headers: { Authorization: 'Bearer {{SECRET:orders-api}}' } }, 'tools[0].headers.Authorization', '"{{SECRET:orders-api}}" is not a secret reference'],
    ['a placeholder that is not a secret', { headers: { 'X-Caller': '{{caller}}' } }, 'tools[0].headers.X-Caller', '"{{caller}}" is not a secret reference: write {{secret:NAME}}'],
    ['a secret name no secret store takes', { headers: { Authorization: 'Bearer {{secret:orders!api}}' } }, 'tools[0].headers.Authorization', 'header "Authorization": secret name "orders!api" cannot be stored: NAME may hold letters, digits and - _ . / + = @ (at most 256), as `switchboard secrets set tool:NAME` takes it'],
    ['a secret name of 257 characters', { headers: { Authorization: `Bearer {{secret:${'s'.repeat(257)}}}` } }, 'tools[0].headers.Authorization', 'cannot be stored'],
    ['a secret reference left open', { headers: { Authorization: 'Bearer {{secret:orders-api}' } }, 'tools[0].headers.Authorization', 'header "Authorization" has "{{" or "}}" outside a secret reference: write {{secret:NAME}}'],
    // timeoutMs, whileWaiting, whileWaitingAfterMs
    ['a timeout under 100 ms', { timeoutMs: 99 }, 'tools[0].timeoutMs', `timeoutMs must be a whole number of milliseconds from 100 to ${MAX_TOOL_TIMEOUT_MS.toLocaleString('en-US')}`],
    ['a timeout over the longest', { timeoutMs: MAX_TOOL_TIMEOUT_MS + 1 }, 'tools[0].timeoutMs', 'timeoutMs must be a whole number of milliseconds from 100 to 10,000 (the caller waits meanwhile)'],
    ['a timeout in seconds', { timeoutMs: 2.5 }, 'tools[0].timeoutMs', 'timeoutMs must be a whole number of milliseconds'],
    ['a timeout as text', { timeoutMs: '4000' }, 'tools[0].timeoutMs', 'timeoutMs must be a whole number of milliseconds'],
    ['an empty whileWaiting', { whileWaiting: '' }, 'tools[0].whileWaiting', 'whileWaiting must not be empty: leave it out to say nothing'],
    ['whileWaiting of 301 characters', { whileWaiting: 'w'.repeat(301) }, 'tools[0].whileWaiting', 'whileWaiting is 301 characters long; at most 300 are allowed: it is said word for word while the tool runs, so keep it to a sentence'],
    ['a negative whileWaitingAfterMs', { whileWaitingAfterMs: -1 }, 'tools[0].whileWaitingAfterMs', 'whileWaitingAfterMs must be a whole number of milliseconds from 0 to 10,000'],
    ['whileWaitingAfterMs over the longest timeout', { whileWaitingAfterMs: MAX_TOOL_TIMEOUT_MS + 1 }, 'tools[0].whileWaitingAfterMs', 'from 0 to 10,000'],
    ['a wait no shorter than the timeout', { timeoutMs: 2000, whileWaitingAfterMs: 2000 }, 'tools[0].whileWaitingAfterMs', 'whileWaiting would never be said: whileWaitingAfterMs (2,000) must be less than timeoutMs (2,000)'],
    // redact, record, allowPrivateNetwork, unknown fields
    ['51 redacted fields', { redact: Array.from({ length: 51 }, (_, i) => `field${i}`) }, 'tools[0].redact', 'at most 50 redacted fields'],
    ['an empty redacted field', { redact: [''] }, 'tools[0].redact[0]', 'a redacted field must be named'],
    ['a redacted field of 101 characters', { redact: ['f'.repeat(101)] }, 'tools[0].redact[0]', 'the redacted field is 101 characters long; at most 100 are allowed'],
    ['record set to something other than full', { record: 'answer' }, 'tools[0].record', 'record must be "full" (the answer\'s text goes in the call\'s record) or left out (only its size and status do)'],
    ['allowPrivateNetwork as text', { allowPrivateNetwork: 'yes' }, 'tools[0].allowPrivateNetwork', ''],
    ['an unknown tool field', { method: 'GET' }, 'tools[0].method', 'unknown field "method"'],
  ])('refuses a tool with %s, naming where', (_, over, path, message) => {
    const { config, problems } = checkNumberConfig(withTool(over));
    expect(config).toBeUndefined();
    expect(problems).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it.each<[string, unknown[], string, string]>([
    ['21 tools', Array.from({ length: 21 }, (_, i) => ({ ...minimalTool, name: `tool_${i}` })), 'tools', 'at most 20 tools: the model reads every one on every turn'],
    ['a tool name twice', [lookupOrder, { ...minimalTool, name: lookupOrder.name }], 'tools[1].name', 'tool name "lookup_order" is used twice'],
    [
      'tools over 64 KiB together',
      Array.from({ length: 5 }, (_, i) => ({ ...minimalTool, name: `tool_${i}`, parameters: parametersOf(16 * 1024) })),
      'tools',
      'bytes as JSON together; at most 65,536 (64 KiB) are allowed: shorten their descriptions and parameters (the model reads every tool on every turn, and the whole config is stored as one DynamoDB item)',
    ],
  ])('refuses %s', (_, tools, path, message) => {
    const { config, problems } = checkNumberConfig(withTools(tools));
    expect(config).toBeUndefined();
    expect(problems).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('checks the test helpers measure what they say', () => {
    expect(bytes(parametersOf(1_000))).toBe(1_000);
    expect(depthOf(nested(16))).toBe(16);
    expect(depthOf(nested(17))).toBe(17);
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
    expect(parseConfigFile('line.json', text)).toEqual({ ok: false, message: `line.json is not valid JSON: ${why}`, line: Number(/at line (\d+)/.exec(why)![1]) });
  });

  it('reads .json as JSON and anything else as YAML (which reads JSON too)', () => {
    const json = '{ "number": "+17134810111", "enabled": false }';
    expect(parseConfigFile('line.json', json)).toEqual({ ok: true, doc: { number: '+17134810111', enabled: false } });
    expect(parseConfigFile('line.yaml', 'number: "+17134810111"\nenabled: false\n')).toEqual({ ok: true, doc: { number: '+17134810111', enabled: false } });
    expect(parseConfigFile('line.txt', json)).toEqual({ ok: true, doc: { number: '+17134810111', enabled: false } });
    expect(parseConfigFile('line.yaml', 'a: [1\n')).toMatchObject({ ok: false, message: expect.stringMatching(/^line.yaml is not valid YAML: .* at line 2, column 1:$/), line: 2 });
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
