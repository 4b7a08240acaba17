/** The error codes of the HTTP contract, with the status each answers. */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  tenant_id_retired: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  internal_error: 500,
  bad_gateway: 502,
  gateway_timeout: 504,
} as const;

/** One of the contract's error codes. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * An error the caller is meant to see: its code and message go out in the contract's shape
 * `{ error: { code, message } }`. Anything else thrown is answered as a generic 500.
 */
export class ApiError extends Error {
  /** The HTTP status that goes with {@link code}. */
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }
}

/** 400 with a message naming what is wrong. */
export const invalidRequest = (message: string): ApiError => new ApiError('invalid_request', message);

/** 404 worded the same for an id that does not exist and one that belongs to another tenant. */
export const notFound = (what = 'key'): ApiError => new ApiError('not_found', `no such ${what}`);

/** 403 for a caller whose role does not allow the action. */
export const forbidden = (message = 'this key is not allowed to do that'): ApiError =>
  new ApiError('forbidden', message);

/** 409 for a write that lost a race or does not fit the item's current state. */
export const conflict = (message: string): ApiError => new ApiError('conflict', message);

/** 409 for a tenant id that a deleted tenant had: tenant ids are never reused. */
export const tenantIdRetired = (tenantId: string): ApiError =>
  new ApiError(
    'tenant_id_retired',
    `tenant id ${tenantId} belonged to a deleted tenant: tenant ids are never reused, choose another`,
  );

/** The contract's error body. */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
