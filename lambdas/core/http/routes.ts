/** The Lambda functions behind the API, one per concern. */
export type FunctionName = 'account' | 'keys' | 'panel' | 'events' | 'leaks';

/** One API route: the CDK stack builds a method for it, the local gateway serves it. */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** An API Gateway resource path; `{name}` marks a path parameter. */
  readonly path: string;
  readonly function: FunctionName;
  /**
   * How callers authenticate: `apiKey` (the TOKEN authorizer and the usage plan) or `none`, for
   * a route that checks its caller itself (GitHub's signed leak alerts). @default 'apiKey'
   */
  readonly auth?: 'apiKey' | 'none';
}

/** Every route of the API, in one place for the stack and the local gateway alike. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/me', function: 'account' },
  { method: 'GET', path: '/v1/usage', function: 'account' },
  { method: 'POST', path: '/v1/keys', function: 'keys' },
  { method: 'GET', path: '/v1/keys', function: 'keys' },
  { method: 'GET', path: '/v1/keys/{id}', function: 'keys' },
  { method: 'GET', path: '/v1/keys/{id}/usage', function: 'keys' },
  { method: 'PATCH', path: '/v1/keys/{id}', function: 'keys' },
  { method: 'DELETE', path: '/v1/keys/{id}', function: 'keys' },
  { method: 'POST', path: '/v1/keys/{id}/revoke', function: 'keys' },
  { method: 'POST', path: '/v1/keys/{id}/enable', function: 'keys' },
  { method: 'POST', path: '/v1/keys/{id}/rotate', function: 'keys' },
  { method: 'POST', path: '/v1/panel/tenants', function: 'panel' },
  { method: 'GET', path: '/v1/panel/tenants', function: 'panel' },
  { method: 'PATCH', path: '/v1/panel/tenants/{tenantId}', function: 'panel' },
  { method: 'DELETE', path: '/v1/panel/tenants/{tenantId}', function: 'panel' },
  { method: 'GET', path: '/v1/panel/tenants/{tenantId}', function: 'panel' },
  { method: 'PUT', path: '/v1/panel/tenants/{tenantId}/plan', function: 'panel' },
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/suspend', function: 'panel' },
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/resume', function: 'panel' },
  { method: 'GET', path: '/v1/panel/tenants/{tenantId}/workspaces', function: 'panel' },
  { method: 'PUT', path: '/v1/panel/tenants/{tenantId}/workspaces', function: 'panel' },
  // usage from the access log: a tenant's, and every tenant's ranked.
  { method: 'GET', path: '/v1/panel/tenants/{tenantId}/usage', function: 'panel' },
  { method: 'GET', path: '/v1/panel/usage', function: 'panel' },
  // the operator on a tenant's keys: the routes of /v1/keys, acting for the tenant.
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/keys', function: 'panel' },
  { method: 'GET', path: '/v1/panel/tenants/{tenantId}/keys', function: 'panel' },
  { method: 'GET', path: '/v1/panel/tenants/{tenantId}/keys/{keyId}', function: 'panel' },
  { method: 'GET', path: '/v1/panel/tenants/{tenantId}/keys/{keyId}/usage', function: 'panel' },
  { method: 'PATCH', path: '/v1/panel/tenants/{tenantId}/keys/{keyId}', function: 'panel' },
  { method: 'DELETE', path: '/v1/panel/tenants/{tenantId}/keys/{keyId}', function: 'panel' },
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/keys/{keyId}/revoke', function: 'panel' },
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/keys/{keyId}/enable', function: 'panel' },
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/keys/{keyId}/rotate', function: 'panel' },
  // keys issued elsewhere, brought into a tenant.
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/keys/import', function: 'panel' },
  // sessions for people: minted and revoked by the operator, ended by the member (sign out).
  { method: 'POST', path: '/v1/panel/tenants/{tenantId}/sessions', function: 'panel' },
  { method: 'DELETE', path: '/v1/panel/tenants/{tenantId}/sessions/{sessionId}', function: 'panel' },
  { method: 'DELETE', path: '/v1/session', function: 'keys' },
  // the audit trail.
  { method: 'GET', path: '/v1/events', function: 'events' },
  { method: 'GET', path: '/v1/panel/events', function: 'events' },
  // leak response; GitHub signs its alerts instead of presenting a key.
  { method: 'POST', path: '/v1/panel/leaks', function: 'leaks' },
  { method: 'POST', path: '/v1/leaks/github', function: 'leaks', auth: 'none' },
];

/**
 * The paths keygate's own API uses, which user routes must stay outside: the first two segments of
 * every route (so a new route reserves its tree), and the OpenAPI document the local gateway serves.
 */
// pure: the authorizer's bundle, which never validates a route, drops it and the route table.
export const RESERVED_PATHS: readonly string[] = /* @__PURE__ */ reservedPaths();

function reservedPaths(): string[] {
  return [...new Set(ROUTES.map((route) => route.path.split('/').slice(0, 3).join('/'))), '/openapi.json'];
}
