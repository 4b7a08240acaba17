import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { policyFor } from '../../lambdas/core/auth/policy';
import type { RouteRoles } from '../../lambdas/core/auth/route-policy';
import { ROLES } from '../../lambdas/core/keys/format';
import { KeyAuthorizer } from '../../lib/key-authorizer';
import { KeyTable } from '../../lib/key-table';
import { testApp } from '../support/cdk';

/** `count` restricted routes of a typical size: a resource, its id, two roles. */
const routeTable = (count: number): RouteRoles[] =>
  Array.from({ length: count }, (_, i) => ({
    method: 'DELETE',
    path: `/v1/orders-${String(i).padStart(3, '0')}/{id}`,
    roles: ['owner', 'admin'],
  }));

/** A KeyAuthorizer with `rules`, synthesized: the template, or the error synthesis ends with. */
function synth(rules: readonly RouteRoles[], stageNames: readonly string[] = ['prod']) {
  const app = testApp();
  const stack = new Stack(app, 'Routes');
  const keys = new KeyAuthorizer(stack, 'Auth', { table: new KeyTable(stack, 'Keys'), stageNames });
  const api = new apigateway.RestApi(stack, 'Api', { deployOptions: { stageName: stageNames[0] } });
  api.root.addMethod('GET', new apigateway.MockIntegration(), { authorizer: keys.authorizer });
  for (const rule of rules) keys.restrictRoute(rule);
  try {
    return { template: Template.fromStack(stack) };
  } catch (error) {
    return { error: error as Error };
  }
}

/** The largest route table of `routeTable`'s rules that synthesizes (searched up to 400 rules). */
function largestSupported(stageNames: readonly string[] = ['prod']): number {
  let [fits, fails] = [0, 401];
  while (fails - fits > 1) {
    const count = Math.floor((fits + fails) / 2);
    if (synth(routeTable(count), stageNames).error === undefined) fits = count;
    else fails = count;
  }
  return fits;
}

// a table name is at most 255 characters; the template holds only a reference to it.
const TABLE_NAME = 'k'.repeat(255);

/** The authorizer's environment as Lambda would hold it, the table's name at its longest. */
function environmentBytes(template: Template): number {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function')) as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  }[];
  const variables = Object.entries(fn.Properties.Environment.Variables).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : TABLE_NAME,
  ]);
  return Buffer.byteLength(JSON.stringify(Object.fromEntries(variables)));
}

/** The largest policy the authorizer returns for these rules, for any role and environment. */
function largestPolicyBytes(rules: readonly RouteRoles[], stageName: string): number {
  const arn = `arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdefghij/${stageName}/GET/v1/me`;
  return Math.max(
    ...ROLES.flatMap((role) =>
      (['live', 'test'] as const).map((env) => Buffer.byteLength(JSON.stringify(policyFor(arn, role, env, rules)))),
    ),
  );
}

describe('route rules within the authorizer limits', () => {
  const largest = largestSupported();

  it('synthesizes the largest supported route table, within 4 KB of environment and 8 KB of policy', () => {
    // dozens of restricted routes, not a handful.
    expect(largest).toBeGreaterThanOrEqual(30);
    const { template } = synth(routeTable(largest));
    expect(environmentBytes(template!)).toBeLessThanOrEqual(4096);
    expect(largestPolicyBytes(routeTable(largest), 'prod')).toBeLessThanOrEqual(8192);
  });

  it('fails at synthesis, saying which limit and by how much, one rule past it', () => {
    const { error } = synth(routeTable(largest + 1));
    expect(error?.message).toMatch(
      /KeyAuthorizer: the route rules .*environment .* bytes of the 4096 Lambda allows .*\(ROUTE_ROLES holds \d+ rules in \d+ bytes\)/,
    );
  });

  it('fails on the policy first when the stage name is long, before API Gateway would', () => {
    const stage = 's'.repeat(128);
    const count = largestSupported([stage]);
    expect(largestPolicyBytes(routeTable(count), stage)).toBeLessThanOrEqual(8192);
    const { error } = synth(routeTable(count + 1), [stage]);
    expect(error?.message).toMatch(/KeyAuthorizer: the route rules make the policy .* bytes of the 8192/);
  });
});
