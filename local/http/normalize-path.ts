/**
 * The one place the local gateway turns a request target into the path it routes, authorizes
 * and forwards. Everything after it (the router, the policy's method ARN, the upstream's
 * request line) sees the same normalized path, so no spelling can mean one thing to the policy
 * and another to the backend.
 */

/** A request target the gateway accepts, normalized; or why it refused it. */
export type RequestTarget =
  | {
      readonly kind: 'ok';
      /** The normalized path: see {@link normalizePath}. */
      readonly path: string;
      /** The query string as received, with its `?`, or `''`. */
      readonly query: string;
    }
  | { readonly kind: 'refused'; readonly reason: string };

/** RFC 3986 §2.3: these characters mean the same encoded or not, so they are always decoded. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Encoded characters a path may not hold: `%2F` and `%5C` would split a segment for a backend
 * that decodes before it splits (so a Deny or the base path could be dodged), `%00` ends a
 * string for some. Refused rather than guessed at, as Apache and Tomcat do by default.
 */
const REFUSED_ENCODINGS = new Set(['%2F', '%5C', '%00']);

/**
 * Reads a request line's target (RFC 9112 §3.2). Origin-form (`/a/b?q`) is normalized;
 * absolute-form (`http://host/a`) is accepted only when its authority is one of
 * `selfAuthorities` (the gateway itself), and then read as its origin-form; every other form
 * (`*`, `host:port`, another host, userinfo) is refused.
 *
 * @param selfAuthorities - the gateway's own `host:port` spellings, lower-case.
 */
export function parseRequestTarget(raw: string, selfAuthorities: readonly string[]): RequestTarget {
  if (raw.startsWith('/')) return originForm(raw);
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(raw);
  if (scheme === null) return refused('the request target must be a path starting with /');
  if (scheme[0].toLowerCase() !== 'http://') return refused('an absolute request target must use http');
  const rest = raw.slice(scheme[0].length);
  const end = rest.search(/[/?#\\]/);
  const authority = (end === -1 ? rest : rest.slice(0, end)).toLowerCase();
  const withPort = authority.includes(':') && !authority.endsWith(']') ? authority : `${authority}:80`;
  if (authority.includes('@') || !selfAuthorities.includes(withPort)) {
    return refused('an absolute request target may only name this gateway');
  }
  const tail = end === -1 ? '/' : rest.slice(end);
  return originForm(tail.startsWith('?') ? `/${tail}` : tail);
}

function originForm(raw: string): RequestTarget {
  const mark = raw.indexOf('?');
  const path = mark === -1 ? raw : raw.slice(0, mark);
  const query = mark === -1 ? '' : raw.slice(mark);
  const normalized = normalizePath(path);
  if (normalized === undefined)
    return refused('the path has a backslash, a malformed or refused percent-encoding (%2F, %5C, %00) or a fragment');
  return { kind: 'ok', path: normalized, query };
}

/**
 * The normalized form of a path (RFC 3986 §6.2.2, plus merged slashes):
 *
 * - percent-encoded unreserved characters are decoded (`%70anel` → `panel`, `%2e` → `.`), and
 *   every other percent-encoding is upper-cased (`%c3%a9` → `%C3%A9`);
 * - runs of `/` are merged (`/v1//panel` → `/v1/panel`);
 * - dot segments are resolved (`/a/./b/../c` → `/a/c`); `..` above the root is dropped, as
 *   RFC 3986 §5.2.4 does, so a path can never climb out of where it is joined;
 * - a trailing slash is kept (`/orders/` stays), and letter case is kept: paths are
 *   case-sensitive, as on API Gateway (the policy folds case for Denies instead);
 * - `undefined` (refuse) for a backslash, a `#`, a malformed `%` or a refused encoding
 *   (`%2F`, `%5C`, `%00`).
 *
 * Idempotent: a normalized path normalizes to itself.
 */
export function normalizePath(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('\\') || path.includes('#')) return undefined;
  let decoded = '';
  for (let i = 0; i < path.length; i += 1) {
    const char = path[i];
    if (char !== '%') {
      decoded += char;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const encoding = `%${hex.toUpperCase()}`;
    if (REFUSED_ENCODINGS.has(encoding)) return undefined;
    const value = String.fromCharCode(parseInt(hex, 16));
    decoded += UNRESERVED.test(value) ? value : encoding;
    i += 2;
  }
  const raw = decoded.split('/').slice(1);
  const last = raw[raw.length - 1];
  const segments: string[] = [];
  for (const segment of raw) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && (last === '' || last === '.' || last === '..');
  return `/${segments.join('/')}${trailing ? '/' : ''}`;
}

/**
 * The path the upstream receives: its base path (`/api`, from the upstream URL) followed by the
 * normalized request path. A normalized path has no dot segment, so the result always stays
 * under the base path; the check below holds that even if a caller passed a raw path.
 *
 * @throws Error when `path` is not normalized; the gateway never forwards it then.
 */
export function joinBasePath(basePath: string, path: string): string {
  const base = basePath.replace(/\/+$/, '');
  if (normalizePath(path) !== path) throw new Error('only a normalized path may be forwarded');
  return base + path;
}

function refused(reason: string): RequestTarget {
  return { kind: 'refused', reason };
}
