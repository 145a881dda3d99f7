import { Stack } from 'aws-cdk-lib';
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
