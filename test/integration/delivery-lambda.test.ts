import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { parseNumberConfig } from '../../core/numbers/config';
import { DEFAULT_CALL_RETENTION_DAYS, ENV } from '../../core/runtime/contract';
import { CallHistoryStore } from '../../core/store/call-history-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { startAwsStubs, type AwsStubs } from '../support/aws-stubs';
import { startFauxqs, type LocalSqs } from '../support/fauxqs';

const TABLES = { numbers: 'Switchboard-dev-Data-Numbers', calls: 'Switchboard-dev-Data-Calls', entries: 'Switchboard-dev-Data-CallEntries' };
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-api-key';
const SIGNING_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ToolSigningSecret-AbCdEf';
/** As CloudFormation generates it: the base64 key alone. */
const SIGNING_KEY = Buffer.from('the-stack-signing-key-for-deliveries!!').toString('base64');

/**
 * The delivery Lambda as its SQS event source invokes it, with its real dependencies: DynamoDB
 * (dynalite), SQS (fauxqs: its own queue and the dead-letter queue) and Secrets Manager (a
 * stand-in), delivering to a receiver on loopback. The endpoint is on 127.0.0.1, which a deployed
 * Lambda reaches only with the number's allowPrivateNetwork, as here.
 */
describe('the delivery Lambda', () => {
  let dynamodb: LocalDynamoDB;
  let sqs: LocalSqs;
  let aws: AwsStubs;
  let receiver: Server;
  let url: string;
  let queueUrl: string;
  let deadLetterQueueUrl: string;
  let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  const answers: ((res: ServerResponse) => void)[] = [];
  const received: { body: string; verified: boolean }[] = [];
  const saved = { ...process.env };
  let seq = 0;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        let verified = true;
        try {
          new Webhook(`whsec_${SIGNING_KEY}`).verify(body, req.headers as Record<string, string>);
        } catch {
          verified = false;
        }
        received.push({ body, verified });
        (answers.shift() ?? ((r: ServerResponse) => r.writeHead(200).end()))(res);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/calls`;

    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), TABLES);
    await new NumbersStore(createDocumentClient({ endpoint: dynamodb.endpoint }), TABLES.numbers).put(
      parseNumberConfig({ number: '+17134810111', agent: { instructions: 'x' }, notify: { url, allowPrivateNetwork: true } }),
    );
    sqs = await startFauxqs();
    queueUrl = await sqs.createQueue('switchboard-deliveries');
    deadLetterQueueUrl = await sqs.createQueue('switchboard-deliveries-dlq');
    aws = await startAwsStubs();
    aws.secrets.set(SIGNING_ARN, SIGNING_KEY);
    aws.secrets.set(KEY_ARN, 'sk-delivery-test');
    Object.assign(process.env, aws.env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      [ENV.numbersTable]: TABLES.numbers,
      [ENV.callsTable]: TABLES.calls,
      [ENV.callEntriesTable]: TABLES.entries,
      [ENV.toolSigningSecretArn]: SIGNING_ARN,
      [ENV.openAiApiKeySecretArn]: KEY_ARN,
      [ENV.deliveryQueueUrl]: queueUrl,
      [ENV.deliveryDeadLetterQueueUrl]: deadLetterQueueUrl,
    });
    ({ handler } = (await import('../../lambda/delivery/index')) as unknown as { handler: typeof handler });
  });

  afterAll(async () => {
    process.env = saved;
    await aws.close();
    await sqs.close();
    await dynamodb.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  /** A call that has ended, stored as the worker leaves it. */
  async function endedCall(): Promise<string> {
    const callId = `rtc_delivery_${seq++}`;
    await createDocumentClient({ endpoint: dynamodb.endpoint }).send(
      new PutCommand({
        TableName: TABLES.calls,
        Item: { callId, number: '+17134810111', caller: '+14067704205', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), outcome: 'completed', reason: 'caller-hung-up', webhookId: 'wh_1' },
      }),
    );
    return callId;
  }

  /** The message as the pipe puts it on the queue, received from it (so its receipt handle is real). */
  async function delivered(body: string): Promise<{ message: Message; event: SQSEvent }> {
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    const message = Messages![0];
    const record = {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body!,
      attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1' },
    };
    return { message, event: { Records: [record] } as unknown as SQSEvent };
  }
  const deadLetters = async () => (await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, WaitTimeSeconds: 1 }))).Messages ?? [];
  const record = (callId: string) => new CallHistoryStore(createDocumentClient({ endpoint: dynamodb.endpoint }), TABLES, DEFAULT_CALL_RETENTION_DAYS).get(callId);

  it('delivers the call, signed with the stack signing secret, and records the attempt', async () => {
    const callId = await endedCall();
    const { event } = await delivered(JSON.stringify({ callId, outcome: 'completed' }));
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(received.at(-1)).toMatchObject({ verified: true });
    expect(JSON.parse(received.at(-1)!.body)).toMatchObject({ type: 'call.ended', data: { callId, outcome: 'completed' } });
    expect((await record(callId))!.deliveries).toEqual([expect.objectContaining({ event: 'call.ended', attempt: 1, outcome: 'delivered', status: 200 })]);
  });

  it('hides a message to retry for the schedule\'s wait and reports it as failed, so SQS gives it back then', async () => {
    const callId = await endedCall();
    answers.push((res) => res.writeHead(503).end());
    const { event } = await delivered(JSON.stringify({ callId, outcome: 'completed' }));
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }] });
    // Invisible for the 30 s of the first wait: not received again now.
    const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(Messages ?? []).toEqual([]);
    expect((await record(callId))!.deliveries).toEqual([expect.objectContaining({ outcome: 'will-retry', status: 503, retryAt: expect.any(String) })]);
  });

  it('moves what it gives up (a 4xx) to the dead-letter queue', async () => {
    const callId = await endedCall();
    answers.push((res) => res.writeHead(410).end());
    const body = JSON.stringify({ callId, outcome: 'completed' });
    const { event } = await delivered(body);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect((await deadLetters()).map((m) => m.Body)).toEqual([body]);
    expect((await record(callId))!.deliveries).toEqual([expect.objectContaining({ outcome: 'gave-up', status: 410 })]);
  });

  it('moves a message that is not a delivery to the dead-letter queue, touching nothing', async () => {
    const before = received.length;
    const { event } = await delivered('{"hello":"world"}');
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect((await deadLetters()).map((m) => m.Body)).toEqual(['{"hello":"world"}']);
    expect(received.length).toBe(before);
  });
});
