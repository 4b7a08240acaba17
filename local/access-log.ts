import type { IncomingMessage } from 'node:http';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { formatAccessRecord } from '../lambdas/core/usage/access-record';

/** One request as the local gateway saw it. */
export interface LocalRequestOutcome {
  readonly requestId: string;
  /** When it arrived, ms since the epoch (the gateway's clock). */
  readonly receivedAt: number;
  readonly stage: string;
  readonly req: IncomingMessage;
  readonly method: string;
  /** The route's resource path, or the path when no route matched. */
  readonly resource: string;
  readonly status: number;
  readonly latencyMs: number;
  /** The authorizer's answer, when it gave one (an Allow, or a Deny with its context). */
  readonly authorized?: APIGatewayAuthorizerResult | undefined;
  /** The gateway response the gateway itself answered with, if it did. */
  readonly errorType?: string | undefined;
}

/**
 * The client's address as the gateway's socket saw it: never a forwarded header, which any
 * client may set. An IPv4 client of a dual-stack socket shows as `::ffff:a.b.c.d`; API Gateway
 * would log `a.b.c.d`.
 */
export function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '-';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

/**
 * The access log line API Gateway would write for the request: the same fields, filled the
 * same way (the caller from the authorizer's answer, `-` for what is missing).
 */
export function localAccessLine(outcome: LocalRequestOutcome): string {
  const context = outcome.authorized?.context ?? {};
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const keyId = text(outcome.authorized?.principalId);
  const tenantId = text(context.tenantId);
  const environment = text(context.environment);
  const userAgent = text(outcome.req.headers['user-agent']);
  return formatAccessRecord({
    requestId: outcome.requestId,
    requestTimeEpoch: outcome.receivedAt,
    stage: outcome.stage,
    ip: clientAddress(outcome.req),
    method: outcome.method,
    resource: outcome.resource,
    status: outcome.status,
    latencyMs: Math.round(outcome.latencyMs),
    ...(keyId === undefined ? {} : { keyId }),
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(environment === undefined ? {} : { environment }),
    ...(outcome.errorType === undefined ? {} : { errorType: outcome.errorType }),
    ...(userAgent === undefined ? {} : { userAgent }),
  });
}
