import { createHash } from 'node:crypto';

/** The default bound on entries, so a flood of distinct tokens cannot grow memory without limit. */
export const DEFAULT_MAX_ENTRIES = 10_000;

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/**
 * The TOKEN authorizer's result cache, as API Gateway keeps it per stage: keyed by the identity
 * source (the `Authorization` header value), each entry living for the authorizer's TTL
 * (`authorizerResultTtlInSeconds`), all of them dropped at once by {@link flush}, as
 * `FlushStageAuthorizersCache` does.
 *
 * Tokens are stored as their SHA-256, so no plaintext key sits in the map, and a heap dump of
 * the gateway shows no usable key. The cache holds at most `maxEntries` entries and evicts the
 * oldest first; with one TTL for all, the oldest entry is also the one closest to expiry.
 */
export class AuthorizerCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

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
  }

  /** The cached result for a token, or `undefined` when there is none or it has expired. */
  get(token: string): T | undefined {
    const key = hashToken(token);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Caches a result for a token for the TTL; does nothing when caching is disabled. */
  set(token: string, value: T): void {
    if (this.ttlMs === 0) return;
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
    this.entries.clear();
  }

  /** How many results are held, expired ones not yet dropped included. */
  get size(): number {
    return this.entries.size;
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}
