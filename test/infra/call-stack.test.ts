import { Match } from 'aws-cdk-lib/assertions';
import {
  CALL_VISIBILITY_SECONDS,
  DEFAULT_DRAIN_SECONDS,
  ENV,
  HEARTBEAT_SECONDS,
  METRICS,
  OUTPUTS,
  WORKER_HEALTH_PORT,
} from '../../core/runtime/contract';
import { CallHandoffQueue } from '../../lib/constructs/call-handoff-queue';
import { REJECT_REASONS } from '../../lib/constructs/operations';
import { SIP_URI_UNSET } from '../../lib/settings';
import { actionsOf, buildApp, dashboardWidgets, logicalIds, resourcesOf, statementsOfRole } from './app';

const importOf = (name: string) => ({ 'Fn::ImportValue': `Switchboard-dev-Data:${name}` });
const tableArnOf = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/', importOf(name)]],
});
const toolSecretsArn = (stage: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:secret:switchboard/${stage}/tool/*`]],
});
const indexesOf = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':table/', importOf(name), '/index/*']],
});

/** The webhook Lambda (the delivery Lambda's handler is `index.handler` too). */
const webhookFunction = (template: ReturnType<ReturnType<typeof buildApp>['callsTemplate']>) =>
  template.toJSON().Resources[logicalIds(template, 'AWS::Lambda::Function', 'WebhookReceiverHandler')[0]!];

describe('call stack', () => {
  // The one app of this suite that runs esbuild, as `cdk synth` does.
  const built = buildApp({}, { bundle: true });
  const template = built.callsTemplate();

  it('is named after the stage, tagged, and deployed after the stateful stack', () => {
    expect(built.calls.stackName).toBe('Switchboard-dev-Calls');
    expect(built.calls.tags.tagValues()).toEqual({ app: 'switchboard', stage: 'dev' });
    expect(built.calls.dependencies).toContain(built.data);
  });

  describe('webhook receiver', () => {
    it('runs the bundled webhook Lambda on Node 22+ / arm64 with the hosts\' environment', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: Match.stringLikeRegexp('^nodejs(2[2-9]|[3-9]\\d)\\.x$'),
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 10,
        ReservedConcurrentExecutions: 50,
        Environment: {
          Variables: {
            [ENV.numbersTable]: Match.anyValue(),
            [ENV.callsTable]: Match.anyValue(),
            [ENV.callEntriesTable]: importOf('CallEntriesTableName'),
            [ENV.callQueueUrl]: { Ref: Match.stringLikeRegexp('^CallQueue') },
            [ENV.openAiApiKeySecretArn]: importOf('OpenAiApiKeyArn'),
            [ENV.webhookSecretArn]: importOf('WebhookSecretArn'),
            [ENV.callRetentionDays]: '90',
            POWERTOOLS_SERVICE_NAME: METRICS.webhookService,
            POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
        LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^WebhookReceiverHandlerLogs') } },
      });
    });

    it.each(['WebhookReceiverHandler', 'CallDeliveriesHandler'])('bundles the handler (%s) with esbuild, minified with a source map', (prefix) => {
      const assetDir = built.app.synth().directory;
      const fn = template.toJSON().Resources[logicalIds(template, 'AWS::Lambda::Function', prefix)[0]!];
      const assetHash = (fn.Properties.Code.S3Key as string).replace('.zip', '');
      const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
      const bundle = fs.readFileSync(`${assetDir}/asset.${assetHash}/index.js`, 'utf8');
      expect(fs.existsSync(`${assetDir}/asset.${assetHash}/index.js.map`)).toBe(true);
      expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000); // minified: long lines
      expect(bundle).toContain('sourceMappingURL=index.js.map');
    });

    it('sets log retention on the function and access logs', () => {
      for (const id of logicalIds(template, 'AWS::Logs::LogGroup', 'WebhookReceiver')) {
        expect(template.toJSON().Resources[id].Properties.RetentionInDays).toBe(30);
      }
      expect(logicalIds(template, 'AWS::Logs::LogGroup', 'WebhookReceiver')).toHaveLength(2);
    });

    it('serves POST /webhook on an HTTP API (payload 2.0), throttled and access-logged', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhook' });
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebhookReceiverAccessLogs'), 'Arn'] },
          Format: Match.stringLikeRegexp('\\$context\\.requestId'),
        },
      });
    });

    it('grants exactly what the webhook needs, on named resources', () => {
      const statements = statementsOfRole(template, 'WebhookReceiverHandlerRole');
      const grantsOn = (resource: unknown) =>
        statements.filter((s) => resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(resource))).flatMap(actionsOf);

      expect(grantsOn(tableArnOf('NumbersTableName'))).not.toContain('dynamodb:PutItem');
      expect(grantsOn(tableArnOf('NumbersTableName'))).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      expect(grantsOn(tableArnOf('CallsTableName'))).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query']));
      expect(grantsOn(indexesOf('CallsTableName'))).toContain('dynamodb:Query');
      // Told the call entries table's name (every host is), never allowed to touch it.
      expect(statements.filter((s) => JSON.stringify(s.Resource).includes('CallEntriesTableName'))).toEqual([]);
      expect(grantsOn(importOf('WebhookSecretArn'))).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      expect(grantsOn(importOf('OpenAiApiKeyArn'))).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      const queueActions = statements.filter((s) => JSON.stringify(s.Resource).includes('CallQueue')).flatMap(actionsOf);
      expect(queueActions).toContain('sqs:SendMessage');
      expect(queueActions).not.toContain('sqs:ReceiveMessage');
      expect(queueActions).not.toContain('sqs:DeleteMessage');
      for (const statement of statements) expect(resourcesOf(statement)).not.toContain('*');
    });

    it('gets nothing of HTTP tools: neither the tool signing secret nor the tool secrets, nor where they are', () => {
      const statements = JSON.stringify(statementsOfRole(template, 'WebhookReceiverHandlerRole'));
      expect(statements).not.toContain('ToolSigningSecret');
      expect(statements).not.toContain('/tool/');
      const fn = webhookFunction(template);
      expect(fn.Properties.Environment.Variables).not.toHaveProperty(ENV.toolSigningSecretArn);
      expect(fn.Properties.Environment.Variables).not.toHaveProperty(ENV.toolSecretsPrefix);
    });

    it("asks numbers' lookups with no new permission: it signs them with a secret derived from the webhook secret it reads already, over the Lambda's own network", () => {
      const statements = statementsOfRole(template, 'WebhookReceiverHandlerRole');
      const readsSecrets = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue')).flatMap(resourcesOf);
      expect(readsSecrets).toEqual(expect.arrayContaining([importOf('WebhookSecretArn'), importOf('OpenAiApiKeyArn')]));
      expect(readsSecrets).toHaveLength(2);
      const everything = new Set(statements.flatMap(resourcesOf).map((r) => JSON.stringify(r)));
      const expected = [tableArnOf('NumbersTableName'), tableArnOf('CallsTableName'), indexesOf('CallsTableName'), importOf('WebhookSecretArn'), importOf('OpenAiApiKeyArn')].map((r) => JSON.stringify(r));
      // Besides those: the call queue and the function's own log group.
      expect([...everything].filter((r) => !expected.includes(r) && !/CallQueue|HandlerLogs/.test(r))).toEqual([]);
      expect(webhookFunction(template).Properties.VpcConfig).toBeUndefined();
    });

    it('uses no AWS managed policy', () => {
      const role = template.toJSON().Resources[logicalIds(template, 'AWS::IAM::Role', 'WebhookReceiverHandlerRole')[0]!];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });
  });

  describe('call handoff queue', () => {
    it('keeps the logical IDs the queues were deployed under (a new one would replace a queue and drop its calls)', () => {
      expect(built.calls.handoffQueue).toBeInstanceOf(CallHandoffQueue);
      expect(logicalIds(template, 'AWS::SQS::Queue', 'CallQueue').sort()).toEqual(['CallQueue6201A6F3', 'CallQueueDeadLetterQueue5FE72C18']);
    });

    it('is encrypted, sized for the heartbeat, and drains into a dead-letter queue', () => {
      expect(CALL_VISIBILITY_SECONDS).toBeGreaterThanOrEqual(2 * HEARTBEAT_SECONDS);
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: CALL_VISIBILITY_SECONDS,
        MessageRetentionPeriod: 4 * 24 * 3600,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CallQueueDeadLetterQueue'), 'Arn'] },
          maxReceiveCount: 5,
        },
      });
      expect(template.toJSON().Resources.CallQueueDeadLetterQueue5FE72C18.Properties).toEqual({
        MessageRetentionPeriod: 14 * 24 * 3600,
        SqsManagedSseEnabled: true,
      });
      // Besides these two, only the deliveries' queues (test/infra/call-deliveries.test.ts).
      expect(logicalIds(template, 'AWS::SQS::Queue').filter((id) => !id.startsWith('CallQueue') && !id.startsWith('CallDeliveries'))).toEqual([]);
    });

    it('refuses requests without TLS on both queues', () => {
      const policies = Object.fromEntries(Object.entries(template.findResources('AWS::SQS::QueuePolicy')).filter(([id]) => id.startsWith('CallQueue')));
      expect(Object.keys(policies)).toHaveLength(2);
      for (const policy of Object.values(policies)) {
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });
  });

  describe('call workers', () => {
    const taskDefinition = () => Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0]!.Properties;
    const worker = () => taskDefinition().ContainerDefinitions[0];

    it('runs the worker image on Fargate arm64 with the worker\'s environment', () => {
      expect(taskDefinition()).toMatchObject({
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        Cpu: '512',
        Memory: '1024',
      });
      const env = Object.fromEntries((worker().Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
      expect(env).toMatchObject({
        [ENV.numbersTable]: expect.anything(),
        [ENV.callsTable]: expect.anything(),
        [ENV.callEntriesTable]: importOf('CallEntriesTableName'),
        [ENV.callQueueUrl]: { Ref: expect.stringMatching(/^CallQueue/) },
        [ENV.openAiApiKeySecretArn]: importOf('OpenAiApiKeyArn'),
        [ENV.toolSigningSecretArn]: importOf('ToolSigningSecretArn'),
        [ENV.toolSecretsPrefix]: 'switchboard/dev/tool/',
        [ENV.callRetentionDays]: '90',
        [ENV.workerCapacity]: '200',
        [ENV.workerDrainSeconds]: String(DEFAULT_DRAIN_SECONDS),
        [ENV.healthPort]: String(WORKER_HEALTH_PORT),
      });
      // The worker never sees the webhook signing secret.
      expect(env).not.toHaveProperty(ENV.webhookSecretArn);
    });

    it('is built from service/Dockerfile at deploy, for arm64 (synth needs no Docker)', () => {
      const assembly = built.app.synth();
      const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
      const assets = JSON.parse(fs.readFileSync(`${assembly.directory}/${built.calls.artifactId}.assets.json`, 'utf8'));
      const images = Object.values(assets.dockerImages as Record<string, { source: { directory: string; dockerFile: string; platform: string } }>);
      expect(images).toHaveLength(1);
      expect(images[0]!.source).toMatchObject({ dockerFile: 'service/Dockerfile', platform: 'linux/arm64' });
      // The staged build context holds only what the image is built from (.dockerignore).
      expect(fs.readdirSync(`${assembly.directory}/${images[0]!.source.directory}`).sort()).toEqual(['.dockerignore', 'core', 'package-lock.json', 'package.json', 'service', 'tsconfig.json']);
    });

    it('gives calls 120 s to drain, checks health with node, and runs read-only', () => {
      expect(worker()).toMatchObject({
        StopTimeout: 120,
        ReadonlyRootFilesystem: true,
        LinuxParameters: { InitProcessEnabled: true },
        HealthCheck: {
          Command: ['CMD', 'node', '-e', expect.stringContaining(`http://127.0.0.1:${WORKER_HEALTH_PORT}/healthz`)],
          Interval: 15,
          Retries: 3,
        },
        LogConfiguration: { LogDriver: 'awslogs', Options: expect.objectContaining({ mode: 'non-blocking' }) },
      });
      expect(DEFAULT_DRAIN_SECONDS).toBeLessThan(worker().StopTimeout);
    });

    it('deploys with a circuit breaker that rolls back, never below full capacity', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        LaunchType: 'FARGATE',
        DeploymentConfiguration: {
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
        },
      });
    });

    it('turns on Container Insights (enhanced)', () => {
      template.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
      });
    });

    it('scales between the min and max tasks on active calls per task', () => {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 1,
        MaxCapacity: 4,
        ScalableDimension: 'ecs:service:DesiredCount',
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 140,
          CustomizedMetricSpecification: {
            Namespace: METRICS.namespace,
            MetricName: METRICS.activeCalls,
            Dimensions: [{ Name: 'service', Value: METRICS.workerService }],
            Statistic: 'Average',
          },
        },
      });
    });

    it('grants the task exactly what a worker needs', () => {
      const statements = statementsOfRole(template, 'CallWorkersTaskDefinitionTaskRole');
      const actions = statements.flatMap(actionsOf);
      expect(actions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
      expect(actions).not.toContain('sqs:SendMessage');
      expect(actions).toEqual(expect.arrayContaining(['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection']));
      const protection = statements.find((s) => actionsOf(s).includes('ecs:UpdateTaskProtection'))!;
      expect(JSON.stringify(protection.Resource)).toMatch(/:task\/".*\{"Ref":"CallWorkersCluster[0-9A-F]+"\},"\/\*"/);
      // Writes a call's entries in batches, reads them back on taking over a call; the table has no
      // indexes, so the grant names the table alone.
      const entriesArn = JSON.stringify(tableArnOf('CallEntriesTableName'));
      const onEntries = statements.filter((s) => resourcesOf(s).some((r) => JSON.stringify(r) === entriesArn));
      expect(new Set(onEntries.flatMap(actionsOf))).toEqual(new Set(['dynamodb:BatchWriteItem', 'dynamodb:Query']));
      const entriesResources = statements.flatMap(resourcesOf).map((r) => JSON.stringify(r)).filter((r) => r.includes('CallEntriesTableName'));
      expect(new Set(entriesResources)).toEqual(new Set([entriesArn]));
      const secrets = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue')).flatMap(resourcesOf);
      expect(secrets).toEqual([importOf('OpenAiApiKeyArn'), importOf('ToolSigningSecretArn'), toolSecretsArn('dev')]);
      for (const statement of statements) expect(resourcesOf(statement)).not.toContain('*');
    });

    it('reads the tool secrets of its own stage by name pattern, the value only', () => {
      const statements = statementsOfRole(template, 'CallWorkersTaskDefinitionTaskRole');
      const onToolSecrets = statements.filter((s) => resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(toolSecretsArn('dev'))));
      expect(onToolSecrets).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: toolSecretsArn('dev') }]);
      const onSigningSecret = statements.filter((s) => resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(importOf('ToolSigningSecretArn'))));
      expect(onSigningSecret.flatMap(actionsOf)).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      // Another stage's workers read that stage's tool secrets, not these.
      const prod = buildApp({ stage: 'prod' }).callsTemplate();
      const prodSecrets = statementsOfRole(prod, 'CallWorkersTaskDefinitionTaskRole').flatMap(resourcesOf).map((r) => JSON.stringify(r));
      expect(prodSecrets).toContain(JSON.stringify(toolSecretsArn('prod')));
      expect(prodSecrets).not.toContain(JSON.stringify(toolSecretsArn('dev')));
    });

    it('is the only role that reads the tool secrets, and with the delivery Lambda the only ones that read the tool signing secret', () => {
      const readers = (pattern: RegExp) =>
        Object.values(template.findResources('AWS::IAM::Policy'))
          .filter((policy) => pattern.test(JSON.stringify(policy.Properties.PolicyDocument)))
          .flatMap((policy) => (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref));
      expect(readers(/\/tool\//)).toEqual([expect.stringMatching(/^CallWorkersTaskDefinitionTaskRole/)]);
      // Finished-call deliveries are signed with it as tool calls are (one secret for the user to verify both).
      expect(readers(/ToolSigningSecret/).sort()).toEqual([expect.stringMatching(/^CallDeliveriesHandlerRole/), expect.stringMatching(/^CallWorkersTaskDefinitionTaskRole/)]);
    });

    it('allows "*" only for ecr:GetAuthorizationToken (it has no resource-level permissions)', () => {
      const wildcard = Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((s) => resourcesOf(s as never).includes('*'));
      expect(wildcard.map((s) => s.Action)).toEqual(['ecr:GetAuthorizationToken']);
    });

    it('runs in public subnets with a public IP, no NAT and no inbound rule (networking=public, the default)', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
      });
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('call workers'),
        SecurityGroupIngress: Match.absent(),
        SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
      });
      template.resourceCountIs('AWS::EC2::Subnet', 2);
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    });
  });

  describe('operations', () => {
    it('alarms on webhook 5xx, dead letters, accept failures, worker errors, waiting calls and deliveries given up or not queued', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      const alarmOn = (metricName: string, namespace: string) => alarms.find((a) => a.MetricName === metricName && a.Namespace === namespace);
      expect(alarmOn('5xx', 'AWS/ApiGateway')).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum' });
      expect(alarmOn('ApproximateNumberOfMessagesVisible', 'AWS/SQS')).toBeDefined();
      const dlqAlarm = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Dimensions).includes('CallQueueDeadLetterQueue'));
      expect(dlqAlarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Maximum' });
      expect(alarmOn(METRICS.acceptFailed, METRICS.namespace)).toMatchObject({
        Dimensions: [{ Name: 'service', Value: METRICS.webhookService }],
        Threshold: 1,
      });
      expect(alarmOn(METRICS.workerErrors, METRICS.namespace)).toMatchObject({
        Dimensions: [{ Name: 'service', Value: METRICS.workerService }],
        Threshold: 1,
      });
      // Two more on the deliveries' dead-letter queues (test/infra/call-deliveries.test.ts).
      expect(alarms).toHaveLength(7);
      for (const alarm of alarms) {
        expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OperationsAlarmTopic/) }]);
        expect(alarm.TreatMissingData).toBe('notBreaching');
      }
    });

    it('notifies an encrypted, TLS-only topic (email only when alarmEmail is set)', () => {
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      buildApp({ alarmEmail: 'ops@example.com' }).callsTemplate().hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
    });

    it('draws the dashboard: webhooks, latency, rejects by reason, active calls, workers, queue, DLQ, errors', () => {
      const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      expect(dashboards).toHaveLength(1);
      const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
      for (const title of ['Webhooks', 'Accept latency', 'Rejects by reason', 'Active calls', 'Call workers', 'Call queue', 'Dead-letter queue depth', 'Errors', 'Deliveries', 'Delivery queue']) {
        expect(body).toContain(title);
      }
      for (const metric of [METRICS.webhookReceived, METRICS.callAccepted, METRICS.callRejected, METRICS.decisionLatency, METRICS.activeCalls, METRICS.workerErrors, 'RunningTaskCount', 'ApproximateAgeOfOldestMessage']) {
        expect(body).toContain(metric);
      }
      for (const reason of REJECT_REASONS) expect(body).toContain(reason);
      expect(body).toMatch(/p50/);
      expect(body).toMatch(/p99/);
    });
  });

  describe('outputs', () => {
    it('prints every output the CLI reads, under the shared keys', () => {
      const outputs = template.toJSON().Outputs as Record<string, unknown>;
      // The budget only when one is set (the monthly budget tests, below).
      const always = Object.values(OUTPUTS).filter((key) => key !== OUTPUTS.monthlyBudgetUsd);
      expect(Object.keys(outputs)).toEqual(expect.arrayContaining(always));
      expect(outputs).not.toHaveProperty(OUTPUTS.monthlyBudgetUsd);
      template.hasOutput(OUTPUTS.webhookUrl, {
        Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^WebhookReceiverApi'), 'ApiEndpoint'] }, '/webhook']] },
      });
      template.hasOutput(OUTPUTS.numbersTable, { Value: importOf('NumbersTableName') });
      template.hasOutput(OUTPUTS.callsTable, { Value: importOf('CallsTableName') });
      template.hasOutput(OUTPUTS.callEntriesTable, { Value: importOf('CallEntriesTableName'), Description: 'DynamoDB table of what was said and done on each call' });
      template.hasOutput(OUTPUTS.callQueueUrl, { Value: { Ref: Match.stringLikeRegexp('^CallQueue') } });
      template.hasOutput(OUTPUTS.openAiApiKeySecretArn, { Value: importOf('OpenAiApiKeyArn') });
      template.hasOutput(OUTPUTS.webhookSecretArn, { Value: importOf('WebhookSecretArn') });
      template.hasOutput(OUTPUTS.toolSigningSecretArn, { Value: importOf('ToolSigningSecretArn') });
      template.hasOutput(OUTPUTS.toolSecretsPrefix, { Value: 'switchboard/dev/tool/' });
      template.hasOutput(OUTPUTS.clusterName, { Value: { Ref: Match.stringLikeRegexp('^CallWorkersCluster') } });
      template.hasOutput(OUTPUTS.serviceName, { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CallWorkersService'), 'Name'] } });
      template.hasOutput(OUTPUTS.callRetentionDays, { Value: '90' });
      template.hasOutput(OUTPUTS.deliveryQueueUrl, { Value: { Ref: Match.stringLikeRegexp('^CallDeliveriesQueue') } });
    });

    it('says the project id is unset, or prints the SIP URI', () => {
      template.hasOutput(OUTPUTS.sipUri, { Value: SIP_URI_UNSET });
      buildApp({ openAiProjectId: 'proj_XnGzQBp38qGPqjV5GaYVXVGY' })
        .callsTemplate()
        .hasOutput(OUTPUTS.sipUri, { Value: 'proj_XnGzQBp38qGPqjV5GaYVXVGY@sip.api.openai.com;transport=tls' });
    });
  });
});

describe('monthly budget', () => {
  const budgeted = buildApp({ monthlyBudgetUsd: '250' }).callsTemplate();
  const budgetAlarms = (template: typeof budgeted) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .filter((a) => a.MetricName === METRICS.monthSpendUsd);

  it('alarms the topic when the month\'s spend passes the budget, and keeps its state between calls', () => {
    expect(budgetAlarms(budgeted)).toEqual([
      expect.objectContaining({
        Namespace: METRICS.namespace,
        MetricName: METRICS.monthSpendUsd,
        Dimensions: [{ Name: 'service', Value: METRICS.deliveryService }],
        Statistic: 'Maximum',
        Period: 3600,
        Threshold: 250,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        // The metric is only emitted when a call ends: no data must not mean OK.
        TreatMissingData: 'ignore',
        AlarmActions: [{ Ref: expect.stringMatching(/^OperationsAlarmTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^OperationsAlarmTopic/) }],
      }),
    ]);
    const [alarm] = budgetAlarms(budgeted);
    expect(alarm!.AlarmDescription).toMatch(/^The month's estimated OpenAI spend passed the monthly budget of 250 USD/);
    expect(alarm!.AlarmDescription).toContain('`switchboard status` shows the month\'s spend');
  });

  it('prints the budget for `switchboard status`', () => {
    budgeted.hasOutput(OUTPUTS.monthlyBudgetUsd, { Value: '250', Description: Match.stringLikeRegexp('budget alarm') });
    expect(buildApp({ monthlyBudgetUsd: 12.5 }).callsTemplate().toJSON().Outputs[OUTPUTS.monthlyBudgetUsd].Value).toBe('12.5');
  });

  it('graphs the month\'s spend, against the budget when there is one', () => {
    const spendWidget = (template: typeof budgeted) => dashboardWidgets(template).find((w) => w.metrics?.some((m) => m.includes(METRICS.monthSpendUsd)));
    expect(spendWidget(budgeted)).toMatchObject({
      title: 'OpenAI spend this month (USD, estimated)',
      metrics: [[METRICS.namespace, METRICS.monthSpendUsd, 'service', METRICS.deliveryService, expect.objectContaining({ stat: 'Maximum', period: 3600 })]],
      annotations: { horizontal: [{ value: 250, label: 'monthly budget' }] },
      yAxis: { left: { min: 0 } },
    });
    const unbudgeted = buildApp().callsTemplate();
    expect(spendWidget(unbudgeted)).toBeDefined();
    expect(spendWidget(unbudgeted)).not.toHaveProperty('annotations');
    expect(budgetAlarms(unbudgeted)).toEqual([]);
  });
});

describe('call stack settings', () => {
  it('puts workers in private subnets behind one NAT gateway per AZ with networking=nat', () => {
    const template = buildApp({ networking: 'nat' }).callsTemplate();
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'DISABLED',
          Subnets: [{ Ref: Match.stringLikeRegexp('WorkersSubnet1') }, { Ref: Match.stringLikeRegexp('WorkersSubnet2') }],
        }),
      },
    });
  });

  it('reserves no webhook concurrency with webhookReservedConcurrency=none', () => {
    const template = buildApp({ webhookReservedConcurrency: 'none' }).callsTemplate();
    expect(webhookFunction(template).Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('deletes the log groups of a dev stage and keeps those of any other', () => {
    const policies = (template: ReturnType<ReturnType<typeof buildApp>['callsTemplate']>) =>
      Object.values(template.findResources('AWS::Logs::LogGroup')).map((g) => g.DeletionPolicy);
    expect(policies(buildApp().callsTemplate())).toEqual(Array(6).fill('Delete'));
    expect(policies(buildApp({ stage: 'prod' }).callsTemplate())).toEqual(Array(6).fill('Retain'));
  });

  it('passes worker counts, capacity, retention and reserved concurrency through', () => {
    const template = buildApp({ stage: 'prod', workerMinTasks: '2', workerMaxTasks: '8', callsPerTask: '100', callRetentionDays: '30', webhookReservedConcurrency: '20' }).callsTemplate();
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 8 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 70 }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 20,
      Environment: { Variables: Match.objectLike({ [ENV.callRetentionDays]: '30', [ENV.openAiApiKeySecretArn]: { 'Fn::ImportValue': 'Switchboard-prod-Data:OpenAiApiKeyArn' } }) },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: ENV.callRetentionDays, Value: '30' }, { Name: ENV.workerCapacity, Value: '100' }]) })],
    });
  });
});
