import { assertValidRoute, type RouteRoles } from '../core/auth/route-policy';

/**
 * Reads the route rules the stack hands the authorizer (`ROUTE_ROLES`, a JSON list), checking
 * each one when the module loads: a rule that cannot be read must stop the authorizer rather
 * than let it allow what the rule denies.
 *
 * @throws Error naming the rule that is wrong.
 */
export function parseRouteRoles(value: unknown): RouteRoles[] {
  if (!Array.isArray(value)) throw new Error(`ROUTE_ROLES must be a JSON list, received ${typeof value}`);
  return value.map((rule: unknown, index) => {
    if (typeof rule !== 'object' || rule === null || !Array.isArray((rule as RouteRoles).roles)) {
      throw new Error(`ROUTE_ROLES[${index}] must be {method, path, roles}`);
    }
    const { method, path, roles } = rule as RouteRoles;
    assertValidRoute({ method, path, roles });
    return { method, path, roles };
  });
}
