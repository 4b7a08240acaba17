import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { preflightResources } from '../../lambdas/core/http/cors';
import { GATEWAY_ERRORS } from '../../lambdas/core/http/gateway-responses';
import { ROUTES } from '../../lambdas/core/http/routes';
import { KeygateStack } from '../../lib/keygate-stack';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import { testApp } from '../support/cdk';

type Resource = { Type: string; Properties: Record<string, any> };

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
const ACAO = 'gatewayresponse.header.Access-Control-Allow-Origin';
const preflight = (name: string) => `method.response.header.Access-Control-${name}`;

let app: App;
let plain: Template;
let one: Template;
let several: Template;

beforeAll(() => {
  app = testApp();
  const upstreamUrl = 'https://backend.example.com';
  const stacks = [
    new KeygateStack(app, 'Plain', { settings: { ...DEFAULT_SETTINGS, upstreamUrl } }),
    new KeygateStack(app, 'One', { settings: { ...DEFAULT_SETTINGS, upstreamUrl, corsOrigins: [APP] } }),
    new KeygateStack(app, 'Several', { settings: { ...DEFAULT_SETTINGS, corsOrigins: [APP, DEV] } }),
  ];
  [plain, one, several] = stacks.map((stack) => Template.fromStack(stack));
});

/** Each API Gateway resource's full path, by logical id. */
function resourcePaths(t: Template): Map<string, string> {
  const resources = t.findResources('AWS::ApiGateway::Resource') as Record<string, Resource>;
  const pathOf = (id: string): string => {
    const { ParentId, PathPart } = resources[id].Properties;
    const parent = ParentId.Ref === undefined ? '' : pathOf(ParentId.Ref);
    return `${parent}/${PathPart}`;
  };
  return new Map(Object.keys(resources).map((id) => [id, pathOf(id)]));
}

/** The OPTIONS methods by the path of their resource. */
function optionsMethods(t: Template): Map<string, Resource> {
  const paths = resourcePaths(t);
  const methods = Object.values(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }));
  return new Map(methods.map((method) => [paths.get(method.Properties.ResourceId.Ref) ?? '/', method as Resource]));
}

describe('CORS off (the default)', () => {
  it('adds no OPTIONS method, no CORS header to gateway responses and no origins to any function', () => {
    expect(optionsMethods(plain).size).toBe(0);
    for (const response of Object.values(plain.findResources('AWS::ApiGateway::GatewayResponse'))) {
      expect(Object.keys(response.Properties.ResponseParameters ?? {}).join()).not.toMatch(/Access-Control|Vary/);
    }
    expect(
      plain.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ CORS_ORIGINS: Match.anyValue() }) } },
      }),
    ).toEqual({});
  });
});

describe('preflights', () => {
  const expected = preflightResources(ROUTES);

  it("answers OPTIONS on every resource of keygate's routes, and on no other", () => {
    expect([...optionsMethods(one).keys()].sort()).toEqual([...expected.keys()].sort());
    expect(optionsMethods(one).has('/v1/leaks/github')).toBe(false);
    // the console opens a sign-in link from its own origin: the exchange needs its preflight.
    expect(optionsMethods(one).has('/v1/console/sign-in')).toBe(true);
    expect(optionsMethods(one).has('/{proxy+}')).toBe(false);
  });

  it('needs no key: no authorizer, no API key, a mock integration', () => {
    expect(optionsMethods(one).size).toBe(expected.size);
    for (const [path, method] of optionsMethods(one)) {
      expect([path, method.Properties]).toEqual([
        path,
        expect.objectContaining({ AuthorizationType: 'NONE', ApiKeyRequired: false }),
      ]);
      expect(method.Properties.AuthorizerId).toBeUndefined();
      expect(method.Properties.Integration.Type).toBe('MOCK');
    }
  });

  it("allows the resource's methods and the request headers keygate reads, for the origin", () => {
    expect(optionsMethods(one).size).toBe(expected.size);
    for (const [path, method] of optionsMethods(one)) {
      const [response] = method.Properties.Integration.IntegrationResponses;
      expect(response.StatusCode).toBe('204');
      const headers = response.ResponseParameters;
      expect(headers[preflight('Allow-Origin')]).toBe(`'${APP}'`);
      expect(headers[preflight('Allow-Methods')]).toBe(`'${expected.get(path)?.join(',')}'`);
      expect(headers[preflight('Allow-Headers')].replace(/'/g, '').split(',')).toEqual(
        expect.arrayContaining(['Authorization', 'Content-Type', 'Idempotency-Key']),
      );
      expect(headers[preflight('Allow-Credentials')]).toBeUndefined();
      expect(headers['method.response.header.Vary']).toBe("'Origin'");
    }
  });

  it('with several origins, echoes the request origin only when it is listed', () => {
    expect(optionsMethods(several).size).toBe(expected.size);
    for (const method of optionsMethods(several).values()) {
      const [response] = method.Properties.Integration.IntegrationResponses;
      expect(response.ResponseParameters[preflight('Allow-Origin')]).toBe(`'${APP}'`);
      expect(response.ResponseTemplates['application/json']).toContain(`$origin == "${DEV}"`);
      expect(response.ResponseTemplates['application/json']).toContain(
        '$context.responseOverride.header.Access-Control-Allow-Origin = $origin',
      );
    }
  });
});

describe('gateway responses', () => {
  it.each(Object.keys(GATEWAY_ERRORS))('%s carries the one origin, Vary and the readable headers', (type) => {
    one.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      ResponseParameters: Match.objectLike({
        [ACAO]: `'${APP}'`,
        'gatewayresponse.header.Vary': "'Origin'",
        'gatewayresponse.header.Access-Control-Expose-Headers': "'Retry-After,Idempotent-Replayed'",
      }),
    });
  });

  it.each(Object.keys(GATEWAY_ERRORS))(
    "%s echoes the request's Origin with several origins: a gateway response cannot choose",
    (type) => {
      several.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: Match.objectLike({ [ACAO]: 'method.request.header.Origin' }),
      });
    },
  );

  it('keeps Retry-After on the over-limit answers', () => {
    one.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Retry-After': "'1'" }),
    });
  });
});

describe('the Lambdas', () => {
  it('get the origins, to answer with them: every route function, and not the authorizer', () => {
    const withOrigins = Object.values(
      one.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ CORS_ORIGINS: JSON.stringify([APP]) }) } },
      }),
    ).map((fn) => (fn as Resource).Properties.Description);
    expect(withOrigins.sort()).toEqual(
      ['account', 'events', 'keys', 'leaks', 'panel'].map((name) => `keygate: the ${name} routes`),
    );
  });
});

describe('cdk-nag', () => {
  it('finds nothing that is not acknowledged on the preflights', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.locations ?? r.resourceLogicalId).join(',')}`,
      ),
    ).toEqual([]);
  });
});
