/**
 * What the usage counters hold, apart from any store: the counts of one bucket, how a request
 * adds to them, and the latency percentiles read from their small fixed histogram.
 */

/** The granularity of a bucket: an hour or a UTC day. */
export type Granularity = 'hour' | 'day';

/** How long hourly buckets are kept, in days (the default of `keygate:usageHourlyRetentionDays`). */
export const DEFAULT_USAGE_HOURLY_RETENTION_DAYS = 35;
/** How long daily buckets are kept, in days (the default of `keygate:usageDailyRetentionDays`). */
export const DEFAULT_USAGE_DAILY_RETENTION_DAYS = 400;

/** How long each granularity's buckets are kept. */
export interface UsageRetention {
  readonly hourlyDays: number;
  readonly dailyDays: number;
}

/** The default retention. */
export const DEFAULT_USAGE_RETENTION: UsageRetention = {
  hourlyDays: DEFAULT_USAGE_HOURLY_RETENTION_DAYS,
  dailyDays: DEFAULT_USAGE_DAILY_RETENTION_DAYS,
};

/**
 * The upper bounds (inclusive, ms) of the latency histogram's buckets; one more bucket holds
 * everything slower. Eleven numbers per bucket item: small enough to add with `ADD`, fine enough
 * that a percentile is known to within its bucket, which is what a dashboard needs.
 */
export const LATENCY_BOUNDS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

/** The counts of one bucket, as the read routes answer them. */
export interface UsageCounts {
  readonly requests: number;
  readonly status2xx: number;
  readonly status3xx: number;
  readonly status4xx: number;
  readonly status5xx: number;
  /** 401 and 403. */
  readonly denied: number;
  /** 429. */
  readonly throttled: number;
}

/** The counts of a bucket with its latency histogram, as stored and added. */
export interface CounterDelta extends UsageCounts {
  /** Requests per latency bucket, `LATENCY_BOUNDS_MS.length + 1` entries. */
  readonly latency: readonly number[];
}

/** The names of the counts, in answer order. */
export const COUNT_NAMES = [
  'requests',
  'status2xx',
  'status3xx',
  'status4xx',
  'status5xx',
  'denied',
  'throttled',
] as const satisfies readonly (keyof UsageCounts)[];

/** A bucket that counted nothing. */
export function emptyDelta(): CounterDelta {
  return {
    requests: 0,
    status2xx: 0,
    status3xx: 0,
    status4xx: 0,
    status5xx: 0,
    denied: 0,
    throttled: 0,
    latency: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
  };
}

/** The latency bucket of a latency. */
export function latencyBucket(latencyMs: number): number {
  const index = LATENCY_BOUNDS_MS.findIndex((bound) => latencyMs <= bound);
  return index === -1 ? LATENCY_BOUNDS_MS.length : index;
}

/** The delta of one request with `status` and `latencyMs`. */
export function requestDelta(status: number, latencyMs: number): CounterDelta {
  const statusClass = Math.floor(status / 100);
  const latency = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  latency[latencyBucket(latencyMs)] = 1;
  return {
    requests: 1,
    status2xx: statusClass === 2 ? 1 : 0,
    status3xx: statusClass === 3 ? 1 : 0,
    status4xx: statusClass === 4 ? 1 : 0,
    status5xx: statusClass === 5 ? 1 : 0,
    denied: status === 401 || status === 403 ? 1 : 0,
    throttled: status === 429 ? 1 : 0,
    latency,
  };
}

/** The sum of two deltas. */
export function addDeltas(a: CounterDelta, b: CounterDelta): CounterDelta {
  const sum = (name: keyof UsageCounts): number => a[name] + b[name];
  return {
    requests: sum('requests'),
    status2xx: sum('status2xx'),
    status3xx: sum('status3xx'),
    status4xx: sum('status4xx'),
    status5xx: sum('status5xx'),
    denied: sum('denied'),
    throttled: sum('throttled'),
    latency: a.latency.map((count, i) => count + (b.latency[i] ?? 0)),
  };
}

/**
 * The latency below which `fraction` of the requests finished, as the upper bound of the
 * histogram bucket it falls in; `null` without requests, or when it falls in the open last
 * bucket (slower than the last bound: no honest upper bound to give).
 */
export function latencyPercentile(latency: readonly number[], fraction: number): number | null {
  const total = latency.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(total * fraction);
  let seen = 0;
  for (let i = 0; i < latency.length; i += 1) {
    seen += latency[i] ?? 0;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i] ?? null;
  }
  return null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The start of the bucket holding `epochMs`, in ms. */
export function bucketStart(granularity: Granularity, epochMs: number): number {
  const size = granularity === 'hour' ? HOUR_MS : DAY_MS;
  return Math.floor(epochMs / size) * size;
}

/** The next bucket's start after the bucket starting at `startMs`. */
export function nextBucket(granularity: Granularity, startMs: number): number {
  return startMs + (granularity === 'hour' ? HOUR_MS : DAY_MS);
}

/** A bucket's sort-key label: `2026-12-03T06` for an hour, `2026-12-03` for a day. */
export function bucketLabel(granularity: Granularity, startMs: number): string {
  const iso = new Date(startMs).toISOString();
  return granularity === 'hour' ? iso.slice(0, 13) : iso.slice(0, 10);
}

/** When the bucket starting at `startMs` is removed by the table's TTL (epoch seconds). */
export function bucketTtl(granularity: Granularity, startMs: number, retention: UsageRetention): number {
  const days = granularity === 'hour' ? retention.hourlyDays : retention.dailyDays;
  return Math.floor((nextBucket(granularity, startMs) + days * DAY_MS) / 1000);
}
