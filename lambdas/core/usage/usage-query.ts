import { invalidRequest } from '../http/errors';
import {
  addDeltas,
  bucketStart,
  COUNT_NAMES,
  DEFAULT_USAGE_RETENTION,
  emptyDelta,
  latencyPercentile,
  nextBucket,
  type CounterDelta,
  type Granularity,
  type UsageCounts,
  type UsageRetention,
} from './counters';
import { mergeSources } from './sources';
import type { UsageScope, UsageStore } from './usage-store';
import { DEFAULT_SOURCES_PER_DAY } from './aggregate';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The buckets a read covers: `[from, to)`, both on bucket boundaries. */
export interface UsageWindow {
  readonly from: number;
  readonly to: number;
  readonly granularity: Granularity;
}

/** A window as the query string gives it, validated for shape by the route's schema. */
export interface UsageWindowQuery {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly granularity?: Granularity | undefined;
}

/** The counts of a window or a bucket, with the latency percentiles (ms) from the histogram. */
export interface UsageTotals extends UsageCounts {
  /** `null` without requests, or when it is slower than the histogram's last bound (10 s). */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
}

/** One bucket of a series. */
export interface UsagePoint extends UsageTotals {
  /** The bucket's start. */
  readonly at: string;
}

/** What every usage route answers. */
export interface UsageAnswer {
  readonly from: string;
  readonly to: string;
  readonly granularity: Granularity;
  readonly totals: UsageTotals;
  /** Every bucket of the window, oldest first, those without requests too. */
  readonly series: UsagePoint[];
}

/** One source of a key's requests in the window. */
export interface UsageSource {
  readonly ip: string;
  readonly userAgent: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly requests: number;
}

/** A key's usage, with its sources. */
export interface KeyUsageAnswer extends UsageAnswer {
  /** The key's busiest sources on the days the window touches, busiest first. */
  readonly sources: UsageSource[];
}

/** What the operator's ranking sorts tenants by: requests, errors (4xx and 5xx) or throttled. */
export type RankingSort = 'requests' | 'errors' | 'throttled';

/** One tenant of the ranking. */
export interface RankedTenant extends UsageTotals {
  readonly tenantId: string;
}

/** The operator's ranking: every tenant's usage summed, and the busiest tenants. */
export interface TenantRanking extends UsageAnswer {
  readonly sort: RankingSort;
  readonly tenants: RankedTenant[];
}

/**
 * The window of a query at `now`: by default the last 24 hours by hour (the last 30 days by
 * day), widened outwards to whole buckets. At most the granularity's retention long: older
 * buckets are gone.
 */
export function usageWindow(
  query: UsageWindowQuery,
  now: Date,
  retention: UsageRetention = DEFAULT_USAGE_RETENTION,
): UsageWindow {
  const granularity = query.granularity ?? 'hour';
  const size = granularity === 'hour' ? HOUR_MS : DAY_MS;
  // without `to`, the window ends with the bucket now falls in: the current hour is shown as it fills.
  const toMs = query.to === undefined ? now.getTime() + 1 : Date.parse(query.to);
  const fromMs = query.from === undefined ? undefined : Date.parse(query.from);
  if (fromMs !== undefined && Number.isNaN(fromMs))
    throw invalidRequest('query.from must be an ISO 8601 date or date-time');
  if (Number.isNaN(toMs)) throw invalidRequest('query.to must be an ISO 8601 date or date-time');
  if (fromMs !== undefined && fromMs >= toMs) throw invalidRequest('query.from must be before query.to');
  const to = bucketStart(granularity, toMs - 1) + size;
  const from =
    fromMs === undefined ? to - (granularity === 'hour' ? DAY_MS : 30 * DAY_MS) : bucketStart(granularity, fromMs);
  const days = granularity === 'hour' ? retention.hourlyDays : retention.dailyDays;
  if (to - from > days * DAY_MS) {
    throw invalidRequest(`query.from and query.to must be at most ${days} days apart by ${granularity}`);
  }
  return { from, to, granularity };
}

/** The counts of a key, tenant or stage over a window. */
export async function readUsage(
  store: UsageStore,
  scope: UsageScope,
  id: string,
  window: UsageWindow,
): Promise<UsageAnswer> {
  const stored = await store.readBuckets(scope, id, window.granularity, window.from, window.to);
  return answer(window, new Map(stored.map((bucket) => [bucket.bucket, bucket.delta])));
}

/** A key's counts over a window and its busiest sources on the days the window touches. */
export async function readKeyUsage(
  store: UsageStore,
  keyId: string,
  window: UsageWindow,
  sourcesLimit = DEFAULT_SOURCES_PER_DAY,
): Promise<KeyUsageAnswer> {
  const [usage, days] = await Promise.all([
    readUsage(store, 'key', keyId, window),
    store.readSources(keyId, bucketStart('day', window.from), bucketStart('day', window.to - 1) + DAY_MS),
  ]);
  const sources = days.reduce((all, day) => mergeSources(all, day, Number.MAX_SAFE_INTEGER), []);
  return {
    ...usage,
    sources: mergeSources(sources, [], sourcesLimit).map((source) => ({
      ip: source.ip,
      userAgent: source.userAgent,
      firstSeen: new Date(source.firstSeen).toISOString(),
      lastSeen: new Date(source.lastSeen).toISOString(),
      requests: source.requests,
    })),
  };
}

/** Every tenant's daily counts over a window (by day), and the `limit` busiest by `sort`. */
export async function rankTenants(
  store: UsageStore,
  window: UsageWindow,
  sort: RankingSort,
  limit: number,
): Promise<TenantRanking> {
  const days = await store.readTenantDays(window.from, window.to);
  const perTenant = new Map<string, CounterDelta>();
  const perDay = new Map<number, CounterDelta>();
  for (const { tenantId, day, delta } of days) {
    perTenant.set(tenantId, addDeltas(perTenant.get(tenantId) ?? emptyDelta(), delta));
    perDay.set(day, addDeltas(perDay.get(day) ?? emptyDelta(), delta));
  }
  const score = (delta: CounterDelta): number =>
    sort === 'errors' ? delta.status4xx + delta.status5xx : sort === 'throttled' ? delta.throttled : delta.requests;
  const tenants = [...perTenant.entries()]
    .sort(([a, left], [b, right]) => score(right) - score(left) || right.requests - left.requests || (a < b ? -1 : 1))
    .slice(0, limit)
    .map(([tenantId, delta]) => ({ tenantId, ...totalsOf(delta) }));
  return { ...answer(window, perDay), sort, tenants };
}

function answer(window: UsageWindow, buckets: ReadonlyMap<number, CounterDelta>): UsageAnswer {
  let total = emptyDelta();
  const series: UsagePoint[] = [];
  for (let at = window.from; at < window.to; at = nextBucket(window.granularity, at)) {
    const delta = buckets.get(at) ?? emptyDelta();
    total = addDeltas(total, delta);
    series.push({ at: new Date(at).toISOString(), ...totalsOf(delta) });
  }
  return {
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    granularity: window.granularity,
    totals: totalsOf(total),
    series,
  };
}

/** The counts of a delta as an answer shows them. */
export function totalsOf(delta: CounterDelta): UsageTotals {
  const counts = Object.fromEntries(COUNT_NAMES.map((name) => [name, delta[name]])) as unknown as UsageCounts;
  return {
    ...counts,
    latencyP50Ms: latencyPercentile(delta.latency, 0.5),
    latencyP95Ms: latencyPercentile(delta.latency, 0.95),
  };
}
