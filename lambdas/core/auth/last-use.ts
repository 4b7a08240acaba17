import type { KeyStore } from '../store/store';
import { utcDay } from '../store/table';
import { describeError, type Logger } from '../support/logger';

/** How often, at most, a key's `lastUsedAt` is written unless configured (`keygate:lastUsedIntervalSeconds`). */
export const DEFAULT_LAST_USED_INTERVAL_SECONDS = 60;

/**
 * Records that a real key was presented: one whose hash matched its item. The authorizer records
 * the uses it sees; the usage aggregator those of the access log, whose key ids come from the
 * authorizer's answers (cached ones too) and so name only keys whose hash matched.
 */
export interface LastUseRecorder {
  /**
   * Notes the use of a key whose hash has just matched. Returns the write it started, which
   * never rejects, for the caller to await; `undefined` when nothing is written (used moments ago).
   */
  record(keyId: string, at: Date): Promise<void> | undefined;
  /**
   * Notes a use before the read, for a key id that matched in this process before (so it names a
   * real key); `undefined` for any other id, whose use waits for {@link LastUseRecorder.record}.
   * @default - every write waits for the hash to match.
   */
  recordAhead?(keyId: string, at: Date): Promise<void> | undefined;
}

/**
 * Records `lastUsedAt` (and the key's activity day) at most once per key per interval: an
 * in-memory throttle per process (no write at all for repeat uses) plus a conditional write that
 * holds across processes, and only moves forward in time: a use older than the one recorded, or
 * within the interval after it, changes nothing, and a deleted key is never written back.
 * Only a key whose hash matched is ever written: a made-up key, even with a valid checksum,
 * costs the authorizer's one read and nothing else. A key's first use in a process is written
 * once its hash matched (a second round trip, once); later ones alongside the read, since the id
 * is known to name a real key. The authorizer awaits the write, so it is never lost to a frozen
 * Lambda. `lastUsedAt` is when a real key was last presented, to the minute: a revoked or expired
 * key still being tried shows up too (worth knowing). A write that fails is logged (the key's id,
 * never the key) and not retried: the key's next use after the interval writes again.
 */
export class ThrottledLastUse implements LastUseRecorder {
  private readonly recorded = new Map<string, number>();
  /** Writes started and not yet settled; tests and the benchmark await them. */
  readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: Pick<KeyStore, 'touchLastUsed'>,
    private readonly logger: Logger,
    private readonly intervalMs = DEFAULT_LAST_USED_INTERVAL_SECONDS * 1000,
    private readonly maxTracked = 10_000,
  ) {}

  recordAhead(keyId: string, at: Date): Promise<void> | undefined {
    return this.recorded.has(keyId) ? this.record(keyId, at) : undefined;
  }

  record(keyId: string, at: Date): Promise<void> | undefined {
    const last = this.recorded.get(keyId);
    if (last !== undefined && at.getTime() - last < this.intervalMs) return undefined;
    // a bounded map: forgetting old entries costs at most one extra conditional write each.
    if (this.recorded.size >= this.maxTracked) this.recorded.clear();
    this.recorded.set(keyId, at.getTime());
    const write: Promise<void> = this.store
      .touchLastUsed(keyId, at, this.intervalMs)
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn('lastUsedAt not recorded', { keyId, ...describeError(error) }),
      )
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
    return write;
  }

  /** Waits for the writes started so far. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}

/**
 * Records a key's use at most once per UTC day in this process: the usage aggregator's recorder.
 * It sees every request of the access log, the ones the authorizer's cache answered and the
 * throttled ones too, and writes the activity day the staleness notice reads, through the same
 * conditional write as {@link ThrottledLastUse}: only when the key's recorded last use is from an
 * earlier UTC day than the request (or there is none), so only forward in time and never onto a
 * deleted key. The authorizer keeps `lastUsedAt` fresh within the day whenever it runs; this
 * makes sure the day is right when it did not run or its write failed, for next to no writes. A
 * write that fails is logged, as the authorizer's are, and tried again with the key's next batch.
 */
export class DailyLastUse implements LastUseRecorder {
  /** The last UTC day written per key (`YYYY-MM-DD`). */
  private readonly recorded = new Map<string, string>();

  constructor(
    private readonly store: Pick<KeyStore, 'touchLastUsed'>,
    private readonly logger: Logger,
    private readonly maxTracked = 100_000,
  ) {}

  record(keyId: string, at: Date): Promise<void> | undefined {
    const day = utcDay(at);
    const last = this.recorded.get(keyId);
    if (last !== undefined && last >= day) return undefined;
    // a bounded map: forgetting old entries costs at most one extra conditional write each.
    if (this.recorded.size >= this.maxTracked) this.recorded.clear();
    this.recorded.set(keyId, day);
    // written only if the stored last use is from an earlier UTC day (or absent): the authorizer
    // keeps the time within the day, and a key it recorded today costs no write here.
    const sinceMidnight = at.getTime() - Date.parse(`${day}T00:00:00.000Z`);
    return this.store.touchLastUsed(keyId, at, sinceMidnight).then(
      () => undefined,
      (error: unknown) => {
        if (this.recorded.get(keyId) === day) this.recorded.delete(keyId);
        this.logger.warn('lastUsedAt not recorded', { keyId, ...describeError(error) });
      },
    );
  }
}
