/**
 * Delivery of finished calls as deployed: the pipe from the calls table's stream (and what its
 * filter passes), the delivery queue and its dead-letter queue, the delivery Lambda's settings
 * and grants, the alarm and the output.
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OUTCOMES } from '../../core/calls/record';
import { readDefaultNotify } from '../../core/delivery/default-notify';
import { readDeliveryMessage, type DeliveryMessage } from '../../core/delivery/deliver-call';
import { eventOfOutcome, MAX_DELIVERY_ATTEMPTS, RETRY_SCHEDULE_SECONDS, type DeliveryAttempt } from '../../core/delivery/delivery-plan';
import { ENV, METRICS, OUTPUTS } from '../../core/runtime/contract';
import { CallAnalysisStore } from '../../core/store/call-analysis-store';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { CallDeliveriesStore } from '../../core/store/call-deliveries-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { LiveCallStore } from '../../core/store/live-call-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import {
  CLOSED_OUTCOMES,
  CLOSING_FILTERS,
  DELIVERY_FUNCTION_TIMEOUT_SECONDS,
  DELIVERY_INPUT_TEMPLATE,
  DELIVERY_MAX_RECEIVE_COUNT,
} from '../../lib/constructs/call-deliveries';
import { actionsOf, buildApp, dashboardWidgets, logicalIds, resourcesOf, statementsOfRole } from './app';

const importOf = (name: string) => ({ 'Fn::ImportValue': `Switchboard-dev-Data:${name}` });
const tableArnOf = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/', importOf(name)]],
});

const built = buildApp();
const template = built.callsTemplate();
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const only = (type: string, prefix: string) => {
  const ids = logicalIds(template, type, prefix);
  expect(ids).toHaveLength(1);
  return resources[ids[0]!]!.Properties;
};
const pipe = () => only('AWS::Pipes::Pipe', 'CallDeliveriesPipe');
const deliveryFunction = () => only('AWS::Lambda::Function', 'CallDeliveriesHandler');
const same = (a: unknown) => (b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('the delivery pipe', () => {
  it('reads the calls table stream from the latest record and puts closings on the delivery queue, with its own role', () => {
    expect(pipe()).toMatchObject({
      Source: importOf('CallsTableStreamArn'),
      Target: { 'Fn::GetAtt': [expect.stringMatching(/^CallDeliveriesQueue[0-9A-F]{8}$/), 'Arn'] },
      RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^CallDeliveriesPipeRole[0-9A-F]{8}$/), 'Arn'] },
      SourceParameters: {
        DynamoDBStreamParameters: {
          StartingPosition: 'LATEST',
          BatchSize: 10,
          MaximumRetryAttempts: 10,
          OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^CallDeliveriesPipeDeadLetterQueue[0-9A-F]{8}$/), 'Arn'] } },
        },
      },
    });
    // Errors only, never the execution data (the payload is the call record's images).
    expect(pipe().LogConfiguration).toEqual({
      CloudwatchLogsLogDestination: { LogGroupArn: { 'Fn::GetAtt': [expect.stringMatching(/^CallDeliveriesPipeLogs/), 'Arn'] } },
      Level: 'ERROR',
    });
  });

  it('filters and shapes exactly as written', () => {
    expect(pipe().SourceParameters.FilterCriteria).toEqual({
      Filters: [
        { Pattern: '{"eventName":["MODIFY"],"dynamodb":{"OldImage":{"outcome":{"S":["pending","active"]}},"NewImage":{"outcome":{"S":["completed","transferred","failed","missed"]}}}}' },
        { Pattern: '{"eventName":["MODIFY"],"dynamodb":{"OldImage":{"answered":{"BOOL":[false]}},"NewImage":{"outcome":{"S":["rejected"]},"answered":{"BOOL":[true]}}}}' },
      ],
    });
    expect(pipe().TargetParameters).toEqual({ InputTemplate: '{"callId": "<$.dynamodb.Keys.callId.S>", "outcome": "<$.dynamodb.NewImage.outcome.S>"}' });
    expect(DELIVERY_INPUT_TEMPLATE).toBe(pipe().TargetParameters.InputTemplate);
  });

  it('passes every outcome that is a delivery, and only those', () => {
    const delivered = OUTCOMES.filter((outcome) => eventOfOutcome(outcome) !== undefined);
    expect([...CLOSED_OUTCOMES, 'rejected'].sort()).toEqual([...delivered].sort());
  });

  it('can use its role: stream read on the calls table stream, send on its two queues, write to its log group, nothing else', () => {
    const statements = statementsOfRole(template, 'CallDeliveriesPipeRole');
    const stream = statements.filter((s) => resourcesOf(s).some(same(importOf('CallsTableStreamArn'))));
    expect(stream.flatMap(actionsOf).sort()).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
    expect(stream.flatMap(resourcesOf)).toEqual([importOf('CallsTableStreamArn')]);
    const sends = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    expect(sends.flatMap(resourcesOf).map((r) => JSON.stringify(r)).sort()).toEqual(
      [/^CallDeliveriesPipeDeadLetterQueue/, /^CallDeliveriesQueue/].map((id) =>
        JSON.stringify({ 'Fn::GetAtt': [Object.keys(resources).find((k) => id.test(k) && resources[k]!.Type === 'AWS::SQS::Queue'), 'Arn'] }),
      ).sort(),
    );
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sqs:') && a !== 'sqs:SendMessage' && a !== 'sqs:GetQueueAttributes' && a !== 'sqs:GetQueueUrl')).toEqual([]);
    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^CallDeliveriesPipeLogs/), 'Arn'] }]);
    expect(statements).toHaveLength(stream.length + sends.length + logs.length);
    for (const statement of statements) expect(resourcesOf(statement)).not.toContain('*');
    const role = only('AWS::IAM::Role', 'CallDeliveriesPipeRole');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'pipes.amazonaws.com' } }]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    // Created after its policy: a pipe that starts polling without it is refused.
    expect(resources[logicalIds(template, 'AWS::Pipes::Pipe', 'CallDeliveriesPipe')[0]!]).toMatchObject({
      DependsOn: expect.arrayContaining([expect.stringMatching(/^CallDeliveriesPipeRoleDefaultPolicy/)]),
    });
  });
});

/**
 * What the pipe passes, on stream records of the calls table as the stores write it: each store
 * call of a call's life runs against the embedded DynamoDB, and the item before and after each
 * write make the record's OldImage and NewImage, so the images are exactly what the stores store.
 */
describe('the delivery filter, on the records the stores write', () => {
  type Image = Record<string, AttributeValue>;
  type StreamRecord = { eventName: 'INSERT' | 'MODIFY' | 'REMOVE'; dynamodb: { Keys: Image; OldImage?: Image; NewImage?: Image } };

  /**
   * An EventBridge pattern of exact values (arrays of strings, numbers or booleans) and nested
   * objects matched against an event: the part of the pattern language CLOSING_FILTERS uses (held
   * by the next test), as "Amazon EventBridge event patterns" defines it: every field the pattern
   * names must be in the event, and its value one of the listed values.
   */
  const matches = (pattern: Record<string, unknown>, event: unknown): boolean =>
    Object.entries(pattern).every(([key, rule]) => {
      const value = (event as Record<string, unknown> | undefined)?.[key];
      if (Array.isArray(rule)) return rule.some((allowed) => allowed === value);
      return typeof value === 'object' && value !== null && matches(rule as Record<string, unknown>, value);
    });
  const passes = (record: StreamRecord) => CLOSING_FILTERS.some((pattern) => matches(pattern, record));
  /** The input template applied to a record: each `<$.path>` replaced by the string at that path. */
  const transform = (record: StreamRecord): string =>
    DELIVERY_INPUT_TEMPLATE.replace(/<\$\.([\w.]+)>/g, (_, path: string) => {
      const value = path.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], record);
      if (typeof value !== 'string') throw new Error(`the template names $.${path}, which the record has not`);
      return value;
    });

  it('uses only exact values and nested fields (what the matcher here evaluates as EventBridge does)', () => {
    const exactOnly = (rule: unknown): boolean =>
      Array.isArray(rule)
        ? rule.length > 0 && rule.every((v) => ['string', 'number', 'boolean'].includes(typeof v))
        : typeof rule === 'object' && rule !== null && Object.values(rule).every(exactOnly);
    for (const pattern of CLOSING_FILTERS) expect(exactOnly(pattern)).toBe(true);
  });

  let dynamodb: LocalDynamoDB;
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  let claims: CallClaimsStore;
  let live: LiveCallStore;
  let attempts: CallDeliveriesStore;
  let analyses: CallAnalysisStore;
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    client = createDynamoDBClient({ endpoint: dynamodb.endpoint });
    await ensureTables(client, LOCAL_TABLE_NAMES);
    db = createDocumentClient({ client });
    claims = new CallClaimsStore(db, LOCAL_TABLE_NAMES, 90);
    live = new LiveCallStore(db, LOCAL_TABLE_NAMES);
    attempts = new CallDeliveriesStore(db, LOCAL_TABLE_NAMES);
    analyses = new CallAnalysisStore(db, LOCAL_TABLE_NAMES);
  });
  afterAll(async () => {
    client.destroy();
    await dynamodb.close();
  });

  /** Runs the writes in order and returns the stream records they make (one per write that changed the item). */
  async function streamOf(callId: string, writes: (() => Promise<unknown>)[]): Promise<StreamRecord[]> {
    const item = async () => (await client.send(new GetItemCommand({ TableName: LOCAL_TABLE_NAMES.calls, Key: { callId: { S: callId } }, ConsistentRead: true }))).Item;
    const records: StreamRecord[] = [];
    let before = await item();
    for (const write of writes) {
      await write();
      const after = await item();
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        const eventName = !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY';
        records.push({ eventName, dynamodb: { Keys: { callId: { S: callId } }, ...(before && { OldImage: before }), ...(after && { NewImage: after }) } });
      }
      before = after;
    }
    return records;
  }

  const now = Date.parse('2026-12-02T10:00:00.000Z');
  const claim = (callId: string, outcome: 'active' | 'rejected') => () =>
    claims.create({
      callId,
      number: '+17134810111',
      caller: '+14067704205',
      startedAt: new Date(now).toISOString(),
      webhookId: `wh_${callId}`,
      claimToken: `claim_${callId}`,
      claimUntil: now + 10_000,
      ...(outcome === 'active' ? { outcome, liveNumber: '+17134810111' } : { outcome, reason: 'caller-blocked', rejectStatus: 603 }),
    });
  const attempt = (outcome: DeliveryAttempt['outcome'], n: number): DeliveryAttempt => ({ event: 'call.ended', attempt: n, at: new Date(now + n * 60_000).toISOString(), outcome, durationMs: 120 });
  /** What the sender does after the call closed: an analysis retried, two attempts, a redelivery asked for later. */
  const deliveryAttempts = (callId: string) => [
    () => analyses.record(callId, { status: 'retrying', model: 'gpt-5.6-luna', at: new Date(now + 30_000).toISOString(), attempts: 1, error: 'OpenAI did not answer within 30 s' }),
    () => analyses.record(callId, { status: 'done', model: 'gpt-5.6-luna', at: new Date(now + 60_000).toISOString(), summary: 'Asked for opening hours.', usage: { inputTokens: 900, cachedInputTokens: 0, outputTokens: 40, totalTokens: 940 } }),
    () => attempts.record(callId, attempt('will-retry', 1)),
    () => attempts.record(callId, attempt('delivered', 2)),
    () => attempts.record(callId, { ...attempt('delivered', 1), redelivery: true }),
  ];
  /** The webhook accepts and hands over; a worker leases the call and holds it. */
  const answered = (callId: string) => [
    claim(callId, 'active'),
    () => claims.recordAnswer(callId, `claim_${callId}`, { outcome: 'active', liveNumber: '+17134810111', answered: true, queued: true, decisionMs: 140 }),
    () => live.acquireLease(callId, 'worker-a', now + 90_000, now),
    () => live.renewLease(callId, 'worker-a', now + 120_000),
  ];
  const ending = (outcome: 'completed' | 'transferred' | 'failed' | 'missed') => ({ outcome, endedAt: new Date(now + 60_000).toISOString(), durationSeconds: 60, ...(outcome === 'transferred' && { transferTarget: '+15125550100' }) });

  const lives: [string, string, (callId: string) => (() => Promise<unknown>)[], DeliveryMessage['event'] | undefined][] = [
    ['completed by its worker', 'rtc_completed', (id) => [...answered(id), () => live.finish(id, ending('completed')), () => live.finish(id, ending('failed')), ...deliveryAttempts(id)], 'call.ended'],
    ['transferred', 'rtc_transferred', (id) => [...answered(id), () => live.finish(id, ending('transferred')), ...deliveryAttempts(id)], 'call.ended'],
    ['failed on the sideband', 'rtc_failed', (id) => [...answered(id), () => live.finish(id, ending('failed')), ...deliveryAttempts(id)], 'call.ended'],
    ['handed back by a draining worker, then taken over and completed', 'rtc_taken_over', (id) => [...answered(id), () => live.releaseLease(id, 'worker-a'), () => live.acquireLease(id, 'worker-b', now + 90_000, now), () => live.finish(id, ending('completed')), ...deliveryAttempts(id)], 'call.ended'],
    ['missed: the caller hung up before the accept', 'rtc_missed', (id) => [claim(id, 'active'), () => claims.recordAnswer(id, `claim_${id}`, { outcome: 'missed', reason: 'caller-hung-up', answered: true, decisionMs: 900, endedAt: new Date(now + 1000).toISOString() }), ...deliveryAttempts(id)], 'call.missed'],
    ['failed: OpenAI refused the session config', 'rtc_refused', (id) => [claim(id, 'active'), () => claims.recordAnswer(id, `claim_${id}`, { outcome: 'failed', reason: 'accept-refused: bad model', answered: true, endedAt: new Date(now + 1000).toISOString() }), ...deliveryAttempts(id)], 'call.ended'],
    ['rejected, once OpenAI has the rejection', 'rtc_rejected', (id) => [claim(id, 'rejected'), () => claims.recordAnswer(id, `claim_${id}`, { outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603, answered: true, decisionMs: 80 }), ...deliveryAttempts(id)], 'call.rejected'],
    ['rejected by a handler that took over an abandoned claim', 'rtc_rejected_late', (id) => [claim(id, 'rejected'), () => claims.takeOver(id, `claim_${id}`, `claim2_${id}`, now + 20_000), () => claims.recordAnswer(id, `claim2_${id}`, { outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603, answered: true }), ...deliveryAttempts(id)], 'call.rejected'],
    ['given back after OpenAI failed (deleted unanswered, decided afresh later)', 'rtc_given_back', (id) => [claim(id, 'rejected'), () => claims.deleteUnanswered(id, `claim_${id}`)], undefined],
    ['still live', 'rtc_live', (id) => answered(id), undefined],
  ];

  it.each(lives)('%s: passes its closing, once, as a delivery of its event (nothing while it has none)', async (_, callId, writes, event) => {
    const records = await streamOf(callId, writes(callId));
    expect(records.length).toBeGreaterThan(1);
    const passed = records.filter(passes);
    expect(passed.map((record) => readDeliveryMessage(transform(record)))).toEqual(event ? [{ callId, event }] : []);
  });

  it('never passes a record the sender makes: its analysis and appended attempts keep the outcome', async () => {
    const callId = 'rtc_attempts';
    const records = await streamOf(callId, [...answered(callId), () => live.finish(callId, ending('completed')), ...deliveryAttempts(callId)]);
    const senders = records.filter((r) => r.dynamodb.NewImage?.analysis !== undefined || r.dynamodb.NewImage?.deliveries !== undefined);
    expect(senders).toHaveLength(5);
    expect(senders.filter(passes)).toEqual([]);
  });
});

describe('the delivery queue', () => {
  const queues = () => Object.fromEntries(logicalIds(template, 'AWS::SQS::Queue', 'CallDeliveries').map((id) => [id.replace(/[0-9A-F]{8}$/, ''), resources[id]!.Properties]));

  it('keeps its logical IDs (a new one would replace a queue and drop the deliveries waiting in it)', () => {
    expect(logicalIds(template, 'AWS::SQS::Queue', 'CallDeliveries').sort()).toEqual([
      'CallDeliveriesDeadLetterQueue8E67ACBA',
      'CallDeliveriesPipeDeadLetterQueueA8C789B5',
      'CallDeliveriesQueueDEBECB41',
    ]);
  });

  it('is encrypted, holds a message longer than the retry schedule, outlasts six function timeouts, and drains into its dead-letter queue', () => {
    expect(queues().CallDeliveriesQueue).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 4 * 24 * 3600,
      VisibilityTimeout: 6 * DELIVERY_FUNCTION_TIMEOUT_SECONDS,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['CallDeliveriesDeadLetterQueue8E67ACBA', 'Arn'] }, maxReceiveCount: DELIVERY_MAX_RECEIVE_COUNT },
    });
    expect(DELIVERY_MAX_RECEIVE_COUNT).toBe(20);
    // The sender gives up after its last attempt; SQS parks a message only if the sender never got that far.
    expect(DELIVERY_MAX_RECEIVE_COUNT).toBeGreaterThan(MAX_DELIVERY_ATTEMPTS);
    const schedule = RETRY_SCHEDULE_SECONDS.reduce((sum, s) => sum + s, 0);
    expect(schedule).toBeLessThan(queues().CallDeliveriesQueue.MessageRetentionPeriod / 2);
    // Every wait is a ChangeMessageVisibility, which SQS caps at 12 hours.
    expect(Math.max(...RETRY_SCHEDULE_SECONDS)).toBeLessThanOrEqual(12 * 3600);
    for (const dlq of ['CallDeliveriesDeadLetterQueue', 'CallDeliveriesPipeDeadLetterQueue']) {
      expect(queues()[dlq]).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    }
  });

  it('refuses requests without TLS on all three queues', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((p) => JSON.stringify(p.Properties.Queues).includes('CallDeliveries'));
    expect(policies).toHaveLength(3);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('the delivery Lambda', () => {
  it('runs lambda/delivery on Node 24 / arm64 with its environment and its own log group', () => {
    expect(deliveryFunction()).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: DELIVERY_FUNCTION_TIMEOUT_SECONDS,
      LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^CallDeliveriesHandlerLogs/) } },
    });
    expect(deliveryFunction().ReservedConcurrentExecutions).toBeUndefined();
    expect(deliveryFunction().Environment.Variables).toEqual({
      [ENV.numbersTable]: importOf('NumbersTableName'),
      [ENV.callsTable]: importOf('CallsTableName'),
      [ENV.callEntriesTable]: importOf('CallEntriesTableName'),
      [ENV.callRetentionDays]: '90',
      [ENV.toolSigningSecretArn]: importOf('ToolSigningSecretArn'),
      [ENV.openAiApiKeySecretArn]: importOf('OpenAiApiKeyArn'),
      [ENV.deliveryQueueUrl]: { Ref: 'CallDeliveriesQueueDEBECB41' },
      [ENV.deliveryDeadLetterQueueUrl]: { Ref: 'CallDeliveriesDeadLetterQueue8E67ACBA' },
      POWERTOOLS_SERVICE_NAME: METRICS.deliveryService,
      POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(only('AWS::Logs::LogGroup', 'CallDeliveriesHandlerLogs').RetentionInDays).toBe(30);
  });

  it('has no default endpoint unless notifyUrl is set, and its events only when notifyEvents is', () => {
    const envOf = (context: Record<string, unknown>) => {
      const other = buildApp(context).callsTemplate();
      const [id] = logicalIds(other, 'AWS::Lambda::Function', 'CallDeliveriesHandler');
      return other.toJSON().Resources[id!].Properties.Environment.Variables as Record<string, string>;
    };
    // What lambda/delivery makes of its environment at start.
    const defaultNotifyOf = (env: Record<string, string>) =>
      readDefaultNotify(env[ENV.defaultNotifyUrl], env[ENV.defaultNotifyEvents], { url: ENV.defaultNotifyUrl, events: ENV.defaultNotifyEvents });

    const env = deliveryFunction().Environment.Variables as Record<string, string>;
    expect(env).not.toHaveProperty(ENV.defaultNotifyUrl);
    expect(env).not.toHaveProperty(ENV.defaultNotifyEvents);
    expect(defaultNotifyOf(env)).toBeUndefined();

    const urlOnly = envOf({ notifyUrl: 'https://crm.example.com/voice/calls' });
    expect(urlOnly).toMatchObject({ [ENV.defaultNotifyUrl]: 'https://crm.example.com/voice/calls' });
    expect(urlOnly).not.toHaveProperty(ENV.defaultNotifyEvents);
    expect(defaultNotifyOf(urlOnly)).toEqual({ url: 'https://crm.example.com/voice/calls', events: ['call.ended'], allowPrivateNetwork: false });

    const withEvents = envOf({ notifyUrl: 'https://crm.example.com/voice/calls', notifyEvents: 'call.rejected, call.missed' });
    expect(withEvents).toMatchObject({
      [ENV.defaultNotifyUrl]: 'https://crm.example.com/voice/calls',
      [ENV.defaultNotifyEvents]: 'call.rejected,call.missed',
    });
    expect(defaultNotifyOf(withEvents)).toEqual({ url: 'https://crm.example.com/voice/calls', events: ['call.rejected', 'call.missed'], allowPrivateNetwork: false });
  });

  it('consumes the delivery queue in batches of 10, reporting item failures, at most 10 at once', () => {
    expect(only('AWS::Lambda::EventSourceMapping', 'CallDeliveriesHandler')).toEqual({
      EventSourceArn: { 'Fn::GetAtt': ['CallDeliveriesQueueDEBECB41', 'Arn'] },
      FunctionName: { Ref: logicalIds(template, 'AWS::Lambda::Function', 'CallDeliveriesHandler')[0] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('is granted exactly what the sender does, on named resources', () => {
    const statements = statementsOfRole(template, 'CallDeliveriesHandlerRole');
    const grantsOn = (resource: unknown) => statements.filter((s) => resourcesOf(s).some(same(resource))).flatMap(actionsOf).sort();
    expect(grantsOn(tableArnOf('NumbersTableName'))).toEqual(['dynamodb:GetItem']);
    expect(grantsOn(tableArnOf('CallsTableName'))).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(grantsOn(tableArnOf('CallEntriesTableName'))).toEqual(['dynamodb:Query']);
    expect(grantsOn(importOf('ToolSigningSecretArn'))).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(grantsOn(importOf('OpenAiApiKeyArn'))).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(grantsOn({ 'Fn::GetAtt': ['CallDeliveriesQueueDEBECB41', 'Arn'] })).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    expect(grantsOn({ 'Fn::GetAtt': ['CallDeliveriesDeadLetterQueue8E67ACBA', 'Arn'] })).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(grantsOn({ 'Fn::GetAtt': [logicalIds(template, 'AWS::Logs::LogGroup', 'CallDeliveriesHandlerLogs')[0], 'Arn'] })).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    // Nothing else: no index, no stream, no other queue or secret, no wildcard.
    const named = [
      tableArnOf('NumbersTableName'),
      tableArnOf('CallsTableName'),
      tableArnOf('CallEntriesTableName'),
      importOf('ToolSigningSecretArn'),
      importOf('OpenAiApiKeyArn'),
      { 'Fn::GetAtt': ['CallDeliveriesQueueDEBECB41', 'Arn'] },
      { 'Fn::GetAtt': ['CallDeliveriesDeadLetterQueue8E67ACBA', 'Arn'] },
      { 'Fn::GetAtt': [logicalIds(template, 'AWS::Logs::LogGroup', 'CallDeliveriesHandlerLogs')[0], 'Arn'] },
    ];
    expect(statements.flatMap(resourcesOf).filter((r) => !named.some(same(r)))).toEqual([]);
    const role = only('AWS::IAM::Role', 'CallDeliveriesHandlerRole');
    expect(role.ManagedPolicyArns).toBeUndefined();
  });

  it('reads the secret it signs with and the API key its analyses use, never the webhook signing secret or a tool secret', () => {
    const statements = statementsOfRole(template, 'CallDeliveriesHandlerRole');
    const secrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:'))).flatMap(resourcesOf);
    expect(secrets).toHaveLength(2);
    expect(secrets).toEqual(expect.arrayContaining([importOf('ToolSigningSecretArn'), importOf('OpenAiApiKeyArn')]));
    const policy = JSON.stringify(statements);
    expect(policy).not.toContain('WebhookSecretArn');
    expect(policy).not.toContain('/tool/');
    expect(policy).not.toContain('"*"');
    const env = deliveryFunction().Environment.Variables as Record<string, unknown>;
    for (const key of [ENV.webhookSecretArn, ENV.toolSecretsPrefix, ENV.callQueueUrl]) expect(env).not.toHaveProperty(key);
  });
});

describe('operations of deliveries', () => {
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

  it('alarms on any message in the delivery dead-letter queue, and in the pipe\'s', () => {
    for (const queue of ['CallDeliveriesDeadLetterQueue8E67ACBA', 'CallDeliveriesPipeDeadLetterQueueA8C789B5']) {
      const alarm = alarms().find((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }]));
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [{ Ref: expect.stringMatching(/^OperationsAlarmTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^OperationsAlarmTopic/) }],
      });
    }
  });

  it('graphs deliveries, failed attempts and deliveries given up, the queue\'s oldest message and the dead-letter depth', () => {
    const widgets = dashboardWidgets(template);
    const metricsOf = (title: string) => widgets.find((w) => w.title === title)?.metrics?.map((m) => m.filter((x) => typeof x === 'string'));
    expect(metricsOf('Deliveries')).toEqual(
      [METRICS.callDelivered, METRICS.deliveryAttemptFailed, METRICS.deliveryGaveUp].map((metric) => [METRICS.namespace, metric, 'service', METRICS.deliveryService]),
    );
    expect(metricsOf('Delivery queue')).toContainEqual(['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', '<CallDeliveriesQueueDEBECB41>']);
    expect(metricsOf('Delivery dead-letter queues')).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '<CallDeliveriesDeadLetterQueue8E67ACBA>'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '<CallDeliveriesPipeDeadLetterQueueA8C789B5>'],
    ]);
  });

  it('prints where `switchboard calls redeliver` puts a call', () => {
    template.hasOutput(OUTPUTS.deliveryQueueUrl, {
      Value: { Ref: 'CallDeliveriesQueueDEBECB41' },
      Description: 'Where `switchboard calls redeliver` puts a call to deliver again',
    });
  });
});
