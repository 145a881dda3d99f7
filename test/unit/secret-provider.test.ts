import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cachedSecret, SecretNotSetError, secretsManagerSecret, staticSecret } from '../../core/webhook/secret-provider';

/** A loader answering from a list, one entry per call (an Error entry rejects), counting its calls. */
function loader(...answers: (string | Error)[]) {
  let calls = 0;
  return jest.fn(async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    return answer;
  });
}

/** A loader whose answers the test releases by hand, to hold loads in flight. */
function manualLoader() {
  const pending: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const load = jest.fn(() => new Promise<string>((resolve, reject) => pending.push({ resolve, reject })));
  return { load, pending };
}

describe('cachedSecret', () => {
  it('loads once and serves the cached value after', async () => {
    const load = loader('whsec_a');
    const secrets = cachedSecret(load);
    expect(await secrets.get()).toBe('whsec_a');
    expect(await secrets.get()).toBe('whsec_a');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('shares one in-flight load between concurrent callers', async () => {
    const { load, pending } = manualLoader();
    const secrets = cachedSecret(load);
    const reads = Promise.all([secrets.get(), secrets.get(), secrets.refresh()]);
    expect(load).toHaveBeenCalledTimes(1);
    pending[0].resolve('whsec_a');
    expect(await reads).toEqual(['whsec_a', 'whsec_a', 'whsec_a']);
  });

  it('shares one in-flight refresh between concurrent callers', async () => {
    const load = loader('whsec_old', 'whsec_new');
    const secrets = cachedSecret(load);
    await secrets.get();
    expect(await Promise.all([secrets.refresh(), secrets.refresh()])).toEqual(['whsec_new', 'whsec_new']);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('re-reads on refresh and serves the new value from then on', async () => {
    const load = loader('whsec_old', 'whsec_new');
    const secrets = cachedSecret(load);
    expect(await secrets.get()).toBe('whsec_old');
    expect(await secrets.refresh()).toBe('whsec_new');
    expect(await secrets.get()).toBe('whsec_new');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not cache a failed load', async () => {
    const load = loader(new Error('throttled'), 'whsec_a');
    const secrets = cachedSecret(load);
    await expect(secrets.get()).rejects.toThrow('throttled');
    expect(await secrets.get()).toBe('whsec_a');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not cache a loader that throws before returning a promise', async () => {
    let calls = 0;
    const secrets = cachedSecret(() => {
      if (++calls === 1) throw new Error('no client');
      return Promise.resolve('whsec_a');
    });
    await expect(secrets.get()).rejects.toThrow('no client');
    expect(await secrets.get()).toBe('whsec_a');
  });

  it('keeps the last good value when a refresh fails', async () => {
    const load = loader('whsec_a', new Error('Secrets Manager is down'));
    const secrets = cachedSecret(load);
    await secrets.get();
    await expect(secrets.refresh()).rejects.toThrow('Secrets Manager is down');
    expect(await secrets.get()).toBe('whsec_a');
  });
});

describe('staticSecret', () => {
  it('always answers the same value', async () => {
    const secrets = staticSecret('whsec_a');
    expect([await secrets.get(), await secrets.refresh()]).toEqual(['whsec_a', 'whsec_a']);
  });
});

describe('secretsManagerSecret (against a local server speaking the Secrets Manager JSON protocol)', () => {
  type Reply = { status: number; body: Record<string, unknown>; errorType?: string };
  const SECRET_ID = 'switchboard/openai-webhook-secret';
  const ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_ID}-AbCdEf`;

  let server: Server;
  let client: SecretsManagerClient;
  let replies: Reply[];
  const requests: { target: string | undefined; body: Record<string, unknown> }[] = [];

  const value = (secretString?: string): Reply => ({ status: 200, body: { ARN, Name: SECRET_ID, SecretString: secretString, VersionId: 'v1' } });
  const failure = (errorType: string, message: string): Reply => ({ status: 400, errorType, body: { __type: errorType, message } });

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        requests.push({ target: req.headers['x-amz-target'] as string | undefined, body: JSON.parse(raw) as Record<string, unknown> });
        const reply = replies.shift() ?? failure('InternalFailure', 'test server has no reply queued');
        res.writeHead(reply.status, {
          'content-type': 'application/x-amz-json-1.1',
          ...(reply.errorType ? { 'x-amzn-errortype': reply.errorType } : {}),
        });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new SecretsManagerClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    replies = [];
    requests.length = 0;
  });

  it('reads SecretString with GetSecretValue, once, and again on refresh', async () => {
    replies = [value('whsec_old'), value('whsec_new')];
    const secrets = secretsManagerSecret(client, SECRET_ID);
    expect(await secrets.get()).toBe('whsec_old');
    expect(await secrets.get()).toBe('whsec_old');
    expect(await secrets.refresh()).toBe('whsec_new');
    expect(requests).toEqual([
      { target: 'secretsmanager.GetSecretValue', body: { SecretId: SECRET_ID } },
      { target: 'secretsmanager.GetSecretValue', body: { SecretId: SECRET_ID } },
    ]);
  });

  it.each([
    ['an empty SecretString', value('')],
    ['no SecretString', value(undefined)],
    ['no AWSCURRENT version', failure('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")],
  ])('explains how to set a secret with %s, and does not cache that', async (_, reply) => {
    replies = [reply, value('whsec_set')];
    const secrets = secretsManagerSecret(client, SECRET_ID);
    const error = await secrets.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretNotSetError);
    expect((error as Error).message).toContain(`secret "${SECRET_ID}" has no value yet`);
    expect((error as Error).message).toContain('switchboard secrets set');
    expect((error as Error).message).toContain(`aws secretsmanager put-secret-value --secret-id ${SECRET_ID}`);
    expect(await secrets.get()).toBe('whsec_set');
  });

  it('passes other Secrets Manager errors through', async () => {
    replies = [failure('AccessDeniedException', 'not authorized to perform secretsmanager:GetSecretValue')];
    const error = await secretsManagerSecret(client, SECRET_ID).get().catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SecretNotSetError);
    expect(error).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('not authorized') });
  });
});

describe('cachedSecret with maxAgeMs', () => {
  it('answers from the cache at once and re-reads in the background once the value is old', async () => {
    let clock = 0;
    const values = ['old', 'new'];
    let loads = 0;
    const secret = cachedSecret(async () => values[Math.min(loads++, 1)], { maxAgeMs: 1000, now: () => clock });
    expect(await secret.get()).toBe('old');
    clock = 500;
    expect(await secret.get()).toBe('old');
    expect(loads).toBe(1);
    clock = 1500;
    expect(await secret.get()).toBe('old');
    await new Promise((r) => setImmediate(r));
    expect(loads).toBe(2);
    expect(await secret.get()).toBe('new');
  });
});
