import type { ErrorCode } from './errors';

/** A response API Gateway itself gives, before or instead of a handler. */
export interface GatewayError {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  /** Whether the answer carries `Retry-After`. */
  readonly retryAfter?: boolean;
}

/**
 * The gateway's own answers in the contract's error shape, keyed by API Gateway's response
 * type. The CDK stack turns these into gateway responses; the local gateway answers them as is.
 */
export const GATEWAY_ERRORS = {
  UNAUTHORIZED: {
    status: 401,
    code: 'unauthorized',
    message: 'a valid API key is required: send Authorization: Bearer <key>',
  },
  ACCESS_DENIED: { status: 403, code: 'forbidden', message: 'this key is not allowed to call this route' },
  // api gateway answers a route that does not exist with this type.
  MISSING_AUTHENTICATION_TOKEN: { status: 404, code: 'not_found', message: 'no such route' },
  INVALID_API_KEY: { status: 403, code: 'forbidden', message: 'this key has no usage plan' },
  THROTTLED: {
    status: 429,
    code: 'rate_limited',
    message: 'too many requests: slow down and retry after the given seconds',
    retryAfter: true,
  },
  QUOTA_EXCEEDED: {
    status: 429,
    code: 'quota_exceeded',
    message: 'the request quota of this plan is used up for the period',
    retryAfter: true,
  },
  REQUEST_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'the request is too large' },
  AUTHORIZER_FAILURE: { status: 500, code: 'internal_error', message: 'the authorizer failed; try again' },
  // the upstream of the front door could not be reached or answered nothing usable.
  INTEGRATION_FAILURE: { status: 502, code: 'bad_gateway', message: 'the upstream API could not be reached' },
  // api gateway gives an integration 29 s; the local gateway does the same.
  INTEGRATION_TIMEOUT: { status: 504, code: 'gateway_timeout', message: 'the upstream API did not answer in time' },
  DEFAULT_4XX: { status: 400, code: 'invalid_request', message: 'the request was not valid' },
  DEFAULT_5XX: { status: 500, code: 'internal_error', message: 'something went wrong on our side' },
} as const satisfies Record<string, GatewayError>;

/** One of API Gateway's response types that keygate answers in its own shape. */
export type GatewayResponseType = keyof typeof GATEWAY_ERRORS;
