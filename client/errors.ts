/**
 * Codes the client itself gives an error when no contract error came back: no answer at all, an
 * answer that is not the contract's shape, or a creation replayed without its plaintext.
 */
export type ClientErrorCode = 'connection_error' | 'timeout' | 'aborted' | 'invalid_response' | 'replayed_without_key';

import type { ErrorCode } from './types';

/**
 * Every failure of a call: an error answer in the contract's shape
 * (`{ "error": { "code", "message" } }`), or, as the subclass {@link KeygateConnectionError}, no
 * answer at all. Never carries the API key or any plaintext key.
 */
export class KeygateError extends Error {
  /** The HTTP status, or 0 when no answer arrived. */
  readonly status: number;
  /**
   * The contract's snake_case code (`not_found`, `rate_limited`, ...), or one of
   * {@link ClientErrorCode} when the client had to make one up.
   */
  // `string & {}` keeps the known codes in autocompletion while allowing codes a newer server adds.
  readonly code: ErrorCode | ClientErrorCode | (string & {});
  /** The gateway's request id (`x-amzn-RequestId`), when the answer had one: quote it in support tickets. */
  readonly requestId?: string;
  /** Seconds the server asked to wait (`Retry-After`), when it did; set on 429 answers. */
  readonly retryAfter?: number;
  /** How many requests were sent for this call, retries included. */
  readonly attempts: number;

  /** @internal built by the client; not meant to be constructed by users. */
  constructor(fields: {
    status: number;
    code: string;
    message: string;
    requestId?: string;
    retryAfter?: number;
    attempts?: number;
    cause?: unknown;
  }) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'KeygateError';
    this.status = fields.status;
    this.code = fields.code;
    if (fields.requestId !== undefined) this.requestId = fields.requestId;
    if (fields.retryAfter !== undefined) this.retryAfter = fields.retryAfter;
    this.attempts = fields.attempts ?? 1;
  }
}

/**
 * No answer came: the connection failed, the attempt timed out, or the caller aborted. `status`
 * is 0; `code` is `connection_error`, `timeout` or `aborted`; `cause` is the underlying error.
 * When a call that changes something ends this way, whether it took effect is unknown.
 */
export class KeygateConnectionError extends KeygateError {
  constructor(fields: {
    code: 'connection_error' | 'timeout' | 'aborted';
    message: string;
    attempts?: number;
    cause?: unknown;
  }) {
    super({ status: 0, ...fields });
    this.name = 'KeygateConnectionError';
  }
}

/**
 * A creation (key, rotation or tenant) answered as a replay of an earlier request with the same
 * `Idempotency-Key`: the key exists, but its plaintext was only in the first answer and keygate
 * keeps it nowhere. This happens when the first answer was lost on the way (the client retried)
 * or when the same idempotency key is used twice on purpose. {@link record} says which key it is,
 * so it can be revoked, or rotated for a new plaintext.
 */
export class KeygateReplayError<T = unknown> extends KeygateError {
  /** The replayed answer: the key record (or `{ tenant, key }`), without plaintext. */
  readonly record: T;

  constructor(fields: { status: number; record: T; keyId: string | undefined; requestId?: string; attempts?: number }) {
    super({
      status: fields.status,
      code: 'replayed_without_key',
      message:
        `this creation was already done under the same Idempotency-Key: the key${fields.keyId === undefined ? '' : ` ${fields.keyId}`} exists, ` +
        'but its plaintext was only in the first answer; revoke it, or rotate it for a new plaintext',
      ...(fields.requestId === undefined ? {} : { requestId: fields.requestId }),
      ...(fields.attempts === undefined ? {} : { attempts: fields.attempts }),
    });
    this.name = 'KeygateReplayError';
    this.record = fields.record;
  }
}
