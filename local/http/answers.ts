/**
 * What the local gateway writes back itself (its gateway responses, configured answers) and how
 * it reads a request's head and body: the parts of API Gateway's HTTP side that are not routing
 * or authorization.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { errorBody, type ErrorCode } from '../../lambdas/core/http/errors';
import type { GatewayAnswer } from '../../lambdas/core/http/gateway-answers';
import { GATEWAY_ERRORS, type GatewayError, type GatewayResponseType } from '../../lambdas/core/http/gateway-responses';

/** The largest body read; API Gateway's own limit is 10 MB, handlers enforce 16 KiB (256 KiB for an import). */
const MAX_READ_BYTES = 1024 * 1024;

/** Answers a gateway response type in the contract's shape, with `headers` (CORS) added; the status. */
export function sendGatewayError(
  res: ServerResponse,
  type: GatewayResponseType,
  headers: Record<string, string> | undefined,
  retryAfterSeconds?: number,
): number {
  const error = GATEWAY_ERRORS[type];
  const retryAfter = 'retryAfter' in error && error.retryAfter ? (retryAfterSeconds ?? 1) : undefined;
  return sendError(res, error.status, error.code, error.message, headers, retryAfter);
}

/** Sends a configured answer byte for byte, with the headers of the gateway response it replaces. */
export function sendAnswer(
  res: ServerResponse,
  answer: GatewayAnswer,
  replaces: GatewayError,
  headers: Record<string, string> | undefined,
  retryAfterSeconds?: number,
): number {
  const all: Record<string, string> = {
    // api gateway sends a gateway response's template as application/json, whatever its text.
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
  };
  if (replaces.retryAfter === true) all['retry-after'] = String(retryAfterSeconds ?? 1);
  res.writeHead(answer.status, all);
  res.end(answer.body);
  return answer.status;
}

/** Answers `{"error":{code,message}}` with `status`; the status. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> | undefined,
  retryAfterSeconds?: number,
): number {
  const all: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  };
  if (retryAfterSeconds !== undefined) all['retry-after'] = String(retryAfterSeconds);
  res.writeHead(status, all);
  res.end(errorBody(code, message));
  return status;
}

/** A request header's first value. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A proxy result's headers as strings, for `writeHead`. */
export function flatHeaders(response: APIGatewayProxyResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) out[name] = String(value);
  return out;
}

/** The request's body, `undefined` when empty, `'too_large'` past what the gateway reads. */
export async function readBody(req: IncomingMessage): Promise<Buffer | undefined | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_READ_BYTES) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? undefined : Buffer.concat(chunks);
}
