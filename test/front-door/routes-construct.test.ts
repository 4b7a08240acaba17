import { type App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RETURN_ORDER_ROUTES } from '../../examples/return-orders/routes';
import { policyFor } from '../../lambdas/core/auth/policy';
import { routeDenials, type RouteRoles } from '../../lambdas/core/auth/route-policy';
import { parseRouteRoles } from '../../lambdas/runtime/route-roles';
import { KeygateStack } from '../../lib/keygate-stack';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import { testApp } from '../support/cdk';

type Resource = { Type: string; Properties: Record<string, any> };

let app: App;
let stack: KeygateStack;
let template: Template;

beforeAll(() => {
  app = testApp();
  stack = new KeygateStack(app, 'Orders', { settings: DEFAULT_SETTINGS });
  for (const route of RETURN_ORDER_ROUTES) stack.addRoute(route);
  template = Template.fromStack(stack);
});

const functions = (): Resource[] => Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];

describe('addRoute', () => {
  it('puts every route behind the keys-only key authorizer with apiKeyRequired', () => {
    const [returns] = Object.keys(
      template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'returns' } }),
    );
    const [id] = Object.keys(
      template.findResources('AWS::ApiGateway::Resource', {
        Properties: { PathPart: '{id}', ParentId: { Ref: returns } },
      }),
    );
    // the keys-only authorizer: a session token never passes a route of your own.
    const [authorizerId] = Object.keys(template.findResources('AWS::ApiGateway::Authorizer')).filter((id) =>
      id.includes('KeysOnly'),
    );
    expect(authorizerId).toBeDefined();
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as Resource[];
    const ours = methods.filter((m) => [returns, id].includes(m.Properties.ResourceId.Ref));
    expect(ours.map((m) => m.Properties.HttpMethod).sort()).toEqual(['DELETE', 'GET', 'POST']);
    for (const method of ours) {
      expect(method.Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        ApiKeyRequired: true,
        AuthorizerId: { Ref: authorizerId },
      });
      expect(method.Properties.Integration.Type).toBe('AWS_PROXY');
    }
  });

  it("builds one keygate function per entry, with the key table's name", () => {
    const route = functions().filter((fn) => fn.Properties.Description === 'keygate route: return-orders');
    expect(route).toHaveLength(1);
    expect(route[0].Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(route[0].Properties.Environment.Variables.TABLE_NAME).toBeDefined();
  });

  it("hands the routes' role rules to the authorizer", () => {
    const authorizer = functions().find((fn) => fn.Properties.Environment?.Variables?.ACCEPT_BARE_KEYS !== undefined);
    const rules = parseRouteRoles(JSON.parse(authorizer?.Properties.Environment.Variables.ROUTE_ROLES));
    expect(rules).toEqual([
      { method: 'POST', path: '/v1/returns', roles: ['owner', 'admin', 'developer', 'operator'] },
      { method: 'DELETE', path: '/v1/returns/{id}', roles: ['owner', 'admin'] },
    ]);
  });

  it('is cdk-nag clean without acknowledgements from the caller', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`),
    ).toEqual([]);
  });

  it.each([
    ['a keygate path', { method: 'GET', path: '/v1/keys/{id}/extra' }, /belongs to keygate's own API/],
    ['the audit trail', { method: 'GET', path: '/v1/events/{id}' }, /\/v1\/events belongs to keygate's own API/],
    ['the leak alerts', { method: 'POST', path: '/v1/leaks/other' }, /\/v1\/leaks belongs to keygate's own API/],
    ['the OpenAPI document', { method: 'GET', path: '/openapi.json' }, /belongs to keygate's own API/],
    ['an unknown role', { method: 'GET', path: '/v1/things', roles: ['root'] }, /roles must be a non-empty list/],
    ['no roles', { method: 'GET', path: '/v1/things', roles: [] }, /roles must be a non-empty list/],
    ['a bad method', { method: 'HEAD', path: '/v1/things' }, /method must be one of/],
    ['a bad path', { method: 'GET', path: 'v1/things' }, /path must be like/],
  ])('refuses %s', (_label, route, message) => {
    // validation comes first, so a refused route adds nothing to the stack.
    expect(() => stack.addRoute({ entry: RETURN_ORDER_ROUTES[0].entry, ...(route as any) })).toThrow(message);
  });
});

describe('route roles in the policy', () => {
  const rules: RouteRoles[] = [
    { method: 'DELETE', path: '/v1/orders/{id}', roles: ['owner', 'admin'] },
    { method: 'POST', path: '/v1/orders', roles: ['owner', 'admin', 'developer'] },
  ];
  const arn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/orders/1';

  it('denies a route to every role not listed, with parameters as wildcards', () => {
    expect(routeDenials(rules, 'read_only')).toEqual(['DELETE/v1/orders/*', 'POST/v1/orders']);
    expect(routeDenials(rules, 'developer')).toEqual(['DELETE/v1/orders/*']);
    expect(routeDenials(rules, 'owner')).toEqual([]);
  });

  it('puts the Deny statements in the one cached policy next to the whole-API Allow', () => {
    const policy = policyFor(arn, 'developer', 'live', rules);
    expect(policy.Statement[0]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: ['arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*'],
    });
    expect(policy.Statement[1].Effect).toBe('Deny');
    expect(policy.Statement[1].Resource).toContain(
      'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/DELETE/v1/orders/*',
    );
    expect(policy.Statement[1].Resource).not.toContain(
      'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/orders',
    );
  });

  it('fails the authorizer at load on a rule it cannot read', () => {
    expect(() => parseRouteRoles({})).toThrow(/JSON list/);
    expect(() => parseRouteRoles([{ method: 'GET', path: '/v1/x', roles: ['nobody'] }])).toThrow(/roles must be/);
  });
});
