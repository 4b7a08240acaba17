import type { CounterDelta, Granularity } from './counters';

/** Whose counters: a key, a tenant, or a stage (requests refused before any key was known). */
export type UsageScope = 'key' | 'tenant' | 'stage';

/** What one batch adds to one bucket of one key, tenant or stage. */
export interface CounterWrite {
  readonly scope: UsageScope;
  readonly id: string;
  readonly granularity: Granularity;
  /** The bucket's start, ms since the epoch. */
  readonly bucket: number;
  readonly delta: CounterDelta;
  /** When the table's TTL removes the bucket, epoch seconds. */
  readonly ttl: number;
}

/** One source (address and user agent) of a key on one day. */
export interface SourceCount {
  readonly ip: string;
  readonly userAgent: string;
  /** First and last request from it, ms since the epoch. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly requests: number;
}

/** What one batch adds to a key's sources of one day. */
export interface SourcesWrite {
  readonly keyId: string;
  /** The day's start, ms since the epoch. */
  readonly day: number;
  readonly sources: readonly SourceCount[];
  /** How many sources the day keeps: the busiest. */
  readonly limit: number;
  readonly ttl: number;
}

/** Everything one delivered batch adds, under an id derived from its records. */
export interface UsageBatch {
  /** The same for the same records, so a redelivered batch is recognised. */
  readonly id: string;
  readonly counters: readonly CounterWrite[];
  readonly sources: readonly SourcesWrite[];
  /** When the batch was aggregated: the markers that recognise redelivery expire after the longest retention. */
  readonly at: Date;
}

/** What applying a batch did. */
export interface ApplyResult {
  /** True when every part of the batch had already been applied: nothing was counted again. */
  readonly duplicate: boolean;
  /** The counter and source items written (markers apart). */
  readonly writes: number;
}

/** A stored bucket. */
export interface StoredBucket {
  readonly bucket: number;
  readonly delta: CounterDelta;
}

/** One tenant's counts for one day, for the operator's ranking. */
export interface TenantDay {
  readonly tenantId: string;
  readonly day: number;
  readonly delta: CounterDelta;
}

/** Where usage counters live. */
export interface UsageStore {
  /**
   * Adds a batch's counters and sources exactly once: applying the same batch (same id, same
   * writes) again changes nothing and answers `duplicate`.
   */
  apply(batch: UsageBatch): Promise<ApplyResult>;
  /** The buckets of `scope`/`id` starting in `[from, to)`, oldest first; buckets with no requests are absent. */
  readBuckets(
    scope: UsageScope,
    id: string,
    granularity: Granularity,
    from: number,
    to: number,
  ): Promise<readonly StoredBucket[]>;
  /** A key's sources on the days starting in `[from, to)`, per day. */
  readSources(keyId: string, from: number, to: number): Promise<readonly SourceCount[][]>;
  /** Every tenant's daily counts for the days starting in `[from, to)`. */
  readTenantDays(from: number, to: number): Promise<readonly TenantDay[]>;
}

/** The store of a deployment that counts no usage (`keygate:usageAnalytics` off): every read is empty. */
export const NO_USAGE: UsageStore = {
  apply: async () => ({ duplicate: false, writes: 0 }),
  readBuckets: async () => [],
  readSources: async () => [],
  readTenantDays: async () => [],
};
