import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { freeLoopbackPort } from '../local/ports';

export interface Fauxqs {
  endpoint: string;
  /** A queue's URL on this endpoint. */
  createQueue(name: string): Promise<string>;
  close(): Promise<void>;
}

/** An SQS client for fauxqs (any credentials do). */
function fauxqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/**
 * fauxqs (an SQS API server in Node) in its own process, as SQS is another machine's: it is an
 * ES module, started from its CLI. Long polls wait in it until a message comes, as in SQS.
 */
export async function startFauxqs(): Promise<Fauxqs> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [join(__dirname, '../node_modules/fauxqs/dist/cli.js')], {
    env: { ...process.env, FAUXQS_PORT: String(port), FAUXQS_HOST: '127.0.0.1', FAUXQS_LOGGER: 'false' },
    stdio: 'ignore',
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`fauxqs exited with ${code}`))));
  exited.catch(() => undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = fauxqsClient(endpoint);
  // fauxqs names its queues `http://sqs.REGION.HOST:PORT/...`, which the SQS client warns is not
  // its endpoint; it finds a queue by its path, so the URL is given on the endpoint.
  const createQueue = async (name: string) => endpoint + (await client.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!.replace(/^https?:\/\/[^/]+/, '');
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await Promise.race([createQueue('ready-check'), exited]);
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    endpoint,
    createQueue,
    close: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
