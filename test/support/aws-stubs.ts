import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stand-ins for the AWS APIs that have no local implementation (CloudFormation, Secrets
 * Manager, ECS), speaking their real wire protocols so the CLI's AWS SDK clients talk to them
 * unchanged through the standard AWS_ENDPOINT_URL_* variables.
 */
export interface StubStack {
  name: string;
  outputs: Record<string, string>;
}

export interface AwsStubs {
  url: string;
  /** Variables that point the AWS SDK at the stubs (with dummy credentials and a region). */
  env: NodeJS.ProcessEnv;
  stacks: StubStack[];
  /** Secret values by ARN, or by name for those CreateSecret made (undefined = created without a value). */
  secrets: Map<string, string | undefined>;
  services: Map<string, { runningCount: number; desiredCount: number }>;
  /** Every request: the API action and its parsed parameters. */
  requests: { action: string; params: Record<string, unknown> }[];
  /** Makes the next request for `action` fail with AccessDenied naming `permission`. */
  denyNext(action: string, permission: string): void;
  close(): Promise<void>;
}

export async function startAwsStubs(): Promise<AwsStubs> {
  const stubs: Omit<AwsStubs, 'url' | 'env' | 'close'> & { denied: Map<string, string> } = {
    stacks: [],
    secrets: new Map(),
    services: new Map(),
    requests: [],
    denied: new Map(),
    denyNext(action, permission) {
      stubs.denied.set(action, permission);
    },
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => route(stubs, req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...stubs,
    url,
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCALSTUB',
      AWS_SECRET_ACCESS_KEY: 'local-stub-secret',
      AWS_ENDPOINT_URL_CLOUDFORMATION: url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      AWS_ENDPOINT_URL_ECS: url,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type State = Omit<AwsStubs, 'url' | 'env' | 'close'> & { denied: Map<string, string> };

function route(state: State, req: IncomingMessage, body: string, res: ServerResponse): void {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const action = target.split('.').pop()!;
    const params = JSON.parse(body || '{}') as Record<string, unknown>;
    state.requests.push({ action, params });
    const denied = state.denied.get(action);
    if (denied) {
      state.denied.delete(action);
      return jsonError(res, 'AccessDeniedException', `User: arn:aws:iam::123456789012:user/ops is not authorized to perform: ${denied} on resource: ${String(params.SecretId ?? params.cluster ?? '*')}`);
    }
    return jsonAction(state, action, params, res);
  }
  const params = Object.fromEntries(new URLSearchParams(body));
  const action = params.Action;
  state.requests.push({ action, params });
  const denied = state.denied.get(action);
  if (denied) {
    state.denied.delete(action);
    return queryError(res, 403, 'AccessDenied', `User: arn:aws:iam::123456789012:user/ops is not authorized to perform: ${denied} on resource: arn:aws:cloudformation:us-east-1:123456789012:stack/${params.StackName ?? '*'}`);
  }
  if (action !== 'DescribeStacks') return queryError(res, 400, 'InvalidAction', `stub does not implement ${action}`);
  const stacks = params.StackName ? state.stacks.filter((s) => s.name === params.StackName) : state.stacks;
  if (params.StackName && stacks.length === 0) return queryError(res, 400, 'ValidationError', `Stack with id ${params.StackName} does not exist`);
  const members = stacks
    .map(
      (s) =>
        `<member><StackName>${s.name}</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime><Outputs>${Object.entries(s.outputs)
          .map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${escapeXml(v)}</OutputValue></member>`)
          .join('')}</Outputs></member>`,
    )
    .join('');
  res.writeHead(200, { 'content-type': 'text/xml' });
  res.end(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks>${members}</Stacks></DescribeStacksResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></DescribeStacksResponse>`);
}

function jsonAction(state: State, action: string, params: Record<string, unknown>, res: ServerResponse): void {
  const id = String(params.SecretId ?? '');
  switch (action) {
    case 'PutSecretValue':
      if (!state.secrets.has(id)) return jsonError(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      state.secrets.set(id, String(params.SecretString));
      return jsonOk(res, { ARN: arnOf(id), Name: id, VersionId: 'v-stub', VersionStages: ['AWSCURRENT'] });
    case 'CreateSecret': {
      const name = String(params.Name ?? '');
      if (state.secrets.has(name)) return jsonError(res, 'ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      state.secrets.set(name, params.SecretString === undefined ? undefined : String(params.SecretString));
      return jsonOk(res, { ARN: arnOf(name), Name: name, ...(params.SecretString !== undefined && { VersionId: 'v-stub' }) });
    }
    case 'DescribeSecret':
      if (!state.secrets.has(id)) return jsonError(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return jsonOk(res, { ARN: id, Name: id, ...(state.secrets.get(id) !== undefined && { VersionIdsToStages: { 'v-stub': ['AWSCURRENT'] } }) });
    case 'GetSecretValue': {
      const value = state.secrets.get(id);
      if (value === undefined) return jsonError(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
      return jsonOk(res, { ARN: id, Name: id, SecretString: value });
    }
    case 'DescribeServices': {
      const services = (params.services as string[]).map((name) => ({ serviceName: name, ...state.services.get(name) })).filter((s) => s.runningCount !== undefined);
      return jsonOk(res, { services, failures: [] });
    }
    default:
      return jsonError(res, 'UnknownOperationException', `stub does not implement ${action}`);
  }
}

/** A secret's ARN as Secrets Manager forms it: the name and six random characters. */
function arnOf(id: string): string {
  return id.startsWith('arn:') ? id : `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`;
}

function jsonOk(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

function jsonError(res: ServerResponse, type: string, message: string): void {
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, message }));
}

function queryError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>stub</RequestId></ErrorResponse>`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
