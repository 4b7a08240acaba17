import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryItems, type Item } from '../store/pages';
import { TABLE_SCHEMA } from '../store/table';
import { cancellationCodes, transactItem, transactWrite, type TransactItem } from '../store/transact';
import {
  bucketLabel,
  emptyDelta,
  LATENCY_BOUNDS_MS,
  nextBucket,
  COUNT_NAMES,
  type CounterDelta,
  type Granularity,
} from './counters';
import { mergeSources } from './sources';
import type {
  ApplyResult,
  CounterWrite,
  SourceCount,
  SourcesWrite,
  StoredBucket,
  TenantDay,
  UsageBatch,
  UsageScope,
  UsageStore,
} from './usage-store';

/**
 * Items per transaction: DynamoDB takes up to 100 in one `TransactWriteItems`; one of them is the
 * chunk's marker.
 */
const CHUNK_ITEMS = 99;
/** A batch's markers outlive every redelivery: Lambda retries an async event for up to 6 hours. */
const MARKER_TTL_DAYS = 7;
/** Tries per chunk when a concurrent batch wrote the same sources item or item in between. */
const MAX_ATTEMPTS = 8;

const SCOPE_PREFIX: Record<UsageScope, string> = { key: 'KEY', tenant: 'TENANT', stage: 'STAGE' };
/** The partition of a key's, tenant's or stage's usage items. */
export const usagePk = (scope: UsageScope, id: string): string => `USAGE#${SCOPE_PREFIX[scope]}#${id}`;
const counterSk = (granularity: Granularity, bucket: number): string =>
  `${granularity === 'hour' ? 'H' : 'D'}#${bucketLabel(granularity, bucket)}`;
const sourcesSk = (day: number): string => `S#${bucketLabel('day', day)}`;
/**
 * The `byTenant` partition of one day's tenant counters: the operator's ranking reads a day of
 * every tenant with one query. Key partitions there are `TENANT#...`, the listing `TENANTS`.
 */
const tenantDayPartition = (day: number): string => `USAGE#DAY#${bucketLabel('day', day)}`;
const latencyName = (i: number): string => `l${i}`;

/** Where a {@link DynamoUsageStore} works. */
export interface DynamoUsageStoreProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Waits between tries after a conflict. @default - a short random pause */
  readonly pause?: (attempt: number) => Promise<void>;
}

/**
 * {@link UsageStore} over the key table. Counters are `ADD`s, which commute, so batches may land
 * in any order. A batch is cut into transactions of at most {@link CHUNK_ITEMS} items, the same
 * cut for the same batch; each transaction puts a marker (`USAGE_BATCH#<batch id>#<chunk>`) only
 * if absent, so a redelivered batch finds its markers and counts nothing twice, and one that
 * failed half way counts only the chunks it had not. A key's sources of a day are one item
 * rewritten whole (read, merged, put under its version), since keeping only the busiest sources
 * is not a commutative update.
 */
export class DynamoUsageStore implements UsageStore {
  constructor(private readonly props: DynamoUsageStoreProps) {}

  async apply(batch: UsageBatch): Promise<ApplyResult> {
    const parts: ({ kind: 'counter'; write: CounterWrite } | { kind: 'sources'; write: SourcesWrite })[] = [
      ...batch.counters.map((write) => ({ kind: 'counter' as const, write })),
      ...batch.sources.map((write) => ({ kind: 'sources' as const, write })),
    ];
    let writes = 0;
    let applied = 0;
    for (let start = 0, chunk = 0; start < parts.length; start += CHUNK_ITEMS, chunk += 1) {
      const slice = parts.slice(start, start + CHUNK_ITEMS);
      const marker = transactItem.put({
        TableName: this.props.tableName,
        Item: {
          pk: `USAGE_BATCH#${batch.id}#${chunk}`,
          sk: 'USAGE_BATCH',
          ttl: Math.floor(batch.at.getTime() / 1000) + MARKER_TTL_DAYS * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      const done = await this.applyChunk(marker, slice);
      if (done) {
        applied += 1;
        writes += slice.length;
      }
    }
    return { duplicate: applied === 0 && parts.length > 0, writes };
  }

  /** Writes one chunk with its marker; false when the marker says it was written before. */
  private async applyChunk(
    marker: TransactItem,
    parts: readonly ({ kind: 'counter'; write: CounterWrite } | { kind: 'sources'; write: SourcesWrite })[],
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const items: TransactItem[] = [
        marker,
        ...(await Promise.all(
          parts.map((part) => (part.kind === 'counter' ? this.counterUpdate(part.write) : this.sourcesPut(part.write))),
        )),
      ];
      try {
        await transactWrite(this.props.client, items);
        return true;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes === undefined) throw error;
        if (codes[0] === 'ConditionalCheckFailed') return false;
        // a sources item changed since it was read, or another transaction held an item: again.
        if (attempt >= MAX_ATTEMPTS) throw error;
        await (this.props.pause ?? randomPause)(attempt);
      }
    }
  }

  private counterUpdate(write: CounterWrite): TransactItem {
    const adds: string[] = [];
    const values: Record<string, unknown> = { ':ttl': write.ttl, ':bucket': write.bucket };
    for (const name of COUNT_NAMES) {
      if (write.delta[name] !== 0) {
        adds.push(`${name} :${name}`);
        values[`:${name}`] = write.delta[name];
      }
    }
    write.delta.latency.forEach((count, i) => {
      if (count !== 0) {
        adds.push(`${latencyName(i)} :${latencyName(i)}`);
        values[`:${latencyName(i)}`] = count;
      }
    });
    const sets = ['#ttl = :ttl', '#bucket = :bucket'];
    if (write.scope === 'tenant' && write.granularity === 'day') {
      // the operator's ranking reads a day of every tenant from the tenant index.
      sets.push('gsi1pk = :day', 'gsi1sk = :tenant');
      values[':day'] = tenantDayPartition(write.bucket);
      values[':tenant'] = write.id;
    }
    return transactItem.update({
      TableName: this.props.tableName,
      Key: { pk: usagePk(write.scope, write.id), sk: counterSk(write.granularity, write.bucket) },
      UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
      ExpressionAttributeNames: { '#ttl': TABLE_SCHEMA.ttlAttribute, '#bucket': 'bucket' },
      ExpressionAttributeValues: values,
    });
  }

  /** The sources item merged with what the batch saw, put only if nobody changed it since the read. */
  private async sourcesPut(write: SourcesWrite): Promise<TransactItem> {
    const key = { pk: usagePk('key', write.keyId), sk: sourcesSk(write.day) };
    const out = await this.props.client.send(
      new GetCommand({ TableName: this.props.tableName, Key: key, ConsistentRead: true }),
    );
    const before = out.Item;
    const version = typeof before?.version === 'number' ? before.version : 0;
    const sources = mergeSources(readSources(before), write.sources, write.limit);
    return transactItem.put({
      TableName: this.props.tableName,
      Item: { ...key, day: write.day, sources, version: version + 1, ttl: write.ttl },
      ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
      ...(version === 0 ? {} : { ExpressionAttributeValues: { ':version': version } }),
    });
  }

  async readBuckets(
    scope: UsageScope,
    id: string,
    granularity: Granularity,
    from: number,
    to: number,
  ): Promise<readonly StoredBucket[]> {
    if (to <= from) return [];
    const buckets: StoredBucket[] = [];
    for await (const item of queryItems(this.props.client, {
      TableName: this.props.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': usagePk(scope, id),
        ':from': counterSk(granularity, from),
        ':to': counterSk(granularity, lastBucketBefore(granularity, from, to)),
      },
    })) {
      buckets.push({ bucket: Number(item.bucket), delta: readDelta(item) });
    }
    return buckets;
  }

  async readSources(keyId: string, from: number, to: number): Promise<readonly SourceCount[][]> {
    if (to <= from) return [];
    const days: SourceCount[][] = [];
    for await (const item of queryItems(this.props.client, {
      TableName: this.props.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': usagePk('key', keyId),
        ':from': sourcesSk(from),
        ':to': sourcesSk(lastBucketBefore('day', from, to)),
      },
    })) {
      days.push(readSources(item));
    }
    return days;
  }

  async readTenantDays(from: number, to: number): Promise<readonly TenantDay[]> {
    const days: TenantDay[] = [];
    for (let day = from; day < to; day = nextBucket('day', day)) {
      for await (const item of queryItems(this.props.client, {
        TableName: this.props.tableName,
        IndexName: TABLE_SCHEMA.tenantIndex,
        KeyConditionExpression: 'gsi1pk = :day',
        ExpressionAttributeValues: { ':day': tenantDayPartition(day) },
      })) {
        days.push({ tenantId: String(item.gsi1sk), day, delta: readDelta(item) });
      }
    }
    return days;
  }
}

/** The start of the last bucket that starts before `to` (and at or after `from`). */
function lastBucketBefore(granularity: Granularity, from: number, to: number): number {
  let last = from;
  for (let next = nextBucket(granularity, last); next < to; next = nextBucket(granularity, next)) last = next;
  return last;
}

function readDelta(item: Item): CounterDelta {
  const empty = emptyDelta();
  const count = (name: string): number => (typeof item[name] === 'number' ? (item[name] as number) : 0);
  return {
    requests: count('requests'),
    status2xx: count('status2xx'),
    status3xx: count('status3xx'),
    status4xx: count('status4xx'),
    status5xx: count('status5xx'),
    denied: count('denied'),
    throttled: count('throttled'),
    latency: empty.latency.map((_, i) => (i <= LATENCY_BOUNDS_MS.length ? count(latencyName(i)) : 0)),
  };
}

function readSources(item: Item | undefined): SourceCount[] {
  const raw = item?.sources;
  if (!Array.isArray(raw)) return [];
  return raw.map((entry: Record<string, unknown>) => ({
    ip: String(entry.ip),
    userAgent: String(entry.userAgent ?? ''),
    firstSeen: Number(entry.firstSeen),
    lastSeen: Number(entry.lastSeen),
    requests: Number(entry.requests),
  }));
}

const randomPause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
