import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Environment, Role } from '../../lambdas/core/keys';
import type { PlanName } from '../../lambdas/core/model';

/** The context the authorizer hands to the backends, as the handlers read it. */
export interface CallerContext {
  readonly tenantId: string;
  readonly keyId: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly plan: PlanName;
}

/** A caller with sensible defaults: a live `owner` key of tenant `acme`. */
export function callerContext(overrides: Partial<CallerContext> = {}): CallerContext {
  return { tenantId: 'acme', keyId: 'key_caller000000000000000000', environment: 'live', role: 'owner', plan: 'starter', ...overrides };
}

/** The operator tenant's `operator` key: the only caller the panel serves. */
export const operatorCaller: CallerContext = callerContext({ tenantId: 'operator', keyId: 'key_operator00000000000000000', role: 'operator', plan: 'scale' });

/** What a test says about a request; everything else gets API Gateway's usual values. */
export interface ProxyEventSpec {
  readonly method: string;
  /** The route template, e.g. `/v1/panel/tenants/{tenantId}`. */
  readonly resource: string;
  readonly pathParameters?: Readonly<Record<string, string>>;
  /** A string is sent as is (to send broken JSON); anything else is sent as JSON. */
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string>>;
  readonly caller: CallerContext;
}

/**
 * A proxy integration event as API Gateway sends it to a backend behind the TOKEN authorizer: the
 * path filled in from the template, and the authorizer's context with the `principalId` and
 * `integrationLatency` API Gateway adds to it.
 */
export function proxyEvent(spec: ProxyEventSpec): APIGatewayProxyEvent {
  const pathParameters = spec.pathParameters ?? {};
  const path = spec.resource.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(pathParameters[name] ?? ''));
  const body = spec.body === undefined ? null : typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
  const query = spec.query === undefined || Object.keys(spec.query).length === 0 ? null : { ...spec.query };
  const headers: Record<string, string> = { Host: 'abc123.execute-api.eu-west-1.amazonaws.com', Authorization: 'Bearer <redacted>' };
  if (body !== null) headers['Content-Type'] = 'application/json';
  return {
    resource: spec.resource,
    path,
    httpMethod: spec.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query === null ? null : Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
    pathParameters: Object.keys(pathParameters).length === 0 ? null : { ...pathParameters },
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: { ...spec.caller, principalId: spec.caller.keyId, integrationLatency: 12 },
      protocol: 'HTTP/1.1',
      httpMethod: spec.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'jest',
        userArn: null,
      },
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1_795_000_000_000,
      resourceId: 'res123',
      resourcePath: spec.resource,
    },
  };
}
