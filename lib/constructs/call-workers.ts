import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  AwsLogDriverMode,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargatePlatformVersion,
  FargateService,
  FargateTaskDefinition,
  LinuxParameters,
  LogDrivers,
  OperatingSystemFamily,
  PropagatedTagSource,
} from 'aws-cdk-lib/aws-ecs';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_DRAIN_SECONDS, ENV, METRICS, WORKER_HEALTH_PORT } from '../../core/runtime/contract';
import { wildcardResourceFinding } from '../nag';
import type { NetworkingMode } from '../settings';

const REPO_ROOT = path.join(__dirname, '..', '..');

/** ECS waits this long after SIGTERM before SIGKILL: the Fargate maximum. */
export const WORKER_STOP_TIMEOUT_SECONDS = 120;
/** Autoscaling keeps each task's active calls near this share of its capacity. */
export const TARGET_UTILIZATION = 0.7;

/**
 * Never part of the worker image's build context. The repo-root .dockerignore narrows the context
 * to what service/Dockerfile copies (CDK applies it when staging the asset); this list guards the
 * essentials even without it (cdk.out must never be staged into itself).
 */
export const WORKER_IMAGE_EXCLUDE = ['node_modules', 'cdk.out', '.git'];

export interface CallWorkersProps {
  readonly numbers: ITableV2;
  readonly calls: ITableV2;
  readonly entries: ITableV2;
  readonly queue: IQueue;
  readonly openAiApiKey: ISecret;
  /** The secret HTTP tool calls are signed with (its base64 key; the worker makes it `whsec_<key>`). */
  readonly toolSigningSecret: ISecret;
  /** `{{secret:NAME}}` in a tool's headers is the Secrets Manager secret named `<prefix>NAME`. */
  readonly toolSecretsPrefix: string;
  readonly networking: NetworkingMode;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Calls one task holds at most (the worker's WORKER_CAPACITY). */
  readonly callsPerTask: number;
  readonly callRetentionDays: number;
  /** @default 512 (0.5 vCPU): a task only relays events and transcripts, audio never passes through it. */
  readonly cpu?: number;
  /** @default 1024 */
  readonly memoryLimitMiB?: number;
  /** @default one month */
  readonly logRetention?: RetentionDays;
  /** What happens to the log groups when the stack goes. @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default built from service/Dockerfile (repo root context) at deploy time */
  readonly image?: ContainerImage;
}

/**
 * The Fargate call workers: a VPC, an ECS cluster and an autoscaled service whose tasks take calls
 * from the queue and hold one sideband WebSocket per live call.
 */
export class CallWorkers extends Construct {
  public readonly vpc: Vpc;
  public readonly cluster: Cluster;
  public readonly service: FargateService;
  public readonly taskDefinition: FargateTaskDefinition;
  public readonly securityGroup: SecurityGroup;
  /** Calls per task that autoscaling aims at. */
  public readonly targetCallsPerTask: number;

  constructor(scope: Construct, id: string, props: CallWorkersProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const nat = props.networking === 'nat';

    this.vpc = new Vpc(this, 'Vpc', {
      // Removes the default security group's rules at deploy (nothing may use it). Stated here,
      // not left to the @aws-cdk/aws-ec2:restrictDefaultSecurityGroup flag, so the provider it
      // brings (acknowledged below) is always there.
      restrictDefaultSecurityGroup: true,
      maxAzs: 2,
      natGateways: nat ? 2 : 0,
      subnetConfiguration: nat
        ? [
            { name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
            { name: 'Workers', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
          ]
        : [{ name: 'Workers', subnetType: SubnetType.PUBLIC, cidrMask: 22 }],
      flowLogs: {
        // Rejected traffic only: the security group admits nothing inbound, so this is the record
        // of what tried, at a fraction of the cost of logging every flow.
        Rejected: {
          destination: FlowLogDestination.toCloudWatchLogs(new LogGroup(this, 'FlowLogs', { retention: logRetention, removalPolicy: logRemovalPolicy })),
          trafficType: FlowLogTrafficType.REJECT,
        },
      },
    });
    // Free, and keeps table traffic off the NAT gateways / internet.
    this.vpc.addGatewayEndpoint('DynamoDb', { service: GatewayVpcEndpointAwsService.DYNAMODB });
    acknowledgeRestrictDefaultSgProvider(this.vpc);

    // Nothing connects to a worker: it only dials out (OpenAI's sideband over WSS, AWS APIs over
    // HTTPS), so no inbound rule and only TCP 443 outbound.
    this.securityGroup = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'Switchboard call workers: no inbound, HTTPS outbound only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to OpenAI and AWS APIs');

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ContainerInsights.ENHANCED,
    });

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryLimitMiB ?? 1024,
      // Graviton: cheaper per vCPU. The image builds for arm64 on any machine (see service/Dockerfile).
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });

    const healthUrl = `http://127.0.0.1:${WORKER_HEALTH_PORT}/healthz`;
    this.taskDefinition.addContainer('Worker', {
      image:
        props.image ??
        ContainerImage.fromAsset(REPO_ROOT, {
          file: 'service/Dockerfile',
          platform: Platform.LINUX_ARM64,
          exclude: WORKER_IMAGE_EXCLUDE,
        }),
      essential: true,
      readonlyRootFilesystem: true,
      linuxParameters: new LinuxParameters(this, 'WorkerLinux', { initProcessEnabled: true }),
      stopTimeout: Duration.seconds(WORKER_STOP_TIMEOUT_SECONDS),
      environment: {
        [ENV.numbersTable]: props.numbers.tableName,
        [ENV.callsTable]: props.calls.tableName,
        [ENV.callEntriesTable]: props.entries.tableName,
        [ENV.callQueueUrl]: props.queue.queueUrl,
        [ENV.openAiApiKeySecretArn]: props.openAiApiKey.secretArn,
        [ENV.toolSigningSecretArn]: props.toolSigningSecret.secretArn,
        [ENV.toolSecretsPrefix]: props.toolSecretsPrefix,
        [ENV.callRetentionDays]: String(props.callRetentionDays),
        [ENV.workerCapacity]: String(props.callsPerTask),
        [ENV.workerDrainSeconds]: String(DEFAULT_DRAIN_SECONDS),
        [ENV.healthPort]: String(WORKER_HEALTH_PORT),
        AWS_REGION: Stack.of(this).region,
      },
      // node:*-slim has no curl: ask the worker's own health endpoint with node.
      healthCheck: {
        command: ['CMD', 'node', '-e', `fetch('${healthUrl}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(20),
      },
      logging: LogDrivers.awsLogs({
        streamPrefix: 'worker',
        logGroup: new LogGroup(this, 'WorkerLogs', { retention: logRetention, removalPolicy: logRemovalPolicy }),
        // A slow CloudWatch Logs must never block a worker holding live calls.
        mode: AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      platformVersion: FargatePlatformVersion.LATEST,
      vpcSubnets: { subnetType: nat ? SubnetType.PRIVATE_WITH_EGRESS : SubnetType.PUBLIC },
      assignPublicIp: !nat,
      securityGroups: [this.securityGroup],
      // Rolling deploys start new tasks before old ones stop, so capacity never dips while old
      // tasks drain their live calls (up to the stop timeout).
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      enableECSManagedTags: true,
      propagateTags: PropagatedTagSource.SERVICE,
    });

    const taskRole = this.taskDefinition.taskRole;
    props.numbers.grantReadData(taskRole);
    props.calls.grantReadWriteData(taskRole);
    // Writes a call's entries in batches and reads them back when it takes over a call another
    // worker held; nothing more (entries are never updated or deleted; TTL removes them).
    props.entries.grant(taskRole, 'dynamodb:BatchWriteItem', 'dynamodb:Query');
    props.queue.grantConsumeMessages(taskRole);
    props.openAiApiKey.grantRead(taskRole);
    // HTTP tools: only the workers run them, so only their task role reads the tool signing secret
    // and the tool secrets (the webhook Lambda gets neither).
    props.toolSigningSecret.grantRead(taskRole);
    // The tool secrets are created after deploy, one per name, by `switchboard secrets set
    // tool:NAME`: there is no secret construct to call grantRead on, so the grant names them by
    // pattern, every secret under this stage's prefix and no other, and allows reading the value
    // only (no list, describe or write). Secrets Manager appends `-<6 random characters>` to a
    // secret's ARN, which the `*` covers.
    const toolSecretsArn = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${props.toolSecretsPrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    Grant.addToPrincipal({ grantee: taskRole, actions: ['secretsmanager:GetSecretValue'], resourceArns: [toolSecretsArn] });
    // Scale-in protection while a task holds calls: ecs:UpdateTaskProtection through the grant,
    // plus reading it back, both on this cluster's tasks only.
    this.cluster.grantTaskProtection(taskRole);
    Grant.addToPrincipal({
      grantee: taskRole,
      actions: ['ecs:GetTaskProtection'],
      resourceArns: [this.cluster.arnForTasks('*')],
    });

    this.targetCallsPerTask = Math.max(1, Math.floor(props.callsPerTask * TARGET_UTILIZATION));
    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks });
    scaling.scaleToTrackCustomMetric('ActiveCallsPerTask', {
      metric: this.metricActiveCallsPerTask(),
      targetValue: this.targetCallsPerTask,
      scaleOutCooldown: Duration.minutes(1),
      // Scale in slowly: a protected task cannot be stopped anyway while it holds calls.
      scaleInCooldown: Duration.minutes(5),
    });

    Validations.of(taskRole).acknowledge(
      {
        id: wildcardResourceFinding(this, `${props.calls.tableArn}/index/*`),
        reason: 'The table grant covers the calls table\'s own secondary indexes (`<calls table ARN>/index/*`), no other table.',
      },
      {
        id: wildcardResourceFinding(this, toolSecretsArn),
        reason: `HTTP tool secrets: the secrets named \`${props.toolSecretsPrefix}<NAME>\` that \`switchboard secrets set tool:NAME\` creates after deploy, one per name a tool header refers to ({{secret:NAME}}); read (GetSecretValue) only, and only under this stage's prefix.`,
      },
      {
        id: wildcardResourceFinding(this, this.cluster.arnForTasks('*')),
        reason: 'Task scale-in protection: a task protects itself, and its task id is only known at run time, so the grant is scoped to the tasks of this cluster (`task/<cluster>/*`), the narrowest ARN ECS allows.',
      },
    );
    // Created by the task definition (image pull and logs); forced here so it can be acknowledged.
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only ecr:GetAuthorizationToken is granted on "*": that action has no resource-level permissions (https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html). Image pull and log writes are scoped to the asset repository and the log group.',
    });
    Validations.of(this.taskDefinition.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds configuration only (table names, queue URL, capacity, ports, the ARNs of the API key and tool signing secrets and the name prefix of the tool secrets, never a value); the secret values are read from Secrets Manager at run time and cached, so a rotated secret needs no new task definition.',
    });
  }

  /** Calls per task: each task emits its ActiveCalls once a minute, so the average is per task. */
  metricActiveCallsPerTask(): Metric {
    return new Metric({
      namespace: METRICS.namespace,
      metricName: METRICS.activeCalls,
      dimensionsMap: { service: METRICS.workerService },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
  }

  /** Running tasks of the service, from Container Insights. */
  metricRunningTasks(): Metric {
    return new Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: this.cluster.clusterName, ServiceName: this.service.serviceName },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
  }
}

/**
 * The Lambda role of CDK's singleton provider behind `restrictDefaultSecurityGroup`
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.VpcProps.html#restrictdefaultsecuritygroup),
 * one per stack, created at the stack's root under this id. CDK builds it as a raw CfnResource, so
 * only the check of the templates as deployed sees it (lib/nag.ts DeployedTemplateChecks).
 */
const RESTRICT_DEFAULT_SG_PROVIDER_ID = 'Custom::VpcRestrictDefaultSGCustomResourceProvider';

function acknowledgeRestrictDefaultSgProvider(vpc: Vpc): void {
  const role = Stack.of(vpc).node.tryFindChild(RESTRICT_DEFAULT_SG_PROVIDER_ID)?.node.tryFindChild('Role');
  if (!role) {
    throw new Error(`CallWorkers: CDK no longer creates ${RESTRICT_DEFAULT_SG_PROVIDER_ID}/Role for the VPC's restricted default security group; find what replaced it and move its cdk-nag acknowledgement there`);
  }
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'The role of CDK\'s own provider Lambda that revokes the VPC default security group\'s rules at deploy time; CDK attaches AWSLambdaBasicExecutionRole (CloudWatch Logs CreateLogGroup/CreateLogStream/PutLogEvents only, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html) so the function can write its logs, and offers no way to pass another role. Its own permissions are an inline policy scoped to this VPC\'s default security group, and it runs only when CloudFormation creates, updates or deletes the VPC.',
  });
}
