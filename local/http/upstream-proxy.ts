import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  contextHeaders,
  RESERVED_HEADER_PREFIX,
  SECRET_HEADER,
  UPSTREAM_TIMEOUT_MS,
} from '../../lambdas/core/http/upstream';
import { matchRoute, type RouteLike } from '../router';

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
 * (the upstream's own is set) and `authorization` (the key never leaves the gateway).
 */
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'host',
  'authorization',
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

/**
 * The request headers the upstream receives: the client's, minus hop-by-hop headers, `host`,
 * `authorization` and every `x-keygate-*` header, plus the authorizer context and the secret.
 *
 * @throws Error when the context lacks a field: the request must then not be forwarded.
 */
export function upstreamHeaders(
  rawHeaders: readonly string[],
  context: Readonly<Record<string, unknown>>,
  secret: string | undefined,
): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (DROPPED.has(name) || name.startsWith(RESERVED_HEADER_PREFIX)) continue;
    const existing = headers[name];
    headers[name] = existing === undefined ? rawHeaders[i + 1] : [existing, rawHeaders[i + 1]].flat();
  }
  Object.assign(headers, contextHeaders(context));
  if (secret !== undefined) headers[SECRET_HEADER] = secret;
  return headers;
}

/**
 * Forwards an authorized request to the upstream, streaming the body both ways, and copies the
 * upstream's status, headers and body to the client unchanged. Never answers an error itself:
 * the caller turns an outcome other than `answered` into a gateway error while it still can.
 *
 * @param pathAndQuery - the request's path and query string as received (`/orders/1?x=1`).
 */
export function forwardToUpstream(
  req: IncomingMessage,
  res: ServerResponse,
  target: UpstreamTarget,
  pathAndQuery: string,
  headers: OutgoingHttpHeaders,
): Promise<ForwardOutcome> {
  const base = new URL(target.url);
  const url = new URL(base.pathname.replace(/\/+$/, '') + pathAndQuery, base);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<ForwardOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: ForwardOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const upstream = send(url, { method: req.method, headers });
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
