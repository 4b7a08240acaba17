import type { Route } from '../lambdas/core/http/routes';

/** What a router needs of a route. */
export type RouteLike = Pick<Route, 'path'> & { readonly method: string };

/** What {@link matchRoute} found for a request. */
export type RouteMatch<R extends RouteLike = Route> =
  | {
      readonly kind: 'matched';
      readonly route: R;
      /** The template's parameters, URL-decoded; empty when the template has none. */
      readonly pathParameters: Readonly<Record<string, string>>;
    }
  /** No resource has this path. */
  | { readonly kind: 'not_found' }
  /** A resource has this path, but no method of it is the request's. */
  | { readonly kind: 'method_not_allowed' };

/**
 * Finds the route for a request the way API Gateway picks a resource, then a method on it.
 *
 * - The path is split on `/` before anything is decoded, so a segment never spans a `/`, and
 *   `%2F` inside a parameter decodes to a `/` in its value without making a new segment.
 * - Literal segments are compared with the raw, still-encoded segment, case-sensitively: a
 *   request reaches a literal resource only when spelled the way policies name it, so a Deny on
 *   `POST/v1/keys` cannot be dodged with `/v1/%6Beys` or `/V1/KEYS`.
 * - Parameter segments (`{id}`) match one non-empty segment; their values are URL-decoded, as
 *   API Gateway decodes `pathParameters`. A value that does not decode matches nothing.
 * - Where several resources match, the most specific wins: a literal segment beats a parameter
 *   at the first position where they differ, as in API Gateway's resource tree.
 * - The method is chosen after the resource, as API Gateway does: a literal resource without the
 *   request's method answers `method_not_allowed` even where a parameter sibling has that method.
 * - One trailing slash is ignored (`/v1/me/` is `/v1/me`): API Gateway REST APIs route both to the
 *   same resource. Empty segments elsewhere (`/v1//me`) match nothing.
 *
 * Greedy parameters (`{proxy+}`) are not supported; keygate's API has none.
 *
 * @param path - the request's path as received, without the query string, e.g. `/v1/keys/key_1`.
 */
export function matchRoute<R extends RouteLike = Route>(
  routes: readonly R[],
  method: string,
  path: string,
): RouteMatch<R> {
  if (!path.startsWith('/')) return { kind: 'not_found' };
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = splitPath(trimmed);

  let best: { resource: string; template: string[]; parameters: Record<string, string> } | undefined;
  const byResource = new Map<string, R[]>();
  for (const route of routes) {
    const list = byResource.get(route.path);
    if (list === undefined) byResource.set(route.path, [route]);
    else list.push(route);
  }
  for (const resource of byResource.keys()) {
    const template = splitPath(resource);
    const parameters = bindSegments(template, segments);
    if (parameters === undefined) continue;
    if (best === undefined || moreSpecific(template, best.template)) best = { resource, template, parameters };
  }
  if (best === undefined) return { kind: 'not_found' };

  const route = (byResource.get(best.resource) ?? []).find((candidate) => candidate.method === method);
  if (route === undefined) return { kind: 'method_not_allowed' };
  return { kind: 'matched', route, pathParameters: best.parameters };
}

/** The pieces of a method ARN, as the local gateway knows them. */
export interface MethodArnInput {
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly method: string;
  /** The request path with its leading slash, as received, e.g. `/v1/me`. */
  readonly path: string;
}

/**
 * The method ARN API Gateway hands a TOKEN authorizer:
 * `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD><path>`,
 * e.g. `arn:aws:execute-api:local:000000000000:keygate/prod/GET/v1/me`.
 */
export function methodArn(input: MethodArnInput): string {
  const { region, accountId, apiId, stage, method, path } = input;
  return `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${method.toUpperCase()}${path}`;
}

/** `/a/b` → `['a', 'b']`; `/` → `[]`. */
function splitPath(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

function parameterName(segment: string): string | undefined {
  return segment.length > 2 && segment.startsWith('{') && segment.endsWith('}') ? segment.slice(1, -1) : undefined;
}

/** The parameters a template binds for the request's segments, or `undefined` when it does not match. */
function bindSegments(template: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (let i = 0; i < template.length; i += 1) {
    const segment = segments[i];
    const name = parameterName(template[i]);
    if (name === undefined) {
      if (template[i] !== segment) return undefined;
      continue;
    }
    if (segment === '') return undefined;
    const value = decodeSegment(segment);
    if (value === undefined) return undefined;
    parameters[name] = value;
  }
  return parameters;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Whether template `a` is more specific than `b`: a literal beats a parameter at the first difference. */
function moreSpecific(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const aLiteral = parameterName(a[i]) === undefined;
    const bLiteral = parameterName(b[i]) === undefined;
    if (aLiteral !== bLiteral) return aLiteral;
  }
  return false;
}
