#!/usr/bin/env node
/**
 * The Switchboard CDK app. The only place that reads context: settings come from `cdk.json`
 * "context" and `-c key=value`, are validated by lib/settings.ts, and reach the stacks as typed
 * props. Stacks are environment-agnostic: `cdk deploy` deploys into the account and region of
 * your AWS credentials (AWS_PROFILE / AWS_REGION).
 */
import { App } from 'aws-cdk-lib';
import { parseSettings, SETTING_KEYS, SettingsError } from '../lib/settings';
import { addComplianceChecks, addSwitchboard } from '../lib/switchboard-app';

const app = new App();

const context: Record<string, unknown> = {};
for (const key of SETTING_KEYS) context[key] = app.node.tryGetContext(key);

try {
  const settings = parseSettings(context);
  addSwitchboard(app, settings);
  addComplianceChecks(app);
} catch (error) {
  if (error instanceof SettingsError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
