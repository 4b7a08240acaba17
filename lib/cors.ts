import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import {
  CORS_ALLOW_HEADERS,
  CORS_EXPOSE_HEADERS,
  CORS_MAX_AGE_SECONDS,
  preflightResources,
} from '../lambdas/core/http/cors';
import type { Route } from '../lambdas/core/http/routes';
import { ENV } from '../lambdas/runtime/env-names';
import type { KeygateFunction } from './keygate-function';

/**
 * The CORS headers of every gateway response (401, 403, 429, 4XX, 5XX...): without them a
 * browser reports API Gateway's own refusals as network errors. A gateway response's headers are
 * static values or request parameters, and its template is not run through VTL
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.gatewayResponse.html),
 * so it cannot pick from a list: with one origin it names that origin; with several it echoes
 * the request's `Origin`, which lets any page read these static error bodies (never a handler's
 * answer: keygate sends no `Access-Control-Allow-Credentials`, and keys travel in a header a
 * page sets itself).
 *
 * @returns `responseHeaders` for `addGatewayResponse`; none without origins.
 */
export function gatewayCorsHeaders(origins: readonly string[] | undefined): Record<string, string> {
  if (origins === undefined || origins.length === 0) return {};
  return {
    'Access-Control-Allow-Origin': origins.length === 1 ? `'${origins[0]}'` : 'method.request.header.Origin',
    'Access-Control-Expose-Headers': `'${CORS_EXPOSE_HEADERS.join(',')}'`,
    Vary: "'Origin'",
  };
}

/**
 * CORS for keygate's own routes: an `OPTIONS` method on each of their resources, answered by a
 * mock integration without the authorizer or an API key (a preflight carries no key), and the
 * origins in the environment of the functions, which add the headers to their own answers (API
 * Gateway adds none to a Lambda proxy integration's:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html). The front door's
 * `{proxy+}` gets none: its backend owns its CORS.
 */
export function addKeygateCors(
  api: apigateway.RestApi,
  routes: readonly Route[],
  functions: readonly KeygateFunction[],
  origins: readonly string[],
): void {
  for (const [path, methods] of preflightResources(routes)) {
    // with several origins the mock integration's template echoes a listed origin (a
    // responseOverride), and answers any other with the first one, which the browser refuses.
    const method = api.root.resourceForPath(path).addCorsPreflight({
      allowOrigins: [...origins],
      allowMethods: methods,
      allowHeaders: [...CORS_ALLOW_HEADERS],
      maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
      statusCode: 204,
    });
    Validations.of(method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason: `OPTIONS ${path} is a CORS preflight: browsers send it without credentials, and its mock integration only answers the CORS headers`,
      },
      { id: 'AwsSolutions-COG4', reason: `OPTIONS ${path} is a CORS preflight, sent without credentials` },
    );
  }
  for (const fn of functions) fn.addEnvironment(ENV.corsOrigins, JSON.stringify(origins));
}
