import type { App } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RETURN_ORDER_ROUTES } from '../../examples/return-orders/routes';
import { mintKey } from '../../lambdas/core/keys/format';
import { mintSessionToken } from '../../lambdas/core/sessions/token';
import { KeygateStack } from '../../lib/keygate-stack';
import { settingsFromContext } from '../../lib/settings';
import { testApp } from '../support/cdk';

/**
 * A session's Allow is cached per token and matches by IAM pattern: on an authorizer that also
 * guards the front door (`ANY /{proxy+}`, which API Gateway routes every unmatched path to) or a
 * route of your own, it would reach them. So those methods, and every other API, have a keys-only
 * authorizer of their own (its own function and cache), and keygate's routes keep the other.
 */
type Resource = { Type: string; Properties: Record<string, any> };

const session = mintSessionToken().plaintext;
const key = mintKey('sk', 'live').plaintext;

function build(context: Record<string, unknown>) {
  const app: App = testApp({ 'keygate:upstreamUrl': 'https://posts.example.com', ...context });
  const stack = new KeygateStack(app, 'KeysOnly', { settings: settingsFromContext(app.node) });
  for (const route of RETURN_ORDER_ROUTES) stack.addRoute(route);
  const template = Template.fromStack(stack);
  const resources = (type: string) => Object.entries(template.findResources(type)) as [string, Resource][];
  const functionOf = (authorizerId: string): Resource => {
    const authorizer = resources('AWS::ApiGateway::Authorizer').find(([id]) => id === authorizerId)![1];
    const uri = JSON.stringify(authorizer.Properties.AuthorizerUri);
    const fn = resources('AWS::Lambda::Function').find(([id]) => uri.includes(`"${id}"`));
    return fn![1];
  };
  const authorizerOf = (authorizerId: string): Resource =>
    resources('AWS::ApiGateway::Authorizer').find(([id]) => id === authorizerId)![1];
  const pathOf = (resourceId: string | undefined): string => {
    if (resourceId === undefined) return '';
    const resource = resources('AWS::ApiGateway::Resource').find(([id]) => id === resourceId)![1];
    return `${pathOf(resource.Properties.ParentId.Ref)}/${resource.Properties.PathPart}`;
  };
  const methods = resources('AWS::ApiGateway::Method')
    .map(([, m]) => m.Properties)
    .filter((m) => m.AuthorizationType === 'CUSTOM')
    .map((m) => ({
      route: `${m.HttpMethod} ${pathOf(m.ResourceId.Ref) || '/'}`,
      authorizerId: m.AuthorizerId.Ref as string,
      http: m.Integration?.Type === 'HTTP_PROXY',
    }));
  return { app, stack, template, methods, functionOf, authorizerOf };
}

/** Whether an authorizer (its validation and its function's setting) takes session tokens. */
function takesSessions(authorizer: Resource, fn: Resource): boolean {
  const expression = new RegExp(authorizer.Properties.IdentityValidationExpression);
  expect(expression.test(`Bearer ${key}`)).toBe(true);
  const bySetting = fn.Properties.Environment.Variables.ACCEPT_SESSIONS === 'true';
  expect(expression.test(`Bearer ${session}`)).toBe(bySetting);
  expect(expression.test(session)).toBe(bySetting);
  return bySetting;
}

describe.each([
  ['on keygate’s own API', {}],
  ['on the guarded API (keygate:gatewayAnswers)', { 'keygate:gatewayAnswers': JSON.stringify({}) }],
])('the keys-only authorizer, %s', (_where, context) => {
  const built = build(context);
  const frontDoor = built.methods.filter((m) => m.http);
  const ownRoutes = built.methods.filter((m) => /^(GET|POST|PUT|PATCH|DELETE) \/v1\/returns/.test(m.route));
  const keygate = built.methods.filter((m) => /^\w+ \/v1\/(keys|panel|usage|events|session|me)/.test(m.route));

  it('guards the front door and every addRoute route, and refuses session tokens', () => {
    expect(frontDoor.map((m) => m.route).sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
    expect(ownRoutes.length).toBe(3);
    for (const method of [...frontDoor, ...ownRoutes]) {
      const fn = built.functionOf(method.authorizerId);
      expect([method.route, takesSessions(built.authorizerOf(method.authorizerId), fn)]).toEqual([method.route, false]);
      expect(fn.Properties.Description).toMatch(/keys only/);
    }
  });

  it("leaves keygate's own routes on the authorizer that takes sessions", () => {
    expect(keygate.length).toBeGreaterThan(10);
    for (const method of keygate) {
      const fn = built.functionOf(method.authorizerId);
      expect([method.route, takesSessions(built.authorizerOf(method.authorizerId), fn)]).toEqual([method.route, true]);
    }
    const own = new Set(keygate.map((m) => m.authorizerId));
    const keysOnly = new Set([...frontDoor, ...ownRoutes].map((m) => m.authorizerId));
    expect(own.size).toBe(1);
    expect(keysOnly.size).toBe(1);
    expect([...own][0]).not.toBe([...keysOnly][0]);
  });

  it('gives both functions the same settings, but for sessions, and the same cache TTL to both authorizers', () => {
    const own = built.functionOf(keygate[0]!.authorizerId).Properties.Environment.Variables;
    const keysOnly = built.functionOf(frontDoor[0]!.authorizerId).Properties.Environment.Variables;
    const { ACCEPT_SESSIONS: ownSessions, ...ownRest } = own;
    const { ACCEPT_SESSIONS: keysOnlySessions, DENY_SUSPENDED_API_ID: _deny, ...keysOnlyRest } = keysOnly;
    expect([ownSessions, keysOnlySessions]).toEqual(['true', 'false']);
    expect(keysOnlyRest).toEqual(ownRest);
    const ttl = (id: string) => built.authorizerOf(id).Properties.AuthorizerResultTtlInSeconds;
    expect(ttl(frontDoor[0]!.authorizerId)).toBe(ttl(keygate[0]!.authorizerId));
  });

  it('is cdk-nag clean', () => {
    const report = new AwsSolutionsChecks(built.app).validateScope(built.app);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`),
    ).toEqual([]);
  });
});

describe('another API of yours', () => {
  it('gets the keys-only authorizer', () => {
    const app = testApp();
    const stack = new KeygateStack(app, 'Other', { settings: settingsFromContext(app.node) });
    const other = new apigateway.RestApi(stack, 'Shipments', { cloudWatchRole: false });
    const authorizer = stack.keygate.keyAuthorizer.keysOnlyAuthorizerFor(other);
    other.root.addMethod('GET', new apigateway.MockIntegration(), {
      authorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
    });
    const cfn = stack.resolve((authorizer.node.defaultChild as apigateway.CfnAuthorizer).authorizerUri);
    expect(JSON.stringify(cfn)).toContain(
      stack.resolve(stack.keygate.keyAuthorizer.keysOnlyFunction.functionArn)['Fn::GetAtt'][0],
    );
    expect(stack.keygate.keyAuthorizer.keysOnlyAuthorizerFor(other)).toBe(authorizer);
  });
});
