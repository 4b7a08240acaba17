import { createHash } from 'node:crypto';
import type { Clock } from '../support/clock';
import type { Logger } from '../support/logger';
import { keyEvent } from '../events/changes';
import type { Actor, EventDetails, EventType, KeygateEvent } from '../events/model';
import { isExpired } from '../keys/expiry';
import type { KeyItem } from '../model';
import { activityDayOf, expiryDayOf, utcDay } from '../store/table';

/** Who writes notices and revokes stale keys. */
export const SCHEDULER: Actor = { system: 'scheduler' };
/** Keys unused for this many days are stale by default (`keygate:staleAfterDays`). */
export const DEFAULT_STALE_AFTER_DAYS = 90;
/**
 * How many missed days a run catches up at most: past that, a job that was off for weeks would
 * flood subscribers with notices about the distant past; the oldest days are skipped, and logged.
 */
export const MAX_CATCH_UP_DAYS = 14;
/** Keys read at once: the reads are few, but a day with many reports should not open hundreds of sockets. */
const CONCURRENCY = 16;

/** Which day index a query reads. */
export type NoticeIndex = 'expiry' | 'activity';

/** The reads and writes of the notice job, over the key table. */
export interface NoticeStore {
  /** The ids of the keys in one day's partitions (every shard) of an index: keys only. */
  keysOn(index: NoticeIndex, day: string): Promise<string[]>;
  /** A key as it is now (a consistent read: the index lags behind the table). */
  getKey(id: string): Promise<KeyItem | undefined>;
  /**
   * Writes a notice event unless one with its id was written before (ids are derived from key,
   * type and day).
   *
   * @returns whether this call wrote it.
   */
  putNotice(event: KeygateEvent): Promise<boolean>;
  /** The last day a run completed, `YYYY-MM-DD`; `undefined` before the first. */
  lastCompletedDay(): Promise<string | undefined>;
  /** Records `day` as completed (never moving the record back to an earlier day). */
  completeDay(day: string): Promise<void>;
}

/** What revoking a stale key came to. */
export type StaleRevocation = 'revoked' | 'last_owner' | 'gone';

/** Revokes a stale key through the key service's guarded, transactional revoke. */
export interface StaleRevoker {
  revokeStale(key: KeyItem, details: EventDetails): Promise<StaleRevocation>;
}

/** What {@link NoticeJob} needs. */
export interface NoticeJobDeps {
  readonly store: NoticeStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Days without use after which a key is stale. @default 90 */
  readonly staleAfterDays?: number;
  /** Revokes stale keys instead of only reporting them; required for `revokeStaleKeys`. */
  readonly revoker?: StaleRevoker;
  /** Whether stale keys are revoked. @default false */
  readonly revokeStaleKeys?: boolean;
}

/** What one run did. */
export interface NoticeRunResult {
  /** The days processed, oldest first (empty when today was done already). */
  readonly days: readonly string[];
  /** Notices written now, by type (`key.revoked` counts automatic revocations). */
  readonly written: Readonly<Partial<Record<EventType, number>>>;
  /** Keys the index named that turned out not to qualify (used meanwhile, revoked, ...), or were reported before. */
  readonly skipped: number;
}

/**
 * The daily expiry and staleness notices. For each day `d` it reads exactly the partitions that
 * can hold something to say, in the two sparse day indexes: expiry day `d+7` and `d+1`
 * (`key.expiring`), `d` (`key.expired`), and activity day `d-N` (`key.stale`, or the key revoked
 * when `revokeStaleKeys`). Each key named is read once more, consistently, and reported only if
 * it still qualifies. So a run reads in proportion to what it reports, never the whole table.
 *
 * Days missed since the last completed run are caught up (at most {@link MAX_CATCH_UP_DAYS}),
 * and a day is marked completed only after all its notices are written. Notices are idempotent
 * per key, type and day: a rerun, a retried Lambda or a crash between notices writes each once.
 */
export class NoticeJob {
  private readonly staleAfterDays: number;

  constructor(private readonly deps: NoticeJobDeps) {
    this.staleAfterDays = deps.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS;
    if (!Number.isInteger(this.staleAfterDays) || this.staleAfterDays < 1) {
      throw new Error(`staleAfterDays must be a whole number of days, at least 1, received ${deps.staleAfterDays}`);
    }
    if (deps.revokeStaleKeys === true && deps.revoker === undefined) throw new Error('revokeStaleKeys needs a revoker');
  }

  /** Runs every day not yet completed, up to today (UTC). */
  async run(): Promise<NoticeRunResult> {
    const today = utcDay(this.deps.clock());
    const last = await this.deps.store.lastCompletedDay();
    const days = daysToRun(last, today);
    if (last !== undefined && days.length > 0 && days[0] !== addDays(last, 1)) {
      this.deps.logger.warn('notice days skipped', { from: addDays(last, 1), to: addDays(days[0], -1) });
    }
    const written: Partial<Record<EventType, number>> = {};
    let skipped = 0;
    for (const day of days) {
      const outcome = await this.runDay(day);
      for (const [type, count] of Object.entries(outcome.written) as [EventType, number][])
        written[type] = (written[type] ?? 0) + count;
      skipped += outcome.skipped;
      await this.deps.store.completeDay(day);
    }
    return { days, written, skipped };
  }

  /** The notices of one day (idempotent: safe to run again). */
  async runDay(day: string): Promise<Omit<NoticeRunResult, 'days'>> {
    const written: Partial<Record<EventType, number>> = {};
    let skipped = 0;
    const count = (type: EventType | undefined): void => {
      if (type === undefined) skipped += 1;
      else written[type] = (written[type] ?? 0) + 1;
    };
    for (const daysLeft of [7, 1, 0]) {
      const expiryDay = addDays(day, daysLeft);
      const ids = await this.deps.store.keysOn('expiry', expiryDay);
      await inBatches(ids, (id) => this.expiryNotice(id, day, expiryDay, daysLeft).then(count));
    }
    const idleSince = addDays(day, -this.staleAfterDays);
    const ids = await this.deps.store.keysOn('activity', idleSince);
    await inBatches(ids, (id) => this.staleNotice(id, day, idleSince).then(count));
    return { written, skipped };
  }

  /** `key.expiring` (days left) or `key.expired` for a key, if it still expires on `expiryDay`. */
  private async expiryNotice(
    id: string,
    day: string,
    expiryDay: string,
    daysLeft: number,
  ): Promise<EventType | undefined> {
    const key = await this.deps.store.getKey(id);
    if (key === undefined || !reportable(key) || key.expiresAt === null || expiryDayOf(key.expiresAt) !== expiryDay)
      return undefined;
    const type: EventType = daysLeft === 0 ? 'key.expired' : 'key.expiring';
    const details = {
      expiresAt: key.expiresAt,
      ...(daysLeft === 0 ? {} : { daysLeft }),
      ...(key.rotatedTo === undefined ? {} : { rotatedTo: key.rotatedTo }),
    };
    return (await this.notice(type, key, day, details)) ? type : undefined;
  }

  /** `key.stale` for a key filed under activity day `idleSince`, or its revocation, if it still qualifies. */
  private async staleNotice(id: string, day: string, idleSince: string): Promise<EventType | undefined> {
    const key = await this.deps.store.getKey(id);
    const now = this.deps.clock();
    // used since (the index lags): not stale. an earlier day than the partition's is a key
    // filed late (enabled again, backfilled): idle at least N days, so stale.
    if (key === undefined || !reportable(key) || isExpired(key.expiresAt, now) || activityDayOf(key) > idleSince)
      return undefined;
    const details: Record<string, unknown> = {
      lastUsedAt: key.lastUsedAt,
      idleSince: activityDayOf(key),
      staleAfterDays: this.staleAfterDays,
    };
    if (this.deps.revokeStaleKeys === true && this.deps.revoker !== undefined) {
      const outcome = await this.deps.revoker.revokeStale(key, { reason: 'stale', ...details });
      if (outcome === 'revoked') return 'key.revoked';
      if (outcome === 'gone') return undefined;
      // the tenant's last lasting owner key is never revoked automatically: reported instead.
      details.autoRevoke = 'refused_last_owner';
    }
    return (await this.notice('key.stale', key, day, details)) ? 'key.stale' : undefined;
  }

  private async notice(type: EventType, key: KeyItem, day: string, details: EventDetails): Promise<boolean> {
    const event = {
      ...keyEvent(type, SCHEDULER, key, this.deps.clock(), details),
      id: noticeEventId(key.id, type, day),
    };
    return this.deps.store.putNotice(event);
  }
}

/** Active, of a tenant not being deleted: revoked keys leave the indexes, but the index lags. */
function reportable(key: KeyItem): boolean {
  return key.status === 'active' && key.tenantStatus !== 'deleting';
}

/**
 * The id of a notice: derived from key, type and the day of the run, so the same notice is the
 * same event however often the day runs.
 */
export function noticeEventId(keyId: string, type: EventType, day: string): string {
  return `evt_${createHash('sha256').update(`${keyId}|${type}|${day}`).digest('hex').slice(0, 24)}`;
}

/** `day` plus `days` (negative: minus), `YYYY-MM-DD`. */
export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000));
}

/**
 * The days a run processes: none when `today` is done; only today on the first run ever;
 * otherwise each day after the last completed one, up to today, the most recent
 * {@link MAX_CATCH_UP_DAYS} of them.
 */
export function daysToRun(last: string | undefined, today: string): string[] {
  if (last === undefined) return [today];
  const days: string[] = [];
  for (let day = today; day > last && days.length < MAX_CATCH_UP_DAYS; day = addDays(day, -1)) days.unshift(day);
  return days;
}

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += CONCURRENCY)
    await Promise.all(items.slice(start, start + CONCURRENCY).map(work));
}
