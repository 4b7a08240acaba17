/**
 * CORS for keygate's own routes: which browser origins may read its answers, and the headers
 * that say so. One allow-list (`keygate:corsOrigins`) drives the Lambdas' answers, the API's
 * preflights and gateway responses, and the local gateway alike.
 *
 * keygate never sends `Access-Control-Allow-Credentials`: a key travels in `Authorization`, which a
 * page sets itself, never in a cookie, so no answer is readable on the strength of ambient
 * credentials.
 */

/** The request headers a page may send: the key, a JSON body's type, and the idempotency key of creates. */
export const CORS_ALLOW_HEADERS: readonly string[] = ['Authorization', 'Content-Type', 'Idempotency-Key'];
/** The response headers a page may read beyond the safelisted ones: when to retry, and whether an answer is a replay. */
export const CORS_EXPOSE_HEADERS: readonly string[] = ['Retry-After', 'Idempotent-Replayed'];
/** How long a browser may reuse a preflight's answer; Chromium caps it at 2 hours, Firefox at 24. */
export const CORS_MAX_AGE_SECONDS = 3600;
/**
 * The most origins a deployment may list: each is in the environment of five Lambdas (4 KB of
 * variables each) and in every preflight's mapping template.
 */
export const MAX_CORS_ORIGINS = 20;

/** `scheme://host[:port]` as a browser serializes an origin: lower case, no default port, no path. */
const ORIGIN = /^https?:\/\/(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/**
 * Checks one allow-list entry: an `http` or `https` origin exactly as a browser sends it in
 * `Origin`, since origins are compared as strings.
 *
 * @returns why the entry is not an origin, with the origin it most likely meant; `undefined` when it is one.
 */
export function originProblem(entry: string): string | undefined {
  if (entry === '*') return 'must name each origin: "*" would let every page read the answers';
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {
    url = undefined;
  }
  const origin = url?.origin;
  if (ORIGIN.test(entry) && origin === entry) return undefined;
  const meant = origin !== undefined && origin !== 'null' && ORIGIN.test(origin) ? `: did you mean ${origin}?` : '';
  return `must be an origin, scheme://host[:port] in lower case with no path or trailing slash, such as https://app.example.com${meant}`;
}

/** The allowed origin a request's `Origin` header names, or `undefined` when it names none of them. */
export function allowedOrigin(origins: readonly string[], requestOrigin: string | undefined): string | undefined {
  return requestOrigin !== undefined && origins.includes(requestOrigin) ? requestOrigin : undefined;
}

/**
 * The CORS headers of an answer to an actual (not preflight) request: none without an allow-list;
 * `Vary: Origin` with one, since the answer differs by origin; and for an allowed origin, that
 * origin and the headers a page may read.
 */
export function corsHeaders(origins: readonly string[], requestOrigin: string | undefined): Record<string, string> {
  if (origins.length === 0) return {};
  const origin = allowedOrigin(origins, requestOrigin);
  if (origin === undefined) return { vary: 'Origin' };
  return {
    vary: 'Origin',
    'access-control-allow-origin': origin,
    'access-control-expose-headers': CORS_EXPOSE_HEADERS.join(','),
  };
}

/**
 * The headers of a preflight's answer (`OPTIONS` with `Access-Control-Request-Method`): for an
 * allowed origin, the methods of the resource, the request headers keygate reads, and how long
 * to keep the answer; for any other origin nothing a browser could take for a grant.
 */
export function preflightHeaders(
  origins: readonly string[],
  requestOrigin: string | undefined,
  methods: readonly string[],
): Record<string, string> {
  const origin = allowedOrigin(origins, requestOrigin);
  if (origin === undefined) return origins.length === 0 ? {} : { vary: 'Origin' };
  return {
    vary: 'Origin',
    'access-control-allow-origin': origin,
    'access-control-allow-methods': methods.join(','),
    'access-control-allow-headers': CORS_ALLOW_HEADERS.join(','),
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
  };
}

/** Adds CORS headers to an answer's, keeping a `Vary` it already has. */
export function withCorsHeaders(
  headers: Readonly<Record<string, string>>,
  cors: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  for (const [name, value] of Object.entries(cors)) {
    const existing = Object.keys(out).find((key) => key.toLowerCase() === name);
    if (existing === undefined) out[name] = value;
    else if (name === 'vary') out[existing] = `${out[existing]}, ${value}`;
    else out[existing] = value;
  }
  return out;
}

/** A request header by name, whatever the case its sender used. */
export function headerValue(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * The resources whose preflights keygate answers, each with its methods: every route a browser
 * calls with a key, and the keyless routes browsers call (the console's sign-in by a one-time
 * code). Other routes that authenticate their caller otherwise (GitHub's signed alerts) have no
 * browser caller and get no preflight.
 */
export function preflightResources(
  routes: readonly {
    readonly method: string;
    readonly path: string;
    readonly auth?: string;
    readonly browser?: boolean;
  }[],
): Map<string, string[]> {
  const resources = new Map<string, string[]>();
  for (const route of routes) {
    if (route.auth === 'none' && route.browser !== true) continue;
    const methods = resources.get(route.path) ?? [];
    if (!methods.includes(route.method)) methods.push(route.method);
    resources.set(route.path, methods);
  }
  for (const methods of resources.values()) methods.sort();
  return resources;
}
