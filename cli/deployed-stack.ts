import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { OUTPUTS } from '../core/runtime/contract';
import { stackNames, stageOfCallStack } from '../lib/settings';
import { CliError, EXIT } from './errors';

export interface StackOutputs {
  stackName: string;
  webhookUrl?: string;
  sipUri?: string;
  numbersTable: string;
  callsTable: string;
  callEntriesTable: string;
  callQueueUrl?: string;
  openAiApiKeySecretArn?: string;
  webhookSecretArn?: string;
  clusterName?: string;
  serviceName?: string;
  /** Absent from stacks deployed before HTTP tools. */
  toolSigningSecretArn?: string;
  toolSecretsPrefix?: string;
  /** Absent from stacks deployed before deliveries. */
  deliveryQueueUrl?: string;
  /** The monthly budget the alarm watches, when the stack sets one. */
  monthlyBudgetUsd?: number;
  /** Absent from stacks deployed before it was an output. */
  callRetentionDays?: number;
}

function outputsOf(stack: Stack): Record<string, string> {
  return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

function isSwitchboard(stack: Stack): boolean {
  const outputs = outputsOf(stack);
  return OUTPUTS.callsTable in outputs && OUTPUTS.numbersTable in outputs;
}

/** Names of the deployed Switchboard call stacks in the current region. */
export async function findSwitchboardStacks(cfn: CloudFormationClient): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cfn.send(new DescribeStacksCommand({ NextToken }));
    names.push(...(page.Stacks ?? []).filter(isSwitchboard).map((s) => s.StackName ?? ''));
    NextToken = page.NextToken;
  } while (NextToken);
  return names.sort();
}

/**
 * Reads a deployed stack's outputs, fresh on every run. `name` may be the stack name or just
 * the stage (`prod` -> `Switchboard-prod-Calls`).
 */
export async function readStackOutputs(cfn: CloudFormationClient, name: string): Promise<StackOutputs> {
  const candidates = /^[a-z][a-z0-9-]*$/.test(name) ? [name, stackNames(name).calls] : [name];
  let lastError: unknown;
  for (const StackName of candidates) {
    try {
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName }));
      const stack = Stacks?.[0];
      if (!stack) continue;
      if (!isSwitchboard(stack)) {
        throw new CliError(`stack ${StackName} is not a Switchboard call stack (it has no ${OUTPUTS.callsTable} output)`, EXIT.usage);
      }
      const o = outputsOf(stack);
      // A stack deployed before the call entries table is still found and named (isSwitchboard),
      // but has no table to read the calls' transcripts and actions from: say how to update it.
      if (!(OUTPUTS.callEntriesTable in o)) {
        const stage = stageOfCallStack(StackName);
        const deploy = `npx cdk deploy --all${stage ? ` -c stage=${stage}` : ''}`;
        throw new CliError(`stack ${StackName} predates call entries (it has no ${OUTPUTS.callEntriesTable} output): update it with \`${deploy}\` and the other -c values it was deployed with`, EXIT.usage);
      }
      return {
        stackName: StackName,
        webhookUrl: o[OUTPUTS.webhookUrl],
        sipUri: o[OUTPUTS.sipUri],
        numbersTable: o[OUTPUTS.numbersTable],
        callsTable: o[OUTPUTS.callsTable],
        callEntriesTable: o[OUTPUTS.callEntriesTable],
        callQueueUrl: o[OUTPUTS.callQueueUrl],
        openAiApiKeySecretArn: o[OUTPUTS.openAiApiKeySecretArn],
        webhookSecretArn: o[OUTPUTS.webhookSecretArn],
        clusterName: o[OUTPUTS.clusterName],
        serviceName: o[OUTPUTS.serviceName],
        toolSigningSecretArn: o[OUTPUTS.toolSigningSecretArn],
        toolSecretsPrefix: o[OUTPUTS.toolSecretsPrefix],
        deliveryQueueUrl: o[OUTPUTS.deliveryQueueUrl],
        ...(Number(o[OUTPUTS.monthlyBudgetUsd]) > 0 && { monthlyBudgetUsd: Number(o[OUTPUTS.monthlyBudgetUsd]) }),
        ...(Number(o[OUTPUTS.callRetentionDays]) > 0 && { callRetentionDays: Number(o[OUTPUTS.callRetentionDays]) }),
      };
    } catch (err) {
      if (err instanceof CliError) throw err;
      lastError = err;
      if (!((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message))) throw err;
    }
  }
  throw lastError;
}
