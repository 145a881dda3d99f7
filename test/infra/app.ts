/**
 * Builds the Switchboard app the way bin/switchboard.ts does (same cdk.json context, feature flags
 * and settings parser, same composition function), for Template assertions.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../../cdk.json';
import { parseSettings, type SwitchboardSettings } from '../../lib/settings';
import { addSwitchboard, type SwitchboardStacks } from '../../lib/switchboard-app';

export interface BuiltApp extends SwitchboardStacks {
  readonly app: App;
  readonly settings: SwitchboardSettings;
  readonly dataTemplate: () => Template;
  readonly callsTemplate: () => Template;
}

/**
 * @param context settings as `-c key=value` would give them (strings) or cdk.json would (JSON)
 * @param options.bundle run esbuild for the webhook Lambda (about a second); off by default
 */
export function buildApp(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): BuiltApp {
  const merged = { ...cdkJson.context, ...context };
  const app = new App({
    context: { ...merged, ...(!options.bundle && { 'aws:cdk:bundling-stacks': [] }) },
  });
  const settings = parseSettings(merged);
  const stacks = addSwitchboard(app, settings);
  let data: Template | undefined;
  let calls: Template | undefined;
  return {
    app,
    settings,
    ...stacks,
    dataTemplate: () => (data ??= Template.fromStack(stacks.data)),
    callsTemplate: () => (calls ??= Template.fromStack(stacks.calls)),
  };
}

/** Logical IDs of a template's resources of one type whose ID starts with a prefix. */
export function logicalIds(template: Template, type: string, prefix = ''): string[] {
  return Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** The statements of the inline policies attached to roles whose logical ID starts with `rolePrefix`. */
export function statementsOfRole(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref.startsWith(rolePrefix)))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

export interface DashboardWidget {
  readonly title?: string;
  readonly metrics?: unknown[][];
  readonly annotations?: { horizontal?: { value: number; label?: string }[] };
  readonly yAxis?: { left?: { min?: number } };
}

/**
 * The widgets' properties of a template's one dashboard. The body is a Fn::Join of JSON text and
 * references (queue names, the region): each reference becomes `<logical ID>` inside its string,
 * and the JSON is read back.
 */
export function dashboardWidgets(template: Template): DashboardWidget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const join = dashboards[0]!.Properties.DashboardBody['Fn::Join'][1] as unknown[];
  const text = join.map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).match(/"(\w+)"/)![1]}>`)).join('');
  return (JSON.parse(text) as { widgets: { properties: DashboardWidget }[] }).widgets.map((w) => w.properties);
}
