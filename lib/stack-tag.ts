import { Aws, Tags, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The tag keygate puts on every API key and usage plan of a stack; its value is the stack's name prefix. */
export const STACK_TAG_KEY = 'keygate:stack';

/** The API Gateway collections a function may create tagged resources in: API keys, usage plans. */
export type TaggedCollection = 'apikeys' | 'usageplans';

/**
 * Tags the shared usage plans (CloudFormation's) like the run-time ones, so that every usage
 * plan of the stack, and every usage plan key under it (they inherit the plan's tags for IAM),
 * carries the stack's name.
 */
export function tagSharedPlans(plans: readonly apigateway.UsagePlan[], namePrefix: string): void {
  for (const plan of plans) Tags.of(plan).add(STACK_TAG_KEY, namePrefix);
}

/** An API Gateway control-plane ARN (`arn:<partition>:apigateway:<region>::<path>`). */
function controlPlaneArn(path: string): string {
  return `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${path}`;
}

/**
 * IAM statements that let a function create API keys or usage plans only tagged
 * `keygate:stack = <namePrefix>`, and with no other tag.
 *
 * The Service Authorization Reference ("Actions, resources, and condition keys for Amazon API
 * Gateway Management",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html)
 * maps `CreateApiKey` to both `apigateway:POST` and `apigateway:PUT`: POST on the collection
 * (`ApiKeys`, `UsagePlans`: `aws:RequestTag/${TagKey}` and `aws:TagKeys` apply), and PUT on the
 * `Tags` resource for the tags the create carries. That `Tags` resource has no
 * `aws:ResourceTag` key, so a PUT on `/tags/*` would let the function re-tag another stack's key
 * and then delete it. While the new resource has no id yet, its tags resource is named with a
 * `*` in the id's place (`/tags/arn%3A…%3A%2Fapikeys%2F*`), so the PUT is allowed on exactly
 * that name: IAM's `${*}` is a literal `*`, not a wildcard
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html), and no
 * existing key or plan matches it.
 */
export function createTaggedStatements(
  namePrefix: string,
  collections: readonly TaggedCollection[],
): iam.PolicyStatement[] {
  const conditions = {
    StringEquals: { [`aws:RequestTag/${STACK_TAG_KEY}`]: namePrefix },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [STACK_TAG_KEY] },
  };
  const newResourceTags = (collection: TaggedCollection): string =>
    controlPlaneArn(`/tags/arn%3A${Aws.PARTITION}%3Aapigateway%3A${Aws.REGION}%3A%3A%2F${collection}%2F\${*}`);
  return [
    new iam.PolicyStatement({
      actions: ['apigateway:POST'],
      resources: collections.map((collection) => controlPlaneArn(`/${collection}`)),
      conditions,
    }),
    new iam.PolicyStatement({
      actions: ['apigateway:PUT'],
      resources: collections.map(newResourceTags),
      conditions,
    }),
  ];
}

/**
 * The Deny that keeps a function to its own stack's API keys and usage plans: no `POST` (attach
 * a key to a plan), `PATCH` or `DELETE` on an API key, usage plan or usage plan key that lacks
 * `keygate:stack = <namePrefix>`. API keys, usage plans and usage plan keys have the
 * `aws:ResourceTag/${TagKey}` condition key (usage plan keys answer with their plan's tags); an
 * untagged one lacks the tag as well (`StringNotEquals` matches a missing key), so it is denied
 * too. The collections (`/apikeys`, `/usageplans`), where creating happens, are not matched by
 * `/apikeys/*` nor `/usageplans/*`.
 */
export function otherStacksDeny(namePrefix: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    actions: ['apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE'],
    resources: [controlPlaneArn('/apikeys/*'), controlPlaneArn('/usageplans/*')],
    conditions: { StringNotEquals: { [`aws:ResourceTag/${STACK_TAG_KEY}`]: namePrefix } },
  });
}

/**
 * Adds {@link createTaggedStatements} for `collections` and {@link otherStacksDeny} to a
 * function's role, with the cdk-nag acknowledgement of the tags resources' literal `*`.
 */
export function guardStackResources(
  fn: iam.IGrantable & { addToRolePolicy(statement: iam.PolicyStatement): void; role?: iam.IRole },
  namePrefix: string,
  collections: readonly TaggedCollection[],
): void {
  if (collections.length > 0) {
    for (const statement of createTaggedStatements(namePrefix, collections)) fn.addToRolePolicy(statement);
  }
  fn.addToRolePolicy(otherStacksDeny(namePrefix));
  if (fn.role !== undefined && collections.length > 0) {
    // cdk-nag names the policy variable `${*}` as `<*>`.
    Validations.of(fn.role).acknowledge(
      ...collections.map((collection) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/tags/arn%3A<AWS::Partition>%3Aapigateway%3A<AWS::Region>%3A%3A%2F${collection}%2F<*>]`,
        reason:
          "tagging on create is authorized on the new resource's tags, named with a * for its id; ${*} is IAM's literal *, " +
          "not a wildcard, and the condition allows only the keygate:stack tag with this stack's name",
      })),
    );
  }
}
