import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { authorize, type AuthorizeDeps } from '../core/auth/authorize';

/**
 * The TOKEN authorizer: API Gateway passes the `Authorization` header as `authorizationToken`.
 * Every refusal throws `Unauthorized`, which API Gateway answers with 401.
 */
export function createAuthorizerHandler(deps: AuthorizeDeps) {
  return async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> =>
    authorize(deps, event.authorizationToken, event.methodArn);
}
