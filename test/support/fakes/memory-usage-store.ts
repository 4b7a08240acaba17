import { addDeltas, nextBucket, type Granularity } from '../../../lambdas/core/usage/counters';
import { mergeSources } from '../../../lambdas/core/usage/sources';
import type {
  ApplyResult,
  CounterWrite,
  SourceCount,
  StoredBucket,
  TenantDay,
  UsageBatch,
  UsageScope,
  UsageStore,
} from '../../../lambdas/core/usage/usage-store';

/**
 * A {@link UsageStore} in memory with the DynamoDB store's rules (a batch counts once, sources
 * bounded per day), minus TTL and chunking; it keeps every write it was asked for, so tests
 * can count them. Held to DynamoUsageStore by test/contract/usage-store.contract.test.ts.
 */
export class MemoryUsageStore implements UsageStore {
  /** Every counter and sources write of every applied batch, in order. */
  readonly writes: (CounterWrite | { readonly scope: 'sources'; readonly keyId: string; readonly day: number })[] = [];
  private readonly batches = new Set<string>();
  private readonly counters = new Map<string, StoredBucket & { ttl: number }>();
  private readonly sources = new Map<string, SourceCount[]>();

  async apply(batch: UsageBatch): Promise<ApplyResult> {
    if (this.batches.has(batch.id)) return { duplicate: true, writes: 0 };
    this.batches.add(batch.id);
    for (const write of batch.counters) {
      const name = counterName(write.scope, write.id, write.granularity, write.bucket);
      const before = this.counters.get(name);
      this.counters.set(name, {
        bucket: write.bucket,
        delta: before === undefined ? write.delta : addDeltas(before.delta, write.delta),
        ttl: write.ttl,
      });
      this.writes.push(write);
    }
    for (const write of batch.sources) {
      const name = `${write.keyId}\u0000${write.day}`;
      this.sources.set(name, mergeSources(this.sources.get(name) ?? [], write.sources, write.limit));
      this.writes.push({ scope: 'sources', keyId: write.keyId, day: write.day });
    }
    return { duplicate: false, writes: batch.counters.length + batch.sources.length };
  }

  async readBuckets(
    scope: UsageScope,
    id: string,
    granularity: Granularity,
    from: number,
    to: number,
  ): Promise<readonly StoredBucket[]> {
    const buckets: StoredBucket[] = [];
    for (let bucket = from; bucket < to; bucket = nextBucket(granularity, bucket)) {
      const stored = this.counters.get(counterName(scope, id, granularity, bucket));
      if (stored !== undefined) buckets.push({ bucket, delta: stored.delta });
    }
    return buckets;
  }

  async readSources(keyId: string, from: number, to: number): Promise<readonly SourceCount[][]> {
    const days: SourceCount[][] = [];
    for (let day = from; day < to; day = nextBucket('day', day)) {
      const stored = this.sources.get(`${keyId}\u0000${day}`);
      if (stored !== undefined) days.push(stored);
    }
    return days;
  }

  async readTenantDays(from: number, to: number): Promise<readonly TenantDay[]> {
    const days: TenantDay[] = [];
    for (const [name, stored] of this.counters) {
      const [scope, id, granularity] = name.split('\u0000') as [string, string, string];
      if (scope === 'tenant' && granularity === 'day' && stored.bucket >= from && stored.bucket < to) {
        days.push({ tenantId: id, day: stored.bucket, delta: stored.delta });
      }
    }
    return days;
  }

  /** The ttl a bucket was written with. */
  ttlOf(scope: UsageScope, id: string, granularity: Granularity, bucket: number): number | undefined {
    return this.counters.get(counterName(scope, id, granularity, bucket))?.ttl;
  }
}

const counterName = (scope: UsageScope, id: string, granularity: Granularity, bucket: number): string =>
  `${scope}\u0000${id}\u0000${granularity}\u0000${bucket}`;
