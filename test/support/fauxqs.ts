import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { freePort } from './local-stack';

export interface LocalSqs {
  endpoint: string;
  client: SQSClient;
  createQueue(name: string): Promise<string>;
  close(): Promise<void>;
}

/** fauxqs, an SQS API server in Node, in a child process (it is an ES module; the tests are CommonJS). */
export async function startFauxqs(): Promise<LocalSqs> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '../../node_modules/fauxqs/dist/cli.js')], {
    env: { ...process.env, FAUXQS_PORT: String(port), FAUXQS_HOST: '127.0.0.1', FAUXQS_LOGGER: 'false' },
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  // fauxqs names its queues `http://sqs.REGION.HOST:PORT/...`, which the SQS client warns is not
  // its endpoint (or cannot parse); it finds a queue by its path, so the URL is given on the endpoint.
  const createQueue = async (name: string) => endpoint + (await client.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!.replace(/^https?:\/\/[^/]+/, '');
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await createQueue('ready-check');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    client,
    createQueue,
    close: async () => {
      child.kill('SIGKILL');
      client.destroy();
    },
  };
}
