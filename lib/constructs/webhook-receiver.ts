import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, METRICS } from '../../core/runtime/contract';
import { wildcardResourceFinding } from '../nag';
import { bundledLambda } from '../lambda-bundling';

export interface WebhookReceiverProps {
  readonly numbers: ITableV2;
  readonly calls: ITableV2;
  /**
   * Named in the environment only (every deployed host is told every table's name) and granted
   * nothing: the webhook never reads or writes a call's entries.
   */
  readonly entries: ITableV2;
  readonly queue: IQueue;
  readonly webhookSecret: ISecret;
  readonly openAiApiKey: ISecret;
  readonly callRetentionDays: number;
  /**
   * Reserved concurrency: capacity kept for the webhook and a cap on what a flood of requests can
   * cost. @default none (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
  /** What happens to the log groups when the stack goes. @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Stage throttling of the HTTP API. @default 50 requests/s, bursts of 100 */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** @default one month */
  readonly logRetention?: RetentionDays;
}

/**
 * Where OpenAI's signed `realtime.call.incoming` webhooks arrive: an HTTP API `POST /webhook`
 * in front of the webhook Lambda (verify, claim the call, accept or reject, enqueue it).
 */
export class WebhookReceiver extends Construct {
  /** The URL to paste into OpenAI (Project > Webhooks). */
  public readonly url: string;
  public readonly handler: NodejsFunction;
  public readonly api: HttpApi;
  public readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // An explicit role and log group instead of the AWS managed AWSLambdaBasicExecutionRole:
    // the function may write to its own log group and nothing else.
    const logGroup = new LogGroup(this, 'HandlerLogs', { retention: logRetention, removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN });
    const role = new Role(this, 'HandlerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Switchboard webhook Lambda',
    });
    logGroup.grantWrite(role);

    this.handler = new NodejsFunction(this, 'Handler', {
      ...bundledLambda('webhook'),
      architecture: Architecture.ARM_64,
      // The caller hears ringing until accept: plenty of memory buys CPU for a fast cold start.
      memorySize: 512,
      timeout: Duration.seconds(10),
      ...(props.reservedConcurrency !== undefined && { reservedConcurrentExecutions: props.reservedConcurrency }),
      role,
      logGroup,
      description: 'Switchboard: verifies OpenAI call webhooks, accepts or rejects the call, enqueues it',
      environment: {
        [ENV.numbersTable]: props.numbers.tableName,
        [ENV.callsTable]: props.calls.tableName,
        [ENV.callEntriesTable]: props.entries.tableName,
        [ENV.callQueueUrl]: props.queue.queueUrl,
        [ENV.openAiApiKeySecretArn]: props.openAiApiKey.secretArn,
        [ENV.webhookSecretArn]: props.webhookSecret.secretArn,
        [ENV.callRetentionDays]: String(props.callRetentionDays),
        POWERTOOLS_SERVICE_NAME: METRICS.webhookService,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    props.numbers.grantReadData(this.handler);
    props.calls.grantReadWriteData(this.handler);
    props.queue.grantSendMessages(this.handler);
    props.webhookSecret.grantRead(this.handler);
    props.openAiApiKey.grantRead(this.handler);
    Validations.of(role).acknowledge({
      id: wildcardResourceFinding(this, `${props.calls.tableArn}/index/*`),
      reason: 'The table grant covers the calls table\'s own secondary indexes (`<calls table ARN>/index/*`), no other table: the webhook counts a number\'s live calls on the liveByNumber index before accepting.',
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'Switchboard: OpenAI realtime.call.incoming webhooks',
      createDefaultStage: false,
    });
    const routes = this.api.addRoutes({
      path: '/webhook',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Webhook', this.handler, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });
    this.url = `${this.api.apiEndpoint}/webhook`;

    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'OpenAI cannot present IAM, JWT or API-key credentials: every webhook is authenticated by its Standard Webhooks signature (HMAC-SHA256 with the signing secret, 300 s timestamp tolerance), verified in the Lambda on the raw body before anything else happens.',
      });
    }
  }
}
