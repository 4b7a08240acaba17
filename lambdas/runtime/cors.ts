import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { corsHeaders, headerValue, withCorsHeaders } from '../core/http/cors';
import { jsonFromEnv } from './env';
import { ENV } from './env-names';

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * A proxy handler whose every answer carries the CORS headers for the request's `Origin`: with a
 * Lambda proxy integration API Gateway adds none, so the function must
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html). Without
 * origins the handler is returned as is.
 */
export function withCors(handler: ProxyHandler, origins: readonly string[]): ProxyHandler {
  if (origins.length === 0) return handler;
  return async (event) => {
    const response = await handler(event);
    const cors = corsHeaders(origins, headerValue(event.headers, 'origin'));
    const headers = Object.fromEntries(
      Object.entries(response.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    return { ...response, headers: withCorsHeaders(headers, cors) };
  };
}

/** `keygate:corsOrigins` as the constructs set it; none when the variable is absent. */
export function corsOriginsFromEnv(): readonly string[] {
  if (process.env[ENV.corsOrigins] === undefined || process.env[ENV.corsOrigins] === '') return [];
  const origins = jsonFromEnv<unknown>(ENV.corsOrigins);
  if (!Array.isArray(origins) || !origins.every((origin) => typeof origin === 'string'))
    throw new Error(`environment variable ${ENV.corsOrigins} must be a JSON list of origins`);
  return origins;
}
