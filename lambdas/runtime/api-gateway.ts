import { APIGatewayClient, NotFoundException, TooManyRequestsException } from '@aws-sdk/client-api-gateway';

/** The process's one API Gateway client. */
export const apiGatewayClient = new APIGatewayClient({});

/**
 * The API Gateway client for control-plane calls made through `ApiGatewayUsagePlans`.
 * The SDK's own retries are off so that `withBackoff` is the one retry layer: two layers would
 * multiply the attempts against a 5 calls/s limit.
 */
export const controlPlaneClient = new APIGatewayClient({ maxAttempts: 1 });

/** What keygate needs of an API Gateway client: sending commands (an in-process fake stands in locally). */
export type ApiGatewaySender = Pick<APIGatewayClient, 'send'>;

/** True for API Gateway's `TooManyRequestsException` (429), the one error worth retrying here. */
export function isTooManyRequests(error: unknown): boolean {
  return error instanceof TooManyRequestsException;
}

/** True for API Gateway's `NotFoundException` (404): the resource named does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundException;
}

/**
 * True for an IAM refusal (`AccessDeniedException`, 403). The API Gateway SDK has no class of its
 * own for it, so the error's name tells.
 */
export function isAccessDenied(error: unknown): boolean {
  return error instanceof Error && error.name === 'AccessDeniedException';
}
