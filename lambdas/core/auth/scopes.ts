/**
 * Scoped keys: the method and path patterns a key may call on the routes keygate protects for
 * you. A scope is `METHOD /path`:
 *
 * - `METHOD` is one of {@link SCOPE_METHODS}, or `*` for any;
 * - `/path` is one or more `/`-separated segments, each literal (letters, digits, `._~-`), `*`,
 *   or a named wildcard `{name}`, which is the same as `*` (the name only documents it).
 *
 * A scope stands for exactly one execute-api resource, `METHOD/path` after
 * `arn:…:execute-api:<region>:<account>:<apiId>/<stage>/`, with `{name}` written `*`; and it
 * matches what that resource matches in the authorizer's policy: `*` is a wildcard over any run
 * of characters, `/` included, the empty run too. So `GET /v1/orders/*` matches
 * `/v1/orders/7/lines` as well, `GET /v1/{id}/lines` matches `/v1/a/b/lines`, and a method `*`
 * can stand for leading segments too (`* /v1/orders` also matches `GET /x/v1/orders`): name the
 * method for an exact scope. Letters are matched case-sensitively, on the normalized path.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 */

import { wildcardMatch } from './wildcard';

/** The methods a scope may name, besides `*`. */
export const SCOPE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/**
 * The most scopes a key may carry: with each at its longest, the authorizer's answer for the
 * key still fits API Gateway's 8 KB on a stage name of 128 characters (see
 * `lib/authorizer-limits.ts`, whose test holds it).
 */
export const MAX_SCOPES = 10;
/** The longest path a scope may have. */
export const MAX_SCOPE_PATH_LENGTH = 128;

/** A validated scope. */
export interface Scope {
  /** The scope as given, e.g. `GET /v1/orders/*`. */
  readonly text: string;
  /** Its resource after `<apiId>/<stage>/`, e.g. `GET/v1/orders/*`. */
  readonly resource: string;
}

/** A scope that is not `METHOD /path` as {@link parseScopes} defines it. */
export class ScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeError';
  }
}

const SEGMENT = /^([A-Za-z0-9._~-]+|\*|\{[A-Za-z_][A-Za-z0-9_]*\})$/;

/**
 * Validates scopes: at most {@link MAX_SCOPES}, no duplicates, each `METHOD /path` as the module
 * documentation defines (no empty, `.` or `..` segment, no trailing `/`, no encoding: a scope is
 * matched against the normalized path).
 *
 * @throws ScopeError saying which scope is wrong and how.
 */
export function parseScopes(scopes: readonly string[]): Scope[] {
  if (scopes.length > MAX_SCOPES) throw new ScopeError(`at most ${MAX_SCOPES} scopes, received ${scopes.length}`);
  if (new Set(scopes).size !== scopes.length) throw new ScopeError('scopes must not repeat');
  return scopes.map(parseScope);
}

function parseScope(text: string): Scope {
  const wrong = (why: string) =>
    new ScopeError(`scope ${JSON.stringify(text)}: ${why}; expected like "GET /v1/orders/*" or "* /{workspace}/*"`);
  const space = text.indexOf(' ');
  if (space === -1) throw wrong('a method, one space and a path');
  const method = text.slice(0, space);
  const path = text.slice(space + 1);
  if (method !== '*' && !(SCOPE_METHODS as readonly string[]).includes(method)) {
    throw wrong(`the method must be * or one of ${SCOPE_METHODS.join(', ')}`);
  }
  if (path.length > MAX_SCOPE_PATH_LENGTH) throw wrong(`the path must be at most ${MAX_SCOPE_PATH_LENGTH} characters`);
  const segments = path.split('/');
  if (segments[0] !== '' || segments.length < 2) throw wrong('the path must start with /');
  for (const segment of segments.slice(1)) {
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw wrong('each path segment must be literal (letters, digits, ._~-), * or {name}');
    }
  }
  const resource = `${method}${segments.map((segment) => (segment.startsWith('{') ? '*' : segment)).join('/')}`;
  return { text, resource };
}

/** The execute-api resource of a scope, after `<apiId>/<stage>/`. */
export function scopeResource(scope: Scope): string {
  return scope.resource;
}

/** Whether a scope lets a key call `method` on a normalized `path`, as its policy resource does. */
export function scopeMatches(scope: Scope, method: string, path: string): boolean {
  return wildcardMatch(scope.resource, `${method}${path}`);
}

/**
 * Whether every request `narrow` allows, `wide` allows too; conservative: `false` may be
 * answered for scopes that in fact are covered, never `true` for scopes that are not. A narrow
 * scope is covered when one wide scope matches its resource read literally: its `*`s can then
 * only fall inside a `*` of the wide one, so whatever they stand for is matched too.
 */
export function scopesCover(wide: readonly Scope[], narrow: readonly Scope[]): boolean {
  return narrow.every((n) => wide.some((w) => wildcardMatch(w.resource, n.resource)));
}
