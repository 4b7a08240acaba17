import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Environment, Role } from '../../lambdas/core/keys/format';
import type { PlanName } from '../../lambdas/core/model';
import { buildProxyEvent } from '../../local/proxy-event';
import { instant } from './time';

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
  return {
    tenantId: 'acme',
    keyId: 'key_caller000000000000000000',
    environment: 'live',
    role: 'owner',
    plan: 'starter',
    ...overrides,
  };
}

/** The operator tenant's `operator` key: the only caller the panel serves. */
export const operatorCaller: CallerContext = callerContext({
  tenantId: 'operator',
  keyId: 'key_operator00000000000000000',
  role: 'operator',
  plan: 'scale',
});

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
 * A proxy integration event as API Gateway sends it to a backend behind the TOKEN authorizer,
 * built by the local gateway's own {@link buildProxyEvent}: the path filled in from the template,
 * and the authorizer's context with the `principalId` and `integrationLatency` API Gateway adds.
 */
export function proxyEvent(spec: ProxyEventSpec): APIGatewayProxyEvent {
  const pathParameters = spec.pathParameters ?? {};
  const path = spec.resource.replace(/\{(\w+)\}/g, (_match, name: string) =>
    encodeURIComponent(pathParameters[name] ?? ''),
  );
  const body =
    spec.body === undefined ? undefined : typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
  const headers: Record<string, string> = {
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    authorization: 'Bearer <redacted>',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return buildProxyEvent({
    method: spec.method,
    path,
    resource: spec.resource,
    pathParameters,
    query: new URLSearchParams(spec.query ?? {}),
    headers,
    body: body === undefined ? undefined : Buffer.from(body, 'utf8'),
    accountId: '123456789012',
    apiId: 'abc123',
    stage: 'prod',
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    sourceIp: '203.0.113.7',
    protocol: 'HTTP/1.1',
    receivedAt: new Date(instant(0, '10:00')),
    authorizer: { principalId: spec.caller.keyId, context: { ...spec.caller }, integrationLatency: 12 },
  });
}
