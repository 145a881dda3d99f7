import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Webhook } from 'standardwebhooks';
import { devTools, toolSecretEnvName } from '../../cli/commands/dev';
import { OUTPUTS } from '../../core/runtime/contract';
import { jsonLog, silentLog } from '../../core/runtime/log';
import type { HttpToolCall, HttpToolConfig } from '../../core/tools/http-tool';
import { lookupSigningSecret } from '../../core/webhook/lookup';
import { startDevStack, type DevStack } from '../../local/dev-stack';
import { TOOL_SIGNING_KEY_LENGTH } from '../../lib/stateful-stack';
import { deployedToolRunner } from '../../service/tool-runner';
import { startAwsStubs, type AwsStubs } from '../support/aws-stubs';
import { runCli, startCli } from '../support/cli';
import { API_KEY, eventually, freePort, WEBHOOK_SECRET } from '../support/local-stack';

/**
 * Tool secrets and the tool signing secret, stored through the CLI (a child process, as a user
 * runs it) and used by the runners the hosts build: the deployed worker's against a Secrets
 * Manager stand-in, `switchboard dev`'s against its embedded DynamoDB. The tool's endpoint is a
 * real server on 127.0.0.1 that verifies with the Standard Webhooks library.
 */

const TOOL_SIGNING_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ToolSigningSecret-MnOpQr';
const PREFIX = 'switchboard/dev/tool/';
const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:WebhookSecret-AbCdEf';
/** What CloudFormation generates: letters and digits (ExcludePunctuation), TOOL_SIGNING_KEY_LENGTH of them. */
const GENERATED_KEY = Array.from({ length: TOOL_SIGNING_KEY_LENGTH }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[randomInt(62)]).join('');
const ORDERS_TOKEN = `tok_live_${randomBytes(12).toString('hex')}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A tool endpoint on 127.0.0.1 that keeps what it received and answers 200. */
async function startEndpoint(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"shipped"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tools/lookup_order`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Whether the Standard Webhooks library accepts the request as signed with `secret`. */
function verifies(secret: string, request: Received): boolean {
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

function toolCall(tool: Partial<HttpToolConfig> & { url: string }, toolCallId = `call_${randomBytes(4).toString('hex')}`): HttpToolCall {
  return {
    tool: { name: 'lookup_order', ...tool },
    toolCallId,
    rawArguments: '{"order":"A-1001"}',
    call: { callId: 'rtc_tools', number: '+17134810111', caller: '+14067704205' },
  };
}

describe('tool secrets of a deployed stack (the CLI against a Secrets Manager stand-in, the worker\'s runner reading them)', () => {
  let aws: AwsStubs;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  const cli = (args: string[], input?: string) => runCli(args, { env: aws.env, input });
  const writes = () => aws.requests.filter((r) => r.action === 'CreateSecret' || r.action === 'PutSecretValue').length;
  const tables = { [OUTPUTS.numbersTable]: 'numbers', [OUTPUTS.callsTable]: 'calls', [OUTPUTS.callEntriesTable]: 'entries' };

  beforeAll(async () => {
    aws = await startAwsStubs();
    aws.stacks.push(
      { name: 'Switchboard-dev-Calls', outputs: { ...tables, [OUTPUTS.toolSigningSecretArn]: TOOL_SIGNING_ARN, [OUTPUTS.toolSecretsPrefix]: PREFIX, [OUTPUTS.webhookSecretArn]: WEBHOOK_SECRET_ARN } },
      { name: 'Switchboard-old-Calls', outputs: tables },
    );
    aws.secrets.set(TOOL_SIGNING_ARN, GENERATED_KEY);
    aws.secrets.set(WEBHOOK_SECRET_ARN, WEBHOOK_SECRET);
    endpoint = await startEndpoint();
  });

  afterAll(async () => {
    await endpoint.close();
    await aws.close();
  });

  const client = () => new SecretsManagerClient({ endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCALSTUB', secretAccessKey: 'local-stub-secret' } });

  it('stores a tool secret under the stage prefix from stdin, creating it the first time and updating it after, never printing it', async () => {
    const created = await cli(['secrets', 'set', 'tool:orders-api', '--stack', 'dev'], 'tok_first\n');
    expect(created).toMatchObject({ code: 0, stdout: `stored tool secret "orders-api" in arn:aws:secretsmanager:us-east-1:123456789012:secret:${PREFIX}orders-api-AbCdEf\n` });
    expect(aws.requests.filter((r) => r.action === 'CreateSecret')).toEqual([
      { action: 'CreateSecret', params: expect.objectContaining({ Name: `${PREFIX}orders-api`, SecretString: 'tok_first', Description: expect.stringContaining('{{secret:orders-api}}') }) },
    ]);

    const updated = await cli(['secrets', 'set', 'tool:orders-api', '--stack', 'Switchboard-dev-Calls'], ORDERS_TOKEN);
    expect(updated.code).toBe(0);
    expect(aws.secrets.get(`${PREFIX}orders-api`)).toBe(ORDERS_TOKEN);
    expect(aws.requests.filter((r) => r.action === 'CreateSecret')).toHaveLength(1);
    for (const result of [created, updated]) expect(result.stdout + result.stderr).not.toMatch(/tok_first|tok_live/);
  });

  it.each([
    ['an empty name', 'tool:'],
    ['a space', 'tool:orders api'],
    ['braces', 'tool:{{orders}}'],
    ['a character Secrets Manager names cannot hold', 'tool:orders:api'],
  ])('refuses a tool secret name with %s, storing nothing', async (_, name) => {
    const before = writes();
    const result = await cli(['secrets', 'set', name, '--stack', 'dev'], 'tok_x');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot be used: a tool header names it as {{secret:NAME}}');
    expect(writes()).toBe(before);
  });

  it('refuses a tool secret with a line break in it (a header cannot carry one) without echoing it', async () => {
    const before = writes();
    const result = await cli(['secrets', 'set', 'tool:orders-api', '--stack', 'dev'], 'tok_a\r\nX-Injected: 1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('line break');
    expect(result.stdout + result.stderr).not.toContain('X-Injected');
    expect(writes()).toBe(before);
  });

  it('prints the tool signing secret as a Standard Webhooks secret, and no other secret', async () => {
    expect(await cli(['secrets', 'get', 'tool-signing-secret', '--stack', 'dev'])).toMatchObject({ code: 0, stdout: `whsec_${GENERATED_KEY}\n` });
    const other = await cli(['secrets', 'get', 'openai-api-key', '--stack', 'dev']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('only the tool-signing-secret and the lookup-signing-secret can be printed');
  });

  it('prints the lookup signing secret, derived from the webhook secret, which verifies what the webhook signs', async () => {
    const result = await cli(['secrets', 'get', 'lookup-signing-secret', '--stack', 'dev']);
    expect(result).toMatchObject({ code: 0, stdout: `${lookupSigningSecret(WEBHOOK_SECRET)}\n` });
    expect(result.stdout).not.toContain(WEBHOOK_SECRET);
    expect(result.stderr).toContain('storing a new one from OpenAI makes a new lookup signing secret');
  });

  it('says how to update a stack deployed before HTTP tools', async () => {
    for (const args of [['set', 'tool:orders-api'], ['get', 'tool-signing-secret']]) {
      const result = await cli(['secrets', ...args, '--stack', 'old'], 'tok_x');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: stack Switchboard-old-Calls has no output for the tool (secrets|signing secret); redeploy it/);
    }
  });

  it('needs one of --stack and --endpoint', async () => {
    expect((await cli(['secrets', 'set', 'tool:orders-api'], 'tok_x')).stderr).toContain('say where to store it: --stack <name>');
    expect((await cli(['secrets', 'set', 'tool:orders-api', '--stack', 'dev', '--endpoint', 'http://127.0.0.1:1'], 'tok_x')).code).toBe(2);
    expect((await cli(['secrets', 'set', 'tool:orders-api', '--endpoint', 'dynalite'], 'tok_x')).stderr).toContain('--endpoint "dynalite" is not a URL');
  });

  it('the worker sends the stored secret, signed with what `secrets get` prints; a missing one is an error output and is read again next time', async () => {
    const lines: string[] = [];
    const runTool = deployedToolRunner({ client: client(), signingSecretArn: TOOL_SIGNING_ARN, secretsPrefix: PREFIX, log: jsonLog('worker', { write: (line) => lines.push(line) }) });
    const printed = (await cli(['secrets', 'get', 'tool-signing-secret', '--stack', 'dev'])).stdout.trim();
    // The endpoint is on this machine, which a deployed worker reaches only with allowPrivateNetwork.
    const tool = { url: endpoint.url, allowPrivateNetwork: true, headers: { Authorization: 'Bearer {{secret:orders-api}}' } };

    const answered = await runTool(toolCall(tool));
    expect(answered).toMatchObject({ outcome: 'ok', status: 200 });
    const request = endpoint.received.at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${ORDERS_TOKEN}`);
    expect(verifies(printed, request)).toBe(true);
    expect(verifies(WEBHOOK_SECRET, request)).toBe(false);

    const missing = await runTool(toolCall({ ...tool, headers: { 'X-Billing-Key': '{{secret:billing-api}}' } }));
    expect(missing).toMatchObject({ outcome: 'secret-missing', attempts: 0, output: JSON.stringify({ error: 'the lookup_order tool is not set up correctly: a secret it needs is missing' }) });
    expect(missing.detail).toBe('secret "billing-api" has no value');
    expect((await cli(['secrets', 'set', 'tool:billing-api', '--stack', 'dev'], 'bk_123')).code).toBe(0);
    expect(await runTool(toolCall({ ...tool, headers: { 'X-Billing-Key': '{{secret:billing-api}}' } }))).toMatchObject({ outcome: 'ok' });
    expect(endpoint.received.at(-1)!.headers['x-billing-key']).toBe('bk_123');

    // No loopback in AWS without allowPrivateNetwork.
    expect(await runTool(toolCall({ ...tool, allowPrivateNetwork: false }))).toMatchObject({ outcome: 'refused-address', attempts: 0 });
    for (const value of [ORDERS_TOKEN, 'bk_123', GENERATED_KEY]) expect(lines.join('\n')).not.toContain(value);
    expect(JSON.stringify([answered, missing])).not.toContain(ORDERS_TOKEN);
  });

  it('sends nothing when the tool signing secret cannot be read, and says why without a value', async () => {
    const before = endpoint.received.length;
    const runTool = deployedToolRunner({ client: client(), signingSecretArn: `${TOOL_SIGNING_ARN}-gone`, secretsPrefix: PREFIX, log: silentLog });
    const result = await runTool(toolCall({ url: endpoint.url, allowPrivateNetwork: true, headers: { Authorization: 'Bearer {{secret:orders-api}}' } }));
    expect(result).toMatchObject({ outcome: 'bad-signing-secret', attempts: 0, output: JSON.stringify({ error: 'the lookup_order tool is not set up correctly: its signing secret is not valid' }) });
    expect(result.detail).toMatch(/^the tool signing secret could not be read \(secret ".*-gone" has no value yet/);
    expect(JSON.stringify(result)).not.toContain(ORDERS_TOKEN);
    expect(endpoint.received.length).toBe(before);
  });

  it('signs with a rotated tool signing secret without a restart, and refuses one of the wrong shape', async () => {
    const runTool = deployedToolRunner({ client: client(), signingSecretArn: TOOL_SIGNING_ARN, secretsPrefix: PREFIX, log: silentLog, maxAgeMs: 0 });
    const tool = { url: endpoint.url, allowPrivateNetwork: true };
    await runTool(toolCall(tool));
    expect(verifies(`whsec_${GENERATED_KEY}`, endpoint.received.at(-1)!)).toBe(true);

    const bad = await cli(['secrets', 'set', 'tool-signing-secret', '--stack', 'dev'], `whsec_${Buffer.from('too short').toString('base64')}`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a Standard Webhooks signing secret');
    const rotated = `whsec_${randomBytes(32).toString('base64')}`;
    const stored = await cli(['secrets', 'set', 'tool-signing-secret', '--stack', 'dev'], rotated);
    expect(stored).toMatchObject({ code: 0, stdout: `stored the tool signing secret in ${TOOL_SIGNING_ARN}\n` });
    expect(stored.stderr).not.toContain(rotated);
    expect((await cli(['secrets', 'get', 'tool-signing-secret', '--stack', 'dev'])).stdout).toBe(`${rotated}\n`);
    // A cached secret is re-read in the background once it is older than maxAgeMs.
    await eventually(async () => {
      await runTool(toolCall(tool));
      return verifies(rotated, endpoint.received.at(-1)!);
    });
  });
});

describe('tool secrets of `switchboard dev` (--endpoint: its embedded DynamoDB)', () => {
  let stack: DevStack;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  const at = () => ['--endpoint', stack.dynamodb.endpoint];

  beforeAll(async () => {
    endpoint = await startEndpoint();
    stack = await startDevStack({
      port: 0,
      dynamodbPort: 0,
      openai: { apiKey: API_KEY, baseURL: 'http://127.0.0.1:9/v1' },
      webhookSecret: WEBHOOK_SECRET,
      log: silentLog,
      // As `switchboard dev` builds them from its environment.
      tools: devTools({ [toolSecretEnvName('orders-api')]: 'from-the-environment' }),
    });
  });

  afterAll(async () => {
    await stack.close();
    await endpoint.close();
  });

  it('reads SWITCHBOARD_TOOL_SECRET_<NAME>: upper case, "-" as "_"', () => {
    expect(toolSecretEnvName('orders-api')).toBe('SWITCHBOARD_TOOL_SECRET_ORDERS_API');
    expect(toolSecretEnvName('crm_token')).toBe('SWITCHBOARD_TOOL_SECRET_CRM_TOKEN');
  });

  it('generates a tool signing secret at the first start, which `secrets get` prints', async () => {
    expect(stack.tools).toMatchObject({ source: 'generated', signingSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+={0,2}$/) });
    expect(await runCli(['secrets', 'get', 'tool-signing-secret', ...at()])).toMatchObject({ code: 0, stdout: `${stack.tools!.signingSecret}\n` });
  });

  it('fills {{secret:NAME}} from the environment first, then from what `secrets set --endpoint` stored, reaching loopback over http', async () => {
    expect(await runCli(['secrets', 'set', 'tool:orders-api', ...at()], { input: 'stored-orders' })).toMatchObject({ code: 0, stdout: `stored tool secret "orders-api" at ${stack.dynamodb.endpoint}\n` });
    const billing = await runCli(['secrets', 'set', 'tool:billing-api', ...at()], { input: 'stored-billing\n' });
    expect(billing.code).toBe(0);
    expect(billing.stderr).toContain('SWITCHBOARD_TOOL_SECRET_BILLING_API wins over it when set');

    const result = await stack.tools!.runTool(toolCall({ url: endpoint.url, headers: { Authorization: 'Bearer {{secret:orders-api}}', 'X-Billing-Key': '{{secret:billing-api}}' } }));
    expect(result).toMatchObject({ outcome: 'ok', status: 200 });
    const request = endpoint.received.at(-1)!;
    expect(request.headers).toMatchObject({ authorization: 'Bearer from-the-environment', 'x-billing-key': 'stored-billing' });
    expect(verifies(stack.tools!.signingSecret, request)).toBe(true);
  });

  it('signs the next tool call with a tool signing secret stored while it runs', async () => {
    const mine = `whsec_${randomBytes(24).toString('base64')}`;
    expect(await runCli(['secrets', 'set', 'tool-signing-secret', ...at()], { input: mine })).toMatchObject({ code: 0, stdout: `stored the tool signing secret at ${stack.dynamodb.endpoint}\n` });
    expect((await runCli(['secrets', 'get', 'tool-signing-secret', ...at()])).stdout).toBe(`${mine}\n`);
    await stack.tools!.runTool(toolCall({ url: endpoint.url }));
    expect(verifies(mine, endpoint.received.at(-1)!)).toBe(true);
  });

  it('writes the lookup signing secret of its webhook secret at its start, which `secrets get` prints', async () => {
    expect(await runCli(['secrets', 'get', 'lookup-signing-secret', ...at()])).toMatchObject({ code: 0, stdout: `${lookupSigningSecret(WEBHOOK_SECRET)}\n` });
  });

  it('leaves the OpenAI secrets to the environment', async () => {
    const result = await runCli(['secrets', 'set', 'openai-api-key', ...at()], { input: 'sk-abcdefghijklmnopqrstuvwxyz' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('reads the OpenAI API key from OPENAI_API_KEY');
  });
});

describe('`switchboard dev` and the tool signing secret', () => {
  let dataDir: string;
  let dynamodbPort: number;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ OPENAI_API_KEY: API_KEY, OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', SWITCHBOARD_TOOL_SIGNING_SECRET: '', ...extra });
  const dev = (extra?: NodeJS.ProcessEnv) => startCli(['dev', '--port', '0', '--dynamodb-port', String(dynamodbPort), '--data-dir', dataDir], /tools: .*\n/, env(extra));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchboard-dev-tools-'));
    dynamodbPort = await freePort();
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('generates one at the first start and prints it once; later starts sign with it and do not print it', async () => {
    const first = await dev();
    const generated = /tools: generated a tool signing secret, stored in .*; verify tool calls with it \(or set SWITCHBOARD_TOOL_SIGNING_SECRET\): (whsec_\S+)\n/.exec(first.output())?.[1];
    expect(generated).toBeDefined();
    expect((await runCli(['secrets', 'get', 'tool-signing-secret', '--endpoint', `http://127.0.0.1:${dynamodbPort}`])).stdout).toBe(`${generated}\n`);
    expect(await first.stop()).toBe(0);

    const second = await dev();
    expect(second.output()).toContain('tools: signed with the tool signing secret stored in');
    expect(second.output()).not.toContain(generated);
    expect(await second.stop()).toBe(0);

    const mine = `whsec_${randomBytes(32).toString('base64')}`;
    const third = await dev({ SWITCHBOARD_TOOL_SIGNING_SECRET: mine });
    expect(third.output()).toContain('tools: signed with SWITCHBOARD_TOOL_SIGNING_SECRET');
    expect(third.output()).not.toContain(mine);
    expect(await third.stop()).toBe(0);
  });

  it.each([
    ['not a Standard Webhooks secret', 'my-secret', 'must be "whsec_" followed by base64'],
    ['OpenAI\'s webhook secret', WEBHOOK_SECRET, 'is OPENAI_WEBHOOK_SECRET: tool calls need a signing secret of their own'],
  ])('refuses a SWITCHBOARD_TOOL_SIGNING_SECRET that is %s, at start-up', async (_, secret, message) => {
    const result = await runCli(['dev', '--port', '0', '--dynamodb-port', '0', '--data-dir', join(dataDir, 'refused')], { env: env({ SWITCHBOARD_TOOL_SIGNING_SECRET: secret }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: SWITCHBOARD_TOOL_SIGNING_SECRET ${message}`);
    expect(result.stderr).not.toContain(secret === WEBHOOK_SECRET ? WEBHOOK_SECRET : 'my-secret"');
  });
});
