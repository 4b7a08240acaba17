/**
 * Workspace-scoped keys: with `keygate:workspacePathSegment` set to N, the N-th segment of a path
 * of the routes keygate guards names a workspace, and a key reaches such a path only when that
 * segment is one of its tenant's workspaces (or of those its scopes name).
 *
 * The policy cannot say "any segment but these", so the rule is written as what it allows:
 *
 * - for each workspace `w` the key may reach, an Allow on `*` + `/*` × (N-1) + `/w/*`, and a
 *   Deny on `*` + `/*` × N + `/w/*`. In an execute-api resource `*` also matches `/`, so the
 *   Allow matches `w` at segment N or deeper; the Deny takes away every path with `w` deeper than
 *   N, which leaves exactly the paths whose segment N is `w` (a path that names one of the key's
 *   workspaces again past segment N is refused too: it errs on the side of refusing);
 * - keygate's own routes, as a scoped key has them;
 * - the routes given roles (`addRoute`'s `roles`) whose method and segments 1 to N are literal,
 *   so that their segment N is fixed (`GET /panel/{rest}` for N = 1): the paths outside the
 *   workspaces, such as an admin panel, that keys may reach at all, their roles deciding.
 *
 * Everything else is refused: a path shorter than N + 1 segments (`/w` alone has no path after
 * its workspace) unless a route above names it, and any other path. Workspace ids are lower
 * case, and the Allow matches letter case exactly, so `/W1/posts` is not `/w1/posts`.
 */

import { wildcardMatch } from './wildcard';
import type { RouteRoles } from './route-policy';
import type { Scope } from './scopes';

/** Workspace ids: 1–36 lowercase letters, digits, `-` or `_`, starting with a letter or digit (a UUID fits). */
export const WORKSPACE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,35}$/;
/** The longest workspace id. */
export const MAX_WORKSPACE_ID_LENGTH = 36;
/**
 * The most workspaces a tenant may hold: with each at its longest, the authorizer's answer still
 * fits API Gateway's 8 KB beside keygate's own routes, the route rules and a scoped key's scopes
 * (`lib/authorizer-limits.ts`, whose test holds it).
 */
export const MAX_WORKSPACES = 10;
/**
 * The most workspace paths a scoped key's policy may hold: each scope whose segment N is a
 * wildcard stands for one path per workspace. A key whose scopes and workspaces make more is
 * refused (fail closed) rather than answered a policy API Gateway would reject.
 */
export const MAX_WORKSPACE_SCOPE_PATHS = 4;

/** The workspace rule of one key: the segment that names the workspace, and its tenant's workspaces. */
export interface WorkspaceRule {
  /** The 1-based index of the path segment that names the workspace. */
  readonly segment: number;
  /** The tenant's workspaces. */
  readonly workspaces: readonly string[];
}

/** The resources (after `<apiId>/<stage>/`) a workspace rule adds to a key's policy. */
export interface WorkspaceResources {
  readonly allow: string[];
  readonly deny: string[];
  /** The workspaces the key reaches: its tenant's, or those its scopes name. */
  readonly workspaces: string[];
}

/** A key whose scopes stand for more workspace paths than a policy holds. */
export class WorkspacePolicyTooLarge extends Error {
  constructor(paths: number) {
    super(`the key's scopes stand for ${paths} workspace paths, more than ${MAX_WORKSPACE_SCOPE_PATHS}`);
    this.name = 'WorkspacePolicyTooLarge';
  }
}

const stars = (count: number): string => '/*'.repeat(count);

/** The Allow of workspace `id` at segment `n`. */
export function workspaceAllow(n: number, id: string): string {
  return `*${stars(n - 1)}/${id}/*`;
}

/** The Deny that keeps `id` from matching deeper than segment `n`. */
export function workspaceDeeperDeny(n: number, id: string): string {
  return `*${stars(n)}/${id}/*`;
}

/** `METHOD/a/b` as its method and its segments. */
function split(resource: string): { method: string; segments: string[] } {
  const [method, ...segments] = resource.split('/');
  return { method, segments };
}

/** Whether the method and every segment up to `n` are literal, so that segment `n` of a match is fixed. */
function fixedUpTo(resource: string, n: number): boolean {
  const { method, segments } = split(resource);
  return method !== '*' && segments.slice(0, n).every((segment) => !segment.includes('*'));
}

/** The route rules' resources that keys may reach outside the workspaces (see the module documentation). */
export function fixedRouteResources(rules: readonly RouteRoles[], n: number): string[] {
  const resources = new Set<string>();
  for (const rule of rules) {
    const resource = `${rule.method}${rule.path.replace(/\{[^}]+\}/g, '*')}`;
    if (fixedUpTo(resource, n)) resources.add(resource);
  }
  return [...resources];
}

/**
 * What a workspace rule adds to a key's policy: for a key without scopes, every workspace of its
 * tenant and the fixed routes; for a scoped key, its scopes narrowed to them: a scope whose
 * segment N is a wildcard stands for each of the tenant's workspaces there, one naming a tenant's
 * workspace stays, one that a fixed route covers stays, and every other is dropped.
 *
 * @throws WorkspacePolicyTooLarge when a scoped key's scopes stand for more than
 *   {@link MAX_WORKSPACE_SCOPE_PATHS} workspace paths.
 */
export function workspaceResources(
  rule: WorkspaceRule,
  routeRules: readonly RouteRoles[],
  scopes: readonly Scope[] = [],
): WorkspaceResources {
  const n = rule.segment;
  const own = new Set(rule.workspaces.filter((id) => WORKSPACE_ID_PATTERN.test(id)));
  const routes = fixedRouteResources(routeRules, n);
  if (scopes.length === 0) {
    const workspaces = [...own];
    return {
      allow: [...routes, ...workspaces.map((id) => workspaceAllow(n, id))],
      deny: workspaces.map((id) => workspaceDeeperDeny(n, id)),
      workspaces,
    };
  }
  const allow = new Set<string>();
  const reached = new Set<string>();
  let paths = 0;
  for (const scope of scopes) {
    const { method, segments } = split(scope.resource);
    const at = segments[n - 1];
    if (at === '*') {
      // a wildcard that ends the scope spans the rest of the path too: `w/*` keeps that part.
      const rest = segments.length === n ? ['*'] : segments.slice(n);
      for (const id of own) {
        allow.add([method, ...segments.slice(0, n - 1), id, ...rest].join('/'));
        reached.add(id);
        paths += 1;
      }
    } else if (at !== undefined && own.has(at) && segments.length > n) {
      allow.add(scope.resource);
      reached.add(at);
      paths += 1;
    } else if (routes.some((route) => wildcardMatch(route, scope.resource))) {
      // read literally, the scope falls inside a fixed route: it reaches no more than that route.
      allow.add(scope.resource);
    }
  }
  if (paths > MAX_WORKSPACE_SCOPE_PATHS) throw new WorkspacePolicyTooLarge(paths);
  // the deeper Deny covers every workspace of the tenant, as an unscoped key's does: a path naming
  // another of its workspaces past segment N is refused to both, so a scope never widens a key.
  return { allow: [...allow], deny: [...own].map((id) => workspaceDeeperDeny(n, id)), workspaces: [...reached] };
}

/**
 * Whether a key may call a normalized `path`, whatever the method, by the workspace rule alone (keygate's
 * own routes and the roles aside): the reference the policy is tested against.
 */
export function workspaceAllows(rule: WorkspaceRule, path: string): boolean {
  const segments = path.split('/').slice(1);
  const at = segments[rule.segment - 1];
  if (at === undefined || segments.length <= rule.segment || !rule.workspaces.includes(at)) return false;
  // a workspace of the key named again deeper, then followed by a segment, is refused (the
  // policy's Deny, which the local gateway matches in any letter case).
  return !segments.slice(rule.segment).some((segment, index) => {
    const last = rule.segment + index === segments.length - 1;
    return !last && rule.workspaces.some((id) => id.toLowerCase() === segment.toLowerCase());
  });
}
