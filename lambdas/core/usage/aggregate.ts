import { createHash } from 'node:crypto';
import type { LastUseRecorder } from '../auth/last-use';
import type { Clock } from '../support/clock';
import type { AccessRecord } from './access-record';
import {
  addDeltas,
  bucketStart,
  bucketTtl,
  DEFAULT_USAGE_RETENTION,
  requestDelta,
  type CounterDelta,
  type Granularity,
  type UsageRetention,
} from './counters';
import { newSourceEvents } from './new-source';
import type { CounterWrite, SourceCount, SourcesWrite, UsageScope, UsageStore } from './usage-store';

/** How many sources (address and user agent) a key keeps per day by default: its busiest. */
export const DEFAULT_SOURCES_PER_DAY = 20;

/** What the aggregator needs. */
export interface AggregateDeps {
  readonly store: UsageStore;
  readonly clock: Clock;
  /** How long buckets are kept. @default - 35 days of hours, 400 of days */
  readonly retention?: UsageRetention;
  /** Sources kept per key and day. @default - {@link DEFAULT_SOURCES_PER_DAY} */
  readonly sourcesPerDay?: number;
  /**
   * Emit `key.new_source` when a key is used from a network (/24, /48) absent from its sources of
   * this many days before. @default - off
   */
  readonly newSourceDays?: number;
  /**
   * Advances each key's `lastUsedAt` and activity day (what the staleness notice reads) to the
   * latest request the batch counted for it, once its counters are written. @default - not recorded
   */
  readonly lastUse?: LastUseRecorder;
}

/** What one call counted. */
export interface AggregateResult {
  /** Records counted (after dropping repeats inside the batch). */
  readonly records: number;
  /** True when the whole batch had been counted before. */
  readonly duplicate: boolean;
  /** Counter and source items written: at most one per key, tenant or stage and bucket. */
  readonly writes: number;
}

/**
 * Counts a batch of access records into hourly and daily buckets per key, per tenant and, for
 * requests refused before any key was known, per stage; and a key's sources per day.
 *
 * Batched: the records are summed in memory first, so the store gets one write per item
 * (key-hour, key-day, tenant-hour, ...) however many records fall in it.
 *
 * Idempotent: the batch's id is a hash of its records' identities (the log event id, else the
 * request id), and the store writes a marker under that id in the same transaction as the
 * counters. CloudWatch Logs and Lambda redeliver a failed delivery as the same batch, so the
 * marker recognises it at the cost of one small item per batch; a marker per record would cost a
 * write per request and undo the batching.
 *
 * Last use (with {@link AggregateDeps.lastUse}): after the counters, at most one write per key,
 * of its latest request (never later than the clock), conditional on the key existing and the
 * time moving forward. It runs for a batch counted before too, so a delivery that stopped between
 * the counters and the last use catches up on redelivery; a failed write is logged and never
 * fails the batch, whose counters stand either way.
 */
export async function aggregateAccessRecords(
  records: readonly AccessRecord[],
  deps: AggregateDeps,
): Promise<AggregateResult> {
  const unique = uniqueRecords(records);
  if (unique.length === 0) return { records: 0, duplicate: false, writes: 0 };
  const retention = deps.retention ?? DEFAULT_USAGE_RETENTION;
  const counters = new Map<
    string,
    { scope: UsageScope; id: string; granularity: Granularity; bucket: number; delta: CounterDelta }
  >();
  const sources = new Map<string, Map<string, SourceCount>>();
  const add = (scope: UsageScope, id: string, granularity: Granularity, at: number, delta: CounterDelta): void => {
    const bucket = bucketStart(granularity, at);
    const name = `${scope}\u0000${id}\u0000${granularity}\u0000${bucket}`;
    const before = counters.get(name);
    counters.set(name, {
      scope,
      id,
      granularity,
      bucket,
      delta: before === undefined ? delta : addDeltas(before.delta, delta),
    });
  };
  for (const record of unique) {
    const perKey = countsPerKey(record);
    const delta = requestDelta(record.status, record.latencyMs);
    const at = record.requestTimeEpoch;
    for (const granularity of ['hour', 'day'] as const) {
      if (record.keyId !== undefined && record.tenantId !== undefined) {
        if (perKey) add('key', record.keyId, granularity, at, delta);
        add('tenant', record.tenantId, granularity, at, delta);
      } else {
        add('stage', record.stage, granularity, at, delta);
      }
    }
    if (perKey && record.tenantId !== undefined && record.ip !== '-') {
      addSource(sources, record.keyId, bucketStart('day', at), record);
    }
  }
  const limit = deps.sourcesPerDay ?? DEFAULT_SOURCES_PER_DAY;
  const counterWrites: CounterWrite[] = [...counters.values()]
    .sort(byName)
    .map((c) => ({ ...c, ttl: bucketTtl(c.granularity, c.bucket, retention) }));
  const sourceWrites: SourcesWrite[] = [...sources.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, perSource]) => {
      const [keyId, day] = name.split('\u0000') as [string, string];
      const dayStart = Number(day);
      return {
        keyId,
        day: dayStart,
        sources: [...perSource.values()],
        limit,
        ttl: bucketTtl('day', dayStart, retention),
      };
    });
  const now = deps.clock();
  const events =
    deps.newSourceDays !== undefined && deps.newSourceDays > 0
      ? await newSourceEvents(unique, deps.store, deps.newSourceDays, now)
      : [];
  const result = await deps.store.apply({
    id: batchId(unique),
    counters: counterWrites,
    sources: sourceWrites,
    at: now,
    ...(events.length === 0 ? {} : { events }),
  });
  if (deps.lastUse !== undefined) await recordLastUses(unique, deps.lastUse, now);
  return { records: unique.length, duplicate: result.duplicate, writes: result.writes };
}

/** Last-use writes in flight at once: a batch may name thousands of keys. */
const LAST_USE_CONCURRENCY = 16;

/** Each key's latest request of the batch, no later than `now`, to `lastUse`. */
async function recordLastUses(records: readonly AccessRecord[], lastUse: LastUseRecorder, now: Date): Promise<void> {
  const latest = new Map<string, number>();
  for (const record of records) {
    if (!countsPerKey(record)) continue;
    latest.set(record.keyId, Math.max(latest.get(record.keyId) ?? 0, record.requestTimeEpoch));
  }
  const uses = [...latest.entries()];
  for (let start = 0; start < uses.length; start += LAST_USE_CONCURRENCY) {
    await Promise.all(
      uses
        .slice(start, start + LAST_USE_CONCURRENCY)
        .map(([keyId, at]) => lastUse.record(keyId, new Date(Math.min(at, now.getTime())))),
    );
  }
}

/**
 * Whether a record is a key's usage. A member's session authorizes with its own id (`ses_...`) in
 * the key's place: its requests are the tenant's, and no key's counters or sources.
 */
const countsPerKey = (record: AccessRecord): record is AccessRecord & { keyId: string } =>
  record.keyId !== undefined && !record.keyId.startsWith('ses_');

/** A record's identity: its log event's id where it has one, else its request id. */
const identity = (record: AccessRecord): string => record.eventId ?? `request:${record.requestId}`;

/** The batch without records repeated inside it. */
function uniqueRecords(records: readonly AccessRecord[]): AccessRecord[] {
  const seen = new Set<string>();
  return records.filter((record) => {
    const id = identity(record);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The same for the same records, whatever their order. */
function batchId(records: readonly AccessRecord[]): string {
  const hash = createHash('sha256');
  for (const id of records.map(identity).sort()) hash.update(id).update('\u0000');
  return hash.digest('base64url').slice(0, 32);
}

function byName(
  a: { scope: string; id: string; granularity: string; bucket: number },
  b: { scope: string; id: string; granularity: string; bucket: number },
): number {
  const left = `${a.scope}\u0000${a.id}\u0000${a.granularity}\u0000${String(a.bucket).padStart(16, '0')}`;
  const right = `${b.scope}\u0000${b.id}\u0000${b.granularity}\u0000${String(b.bucket).padStart(16, '0')}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

function addSource(
  sources: Map<string, Map<string, SourceCount>>,
  keyId: string,
  day: number,
  record: AccessRecord,
): void {
  const name = `${keyId}\u0000${day}`;
  const perSource = sources.get(name) ?? new Map<string, SourceCount>();
  sources.set(name, perSource);
  const userAgent = record.userAgent ?? '';
  const sourceName = `${record.ip}\u0000${userAgent}`;
  const at = record.requestTimeEpoch;
  const before = perSource.get(sourceName);
  perSource.set(
    sourceName,
    before === undefined
      ? { ip: record.ip, userAgent, firstSeen: at, lastSeen: at, requests: 1 }
      : {
          ...before,
          firstSeen: Math.min(before.firstSeen, at),
          lastSeen: Math.max(before.lastSeen, at),
          requests: before.requests + 1,
        },
  );
}

export { networkOf } from './new-source';
