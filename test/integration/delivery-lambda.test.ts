import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { parseNumberConfig } from '../../core/numbers/config';
import { DEFAULT_CALL_RETENTION_DAYS, ENV } from '../../core/runtime/contract';
import { usageItem } from '../../core/store/call-entries-store';
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
  /** What the Lambda wrote to stdout: its metrics (embedded metric format), one JSON object a line. */
  let stdout: string[] = [];
  const metrics = () => stdout.filter((line) => line.startsWith('{"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
  beforeEach(() => {
    stdout = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

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
  async function endedCall(extra: Record<string, unknown> = {}): Promise<string> {
    const callId = `rtc_delivery_${seq++}`;
    await createDocumentClient({ endpoint: dynamodb.endpoint }).send(
      new PutCommand({
        TableName: TABLES.calls,
        Item: { callId, number: '+17134810111', caller: '+14067704205', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), outcome: 'completed', reason: 'caller-hung-up', webhookId: 'wh_1', day: new Date().toISOString().slice(0, 10), ...extra },
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

  it("adds an ended call's cost to its month once, and reports the month's total (the budget alarm's metric)", async () => {
    const db = createDocumentClient({ endpoint: dynamodb.endpoint });
    const month = new Date().toISOString().slice(0, 7);
    const before = Number((await db.send(new GetCommand({ TableName: TABLES.calls, Key: { callId: `spend#${month}` } }))).Item?.spendUsd ?? 0);
    const callId = await endedCall({ model: 'gpt-realtime-2.1' });
    // One response: 1,000 text tokens in, 100 audio out, at gpt-realtime-2.1's $4 and $64 per 1M.
    await db.send(
      new PutCommand({
        TableName: TABLES.entries,
        Item: usageItem(callId, 'resp_1', { inputTokens: 1000, outputTokens: 100, totalTokens: 1100, inputTextTokens: 1000, inputAudioTokens: 0, cachedTextTokens: 0, cachedAudioTokens: 0, outputTextTokens: 0, outputAudioTokens: 100 }, undefined),
      }),
    );
    const usd = 1000 * 4e-6 + 100 * 64e-6;
    stdout = [];
    const body = JSON.stringify({ callId, outcome: 'completed' });
    expect(await handler((await delivered(body)).event)).toEqual({ batchItemFailures: [] });
    const spend = (await db.send(new GetCommand({ TableName: TABLES.calls, Key: { callId: `spend#${month}` } }))).Item!;
    expect(spend.spendUsd).toBeCloseTo(before + usd, 10);
    expect(metrics()).toEqual([expect.objectContaining({ service: 'switchboard-delivery', MonthSpendUsd: spend.spendUsd, CallDelivered: 1 })]);

    // The same call again (a repeated message): counted once.
    await handler((await delivered(body)).event);
    expect((await db.send(new GetCommand({ TableName: TABLES.calls, Key: { callId: `spend#${month}` } }))).Item!.spendUsd).toBeCloseTo(before + usd, 10);
    // The month's item is in no listing.
    const listed = await new CallHistoryStore(db, TABLES, DEFAULT_CALL_RETENTION_DAYS).list({ limit: 100 });
    expect(listed.calls.map((c) => c.callId)).not.toContain(`spend#${month}`);
  });

  it('moves a message that is not a delivery to the dead-letter queue, touching nothing', async () => {
    const before = received.length;
    const { event } = await delivered('{"hello":"world"}');
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect((await deadLetters()).map((m) => m.Body)).toEqual(['{"hello":"world"}']);
    expect(received.length).toBe(before);
  });
});
