import {
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestOptions,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  contextHeaders,
  RESERVED_HEADER_PREFIX,
  SECRET_HEADER,
  UPSTREAM_TIMEOUT_MS,
} from '../../lambdas/core/http/upstream';
import { matchRoute, type RouteLike } from '../router';
import { joinBasePath } from './normalize-path';

/** Where the local front door forwards, and how. */
export interface UpstreamTarget {
  /** The backend's base URL (`http://localhost:8080`); the request's path and query are appended. */
  readonly url: string;
  /** Sent as `x-keygate-secret`. @default - no secret header */
  readonly secret?: string;
  /** How long the upstream has to answer completely. @default 29 000 ms, as API Gateway */
  readonly timeoutMs?: number;
}

/** How a forwarded request ended, for the gateway's answer and its log line. */
export type ForwardOutcome =
  | { readonly kind: 'answered'; readonly status: number }
  | {
      readonly kind: 'unreachable';
      /** Why, for the log: the socket error's code and message (no header, no key is in either). */
      readonly cause: string;
    }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'too_large' };

/**
 * A socket error as a log line may show it: its code and message (`ECONNREFUSED: connect
 * ECONNREFUSED 127.0.0.1:4110`), cut to 200 characters. Node's messages name the address and
 * the failure, never a request's headers or body.
 */
function causeOf(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const text = code === undefined || error.message.startsWith(code) ? error.message : `${code}: ${error.message}`;
  return text.slice(0, 200);
}

/** API Gateway's payload limit; bigger requests are refused with 413, as there. */
export const MAX_UPSTREAM_REQUEST_BYTES = 10 * 1024 * 1024;

/**
 * Headers that belong to one connection (RFC 9110 §7.6.1) and are never forwarded, plus `host`
 * (the upstream's own is set) and `authorization` (the key never leaves the gateway). The
 * `x-forwarded-*` and `forwarded` headers are set afresh from what the client sent and who it is.
 * `transfer-encoding` is left to Node, which frames the streamed body itself.
 */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
  'host',
  'authorization',
  'x-forwarded-for',
  'x-forwarded-proto',
  'forwarded',
]);
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'transfer-encoding',
]);
/** Framing headers that a `Connection` list must not remove: the body could not be read without them. */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/**
 * Whether a path names a resource of keygate's own API, methods or not (`/v1`, `/v1/keys/{id}`):
 * as in API Gateway, such a path is answered by keygate (404 for a missing method) and never
 * reaches the `{proxy+}` catch-all.
 */
export function isKeygateResource(routes: readonly RouteLike[], path: string): boolean {
  const resources = new Set<string>();
  for (const route of routes) {
    const segments = route.path.split('/');
    for (let end = 2; end <= segments.length; end += 1) resources.add(segments.slice(0, end).join('/'));
  }
  const probe: RouteLike[] = [...resources].map((resource) => ({ method: 'GET', path: resource }));
  return matchRoute(probe, 'GET', path).kind !== 'not_found';
}

/** Who sent a forwarded request, for `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded`. */
export interface ForwardedFor {
  /** The client's address as the socket saw it (`127.0.0.1`, `::1`). */
  readonly address: string;
  /** The scheme the client used to reach the gateway. */
  readonly proto: 'http' | 'https';
}

/**
 * The request headers the upstream receives: the client's, minus
 *
 * - hop-by-hop headers and every header the client's `Connection` names (RFC 9110 §7.6.1);
 * - `host` and `authorization`;
 * - every name with an `_` (as nginx drops them by default): WSGI and CGI servers read
 *   `x_keygate_role` as `X-Keygate-Role` and `x_forwarded_for` as `X-Forwarded-For`, and may merge
 *   it with the real one;
 * - every `x-keygate-*` header in any letter case;
 *
 * plus the authorizer context, the secret, `X-Forwarded-For` (the client's list with its address
 * appended, as API Gateway does), `X-Forwarded-Proto` and `Forwarded` (the client's elements with
 * one for this hop appended). Only the last element of either list is the gateway's word.
 *
 * @throws Error when the context lacks a field: the request must then not be forwarded.
 */
export function upstreamHeaders(
  rawHeaders: readonly string[],
  context: Readonly<Record<string, unknown>>,
  secret: string | undefined,
  client: ForwardedFor,
): OutgoingHttpHeaders {
  const named = new Set<string>();
  const values = (wanted: string): string[] => {
    const found: string[] = [];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2)
      if (rawHeaders[i].toLowerCase() === wanted) found.push(rawHeaders[i + 1]);
    return found;
  };
  for (const value of values('connection')) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !FRAMING.has(name)) named.add(name);
    }
  }
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (DROPPED.has(name) || named.has(name) || name.includes('_') || name.startsWith(RESERVED_HEADER_PREFIX)) continue;
    const existing = headers[name];
    headers[name] = existing === undefined ? rawHeaders[i + 1] : [existing, rawHeaders[i + 1]].flat();
  }
  Object.assign(headers, contextHeaders(context));
  if (secret !== undefined) headers[SECRET_HEADER] = secret;
  headers['x-forwarded-for'] = [...values('x-forwarded-for'), client.address].join(', ');
  headers['x-forwarded-proto'] = client.proto;
  // rfc 7239 §6: an ipv6 address is quoted and bracketed.
  const node = client.address.includes(':') ? `"[${client.address}]"` : client.address;
  headers.forwarded = [...values('forwarded'), `for=${node};proto=${client.proto}`].join(', ');
  return headers;
}

/**
 * Forwards an authorized request to the upstream, streaming the body both ways, and copies the
 * upstream's status, headers and body to the client unchanged. Never answers an error itself:
 * the caller turns an outcome other than `answered` into a gateway error while it still can.
 *
 * Only the upstream's own origin is ever contacted: the connection goes to its host and port,
 * and the path is the upstream's base path joined with the normalized request path, written on
 * the request line as is (never resolved against the upstream URL, where `//host` would win).
 *
 * @param pathAndQuery - the normalized path and the query as received (`/orders/1?x=1`), from
 *   `parseRequestTarget` in `normalize-path.ts`.
 */
export function forwardToUpstream(
  req: IncomingMessage,
  res: ServerResponse,
  target: UpstreamTarget,
  pathAndQuery: string,
  headers: OutgoingHttpHeaders,
): Promise<ForwardOutcome> {
  const base = new URL(target.url);
  const mark = pathAndQuery.indexOf('?');
  const path = joinBasePath(base.pathname, mark === -1 ? pathAndQuery : pathAndQuery.slice(0, mark));
  const query = mark === -1 ? '' : pathAndQuery.slice(mark);
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
  const options: RequestOptions = {
    protocol: base.protocol,
    // node wants an ipv6 address without its brackets.
    hostname: base.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: base.port === '' ? undefined : Number(base.port),
    path: path + query,
    method: req.method,
    headers,
  };
  return new Promise<ForwardOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: ForwardOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const upstream = send(options);
    const fail = (outcome: ForwardOutcome): void => {
      // after the outcome is known, the gateway owns the response: a late error must not touch it.
      if (settled) return;
      upstream.destroy();
      // once the upstream's status has gone out, the answer can only be cut short.
      if (res.headersSent) res.destroy();
      settle(outcome);
    };
    const timer = setTimeout(() => fail({ kind: 'timeout' }), target.timeoutMs ?? UPSTREAM_TIMEOUT_MS);
    upstream.on('error', (error) => fail({ kind: 'unreachable', cause: causeOf(error) }));
    upstream.on('response', (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headersDistinct)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value.length === 1 ? value[0] : value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.on('end', () => settle({ kind: 'answered', status: answer.statusCode ?? 502 }));
      answer.on('error', (error) => fail({ kind: 'unreachable', cause: causeOf(error) }));
    });
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_UPSTREAM_REQUEST_BYTES) {
        req.unpipe(upstream);
        fail({ kind: 'too_large' });
      }
    });
    req.pipe(upstream);
  });
}
