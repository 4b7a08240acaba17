import { RESERVED_PATHS } from '../http/routes';
import { ROLES, type Role } from '../keys/format';

/** The methods a route of the typed route API may have. */
export const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** One of {@link ROUTE_METHODS}. */
export type RouteMethod = (typeof ROUTE_METHODS)[number];

/** A route that only some roles may call. */
export interface RouteRoles {
  readonly method: RouteMethod;
  /** An API Gateway resource path; `{name}` marks a path parameter. */
  readonly path: string;
  /** The roles allowed to call it; every other role is denied in the authorizer's policy. */
  readonly roles: readonly Role[];
}

/** A route of your own, as both the CDK stack and the local gateway take it. */
export interface KeygateRoute {
  readonly method: RouteMethod;
  /** The resource path, e.g. `/v1/orders/{id}`; keygate's own paths are refused. */
  readonly path: string;
  /** The handler module (an absolute path, e.g. `path.join(__dirname, 'index.ts')`) exporting `handler`. */
  readonly entry: string;
  /**
   * The roles that may call the route; the others get a Deny in the authorizer's policy.
   *
   * @default - every role the key may have
   */
  readonly roles?: readonly Role[];
  /**
   * The function's access to keygate's key table (also sets `TABLE_NAME`).
   *
   * @default - none
   */
  readonly tableAccess?: 'read' | 'readWrite';
}

const SEGMENT = /^(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z0-9._~-]+)$/;

/**
 * Checks a route of the typed route API: a known method, a resource path of plain segments and
 * `{name}` parameters, outside keygate's reserved paths, and known roles (at least one).
 *
 * @throws Error saying what was received and what is expected.
 */
export function assertValidRoute(route: {
  readonly method: string;
  readonly path: string;
  readonly roles?: readonly string[];
}): void {
  const where = `route ${route.method} ${route.path}`;
  if (!(ROUTE_METHODS as readonly string[]).includes(route.method)) {
    throw new Error(
      `${where}: method must be one of ${ROUTE_METHODS.join(', ')}, received ${JSON.stringify(route.method)}`,
    );
  }
  const segments = route.path.split('/').slice(1);
  if (!route.path.startsWith('/') || segments.length === 0 || !segments.every((segment) => SEGMENT.test(segment))) {
    throw new Error(
      `${where}: path must be like /v1/orders/{id} (letters, digits, ._~- and {name} segments), received ${JSON.stringify(route.path)}`,
    );
  }
  const reserved = RESERVED_PATHS.find((prefix) => route.path === prefix || route.path.startsWith(`${prefix}/`));
  if (reserved !== undefined)
    throw new Error(`${where}: ${reserved} belongs to keygate's own API; choose another path`);
  if (route.roles !== undefined) {
    const unknown = route.roles.filter((role) => !(ROLES as readonly string[]).includes(role));
    if (route.roles.length === 0 || unknown.length > 0) {
      throw new Error(
        `${where}: roles must be a non-empty list of ${ROLES.join(', ')}, received ${JSON.stringify(route.roles)}`,
      );
    }
  }
}

/**
 * The `METHOD/path` resources a role is denied by the route rules, in the form the policy's
 * statements take after `<apiId>/<stage>/`: parameters become `*`. In an execute-api ARN a `*`
 * also matches `/`, so a rule on `/v1/orders/{id}` covers deeper paths too: it errs on the side
 * of refusing.
 */
export function routeDenials(rules: readonly RouteRoles[], role: Role): string[] {
  const denied = new Set<string>();
  for (const rule of rules) {
    if (rule.roles.includes(role)) continue;
    denied.add(`${rule.method}${rule.path.replace(/\{[^}]+\}/g, '*')}`);
  }
  return [...denied];
}
