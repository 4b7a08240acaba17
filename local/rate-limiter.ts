import type { PlanLimits } from '../lambdas/core/model';
import { quotaPeriodBounds, type QuotaPeriod } from '../lambdas/core/plans/quota';

/** A usage plan's limits for one usage identifier: the domain's {@link PlanLimits}, one definition for both. */
export type RateLimits = PlanLimits;

/** Whether a request may go on, and if not, why and when to retry. */
export type TakeResult =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'rate_limited' | 'quota_exceeded'; readonly retryAfterSeconds: number };
// token counts are sums of products of floats; a hair under one token is one token.
const EPSILON = 1e-9;

interface Bucket {
  tokens: number;
  updatedAt: number;
  capacity: number;
  rate: number;
}

interface QuotaWindow {
  readonly period: QuotaPeriod;
  readonly start: number;
  readonly end: number;
  used: number;
}

/**
 * Usage-plan throttling as API Gateway applies it per usage identifier (API key): a token
 * bucket holding `burstLimit` tokens, refilled continuously at `rateLimit` tokens per second and
 * full at first, and an optional quota of successful requests per calendar period in UTC.
 *
 * A refused request costs nothing: it takes no token and does not count against the quota.
 * When a key's limits change (a plan change), its bucket keeps what it had, clamped to the new
 * capacity, and refills at the new rate from then on; a change of quota period starts a fresh count.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly quotas = new Map<string, QuotaWindow>();

  /** @param now - the clock, in epoch milliseconds; passed in so tests can move time. */
  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes one request's worth of the key's allowance, or says why not. The quota is checked
   * first, since its wait is the longer one and a token spent on a request the quota refuses
   * would be lost.
   *
   * @throws RangeError when the limits are not usable (a rate or burst that is not a positive
   * finite number, a quota limit that is not a non-negative integer).
   */
  take(usageKey: string, limits: RateLimits): TakeResult {
    assertValidLimits(limits);
    const now = this.now();

    let window: QuotaWindow | undefined;
    if (limits.quota !== undefined) {
      window = this.windowFor(usageKey, limits.quota.period, now);
      if (window.used >= limits.quota.limit) {
        return {
          allowed: false,
          reason: 'quota_exceeded',
          retryAfterSeconds: Math.max(1, Math.ceil((window.end - now) / 1000)),
        };
      }
    }

    const bucket = this.refill(usageKey, limits, now);
    if (bucket.tokens + EPSILON < 1) {
      const wait = Math.ceil((1 - bucket.tokens) / bucket.rate - EPSILON);
      return { allowed: false, reason: 'rate_limited', retryAfterSeconds: Math.max(1, wait) };
    }
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    if (window !== undefined) window.used += 1;
    return { allowed: true };
  }

  /** Forgets one key's bucket and quota count, or every key's when none is given. */
  reset(usageKey?: string): void {
    if (usageKey === undefined) {
      this.buckets.clear();
      this.quotas.clear();
      return;
    }
    this.buckets.delete(usageKey);
    this.quotas.delete(usageKey);
  }

  /**
   * Successful requests counted against the key's quota in the period that contains `now`;
   * 0 when the key has no quota or its last counted period has ended.
   */
  usedInPeriod(usageKey: string, now: number = this.now()): number {
    const window = this.quotas.get(usageKey);
    if (window === undefined || now < window.start || now >= window.end) return 0;
    return window.used;
  }

  private windowFor(usageKey: string, period: QuotaPeriod, now: number): QuotaWindow {
    const current = this.quotas.get(usageKey);
    if (current !== undefined && current.period === period && now >= current.start && now < current.end) return current;
    const bounds = quotaPeriodBounds(period, now);
    const fresh: QuotaWindow = { period, start: bounds.start, end: bounds.end, used: 0 };
    this.quotas.set(usageKey, fresh);
    return fresh;
  }

  private refill(usageKey: string, limits: RateLimits, now: number): Bucket {
    const bucket = this.buckets.get(usageKey);
    if (bucket === undefined) {
      const full: Bucket = {
        tokens: limits.burstLimit,
        updatedAt: now,
        capacity: limits.burstLimit,
        rate: limits.rateLimit,
      };
      this.buckets.set(usageKey, full);
      return full;
    }
    // a clock that steps back refills nothing rather than draining the bucket.
    const elapsedMs = Math.max(0, now - bucket.updatedAt);
    // multiply before dividing, so that whole refills such as 100 ms at 10/s come out exact.
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (elapsedMs * bucket.rate) / 1000);
    bucket.updatedAt = now;
    // a changed plan takes effect from now: the old rate paid for the time that passed.
    bucket.capacity = limits.burstLimit;
    bucket.rate = limits.rateLimit;
    bucket.tokens = Math.min(bucket.tokens, bucket.capacity);
    return bucket;
  }
}

function assertValidLimits(limits: RateLimits): void {
  if (!Number.isFinite(limits.rateLimit) || limits.rateLimit <= 0) {
    throw new RangeError(`rateLimit must be a positive number of requests per second, received ${limits.rateLimit}`);
  }
  if (!Number.isFinite(limits.burstLimit) || limits.burstLimit < 1) {
    throw new RangeError(`burstLimit must be a number >= 1, received ${limits.burstLimit}`);
  }
  if (limits.quota !== undefined && (!Number.isInteger(limits.quota.limit) || limits.quota.limit < 0)) {
    throw new RangeError(`quota.limit must be an integer >= 0, received ${limits.quota.limit}`);
  }
}
