import { join } from 'node:path';
import { Stack, type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RETURN_ORDER_ROUTES } from '../../examples/return-orders/routes';
import { GATEWAY_ERRORS, type GatewayResponseType } from '../../lambdas/core/http/gateway-responses';
import { accessDeniedAnswer } from '../../lib/guarded-api';
import { KeygateStack } from '../../lib/keygate-stack';
import { gatewayErrorTemplate } from '../../lib/keygate-api';
import { settingsFromContext } from '../../lib/settings';
import { testApp } from '../support/cdk';
import { fences, ROOT } from '../docs/fences';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

/** Postiz's documented answers (its docs give no status for a missing subscription: 403). */
const POSTIZ = {
  unauthorized: { status: 401, body: { msg: 'Invalid API key' } },
  suspended: { status: 403, body: { msg: 'No subscription found' } },
  throttled: { status: 429, body: 'Too many requests' },
};

let app: App;
let stack: KeygateStack;
let template: Template;
let guardedId: string;
let keygateId: string;

beforeAll(() => {
  app = testApp({
    'keygate:gatewayAnswers': JSON.stringify(POSTIZ),
    'keygate:upstreamUrl': 'https://posts.example.com',
    'keygate:waf': true,
    'keygate:alarmEmail': 'ops@example.com',
  });
  stack = new KeygateStack(app, 'Keygate', { settings: settingsFromContext(app.node) });
  stack.addRoute(RETURN_ORDER_ROUTES[2]);
  template = Template.fromStack(stack);
  guardedId = idOf(stack.keygate.guarded!.api.node.defaultChild);
  keygateId = idOf(stack.keygate.api.node.defaultChild);
});

function idOf(element: unknown): string {
  return Stack.of(stack).getLogicalId(element as never);
}
function resources(type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}
/** The gateway response of `type` on the API with logical id `apiId`. */
function gatewayResponse(apiId: string, type: GatewayResponseType): Resource['Properties'] {
  const found = resources('AWS::ApiGateway::GatewayResponse')
    .map(([, r]) => r.Properties)
    .filter((p) => p.ResponseType === type && p.RestApiId.Ref === apiId);
  expect(found).toHaveLength(1);
  return found[0];
}
function stageOf(apiId: string): Resource['Properties'] {
  const found = resources('AWS::ApiGateway::Stage')
    .map(([, r]) => r.Properties)
    .filter((p) => p.RestApiId.Ref === apiId);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('keygate:gatewayAnswers on AWS', () => {
  it("puts the guarded routes on a REST API of their own, named after keygate's", () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Name: 'Keygate-guarded',
      ApiKeySourceType: 'AUTHORIZER',
    });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'Keygate', ApiKeySourceType: 'AUTHORIZER' });
  });

  it('answers a refused key, a Deny and the usage plan with the configured bodies and statuses, byte for byte', () => {
    expect(gatewayResponse(guardedId, 'UNAUTHORIZED')).toMatchObject({
      StatusCode: '401',
      ResponseTemplates: { 'application/json': '{"msg":"Invalid API key"}' },
    });
    // a suspended tenant's Deny and a route's Deny are one ACCESS_DENIED: forbidden is unset, so suspended's.
    expect(gatewayResponse(guardedId, 'ACCESS_DENIED')).toMatchObject({
      StatusCode: '403',
      ResponseTemplates: { 'application/json': '{"msg":"No subscription found"}' },
    });
    for (const type of ['THROTTLED', 'QUOTA_EXCEEDED'] as const) {
      expect(gatewayResponse(guardedId, type)).toMatchObject({
        StatusCode: '429',
        ResponseTemplates: { 'application/json': 'Too many requests' },
        ResponseParameters: { 'gatewayresponse.header.Retry-After': expect.any(String) },
      });
    }
  });

  it("answers what is not configured in keygate's own shape on the guarded API too", () => {
    expect(gatewayResponse(guardedId, 'MISSING_AUTHENTICATION_TOKEN')).toMatchObject({
      StatusCode: '404',
      ResponseTemplates: { 'application/json': gatewayErrorTemplate('MISSING_AUTHENTICATION_TOKEN') },
    });
  });

  it("keeps keygate's own answers on its /v1 API", () => {
    for (const type of Object.keys(GATEWAY_ERRORS) as GatewayResponseType[]) {
      expect(gatewayResponse(keygateId, type).ResponseTemplates).toEqual({
        'application/json': gatewayErrorTemplate(type),
      });
    }
    expect(gatewayResponse(keygateId, 'UNAUTHORIZED').StatusCode).toBe('401');
  });

  it('serves the front door and addRoute routes on the guarded API, and keygate’s routes on its own', () => {
    const methods = resources('AWS::ApiGateway::Method').map(([, r]) => r.Properties);
    const onGuarded = methods.filter((m) => m.RestApiId.Ref === guardedId);
    expect(onGuarded.map((m) => m.HttpMethod).sort()).toEqual(['ANY', 'ANY', 'DELETE']);
    for (const method of onGuarded) {
      expect(method).toMatchObject({ AuthorizationType: 'CUSTOM', ApiKeyRequired: true });
      expect(method.AuthorizerId.Ref).toBe(idOf(stack.keygate.guarded!.authorizer.node.defaultChild));
    }
    const onKeygate = methods.filter((m) => m.RestApiId.Ref === keygateId);
    expect(onKeygate.some((m) => m.Integration?.Type === 'HTTP_PROXY')).toBe(false);
    expect(onKeygate.length).toBeGreaterThan(10);
  });

  it('guards the guarded API with the keys-only function, the same identity source and cache TTL', () => {
    const authorizers = resources('AWS::ApiGateway::Authorizer').map(([, r]) => r.Properties);
    expect(authorizers).toHaveLength(2);
    expect(authorizers.map((a) => a.RestApiId.Ref).sort()).toEqual([guardedId, keygateId].sort());
    const same = ({ IdentitySource, AuthorizerResultTtlInSeconds, Type }: Record<string, unknown>) => ({
      IdentitySource,
      AuthorizerResultTtlInSeconds,
      Type,
    });
    const [first, second] = authorizers.map(same);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ Type: 'TOKEN', IdentitySource: 'method.request.header.Authorization' });
    const guarded = authorizers.find((a) => a.RestApiId.Ref === guardedId)!;
    expect(JSON.stringify(guarded.AuthorizerUri)).toContain('KeyAuthorizerKeysOnlyFunction');
  });

  it("tells the authorizer the guarded API is the one where a suspended tenant's key gets a Deny", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DENY_SUSPENDED_API_ID: { Ref: guardedId } }) },
    });
  });

  it("gives the guarded stage keygate's stage settings: JSON access log, logging, metrics, tracing, throttle", () => {
    const own = stageOf(keygateId);
    const guarded = stageOf(guardedId);
    expect(guarded.AccessLogSetting.Format).toBe(own.AccessLogSetting.Format);
    expect(guarded.AccessLogSetting.DestinationArn).not.toEqual(own.AccessLogSetting.DestinationArn);
    expect(guarded.TracingEnabled).toBe(own.TracingEnabled);
    expect(guarded.StageName).toBe(own.StageName);
    expect(guarded.MethodSettings).toEqual(own.MethodSettings);
  });

  it('binds every shared usage plan to both stages, and tells the functions to bind the plans they make', () => {
    const plans = resources('AWS::ApiGateway::UsagePlan');
    expect(plans).toHaveLength(3);
    for (const [, plan] of plans) {
      expect(plan.Properties.ApiStages.map((s: { ApiId: { Ref: string } }) => s.ApiId.Ref).sort()).toEqual(
        [guardedId, keygateId].sort(),
      );
    }
    const variables = resources('AWS::Lambda::Function')
      .map(([, r]) => r.Properties.Environment?.Variables?.USAGE_PLAN_STAGES)
      .filter((value) => value !== undefined);
    // keys, panel, leaks, notices, the reconciler ...: every management function.
    expect(variables.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(variables[0])).toContain(guardedId);
  });

  it("flushes the guarded stage's authorizer cache with keygate's, and may", () => {
    const flushStages = resources('AWS::Lambda::Function')
      .map(([, r]) => r.Properties.Environment?.Variables?.FLUSH_STAGES)
      .filter((value) => value !== undefined);
    expect(flushStages.length).toBeGreaterThan(0);
    for (const value of flushStages) {
      expect(JSON.stringify(value)).toContain(guardedId);
      expect(JSON.stringify(value)).toContain(keygateId);
    }
    const flushResources = JSON.stringify(
      resources('AWS::IAM::Policy').flatMap(([, r]) =>
        r.Properties.PolicyDocument.Statement.filter((s: { Action: unknown }) => s.Action === 'apigateway:DELETE'),
      ),
    );
    expect(flushResources).toContain(guardedId);
  });

  it("puts the guarded stage behind keygate's web ACL", () => {
    const associations = resources('AWS::WAFv2::WebACLAssociation').map(([, r]) => JSON.stringify(r.Properties));
    expect(associations).toHaveLength(2);
    expect(associations.some((a) => a.includes(guardedId))).toBe(true);
    template.resourceCountIs('AWS::WAFv2::WebACL', 1);
  });

  it("watches the guarded API's 5XX rate, and notifies the alarm topic", () => {
    const alarm = resources('AWS::CloudWatch::Alarm').find(([, r]) =>
      // api gateway's metrics name the API by its name.
      JSON.stringify(r.Properties.Metrics ?? []).includes('"Keygate-guarded"'),
    );
    expect(alarm).toBeDefined();
    expect(alarm![1].Properties.AlarmActions).toHaveLength(1);
  });

  it("deploys the guarded stage after the account's CloudWatch role, and sweeps before the stage goes", () => {
    const [stageId] = resources('AWS::ApiGateway::Stage').find(([, r]) => r.Properties.RestApiId.Ref === guardedId)!;
    const stage = template.toJSON().Resources[stageId] as Resource;
    expect(stage.DependsOn?.some((id) => id.includes('Account'))).toBe(true);
    const [, teardown] = resources('Custom::KeygateTeardown')[0];
    expect(teardown.DependsOn).toContain(stageId);
  });

  it("outputs the guarded API's URL and id", () => {
    template.hasOutput('GuardedApiUrl', Match.anyValue());
    template.hasOutput('GuardedRestApiId', { Value: { Ref: guardedId } });
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.locations ?? r.resourceLogicalId).join(',')}`,
      ),
    ).toEqual([]);
  });
});

describe("the Postiz seed page's settings, deployed", () => {
  it("synthesize, the guarded API answering Postiz's bodies with their statuses", () => {
    const context = fences(join(ROOT, 'docs', 'seeds', 'postiz.md'))
      .filter((fence) => fence.lang === 'json')
      .map((fence) => JSON.parse(fence.body) as Record<string, unknown>)
      .find((block) => Object.keys(block).every((key) => key.startsWith('keygate:')));
    expect(context?.['keygate:gatewayAnswers']).toBeDefined();
    const seed = testApp(context);
    const seedStack = new KeygateStack(seed, 'Postiz', { settings: settingsFromContext(seed.node) });
    const t = Template.fromStack(seedStack);
    const guarded = seedStack.getLogicalId(seedStack.keygate.guarded!.api.node.defaultChild as never);
    const answers = Object.values(t.findResources('AWS::ApiGateway::GatewayResponse'))
      .map((r) => r.Properties as Resource['Properties'])
      .filter((p) => p.RestApiId.Ref === guarded)
      .map((p) => [p.ResponseType, p.StatusCode, p.ResponseTemplates['application/json']]);
    expect(answers).toEqual(
      expect.arrayContaining([
        ['UNAUTHORIZED', '401', '{"msg":"Invalid API key"}'],
        ['ACCESS_DENIED', '403', '{"msg":"No subscription found"}'],
      ]),
    );
  });
});

describe('keygate:gatewayAnswers without WAF', () => {
  it('passes cdk-nag, the missing web ACL acknowledged as on keygate’s own API', () => {
    const bare = testApp({
      'keygate:gatewayAnswers': JSON.stringify(POSTIZ),
      'keygate:upstreamUrl': 'https://posts.example.com',
    });
    new KeygateStack(bare, 'Keygate', { settings: settingsFromContext(bare.node) });
    const report = new AwsSolutionsChecks(bare).validateScope(bare);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('without keygate:gatewayAnswers', () => {
  it('keeps one REST API, and the functions as they were', () => {
    const plain = testApp({ 'keygate:upstreamUrl': 'https://posts.example.com' });
    const t = Template.fromStack(new KeygateStack(plain, 'Keygate', { settings: settingsFromContext(plain.node) }));
    t.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    const variables = JSON.stringify(t.findResources('AWS::Lambda::Function'));
    expect(variables).not.toContain('DENY_SUSPENDED_API_ID');
    expect(variables).not.toContain('USAGE_PLAN_STAGES');
    expect(Object.keys(t.toJSON().Outputs)).not.toContain('GuardedApiUrl');
  });
});

describe("ACCESS_DENIED's one answer", () => {
  const forbidden = { status: 403, body: '{"msg":"Forbidden"}' };
  const suspended = { status: 403, body: '{"msg":"No subscription found"}' };

  it('is forbidden’s when set, else suspended’s, else keygate’s own', () => {
    expect(accessDeniedAnswer({ forbidden })).toBe(forbidden);
    expect(accessDeniedAnswer({ suspended })).toBe(suspended);
    expect(accessDeniedAnswer({ forbidden, suspended: { ...forbidden } })).toBe(forbidden);
    expect(accessDeniedAnswer({})).toBeUndefined();
  });

  it('refuses forbidden and suspended with different bodies, which API Gateway cannot tell apart', () => {
    expect(() => accessDeniedAnswer({ forbidden, suspended })).toThrow(
      /on AWS, forbidden and suspended must have the same body: API Gateway answers a Deny/,
    );
    const app2 = testApp({ 'keygate:gatewayAnswers': JSON.stringify({ forbidden, suspended }) });
    expect(() => new KeygateStack(app2, 'Keygate', { settings: settingsFromContext(app2.node) })).toThrow(
      /forbidden and suspended must have the same body/,
    );
  });
});
