/** How the client retries; every field has a default (see {@link DEFAULT_RETRY}). */
export interface RetrySettings {
  /** Retries after the first attempt; 0 turns retrying off. */
  readonly maxRetries: number;
  /** The first backoff's ceiling; each retry doubles it. */
  readonly initialDelayMs: number;
  /** No backoff is longer than this (Retry-After aside). */
  readonly maxDelayMs: number;
  /**
   * A `Retry-After` longer than this is not waited for: the call fails at once with
   * `retryAfter` set (a used-up daily quota says hours; a process should not sleep that long).
   */
  readonly maxRetryAfterMs: number;
}

/** The defaults: 2 retries, backoff from 0.5 s doubling to at most 8 s, Retry-After up to 60 s. */
export const DEFAULT_RETRY: RetrySettings = {
  maxRetries: 2,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Statuses worth another attempt: 429 (the gateway refused before anything ran) and the 5xx
 * that a repeat can cure (a Lambda that failed half way finishes on the next try, e.g. a
 * tenant deletion; a gateway timeout or bad gateway is often transient).
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/**
 * Whether an answer with this status leaves it unknown if the request took effect: a 5xx may
 * come after the handler changed something; a 429 never does.
 */
export const isAmbiguousStatus = (status: number): boolean => status >= 500;

/**
 * The wait before retry number `retry` (1-based): "full jitter" exponential backoff (a random
 * wait between 0 and `initialDelayMs · 2^(retry-1)`, capped at `maxDelayMs`), so clients that
 * failed together do not come back together. With a `Retry-After`, never sooner than it says:
 * the server's wait plus a jitter of up to one initial delay.
 *
 * @param random - a number in [0, 1), e.g. `Math.random()`.
 */
export function backoffMs(retry: number, settings: RetrySettings, random: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(random * settings.initialDelayMs);
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** (retry - 1));
  return Math.floor(random * ceiling);
}

/**
 * `Retry-After` in milliseconds: delay-seconds (what keygate and API Gateway send) or an
 * HTTP-date. `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
