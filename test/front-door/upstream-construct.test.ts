import { type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_HEADERS, REDACTED_AUTHORIZATION, SECRET_HEADER } from '../../lambdas/core/http/upstream';
import { KeygateStack } from '../../lib/keygate-stack';
import { DEFAULT_SETTINGS, resolveSettings, settingsFromContext } from '../../lib/settings';
import { KeygateUpstream } from '../../lib/upstream';
import { testApp } from '../support/cdk';

type Resource = { Type: string; Properties: Record<string, any> };

let app: App;
let template: Template;

beforeAll(() => {
  app = testApp({ 'keygate:upstreamUrl': 'https://orders.example.com/api/' });
  const stack = new KeygateStack(app, 'Front', { settings: settingsFromContext(app.node) });
  template = Template.fromStack(stack);
});

function methods(): Resource[] {
  return Object.values(template.findResources('AWS::ApiGateway::Method')) as Resource[];
}
function upstreamMethods(): Resource[] {
  return methods().filter((m) => m.Properties.Integration?.Type === 'HTTP_PROXY');
}

describe('keygate:upstreamUrl', () => {
  it('adds ANY on the root and on a {proxy+} resource, both HTTP proxies to the upstream', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    const found = upstreamMethods();
    expect(found).toHaveLength(2);
    const uris = found.map((m) => m.Properties.Integration.Uri).sort();
    expect(uris).toEqual(['https://orders.example.com/api/', 'https://orders.example.com/api/{proxy}']);
    for (const method of found) {
      expect(method.Properties.HttpMethod).toBe('ANY');
      expect(method.Properties.Integration).toMatchObject({ IntegrationHttpMethod: 'ANY', TimeoutInMillis: 29000 });
    }
    const proxy = found.find((m) => m.Properties.Integration.Uri.endsWith('{proxy}'));
    expect(proxy?.Properties.RequestParameters).toEqual({ 'method.request.path.proxy': true });
    expect(proxy?.Properties.Integration.RequestParameters['integration.request.path.proxy']).toBe(
      'method.request.path.proxy',
    );
  });

  it('maps every context header from context.authorizer.* on both methods', () => {
    for (const method of upstreamMethods()) {
      const parameters = method.Properties.Integration.RequestParameters as Record<string, unknown>;
      expect(parameters).toMatchObject({
        'integration.request.header.x-keygate-tenant-id': 'context.authorizer.tenantId',
        'integration.request.header.x-keygate-key-id': 'context.authorizer.keyId',
        'integration.request.header.x-keygate-environment': 'context.authorizer.environment',
        'integration.request.header.x-keygate-role': 'context.authorizer.role',
        'integration.request.header.x-keygate-plan': 'context.authorizer.plan',
      });
      expect(Object.keys(CONTEXT_HEADERS)).toHaveLength(5);
    }
  });

  it('overwrites Authorization with a fixed word and never maps the method request Authorization', () => {
    for (const method of upstreamMethods()) {
      const parameters = method.Properties.Integration.RequestParameters as Record<string, unknown>;
      expect(parameters['integration.request.header.Authorization']).toBe(`'${REDACTED_AUTHORIZATION}'`);
      expect(JSON.stringify(parameters)).not.toContain('method.request.header');
    }
  });

  it('sends the secret header as a Secrets Manager dynamic reference, never a literal', () => {
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    expect(secretId).toBeDefined();
    for (const method of upstreamMethods()) {
      const value = method.Properties.Integration.RequestParameters[`integration.request.header.${SECRET_HEADER}`];
      expect(value).toEqual({
        'Fn::Join': ['', ["'{{resolve:secretsmanager:", { Ref: secretId }, ":SecretString:::}}'"]],
      });
    }
    template.hasOutput('UpstreamSecretArn', { Value: { Ref: secretId } });
  });

  it('puts every method of the API behind a key authorizer with apiKeyRequired, but the one GitHub signs', () => {
    const authorizerIds = Object.keys(template.findResources('AWS::ApiGateway::Authorizer'));
    // the front door's takes keys only; keygate's routes keep the one that takes sessions too.
    const keysOnly = authorizerIds.find((id) => id.includes('KeysOnly'));
    const own = authorizerIds.find((id) => !id.includes('KeysOnly'));
    expect(authorizerIds).toHaveLength(2);
    const open = methods().filter((method) => method.Properties.AuthorizationType === 'NONE');
    // POST /v1/leaks/github: GitHub signs its alerts and has no key; its handler checks the signature.
    expect(open.map((method) => method.Properties.HttpMethod)).toEqual(['POST']);
    for (const method of methods().filter((candidate) => !open.includes(candidate))) {
      const frontDoor = method.Properties.Integration?.Type === 'HTTP_PROXY';
      expect(method.Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        ApiKeyRequired: true,
        AuthorizerId: { Ref: frontDoor ? keysOnly : own },
      });
    }
  });

  it('passes bodies through byte for byte (every media type is binary)', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });

  it('answers an unreachable upstream 502 bad_gateway and a slow one 504 gateway_timeout', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INTEGRATION_FAILURE',
      StatusCode: '502',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"bad_gateway"') },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'INTEGRATION_TIMEOUT',
      StatusCode: '504',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"gateway_timeout"') },
    });
  });

  it('is cdk-nag clean', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`),
    ).toEqual([]);
  });

  it('is absent without the setting', () => {
    const plain = testApp();
    const stack = new KeygateStack(plain, 'Plain', { settings: DEFAULT_SETTINGS });
    const t = Template.fromStack(stack);
    expect(
      Object.values(t.findResources('AWS::ApiGateway::Method')).filter(
        (m: any) => m.Properties.Integration?.Type === 'HTTP_PROXY',
      ),
    ).toHaveLength(0);
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('rotating the upstream secret by a redeploy', () => {
  const VERSION = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
  const NEXT = 'f0e1d2c3-b4a5-4968-8776-655443322110';
  const deployed = (version?: string) => {
    const context: Record<string, string> = { 'keygate:upstreamUrl': 'https://orders.example.com/api/' };
    if (version !== undefined) context['keygate:upstreamSecretVersion'] = version;
    const a = testApp(context);
    return Template.fromStack(new KeygateStack(a, 'Front', { settings: settingsFromContext(a.node) }));
  };
  const deploymentIds = (t: Template) => Object.keys(t.findResources('AWS::ApiGateway::Deployment'));

  it('names the secret version in the dynamic reference, so CloudFormation reads the new value', () => {
    const t = deployed(VERSION);
    const [secretId] = Object.keys(t.findResources('AWS::SecretsManager::Secret'));
    const forwarded = Object.values(t.findResources('AWS::ApiGateway::Method')).filter(
      (m: any) => m.Properties.Integration?.Type === 'HTTP_PROXY',
    ) as Resource[];
    expect(forwarded).toHaveLength(2);
    for (const method of forwarded) {
      expect(method.Properties.Integration.RequestParameters[`integration.request.header.${SECRET_HEADER}`]).toEqual({
        'Fn::Join': ['', ["'{{resolve:secretsmanager:", { Ref: secretId }, `:SecretString:::${VERSION}}}'`]],
      });
    }
  });

  it('gives each secret version a deployment of its own, so the stage serves the new value', () => {
    const [unversioned] = deploymentIds(deployed());
    const [first] = deploymentIds(deployed(VERSION));
    const [second] = deploymentIds(deployed(NEXT));

    expect(new Set([unversioned, first, second]).size).toBe(3);
    expect(deploymentIds(deployed(VERSION))).toEqual([first]);
  });

  it('refuses a version that is not a Secrets Manager version id, naming the setting', () => {
    expect(() =>
      resolveSettings({ upstreamSecretVersion: 'AWSCURRENT' }, () => 'keygate:upstreamSecretVersion'),
    ).toThrow(/keygate:upstreamSecretVersion/);
  });
});

describe('upstream URL validation', () => {
  it.each([
    ['not a URL', 'orders'],
    ['a query', 'https://orders.example.com/?a=1'],
    ['credentials', 'https://user:pw@orders.example.com'],
    ['ftp', 'ftp://orders.example.com'],
  ])('refuses %s in the setting', (_label, url) => {
    expect(() => resolveSettings({ upstreamUrl: url }, () => 'keygate:upstreamUrl')).toThrow(/keygate:upstreamUrl/);
  });

  it('refuses plain http in the construct (http is for local mode only)', () => {
    const stack = new KeygateStack(testApp(), 'Http', { settings: DEFAULT_SETTINGS });
    expect(
      () =>
        new KeygateUpstream(stack, 'Up', {
          api: stack.keygate.api,
          authorizer: stack.keygate.keyAuthorizer.authorizer,
          url: 'http://orders.example.com',
        }),
    ).toThrow(/must use https, received "http:\/\/orders.example.com"/);
  });
});
