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
  /**
   * For a route with `auth: 'none'`: who calls it and what its handler authenticates them by, as
   * the reasons the stack gives cdk-nag for a method without an authorizer.
   */
  readonly selfAuthenticated?: { readonly caller: string; readonly by: string };
  /** Whether browsers call a route with `auth: 'none'`, so that its preflights are answered. @default false */
  readonly browser?: boolean;
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
  // the console's one-time sign-in links: minted by an operator key, exchanged by the code alone.
  { method: 'POST', path: '/v1/panel/sign-in-links', function: 'panel' },
  {
    method: 'POST',
    path: '/v1/console/sign-in',
    function: 'panel',
    auth: 'none',
    browser: true,
    selfAuthenticated: {
      caller: 'the console opening a one-time sign-in link',
      by: 'the one-time code in the body (256 random bits, stored hashed, five minutes, single use)',
    },
  },
  // the audit trail.
  { method: 'GET', path: '/v1/events', function: 'events' },
  { method: 'GET', path: '/v1/panel/events', function: 'events' },
  // leak response; GitHub signs its alerts instead of presenting a key.
  { method: 'POST', path: '/v1/panel/leaks', function: 'leaks' },
  {
    method: 'POST',
    path: '/v1/leaks/github',
    function: 'leaks',
    auth: 'none',
    selfAuthenticated: { caller: 'GitHub secret scanning', by: "GitHub's ECDSA signature over the raw body" },
  },
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
