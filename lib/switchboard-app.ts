import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CallStack } from './call-stack';
import { DeployedTemplateChecks } from './nag';
import { isDevStage, sipUriFor, stackNames, type SwitchboardSettings, toolSecretsPrefix } from './settings';
import { StatefulStack } from './stateful-stack';

export interface SwitchboardStacks {
  readonly data: StatefulStack;
  readonly calls: CallStack;
}

/**
 * Adds Switchboard's two stacks to an app from validated settings. `bin/switchboard.ts` and the
 * infrastructure tests build the app through this one function, so the tests check what deploys.
 */
export function addSwitchboard(app: App, settings: SwitchboardSettings): SwitchboardStacks {
  const names = stackNames(settings.stage);
  const tags = { app: 'switchboard', stage: settings.stage };
  const dev = isDevStage(settings.stage);

  const data = new StatefulStack(app, names.data, {
    stackName: names.data,
    description: `Switchboard (${settings.stage}): numbers, calls and call entries tables, OpenAI secrets, tool signing secret`,
    tags,
    retainData: !dev,
    terminationProtection: !dev,
  });

  const calls = new CallStack(app, names.calls, {
    stackName: names.calls,
    description: `Switchboard (${settings.stage}): webhook receiver, call queue, call workers, call deliveries, dashboard and alarms`,
    tags,
    numbersTable: data.numbersTable,
    callsTable: data.callsTable,
    callEntriesTable: data.callEntriesTable,
    openAiApiKey: data.openAiApiKey,
    webhookSecret: data.webhookSecret,
    toolSigningSecret: data.toolSigningSecret,
    toolSecretsPrefix: toolSecretsPrefix(settings.stage),
    sipUri: sipUriFor(settings.openAiProjectId),
    callRetentionDays: settings.callRetentionDays,
    ...(settings.webhookReservedConcurrency !== 'none' && { webhookReservedConcurrency: settings.webhookReservedConcurrency }),
    retainLogs: !dev,
    networking: settings.networking,
    workerMinTasks: settings.workerMinTasks,
    workerMaxTasks: settings.workerMaxTasks,
    callsPerTask: settings.callsPerTask,
    ...(settings.alarmEmail && { alarmEmail: settings.alarmEmail }),
    ...(settings.notifyUrl && { defaultNotify: { url: settings.notifyUrl, ...(settings.notifyEvents && { events: settings.notifyEvents }) } }),
    ...(settings.monthlyBudgetUsd !== undefined && { monthlyBudgetUsd: settings.monthlyBudgetUsd }),
  });
  calls.addStackDependency(data, 'the call stack reads the tables and secrets');

  return { data, calls };
}

/**
 * cdk-nag's AwsSolutions pack over the whole app, as validation plugins: synthesis fails on any
 * finding not acknowledged in code (`Validations.of(construct).acknowledge({ id, reason })`). It
 * runs twice: over the constructs, and over the synthesized templates as deployed (lib/nag.ts
 * `DeployedTemplateChecks`), which also sees the resources CDK creates as raw CfnResources. The
 * acknowledgements are written into the templates' Metadata (`cdk_nag.rules_to_suppress`), where
 * the template check and other compliance tools read them.
 */
export function addComplianceChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true });
  Validations.of(app).addPlugins(checks, new DeployedTemplateChecks({ verbose: true }));
  return checks;
}
