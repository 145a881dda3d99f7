import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { Command } from 'commander';
import { DEFAULT_CALL_RETENTION_DAYS } from '../core/runtime/contract';
import { CallHistoryStore } from '../core/store/call-history-store';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { NumbersStore } from '../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../core/store/tables';
import { findSwitchboardStacks, readStackOutputs, type StackOutputs } from './deployed-stack';
import { CliError, EXIT } from './errors';

export interface DataOptions {
  endpoint?: string;
  stack?: string;
}

export interface DataTarget {
  numbers: NumbersStore;
  calls: CallHistoryStore;
  /** Where the data lives, for messages. */
  description: string;
  /** The deployed stack's outputs, when `--stack` was given. */
  stack?: StackOutputs;
  /** The local DynamoDB's URL, otherwise. */
  endpoint?: string;
}

/**
 * Where data commands read and write: a deployed stack (`--stack`, tables from its outputs) or a
 * local DynamoDB (`--endpoint`, or the standard `AWS_ENDPOINT_URL_DYNAMODB`) with the fixed
 * local table names.
 */
export async function resolveDataTarget(opts: DataOptions, env: NodeJS.ProcessEnv = process.env): Promise<DataTarget> {
  if (opts.stack) {
    const stack = await readStackOutputs(new CloudFormationClient({}), opts.stack);
    const db = createDocumentClient();
    return {
      numbers: new NumbersStore(db, stack.numbersTable),
      calls: new CallHistoryStore(db, { calls: stack.callsTable, entries: stack.callEntriesTable }, stack.callRetentionDays ?? DEFAULT_CALL_RETENTION_DAYS),
      description: `stack ${stack.stackName}`,
      stack,
    };
  }
  const [source, value] = opts.endpoint ? ['--endpoint', opts.endpoint] : ['AWS_ENDPOINT_URL_DYNAMODB', env.AWS_ENDPOINT_URL_DYNAMODB];
  const endpoint = value ? endpointUrl(source, value) : undefined;
  if (endpoint) {
    const db = createDocumentClient({ endpoint });
    return {
      numbers: new NumbersStore(db, LOCAL_TABLE_NAMES.numbers),
      calls: new CallHistoryStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS),
      description: endpoint,
      endpoint,
    };
  }
  throw new CliError(await whatToPass(), EXIT.usage);
}

/** The endpoint, checked here: the SDK would only say "Invalid URL", naming neither the option nor the value. */
function endpointUrl(source: string, value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new CliError(`${source} "${value}" is not a URL: expected http://<host>:<port> or https://<host>, e.g. http://127.0.0.1:8000 while \`switchboard dev\` runs`, EXIT.usage);
  }
  return value;
}

async function whatToPass(): Promise<string> {
  const local = 'or --endpoint <url> for a local DynamoDB (e.g. http://127.0.0.1:8000 while `switchboard dev` runs)';
  try {
    const stacks = await findSwitchboardStacks(new CloudFormationClient({}));
    if (stacks.length > 0) return `say which Switchboard to use: --stack <name> (found: ${stacks.join(', ')}), ${local}`;
    return `no Switchboard stack found in this AWS region: deploy one (npx cdk deploy --all) and pass --stack <name>, ${local}`;
  } catch {
    return `say which Switchboard to use: --stack <name> for a deployed stack, ${local}`;
  }
}

/** Adds the options every data command takes: where the data is. */
export function withDataOptions(command: Command): Command {
  return command
    .option('--stack <name>', 'a deployed Switchboard stack (name or stage); uses AWS_REGION / AWS_PROFILE')
    .option('--endpoint <url>', 'a local DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB)');
}
