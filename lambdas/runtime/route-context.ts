import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { AuthorizerContext } from '../core/model';
import { ApiError } from '../core/http/errors';
import { callerSchema, errorResponse } from '../core/http/http';
import { jsonLogger, type Logger } from '../core/support/logger';

/** Who is calling a route of your own, as keygate's authorizer established it. */
export type KeygateContext = Pick<AuthorizerContext, 'tenantId' | 'keyId' | 'environment' | 'role' | 'plan'>;

/** A route handler that is handed the caller's {@link KeygateContext}. */
export type KeygateRouteHandler = (
  event: APIGatewayProxyEvent,
  caller: KeygateContext,
) => Promise<APIGatewayProxyResult>;

/**
 * The caller of a proxy event, from `requestContext.authorizer`.
 *
 * @throws ApiError 500 `internal_error` when the event has no valid keygate context: the route
 *   is not behind keygate's authorizer, a wiring mistake that must never be served.
 */
export function keygateContext(event: APIGatewayProxyEvent): KeygateContext {
  const parsed = callerSchema.safeParse(event.requestContext?.authorizer ?? {});
  if (!parsed.success) throw new ApiError('internal_error', 'this route is not behind the keygate authorizer');
  // the authorizer's policy keeps sessions to keygate's own routes; this is the second lock.
  if (parsed.data.session !== undefined)
    throw new ApiError('forbidden', "a session reaches keygate's own routes only; use an API key");
  const { tenantId, keyId, environment, role, plan } = parsed.data;
  return { tenantId, keyId, environment, role, plan };
}

/**
 * Wraps a route handler: it runs only with a valid keygate context (else 500 in the contract's
 * shape, logged), and an {@link ApiError} it throws becomes the contract's error answer; anything
 * else thrown is a generic 500 whose cause goes to the log only.
 *
 * @example export const handler = keygateHandler(async (event, caller) => ({ statusCode: 200, body: caller.tenantId }));
 */
export function keygateHandler(fn: KeygateRouteHandler, logger: Logger = jsonLogger({ source: 'keygate-route' })) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      let caller: KeygateContext;
      try {
        caller = keygateContext(event);
      } catch (error) {
        logger.error('request without keygate context refused', { resource: event.resource, method: event.httpMethod });
        throw error;
      }
      return await fn(event, caller);
    } catch (error) {
      return errorResponse(error, logger);
    }
  };
}
