import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startOpenAIEmulator, type OpenAIEmulator } from '../../local/openai-emulator';
import { runCli, startCli, ROOT } from '../support/cli';
import { API_KEY, eventually, freePort, WEBHOOK_SECRET } from '../support/local-stack';

const EXAMPLE = join(ROOT, 'examples/support-line.json');

describe('the switchboard CLI against `switchboard dev`', () => {
  let emulator: OpenAIEmulator;
  let dataDir: string;
  let port: number;
  let dynamodbPort: number;
  let endpoint: string;
  let dev: Awaited<ReturnType<typeof startCli>>;
  const env = () => ({ OPENAI_API_KEY: API_KEY, OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET, OPENAI_BASE_URL: emulator.baseURL });
  const startDev = () =>
    startCli(['dev', '--port', String(port), '--dynamodb-port', String(dynamodbPort), '--data-dir', dataDir], /switchboard dev: webhook/, env());

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchboard-cli-'));
    [port, dynamodbPort] = [await freePort(), await freePort()];
    endpoint = `http://127.0.0.1:${dynamodbPort}`;
    emulator = await startOpenAIEmulator({ apiKey: API_KEY, webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: WEBHOOK_SECRET }, retrySchedule: [100, 200] });
    dev = await startDev();
  });

  afterAll(async () => {
    await dev?.stop();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /healthz', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
  });

  it('puts a number from a file (the argument wins), gets it back and lists it', async () => {
    const put = await runCli(['numbers', 'put', '+1 (713) 481-0199', '--file', EXAMPLE, '--endpoint', endpoint], { npx: true });
    expect(put).toMatchObject({ code: 0, stdout: 'stored +17134810199 (Support line), version 1\n' });

    const get = await runCli(['numbers', 'get', '17134810199', '--json', '--endpoint', endpoint]);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ number: '+17134810199', label: 'Support line', agent: { voice: 'cedar' } });

    const human = await runCli(['numbers', 'get', '+17134810199', '--endpoint', endpoint]);
    expect(human.stdout).toContain('+17134810199  Support line  (enabled, version 1');
    expect(human.stdout).toContain('transfers   sales -> +17135550100, billing -> sip:billing@pbx.example.com');

    const list = await runCli(['numbers', 'list'], { env: { AWS_ENDPOINT_URL_DYNAMODB: endpoint } });
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^NUMBER\s+LABEL\s+STATUS\s+VOICE\s+TRANSFERS\s+VERSION\s+UPDATED$/);
    expect(list.stdout).toMatch(/\+17134810199\s+Support line\s+enabled\s+cedar\s+sales,billing\s+1/);
  });

  it('refuses an invalid file with every problem, exit code 2, and stores nothing', async () => {
    const bad = join(dataDir, 'bad.json');
    await writeFile(bad, JSON.stringify({ number: 'x', greeting: 'Hi', agent: { instructions: 'x', turnDetection: { type: 'server_vad', silence_duration_ms: 500 } }, transfers: [{ name: 'sales', description: 'Sales', target: 'desk' }] }));
    const put = await runCli(['numbers', 'put', '+17134810155', '--file', bad, '--endpoint', endpoint]);
    expect(put.code).toBe(2);
    expect(put.stderr).toContain('is not a valid number config; nothing was stored');
    expect(put.stderr).toContain('agent.turnDetection.silence_duration_ms: "silence_duration_ms" cannot be set for phone calls');
    expect(put.stderr).toContain('transfers[0].target: transfer target "desk" is neither an E.164 number');
    expect(put.stderr).toContain('greeting: unknown field "greeting": it belongs inside "agent"');
    const get = await runCli(['numbers', 'get', '+17134810155', '--endpoint', endpoint]);
    expect(get).toMatchObject({ code: 3, stderr: 'error: number +17134810155 is not configured (see `switchboard numbers list`)\n' });
  });

  it('refuses a number argument that is not a number', async () => {
    const put = await runCli(['numbers', 'put', 'support', '--file', EXAMPLE, '--endpoint', endpoint]);
    expect(put).toMatchObject({ code: 2, stderr: 'error: number "support" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)\n' });
  });

  it('shows the history of calls that reached the dev server', async () => {
    await runCli(['numbers', 'put', '+17134810111', '--file', EXAMPLE, '--endpoint', endpoint]);
    const accepted = await emulator.placeCall({ dialed: '17134810111', caller: '+14067704205', script: [{ caller: 'Hello, is this support?' }, { hangup: true }] });
    const rejected = await emulator.placeCall({ dialed: '17134810111', caller: '+14155550199' });

    const list = await runCli(['calls', 'list', '--number', '+17134810111', '--json', '--endpoint', endpoint]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).calls).toEqual([
      expect.objectContaining({ callId: rejected.callId, outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603, caller: '+14155550199' }),
      expect.objectContaining({ callId: accepted.callId, caller: '+14067704205', number: '+17134810111' }),
    ]);

    const table = await runCli(['calls', 'list', '--endpoint', endpoint]);
    expect(table.stdout.split('\n')[0]).toMatch(/^STARTED \(UTC\)\s+NUMBER\s+CALLER\s+DURATION\s+OUTCOME\s+REASON\s+ENGINE\s+COST\s+CALL ID$/);
    expect(table.stdout).toMatch(new RegExp(`\\+17134810111\\s+\\+14155550199\\s+rejected\\s+caller-blocked\\s+realtime\\s+\\$0\\s+${rejected.callId}`));

    // The dev server's call worker holds the call until the caller hangs up.
    const shown = await eventually(async () => {
      const show = await runCli(['calls', 'show', accepted.callId, '--json', '--endpoint', endpoint]);
      const record = JSON.parse(show.stdout);
      return record.outcome === 'completed' ? record : undefined;
    }, 15_000);
    expect(shown).toEqual(
      expect.objectContaining({
        callId: accepted.callId,
        number: '+17134810111',
        caller: '+14067704205',
        startedAt: expect.any(String),
        endedAt: expect.any(String),
        outcome: 'completed',
        reason: 'caller-hung-up',
        transcript: [
          expect.objectContaining({ role: 'agent', text: 'Thanks for calling Wavix support, this is Alex. How can I help?' }),
          expect.objectContaining({ role: 'caller', text: 'Hello, is this support?' }),
        ],
        actions: [expect.objectContaining({ type: 'greeting' })],
      }),
    );
    const human = await runCli(['calls', 'show', accepted.callId, '--endpoint', endpoint]);
    expect(human.stdout).toMatch(/caller: Hello, is this support\?/);
    const missing = await runCli(['calls', 'show', 'rtc_nope', '--endpoint', endpoint]);
    expect(missing.code).toBe(3);
  });

  it('deletes a number', async () => {
    await runCli(['numbers', 'put', '+17134810177', '--file', EXAMPLE, '--endpoint', endpoint]);
    expect(await runCli(['numbers', 'delete', '+17134810177', '--endpoint', endpoint])).toMatchObject({ code: 0, stdout: 'deleted +17134810177\n' });
    expect((await runCli(['numbers', 'delete', '+17134810177', '--endpoint', endpoint])).code).toBe(3);
  });

  it('keeps numbers and calls across a restart, and stops cleanly on Ctrl-C', async () => {
    expect(await dev.stop('SIGINT')).toBe(0);
    expect(dev.output()).toContain('switchboard dev: stopping');
    dev = await startDev();
    const list = await runCli(['numbers', 'list', '--json', '--endpoint', endpoint]);
    expect(JSON.parse(list.stdout).map((n: { number: string }) => n.number)).toEqual(expect.arrayContaining(['+17134810111', '+17134810199']));
    const calls = await runCli(['calls', 'list', '--json', '--endpoint', endpoint]);
    expect(JSON.parse(calls.stdout).calls.length).toBeGreaterThanOrEqual(2);
  });

  it('says clearly what is missing instead of a stack trace', async () => {
    const result = await runCli(['dev', '--port', '0', '--dynamodb-port', '0'], { env: { OPENAI_API_KEY: '', OPENAI_WEBHOOK_SECRET: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: OPENAI_API_KEY and OPENAI_WEBHOOK_SECRET are not set/);
  });

  it.each([
    ['without its whsec_ prefix', Buffer.from('a-signing-key').toString('base64'), 'must be the full "whsec_..." string'],
    ['with a line break pasted in', 'whsec_abc\ndef', 'after "whsec_" it must be base64'],
  ])('refuses a webhook secret %s at start-up, before any call', async (_, secret, message) => {
    const result = await runCli(['dev', '--port', '0', '--dynamodb-port', '0', '--data-dir', join(dataDir, 'bad-secret')], { env: { ...env(), OPENAI_WEBHOOK_SECRET: secret } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: OPENAI_WEBHOOK_SECRET: the webhook signing secret`);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('says clearly when a port is taken', async () => {
    const blocker = createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const result = await runCli(['dev', '--port', String(taken), '--dynamodb-port', '0', '--data-dir', join(dataDir, 'other')], { env: env() });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^error: port ${taken} is already in use`));
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('points at `switchboard dev` when DynamoDB cannot be reached', async () => {
    const closed = await freePort();
    const result = await runCli(['numbers', 'list', '--endpoint', `http://127.0.0.1:${closed}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach/);
  });
});
