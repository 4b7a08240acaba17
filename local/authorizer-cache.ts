import { createHash } from 'node:crypto';

/** The default bound on entries, so a flood of distinct tokens cannot grow memory without limit. */
export const DEFAULT_MAX_ENTRIES = 10_000;

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/** What a caller holds between asking the authorizer and caching its answer. */
export interface CacheTicket {
  readonly generation: number;
}

const DAY_MS = 86_400_000;

/**
 * The TOKEN authorizer's result cache, as API Gateway keeps it per stage: keyed by the identity
 * source (the `Authorization` header value), each entry living for the authorizer's TTL
 * (`authorizerResultTtlInSeconds`), all of them dropped at once by {@link flush}, as
 * `FlushStageAuthorizersCache` does.
 *
 * Tokens are stored as their SHA-256, so no plaintext key sits in the map, and a heap dump of
 * the gateway shows no usable key. The cache holds at most `maxEntries` entries and evicts the
 * oldest first; with one TTL for all, the oldest entry is also the one closest to expiry.
 *
 * Unlike API Gateway, it never stores an answer that was computed before the latest flush: an
 * authorizer call that read a key just before it was revoked would otherwise cache its Allow
 * after the revocation's flush, for the whole TTL. A caller takes a {@link ticket} before it
 * calls the authorizer and hands it to {@link set}; a flush in between voids the ticket.
 *
 * Flushes can also be scheduled ({@link flushAt}: a grace period's end) and happen at every
 * 00:00 UTC (keys expire then). A due flush is done before any read or write of the cache, so
 * it is exact to the millisecond on the cache's clock, with no timer to fire late.
 */
export class AuthorizerCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private generation = 0;
  /** Scheduled flush times, ascending, in epoch milliseconds. */
  private scheduled: number[] = [];
  private nextMidnight: number;

  /**
   * @param ttlMs - how long a result is served from the cache; 0 disables caching.
   * @param now - the clock, in epoch milliseconds; passed in so tests can move time.
   * @param maxEntries - the most results held at once.
   * @throws RangeError when `ttlMs` is negative or not finite, or `maxEntries` is not a positive integer.
   */
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries: number = DEFAULT_MAX_ENTRIES,
  ) {
    if (!Number.isFinite(ttlMs) || ttlMs < 0) {
      throw new RangeError(`ttlMs must be a finite number of milliseconds >= 0, received ${ttlMs}`);
    }
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, received ${maxEntries}`);
    }
    this.nextMidnight = nextUtcMidnight(this.now());
  }

  /** Taken before calling the authorizer; {@link set} refuses the answer if a flush came since. */
  ticket(): CacheTicket {
    this.flushIfDue();
    return { generation: this.generation };
  }

  /** The cached result for a token, or `undefined` when there is none or it has expired. */
  get(token: string): T | undefined {
    this.flushIfDue();
    const key = hashToken(token);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Caches a result for a token for the TTL; does nothing when caching is disabled, or when the
   * cache was flushed after `ticket` was taken (the answer may predate a revocation).
   */
  set(token: string, value: T, ticket?: CacheTicket): void {
    this.flushIfDue();
    if (this.ttlMs === 0) return;
    if (ticket !== undefined && ticket.generation !== this.generation) return;
    const key = hashToken(token);
    // re-inserting moves the entry to the young end of the map's insertion order.
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  /** Drops every cached result, as `FlushStageAuthorizersCache` does for a stage. */
  flush(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /**
   * Flushes at `at` (epoch milliseconds), e.g. when a rotated-out key's grace period ends. A time
   * already scheduled is scheduled once, as AWS's one-time schedule named after the key and time.
   */
  flushAt(at: number): void {
    if (at <= this.now()) {
      this.flush();
      return;
    }
    if (this.scheduled.includes(at)) return;
    const index = this.scheduled.findIndex((time) => time > at);
    this.scheduled.splice(index === -1 ? this.scheduled.length : index, 0, at);
  }

  /** How many scheduled flushes are still to come (midnight's not counted). */
  get pendingFlushes(): number {
    return this.scheduled.length;
  }

  private flushIfDue(): void {
    const now = this.now();
    let due = false;
    while (this.scheduled.length > 0 && this.scheduled[0] <= now) {
      this.scheduled.shift();
      due = true;
    }
    // a clock set back (tests, or a corrected system clock) must not skip the next midnight.
    if (now < this.nextMidnight - DAY_MS) this.nextMidnight = nextUtcMidnight(now);
    if (now >= this.nextMidnight) {
      this.nextMidnight = nextUtcMidnight(now);
      due = true;
    }
    if (due) this.flush();
  }

  /** How many results are held, expired ones not yet dropped included. */
  get size(): number {
    return this.entries.size;
  }
}

function nextUtcMidnight(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}
