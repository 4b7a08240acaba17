import type { AuthorizerContext } from '../model';

/**
 * The request headers that carry the authorizer context to the front door's upstream, by
 * context field. The CDK stack maps them from `context.authorizer.*`; the local gateway sets them
 * from the same context. Whatever a client sends under these names is replaced.
 */
export const CONTEXT_HEADERS = {
  tenantId: 'x-keygate-tenant-id',
  keyId: 'x-keygate-key-id',
  environment: 'x-keygate-environment',
  role: 'x-keygate-role',
  plan: 'x-keygate-plan',
} as const satisfies Record<
  keyof Pick<AuthorizerContext, 'tenantId' | 'keyId' | 'environment' | 'role' | 'plan'>,
  string
>;

/**
 * The header that carries a key's workspaces (comma-separated) when `keygate:workspacePathSegment`
 * is set: the context's `workspaces`, which only a deployment with workspaces has.
 */
export const WORKSPACES_HEADER = 'x-keygate-workspaces';

/** The header whose value proves to the upstream that a request came through keygate. */
export const SECRET_HEADER = 'x-keygate-secret';

/** Every header keygate sets starts with this; the local gateway drops any a client sends. */
export const RESERVED_HEADER_PREFIX = 'x-keygate-';

/** API Gateway's longest integration timeout, which the local gateway applies too. */
export const UPSTREAM_TIMEOUT_MS = 29_000;

/**
 * What API Gateway sends as `Authorization` to the upstream. Its HTTP proxy integration can
 * overwrite a request header but not remove it, so the key is overwritten with this fixed word;
 * the local gateway leaves the header out altogether.
 */
export const REDACTED_AUTHORIZATION = 'keygate';

/** The context headers for one authorized request, from the authorizer's context. */
export function contextHeaders(context: Readonly<Record<string, unknown>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [field, name] of Object.entries(CONTEXT_HEADERS)) {
    const value = context[field];
    // fail closed: a request without the full context is never forwarded.
    if (typeof value !== 'string' || value === '') throw new Error(`the authorizer context has no ${field}`);
    headers[name] = value;
  }
  if (typeof context.workspaces === 'string') headers[WORKSPACES_HEADER] = context.workspaces;
  return headers;
}
