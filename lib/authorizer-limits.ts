import { policyFor } from '../lambdas/core/auth/policy';
import type { RouteRoles } from '../lambdas/core/auth/route-policy';
import { MAX_SCOPES, MAX_SCOPE_PATH_LENGTH, parseScopes, type Scope } from '../lambdas/core/auth/scopes';
import {
  MAX_WORKSPACES,
  MAX_WORKSPACE_ID_LENGTH,
  MAX_WORKSPACE_SCOPE_PATHS,
  fixedRouteResources,
  workspaceDeeperDeny,
  type WorkspaceResources,
} from '../lambdas/core/auth/workspaces';
import { ENVIRONMENTS, ROLES } from '../lambdas/core/keys/format';
import { ENV } from '../lambdas/runtime/env-names';

/**
 * Lambda's limit on a function's environment variables, all of them together: 4 KB.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const ENVIRONMENT_LIMIT_BYTES = 4096;
/**
 * API Gateway's limit on what a Lambda authorizer returns (its policy, with the principal,
 * context and usage identifier): 8 KB.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
 */
export const AUTHORIZER_RESULT_LIMIT_BYTES = 8192;

/**
 * What a value known only at deploy time (a reference) is counted as: a DynamoDB table name, the
 * authorizer's one such value, is at most 255 characters.
 */
const UNRESOLVED_VALUE_BYTES = 256;
/** The longest stage name API Gateway takes, for an authorizer not told its stages. */
export const LONGEST_STAGE_NAME = 128;

/**
 * The longest execute-api method ARN base: the longest partition and region names in use, an
 * account id and a REST API id.
 */
const arnOfStage = (stage: string) => `arn:aws-us-gov:execute-api:ap-southeast-5:123456789012:abcdefghij/${stage}`;

/** The size of a Lambda environment as JSON: names, values and quoting, a little above Lambda's own count. */
export function environmentBytes(variables: Readonly<Record<string, unknown>>): number {
  const sized = Object.entries(variables).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : 'x'.repeat(UNRESOLVED_VALUE_BYTES),
  ]);
  return Buffer.byteLength(JSON.stringify(Object.fromEntries(sized)));
}

/** {@link MAX_SCOPES} scopes at their longest: the most a scoped key's policy can carry. */
const LONGEST_SCOPES: readonly Scope[] = parseScopes(
  Array.from({ length: MAX_SCOPES }, (_, i) => `OPTIONS /${String(i).padEnd(MAX_SCOPE_PATH_LENGTH - 1, 'x')}`),
);

/**
 * The most a workspace rule at segment `n` adds to a policy, whatever the key: the fixed routes,
 * as many workspace paths as a scoped key may stand for, each as long as a scope can be with a
 * workspace id in it, and every other scope the key may carry (kept when a fixed route covers
 * it); a Deny per workspace.
 */
function largestWorkspaceResources(rules: readonly RouteRoles[], n: number): WorkspaceResources {
  const id = 'w'.repeat(MAX_WORKSPACE_ID_LENGTH);
  const longest = LONGEST_SCOPES[0].resource;
  const workspaces = Array.from({ length: MAX_WORKSPACES }, (_, i) => `${String(i)}${id}`.slice(0, id.length));
  return {
    allow: [
      ...fixedRouteResources(rules, n),
      ...Array.from({ length: MAX_WORKSPACE_SCOPE_PATHS }, () => `${longest}${id}`),
      // a scope that stands for workspace paths is not one of these: at most all the others.
      ...LONGEST_SCOPES.slice(1).map((scope) => scope.resource),
    ],
    deny: workspaces.map((workspace) => workspaceDeeperDeny(n, workspace)),
    workspaces,
  };
}

/**
 * The size of the largest answer the authorizer can return with these rules, over every role and
 * environment, on the longest of `stageNames`, with the principal, context and usage identifier
 * at their longest, and the key unscoped or carrying the most and longest scopes; with a
 * workspace segment, the most workspaces and workspace paths too.
 */
export function largestResultBytes(
  rules: readonly RouteRoles[],
  stageNames: readonly string[],
  workspaceSegment?: number,
): number {
  const workspaces = workspaceSegment === undefined ? undefined : largestWorkspaceResources(rules, workspaceSegment);
  const stage = stageNames.reduce((longest, name) => (name.length > longest.length ? name : longest), '');
  const methodArn = `${arnOfStage(stage)}/DELETE/v1/keys/x`;
  let largest = 0;
  for (const role of ROLES) {
    for (const environment of ENVIRONMENTS) {
      const answer = {
        principalId: `key_${'f'.repeat(24)}`,
        policyDocument: policyFor(methodArn, role, environment, rules, LONGEST_SCOPES, workspaces),
        context: {
          tenantId: 't'.repeat(64),
          keyId: `key_${'f'.repeat(24)}`,
          environment,
          role,
          plan: 'enterprise',
          scoped: 'true',
          ...(workspaces === undefined ? {} : { workspaces: workspaces.workspaces.join(',') }),
        },
        // an API Gateway API key value is at most 128 characters.
        usageIdentifierKey: 'k'.repeat(128),
      };
      largest = Math.max(largest, Buffer.byteLength(JSON.stringify(answer)));
    }
  }
  return largest;
}

/**
 * What is wrong with an authorizer's environment and route rules against Lambda's and API
 * Gateway's limits; empty when both fit. Checked at synthesis, so a route table too large fails
 * `cdk synth` with this message rather than `cdk deploy` (environment) or every request
 * (policy).
 */
export function authorizerLimitErrors(
  variables: Readonly<Record<string, unknown>>,
  rules: readonly RouteRoles[],
  stageNames: readonly string[],
  workspaceSegment?: number,
): string[] {
  const errors: string[] = [];
  const environment = environmentBytes(variables);
  const roleBytes = Buffer.byteLength(String(variables[ENV.routeRoles] ?? ''));
  if (environment > ENVIRONMENT_LIMIT_BYTES) {
    errors.push(
      `KeyAuthorizer: the route rules make the authorizer's environment ${environment} bytes of the ${ENVIRONMENT_LIMIT_BYTES} Lambda allows ` +
        `for all variables together (ROUTE_ROLES holds ${rules.length} rules in ${roleBytes} bytes); restrict fewer routes, ` +
        'or give routes that share roles a common path parameter',
    );
  }
  const result = largestResultBytes(rules, stageNames, workspaceSegment);
  if (result > AUTHORIZER_RESULT_LIMIT_BYTES) {
    errors.push(
      `KeyAuthorizer: the route rules make the policy the authorizer returns up to ${result} bytes of the ${AUTHORIZER_RESULT_LIMIT_BYTES} ` +
        `API Gateway allows (${rules.length} rules, stage names up to ${Math.max(0, ...stageNames.map((s) => s.length))} characters); ` +
        'restrict fewer routes, or use shorter stage names',
    );
  }
  return errors;
}
