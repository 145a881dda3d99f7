import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNumberConfig } from '../../core/numbers/config';
import { DEFAULT_CALL_RETENTION_DAYS, ENV } from '../../core/runtime/contract';
import { CallHistoryStore } from '../../core/store/call-history-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { signWebhook, startOpenAIEmulator, type OpenAIEmulator } from '../../local/openai-emulator';
import { startAwsStubs, type AwsStubs } from '../support/aws-stubs';
import { startFauxqs, type LocalSqs } from '../support/fauxqs';
import { API_KEY, WEBHOOK_SECRET } from '../support/local-stack';

const TABLES = { numbers: 'Switchboard-dev-Data-Numbers', calls: 'Switchboard-dev-Data-Calls', entries: 'Switchboard-dev-Data-CallEntries' };
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-api-key';
const WHSEC_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-secret';

/**
 * The Lambda adapter as API Gateway invokes it, with its real dependencies built from the
 * environment the CDK app sets: DynamoDB (dynalite), SQS (fauxqs), Secrets Manager (a stand-in
 * speaking its protocol) and OpenAI (the emulator).
 */
describe('the webhook Lambda', () => {
  let dynamodb: LocalDynamoDB;
  let sqs: LocalSqs;
  let aws: AwsStubs;
  let emulator: OpenAIEmulator;
  let queueUrl: string;
  let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  const saved = { ...process.env };
  /** What the Lambda wrote to stdout: its CloudWatch metrics (embedded metric format), one JSON object a line. */
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
  const config = parseNumberConfig(JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8')));

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), TABLES);
    await new NumbersStore(createDocumentClient({ endpoint: dynamodb.endpoint }), TABLES.numbers).put(config);
    sqs = await startFauxqs();
    queueUrl = await sqs.createQueue('switchboard-calls');
    aws = await startAwsStubs();
    aws.secrets.set(KEY_ARN, API_KEY);
    aws.secrets.set(WHSEC_ARN, WEBHOOK_SECRET);
    emulator = await startOpenAIEmulator({ apiKey: API_KEY });
    Object.assign(process.env, aws.env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      OPENAI_BASE_URL: emulator.baseURL,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      [ENV.numbersTable]: TABLES.numbers,
      [ENV.callsTable]: TABLES.calls,
      [ENV.callEntriesTable]: TABLES.entries,
      [ENV.callQueueUrl]: queueUrl,
      [ENV.openAiApiKeySecretArn]: KEY_ARN,
      [ENV.webhookSecretArn]: WHSEC_ARN,
    });
    // Loaded only now: the module builds its clients from the environment, once, as in a Lambda container.
    ({ handler } = (await import('../../lambda/webhook/index')) as unknown as { handler: typeof handler });
  });

  afterAll(async () => {
    process.env = saved;
    await emulator.close();
    await aws.close();
    await sqs.close();
    await dynamodb.close();
  });

  function event(body: string, headers: Record<string, string>, base64: boolean): APIGatewayProxyEventV2 {
    return {
      version: '2.0',
      routeKey: 'POST /webhook',
      rawPath: '/webhook',
      rawQueryString: '',
      headers,
      isBase64Encoded: base64,
      body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
      requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    };
  }

  function signed(body: string, webhookId: string): Record<string, string> {
    const timestamp = Math.floor(Date.now() / 1000);
    return { 'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(WEBHOOK_SECRET, webhookId, timestamp, body) };
  }

  it('verifies a base64-delivered body as the bytes that were signed, accepts, records and queues the call', async () => {
    const placed = await emulator.placeCall({ dialed: '17134810111', caller: '+14067704205' });
    const response = await handler(event(placed.body, signed(placed.body, placed.webhookId), true));
    expect(response).toMatchObject({ statusCode: 200, body: JSON.stringify({ result: 'accepted' }) });
    expect(emulator.received(placed.callId)).toEqual([expect.objectContaining({ verb: 'accept', status: 200 })]);
    const record = await new CallHistoryStore(createDocumentClient({ endpoint: dynamodb.endpoint }), TABLES, DEFAULT_CALL_RETENTION_DAYS).get(placed.callId);
    expect(record).toMatchObject({ outcome: 'active', number: '+17134810111', caller: '+14067704205' });
    const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(Messages?.map((m) => JSON.parse(m.Body!))).toEqual([{ callId: placed.callId, number: '+17134810111', config, greeting: config.agent!.greeting }]);
    expect(metrics()).toEqual([expect.objectContaining({ service: 'switchboard-webhook', WebhookReceived: 1, CallAccepted: 1, DecisionLatency: expect.any(Number) })]);
  });

  it('refuses a body whose signature does not match, touching nothing', async () => {
    const placed = await emulator.placeCall({ dialed: '17134810111', caller: '+14067704205' });
    const headers = signed(placed.body, placed.webhookId);
    const response = await handler(event(placed.body.replace('+14067704205', '+14067704206'), headers, false));
    expect(response.statusCode).toBe(401);
    expect(emulator.received(placed.callId)).toEqual([]);
    expect(metrics()).toEqual([expect.objectContaining({ WebhookReceived: 1 })]);
    expect(metrics()[0]).not.toHaveProperty('CallAccepted');
  });

  it('picks up a rotated webhook secret without a restart', async () => {
    const rotated = 'whsec_' + Buffer.from('a-brand-new-signing-key-after-rotation').toString('base64');
    aws.secrets.set(WHSEC_ARN, rotated);
    const placed = await emulator.placeCall({ dialed: '17134810111', caller: '+14067704205' });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': placed.webhookId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(rotated, placed.webhookId, timestamp, placed.body) };
    expect((await handler(event(placed.body, headers, false))).statusCode).toBe(200);
  });
});
