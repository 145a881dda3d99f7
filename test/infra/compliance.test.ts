import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addComplianceChecks } from '../../lib/switchboard-app';
import { buildApp } from './app';

type Acknowledgement = { id: string; reason: string };

describe.each([
  ['dev defaults', {}],
  ['prod with NAT, alarm email and project id', { stage: 'prod', networking: 'nat', alarmEmail: 'ops@example.com', openAiProjectId: 'proj_abc123' }],
])('cdk-nag AwsSolutions over the whole app (%s)', (_, context) => {
  const built = buildApp(context);
  addComplianceChecks(built.app);
  // Synthesis runs the pack as a validation plugin and fails on any unacknowledged finding.
  const assembly = built.app.synth();

  it('has no unacknowledged finding, error or warning', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('writes every acknowledgement, with its reason, into the templates', () => {
    const acknowledged: Acknowledgement[] = [];
    for (const stack of [built.data, built.calls]) {
      const template = assembly.getStackArtifact(stack.artifactId).template as { Resources: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: Acknowledgement[] } } }> };
      for (const resource of Object.values(template.Resources)) acknowledged.push(...(resource.Metadata?.cdk_nag?.rules_to_suppress ?? []));
    }
    const ours = acknowledged.filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(new Set(ours.map((a) => a.id.replace(/\[.*\]$/, '')))).toEqual(new Set(['AwsSolutions-SMG4', 'AwsSolutions-APIG4', 'AwsSolutions-ECS2', 'AwsSolutions-IAM5']));
    for (const { reason } of ours) expect(reason.length).toBeGreaterThan(80);
  });

  it('acknowledges wildcards one resource at a time, never the whole rule', () => {
    const ids = new Set<string>();
    for (const stack of [built.data, built.calls]) {
      for (const construct of stack.node.findAll()) {
        for (const entry of construct.node.metadata) {
          if (entry.type === 'aws:cdk:acknowledged-rules') for (const id of Object.keys(entry.data as object)) ids.add(id.replace(/^annotation::/i, ''));
        }
      }
    }
    const iam5 = [...ids].filter((id) => id.startsWith('AwsSolutions-IAM5'));
    expect(iam5.sort()).toEqual([
      `AwsSolutions-IAM5[Resource::*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/${built.data.stackName}:CallsTableName/index/*]`,
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task\/<CallWorkersCluster[0-9A-F]+>\/\*\]$/),
    ]);
    expect(Stack.of(built.calls).stackName).toBe(`Switchboard-${built.settings.stage}-Calls`);
  });
});
