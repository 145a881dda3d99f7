import { readFileSync } from 'node:fs';
import {
  type Acknowledgment,
  App,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
// The function cdk-nag itself uses to name a finding's resource ("Resource::<...>"); not part of its
// index, so imported by path. If a cdk-nag upgrade moves it, the compliance test fails loudly.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

/**
 * The id of cdk-nag's AwsSolutions-IAM5 finding for a wildcard resource ARN, exactly as cdk-nag
 * renders it, so an acknowledgement names the one ARN it accepts rather than the whole rule.
 * The ARN must be resolvable where `scope` lives (same-stack attributes or explicit imports).
 */
export function wildcardResourceFinding(scope: IConstruct, resourceArn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resourceArn))}]`;
}

/**
 * cdk-nag's AwsSolutions pack over the synthesized templates as CloudFormation deploys them, as a
 * validation plugin (synthesis fails on a finding). The construct check (`AwsSolutionsChecks` on
 * the app) only sees resources as the construct tree holds them: CDK's own singleton providers
 * (e.g. `Custom::VpcRestrictDefaultSGCustomResourceProvider`) create their role and function as
 * raw `CfnResource`s, which cdk-nag's rules (written against `CfnRole`, `CfnFunction`, ...) skip.
 * Each template is loaded with `CfnInclude`, which turns every resource into its L1 class, and
 * checked again ("Using on CloudFormation templates", cdk-nag README:
 * https://github.com/cdklabs/cdk-nag#using-on-cloudformation-templates).
 *
 * A finding counts as acknowledged when the template itself carries the acknowledgement on that
 * resource (`Metadata.cdk_nag.rules_to_suppress`), so what is checked is exactly what is deployed,
 * audit trail included. Those entries are written by `AwsSolutionsChecks(app, {
 * writeSuppressionsToCloudFormation: true })`, so register the two together (addComplianceChecks
 * in lib/switchboard-app.ts does).
 */
export class DeployedTemplateChecks implements IPolicyValidationPlugin {
  public readonly name = 'AwsSolutions-AsDeployed';

  constructor(private readonly options: { verbose?: boolean } = {}) {}

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = context.templatePaths.flatMap((templatePath) => checkDeployedTemplate(templatePath, this.options));
    return { success: violations.length === 0, violations };
  }
}

/** The unacknowledged AwsSolutions findings in one synthesized template, by logical ID. */
export function checkDeployedTemplate(templatePath: string, options: { verbose?: boolean } = {}): PolicyViolation[] {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
    Resources?: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress?: Acknowledgment[] } } }>;
  };
  const stack = new Stack(new App({ autoSynth: false }), 'Deployed');
  const included = new CfnInclude(stack, 'Template', { templateFile: templatePath });
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    // An id may carry a plugin prefix (`AwsSolutions-AsDeployed::AwsSolutions-IAM4[...]`, as
    // CDK's report suggests); cdk-nag matches the bare rule id.
    const acknowledged = (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((a) => ({ ...a, id: a.id.replace(/^[\w-]+::/, '') }));
    if (acknowledged.length > 0) Validations.of(included.getResource(logicalId)).acknowledge(...acknowledged);
  }
  const report = new AwsSolutionsChecks(undefined, { verbose: options.verbose ?? false }).validateScope(stack);
  return report.violations.map((violation) => ({
    ...violation,
    // Named by logical ID and template: CDK maps them back to the construct path in its report.
    violatingResources: violation.violatingResources.map((resource) => ({
      resourceLogicalId: resource.constructPath!.split('/').pop()!,
      templatePath,
      locations: resource.locations,
    })),
  }));
}
