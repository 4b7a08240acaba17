import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { AuthorizerContext } from '../core/model';
import {
  callerSchema,
  errorResponse,
  type ApiRequest,
  type PublicRequest,
  type PublicRouteHandler,
  type RouteHandler,
} from '../core/http/http';
import type { Logger } from '../core/support/logger';
import { systemClock, type Clock } from '../core/support/clock';
import { assertSessionLive } from '../core/sessions/model';

/**
 * Adapts API Gateway proxy events to {@link ApiRequest}s and routes them by `METHOD resource`;
 * every error leaves in the contract's shape. The local gateway builds the very same events.
 */
export function proxyHandler(
  routes: Readonly<Record<string, RouteHandler>>,
  logger: Logger,
  /** Tells a session that ended after its Allow was cached (see `assertSessionLive`). @default - the system clock */
  clock: Clock = systemClock,
  /**
   * Routes without a key (`auth: 'none'`), which authenticate their caller from the request; they
   * never see a caller, whatever the event carries. @default - none
   */
  publicRoutes: Readonly<Record<string, PublicRouteHandler>> = {},
) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      const open = publicRoutes[`${event.httpMethod} ${event.resource}`];
      if (open !== undefined) return await open(toPublicRequest(event));
      const route = routes[`${event.httpMethod} ${event.resource}`];
      if (route === undefined) throw new Error(`no handler for ${event.httpMethod} ${event.resource}`);
      const request = toApiRequest(event);
      assertSessionLive(request.caller, clock());
      return await route(request);
    } catch (error) {
      return errorResponse(error, logger);
    }
  };
}

function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  const caller = callerSchema.safeParse(event.requestContext.authorizer ?? {});
  // only a wiring mistake gets here: the authorizer always sets these fields.
  if (!caller.success) throw new Error('the request has no valid authorizer context');
  return { ...toPublicRequest(event), caller: caller.data as AuthorizerContext };
}

function toPublicRequest(event: APIGatewayProxyEvent): PublicRequest {
  const body =
    event.body === null
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: event.httpMethod,
    resource: event.resource,
    pathParameters: compact(event.pathParameters),
    query: compact(event.queryStringParameters),
    headers: lowerCased(compact(event.headers)),
    body,
  };
}

function compact(values: Record<string, string | undefined> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values ?? {})) if (value !== undefined) out[name] = value;
  return out;
}

/** Header names are case-insensitive; API Gateway passes them as the client spelled them. */
function lowerCased(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
