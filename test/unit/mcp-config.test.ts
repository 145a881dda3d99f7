import { mcpToolFor, toolsFor } from '../../core/calls/session-config';
import { checkNumberConfig, MAX_MCP_ALLOWED_TOOLS, MAX_MCP_SERVERS, parseNumberConfig } from '../../core/numbers/config';
import { checkMcpUrl } from '../../core/numbers/mcp-url';
import { MCP_SETUP_EVENT_ID, mcpSessionUpdate } from '../../core/worker/mcp-session';
import { acceptParamsError } from '../../local/openai-emulator/accept-params';

const NUMBER = '+17134810111';
const ORDERS = { label: 'orders', url: 'https://mcp.example.com/mcp' };
const withMcp = (mcp: unknown[]) => ({ number: NUMBER, agent: { instructions: 'Be helpful.' }, mcp });
const withServer = (over: Record<string, unknown>) => withMcp([{ ...ORDERS, ...over }]);

describe('number config mcp', () => {
  it('defaults to none, and keeps a server as written', () => {
    expect(parseNumberConfig(withMcp([])).mcp).toEqual([]);
    expect(parseNumberConfig({ number: NUMBER, agent: { instructions: 'x' } }).mcp).toEqual([]);
    const full = { ...ORDERS, description: 'Orders and deliveries', allowedTools: ['lookup_order', 'orders.track'], headers: { Authorization: 'Bearer {{secret:orders-mcp}}' }, redact: ['cardNumber'] };
    expect(parseNumberConfig(withMcp([full])).mcp).toEqual([full]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a label of 64 characters', { label: `a${'b'.repeat(63)}` }],
    ['a label with digits, "_" and "-"', { label: 'Orders_v2-eu' }],
    ['a public IPv4 address', { url: 'https://203.0.114.7/mcp' }],
    ['a public IPv6 address and a port', { url: 'https://[2606:4700::1111]:8443/mcp' }],
    ['a query string', { url: 'https://mcp.example.com/mcp?tenant=7' }],
    [`${MAX_MCP_ALLOWED_TOOLS} allowed tools`, { allowedTools: Array.from({ length: MAX_MCP_ALLOWED_TOOLS }, (_, i) => `tool_${i}`) }],
    ['an Authorization header written out', { headers: { Authorization: 'Bearer abc' } }],
    ['a description of 1,024 characters', { description: 'd'.repeat(1_024) }],
  ])('accepts a server with %s', (_, over) => {
    expect(checkNumberConfig(withServer(over)).problems).toEqual([]);
  });

  it(`accepts ${MAX_MCP_SERVERS} servers`, () => {
    const servers = Array.from({ length: MAX_MCP_SERVERS }, (_, i) => ({ ...ORDERS, label: `server_${i}` }));
    expect(parseNumberConfig(withMcp(servers)).mcp).toHaveLength(MAX_MCP_SERVERS);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    // label
    ['no label', { label: undefined }, 'mcp[0].label', 'an MCP server needs a "label": the name the agent knows it by, e.g. "orders"'],
    ['a label with a space', { label: 'order desk' }, 'mcp[0].label', 'MCP server label "order desk" must start with a letter and be at most 64 letters, digits, "_" or "-"'],
    ['a label starting with a digit', { label: '2orders' }, 'mcp[0].label', 'must start with a letter'],
    ['a label with a dot', { label: 'orders.eu' }, 'mcp[0].label', 'must start with a letter'],
    ['a label of 65 characters', { label: `a${'b'.repeat(64)}` }, 'mcp[0].label', 'at most 64'],
    // url
    ['no url', { url: undefined }, 'mcp[0].url', 'an MCP server needs a "url": its Streamable HTTP endpoint, e.g. https://mcp.example.com/mcp'],
    ['an http:// url', { url: 'http://mcp.example.com/mcp' }, 'mcp[0].url', "the MCP server url must start with https:// (not http://): OpenAI's servers call it over the internet"],
    ['http:// to this machine', { url: 'http://localhost:8080/mcp' }, 'mcp[0].url', 'must start with https://'],
    ['localhost', { url: 'https://localhost:8443/mcp' }, 'mcp[0].url', "the MCP server url names this machine (localhost): OpenAI's servers call it, so it must be reachable from the internet"],
    ['a name under localhost', { url: 'https://mcp.localhost/mcp' }, 'mcp[0].url', 'names this machine (mcp.localhost)'],
    ['127.0.0.1', { url: 'https://127.0.0.1/mcp' }, 'mcp[0].url', "the MCP server url's address 127.0.0.1 is this machine"],
    ['[::1]', { url: 'https://[::1]/mcp' }, 'mcp[0].url', "address ::1 is this machine"],
    ['a private address', { url: 'https://10.0.0.7/mcp' }, 'mcp[0].url', "the MCP server url's address 10.0.0.7 is a private address: OpenAI's servers call it, so it must be reachable from the internet"],
    ['a private address mapped into IPv6', { url: 'https://[::ffff:192.168.1.2]/mcp' }, 'mcp[0].url', 'is a private address'],
    ['the metadata address', { url: 'https://169.254.169.254/latest' }, 'mcp[0].url', 'is a metadata address'],
    ['a documentation address', { url: 'https://192.0.2.1/mcp' }, 'mcp[0].url', 'is a reserved address'],
    ['a url with a password', { url: 'https://bot:hunter2@mcp.example.com/mcp' }, 'mcp[0].url', 'must not carry a user name or password'],
    ['a url that is not one', { url: 'mcp.example.com' }, 'mcp[0].url', 'the MCP server url is not a URL'],
    ['a url of 2,049 characters', { url: `https://mcp.example.com/${'m'.repeat(2_025)}` }, 'mcp[0].url', 'the url is 2,049 characters long; at most 2,048 are allowed'],
    // allowedTools
    ['no allowed tools', { allowedTools: [] }, 'mcp[0].allowedTools', "allowedTools must name at least one tool: leave it out to allow all the server's tools"],
    ['too many allowed tools', { allowedTools: Array.from({ length: MAX_MCP_ALLOWED_TOOLS + 1 }, (_, i) => `t${i}`) }, 'mcp[0].allowedTools', `at most ${MAX_MCP_ALLOWED_TOOLS} allowed tools`],
    ['an allowed tool with a space', { allowedTools: ['lookup order'] }, 'mcp[0].allowedTools[0]', 'MCP tool name "lookup order" must be 1 to 128 letters, digits, "_", "-" or "."'],
    ['an allowed tool twice', { allowedTools: ['a', 'a'] }, 'mcp[0].allowedTools[1]', 'MCP tool name "a" is listed twice'],
    // headers: the tools' checks, with OpenAI's MCP client's own headers
    ['a secret reference in capitals', { headers: { Authorization: 'Bearer {{SECRET:x}}' } }, 'mcp[0].headers.Authorization', '"{{SECRET:x}}" is not a secret reference'],
    ['a placeholder that is not a secret', { headers: { 'X-Caller': '{{caller}}' } }, 'mcp[0].headers.X-Caller', 'is not a secret reference'],
    ['a header value with a line break', { headers: { 'X-Note': 'a\r\nb' } }, 'mcp[0].headers.X-Note', 'has a line break'],
    ['a header name with a space', { headers: { 'Api Key': 'x' } }, 'mcp[0].headers.Api Key', 'is not an HTTP header name'],
    ['a header twice', { headers: { Authorization: 'a', authorization: 'b' } }, 'mcp[0].headers.authorization', 'is given twice'],
    ['Accept', { headers: { Accept: 'application/json' } }, 'mcp[0].headers.Accept', "header \"Accept\" is set by OpenAI's MCP client: the MCP transport says which answers the client takes (JSON or an event stream); remove it"],
    ['Mcp-Session-Id', { headers: { 'Mcp-Session-Id': 's' } }, 'mcp[0].headers.Mcp-Session-Id', "is set by OpenAI's MCP client"],
    ['Content-Type', { headers: { 'Content-Type': 'text/plain' } }, 'mcp[0].headers.Content-Type', "is set by OpenAI's MCP client"],
    // the rest
    ['an empty description', { description: '' }, 'mcp[0].description', 'the description must not be empty'],
    ['a description of 1,025 characters', { description: 'd'.repeat(1_025) }, 'mcp[0].description', 'at most 1,024 are allowed'],
    ['a redacted field unnamed', { redact: [''] }, 'mcp[0].redact[0]', 'a redacted field must be named'],
    ['requireApproval', { requireApproval: 'always' }, 'mcp[0].requireApproval', 'unknown field "requireApproval"'],
  ])('refuses a server with %s, naming where', (_, over, path, message) => {
    const { config, problems } = checkNumberConfig(withServer(over));
    expect(config).toBeUndefined();
    expect(problems).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it.each<[string, unknown[], string, string]>([
    ['too many servers', Array.from({ length: MAX_MCP_SERVERS + 1 }, (_, i) => ({ ...ORDERS, label: `s${i}` })), 'mcp', `at most ${MAX_MCP_SERVERS} MCP servers`],
    ['a label twice, in two cases', [ORDERS, { ...ORDERS, label: 'Orders' }], 'mcp[1].label', 'MCP server label "Orders" is used twice (labels ignore case)'],
    [
      'servers over 16 KiB together',
      Array.from({ length: 3 }, (_, i) => ({ ...ORDERS, label: `s${i}`, headers: Object.fromEntries(Array.from({ length: 6 }, (_, h) => [`X-H${h}`, 'v'.repeat(1_000)])) })),
      'mcp',
      'bytes as JSON together; at most 16,384 (16 KiB) are allowed',
    ],
  ])('refuses %s', (_, mcp, path, message) => {
    const { problems } = checkNumberConfig(withMcp(mcp));
    expect(problems).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('checks a name without resolving it: it resolves where OpenAI is', () => {
    expect(checkMcpUrl('https://mcp.internal.example.com/mcp')).toMatchObject({ ok: true });
  });
});

describe('mcp tools for the session', () => {
  it("is the guide's shape, approval never, headers as configured", () => {
    const [server] = parseNumberConfig(withServer({ description: 'Orders', allowedTools: ['lookup_order'], headers: { Authorization: 'Bearer {{secret:orders-mcp}}' }, redact: ['card'] })).mcp;
    expect(mcpToolFor(server)).toEqual({
      type: 'mcp',
      server_label: 'orders',
      server_url: 'https://mcp.example.com/mcp',
      allowed_tools: ['lookup_order'],
      headers: { Authorization: 'Bearer {{secret:orders-mcp}}' },
      require_approval: 'never',
      server_description: 'Orders',
    });
    expect(mcpToolFor(parseNumberConfig(withServer({ headers: {} })).mcp[0])).toEqual({ type: 'mcp', server_label: 'orders', server_url: 'https://mcp.example.com/mcp', require_approval: 'never' });
  });

  const secrets: Record<string, string> = { 'orders-mcp': 'tok-123\n' };
  const readSecret = async (name: string) => secrets[name];

  it('is a session.update with the function tools and the servers, secrets filled', async () => {
    const config = parseNumberConfig(withMcp([
      { ...ORDERS, headers: { Authorization: 'Bearer {{secret:orders-mcp}}' } },
      { label: 'docs', url: 'https://docs.example.com/mcp' },
    ]));
    const setup = await mcpSessionUpdate(config, readSecret);
    expect(setup).toEqual({
      event: {
        type: 'session.update',
        event_id: MCP_SETUP_EVENT_ID,
        session: {
          type: 'realtime',
          tools: [
            ...toolsFor(config),
            { type: 'mcp', server_label: 'orders', server_url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer tok-123' }, require_approval: 'never' },
            { type: 'mcp', server_label: 'docs', server_url: 'https://docs.example.com/mcp', require_approval: 'never' },
          ],
          tool_choice: 'auto',
        },
      },
      servers: ['orders', 'docs'],
      skipped: [],
      secretValues: ['tok-123'],
    });
    // What the emulator takes, as the accept's tools are checked.
    expect(acceptParamsError({ type: 'realtime', tools: (setup.event!.session as { tools?: unknown }).tools })).toBeUndefined();
  });

  it.each<[string, ((name: string) => Promise<string | undefined>) | undefined, string]>([
    ['a secret without a value', async () => undefined, 'secret "orders-mcp" has no value'],
    ['a secret that cannot be read', async () => { throw new Error('AccessDenied'); }, 'secret "orders-mcp" could not be read: AccessDenied'],
    ['no secret reader', undefined, 'its headers need tool secrets, which this worker cannot read (tools are not set up)'],
  ])('leaves out a server whose headers need %s, and says why', async (_, read, detail) => {
    const config = parseNumberConfig(withMcp([{ ...ORDERS, headers: { Authorization: 'Bearer {{secret:orders-mcp}}' } }, { label: 'docs', url: 'https://docs.example.com/mcp' }]));
    const setup = await mcpSessionUpdate(config, read);
    expect(setup.servers).toEqual(['docs']);
    expect(setup.skipped).toEqual([{ server: 'orders', detail }]);
    expect(JSON.stringify(setup.event)).not.toContain('{{secret:');
  });

  it('sends nothing for a number without servers, or one stored before numbers had them', async () => {
    const config = parseNumberConfig(withMcp([]));
    expect((await mcpSessionUpdate(config, readSecret)).event).toBeUndefined();
    const { mcp: _, ...stored } = config;
    expect((await mcpSessionUpdate(stored as typeof config, readSecret)).event).toBeUndefined();
  });
});
