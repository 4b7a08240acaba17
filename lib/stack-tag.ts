import { Aws, Tags, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The tag keygate puts on every API key and usage plan of a stack; its value is the stack's name prefix. */
export const STACK_TAG_KEY = 'keygate:stack';

/**
 * Tags the shared usage plans (CloudFormation's) like the run-time ones, so that every usage
 * plan of the stack, and every usage plan key under it (they inherit the plan's tags for IAM),
 * carries the stack's name.
 */
export function tagSharedPlans(plans: readonly apigateway.UsagePlan[], namePrefix: string): void {
  for (const plan of plans) Tags.of(plan).add(STACK_TAG_KEY, namePrefix);
}

/**
 * IAM statements that keep a function that manages API keys or usage plans to its own stack's:
 *
 * - it may tag only with `keygate:stack = <namePrefix>` and no other key (`CreateApiKey` and
 *   `CreateUsagePlan` with tags are also authorized as `apigateway:PUT` on the tags resource);
 * - it may not delete, change or re-tag an API key, usage plan or usage plan key that another
 *   keygate stack tagged (`aws:ResourceTag`: API keys and usage plans are taggable in API
 *   Gateway's V1 API, and usage plan keys inherit their plan's tags for access control).
 *
 * The conditions are Denies on a *foreign* tag rather than Allows on our own: an Allow on
 * `aws:ResourceTag` would lock the functions out of the API keys created before keygate tagged
 * them (they carry no tag). Untagged resources named after the stack stay reachable, as before.
 */
export function stackTagStatements(namePrefix: string): iam.PolicyStatement[] {
  const arn = (path: string): string => `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${path}`;
  const tag = `aws:ResourceTag/${STACK_TAG_KEY}`;
  return [
    new iam.PolicyStatement({
      actions: ['apigateway:PUT'],
      resources: [arn('/tags/*')],
      conditions: {
        StringEquals: { [`aws:RequestTag/${STACK_TAG_KEY}`]: namePrefix },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [STACK_TAG_KEY] },
      },
    }),
    new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      actions: ['apigateway:DELETE', 'apigateway:PATCH', 'apigateway:PUT'],
      resources: [arn('/apikeys/*'), arn('/usageplans/*'), arn('/tags/*')],
      conditions: { Null: { [tag]: 'false' }, StringNotEquals: { [tag]: namePrefix } },
    }),
  ];
}

/** Adds {@link stackTagStatements} to a function's role, with the cdk-nag acknowledgement of its one wildcard. */
export function guardStackResources(
  fn: iam.IGrantable & { addToRolePolicy(statement: iam.PolicyStatement): void; role?: iam.IRole },
  namePrefix: string,
): void {
  for (const statement of stackTagStatements(namePrefix)) fn.addToRolePolicy(statement);
  if (fn.role !== undefined) {
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/tags/*]',
      reason:
        "tagging on create is authorized on the new resource, whose id is unknown; the condition allows only the keygate:stack tag with this stack's name",
    });
  }
}
