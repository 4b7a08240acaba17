import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The key table's schema, shared by the CDK construct and the local gateway so that both
 * build the very same table.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Lists a tenant's keys newest first. */
  tenantIndex: 'byTenant',
  tenantIndexPartitionKey: 'gsi1pk',
  tenantIndexSortKey: 'gsi1sk',
  /**
   * Lists a tenant's keys of one environment newest first, so that a test key's listing reads
   * only test keys instead of filtering the whole tenant partition after the read.
   */
  environmentIndex: 'byTenantEnvironment',
  environmentIndexPartitionKey: 'gsi2pk',
  environmentIndexSortKey: 'gsi2sk',
  /**
   * Sparse, keys only: active keys that expire, by the day of the first daily notice run at or
   * after their expiry (`<YYYY-MM-DD>#<shard>`), so the notice job reads a day's keys only.
   */
  expiryIndex: 'byExpiryDay',
  expiryIndexPartitionKey: 'gsi3pk',
  /**
   * Sparse, keys only: active keys by the day of their last use (of their creation if never
   * used), `<YYYY-MM-DD>#<shard>`. The authorizer's once-a-minute `lastUsedAt` write sets the
   * same value all day, and DynamoDB writes no index entry for an unchanged key attribute.
   */
  activityIndex: 'byActivityDay',
  activityIndexPartitionKey: 'gsi4pk',
  ttlAttribute: 'ttl',
} as const;

/** Where a key sits in the two indexes: what `toKeyItem` writes and the backfill sets. */
export interface KeyIndexAttributes {
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly gsi2pk: string;
  readonly gsi2sk: string;
}

/**
 * The partition of a tenant's keys in `byTenant`, or with an environment, in
 * `byTenantEnvironment`. The environment comes last and is `live` or `test`, so no tenant id
 * (which may contain `#`) can make one tenant's partition look like another's.
 */
export function indexPartition(tenantId: string, environment?: string): string {
  return environment === undefined ? `TENANT#${tenantId}` : `TENANT#${tenantId}#${environment}`;
}

/**
 * The one partition of `byTenant` that holds tenant items rather than keys: a sparse listing of
 * every tenant, newest first. Key partitions are `TENANT#<id>`, so none can be this one.
 */
export const TENANT_LIST_PARTITION = 'TENANTS';

/** Where a tenant item sits in `byTenant`: the tenant listing, sorted by `<createdAt>#<tenantId>`. */
export function tenantIndexAttributes(tenant: {
  tenantId: string;
  createdAt: string;
}): Pick<KeyIndexAttributes, 'gsi1pk' | 'gsi1sk'> {
  return { gsi1pk: TENANT_LIST_PARTITION, gsi1sk: `${tenant.createdAt}#${tenant.tenantId}` };
}

/**
 * The index attributes of a key. Both indexes sort by `<createdAt>#<id>`: ISO dates sort as
 * strings, and the id breaks ties between keys created in the same millisecond.
 */
export function keyIndexAttributes(key: {
  tenantId: string;
  environment: string;
  createdAt: string;
  id: string;
}): KeyIndexAttributes {
  const sortKey = `${key.createdAt}#${key.id}`;
  return {
    gsi1pk: indexPartition(key.tenantId),
    gsi1sk: sortKey,
    gsi2pk: indexPartition(key.tenantId, key.environment),
    gsi2sk: sortKey,
  };
}

/**
 * How many partitions one day of each notice index is spread over: a day on which many keys
 * were created (or last used) would otherwise be one hot index partition. The job queries every
 * shard of a day, 8 small queries, whatever the table holds.
 */
export const NOTICE_SHARDS = 8;

/** The shard of a key in the notice indexes: FNV-1a of its id, stable and cheap (the authorizer computes it). */
export function noticeShard(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % NOTICE_SHARDS;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(instant: Date | string): string {
  return (typeof instant === 'string' ? new Date(instant) : instant).toISOString().slice(0, 10);
}

/** A notice index partition: one shard of one day. */
export const noticePartition = (day: string, shard: number): string => `${day}#${shard}`;

/**
 * The day a key's expiry is noticed: its expiry's day when it expires at 00:00 UTC (every
 * `expiresInDays`/`expiresOn` key), else the next day (a rotated-out key's grace end), so the
 * run of that day sees the key already expired.
 */
export function expiryDayOf(expiresAt: string): string {
  const at = new Date(expiresAt);
  const midnight =
    at.getUTCHours() === 0 && at.getUTCMinutes() === 0 && at.getUTCSeconds() === 0 && at.getUTCMilliseconds() === 0;
  return utcDay(midnight ? at : new Date(at.getTime() + 86_400_000));
}

/** The day a key was last active: its last use, or its creation when it was never used. */
export function activityDayOf(key: { lastUsedAt: string | null; createdAt: string }): string {
  return utcDay(key.lastUsedAt ?? key.createdAt);
}

/**
 * The notice index attributes of a key: none for a revoked key, no expiry one for a key that
 * never expires. `activityNotBefore` (a day) files a key idle since earlier under that day
 * instead: a key joining the activity index late (enabled again, backfilled) sits on a day the
 * job still reaches, so it is reported rather than lost on a day already past.
 */
export function noticeIndexAttributes(
  key: { id: string; status: string; expiresAt: string | null; lastUsedAt: string | null; createdAt: string },
  activityNotBefore?: string,
): { gsi3pk?: string; gsi4pk?: string } {
  if (key.status !== 'active') return {};
  const shard = noticeShard(key.id);
  const activity = activityDayOf(key);
  return {
    ...(key.expiresAt === null ? {} : { gsi3pk: noticePartition(expiryDayOf(key.expiresAt), shard) }),
    gsi4pk: noticePartition(
      activityNotBefore !== undefined && activityNotBefore > activity ? activityNotBefore : activity,
      shard,
    ),
  };
}

/** What a revoke adds to its `UpdateExpression`: a revoked key leaves both notice indexes. */
export const LEAVE_NOTICE_INDEXES = 'REMOVE gsi3pk, gsi4pk';

/**
 * What a change of a key's status adds to its `SET #status = :to` update. Revoked, the key leaves
 * both notice indexes. Enabled (`key` is the key as read before), it rejoins them, idle from
 * `enabledOn` at the earliest: enabling counts as activity, and an older idle day would be one
 * the job never reads again. A use recorded while it was revoked already put it back in the
 * activity index, and is newer: `if_not_exists` keeps that.
 */
export function noticeStatusUpdate(
  status: 'active' | 'revoked',
  key: { id: string; expiresAt: string | null; lastUsedAt: string | null; createdAt: string } | undefined,
  enabledOn?: string,
): { sets: string; removes: string; values: Record<string, string> } {
  if (status === 'revoked') return { sets: '', removes: ` ${LEAVE_NOTICE_INDEXES}`, values: {} };
  if (key === undefined) return { sets: '', removes: '', values: {} };
  const { gsi3pk, gsi4pk } = noticeIndexAttributes({ ...key, status: 'active' }, enabledOn);
  return {
    sets: `, gsi4pk = if_not_exists(gsi4pk, :activity)${gsi3pk === undefined ? '' : ', gsi3pk = :expiry'}`,
    removes: '',
    values: { ':activity': gsi4pk as string, ...(gsi3pk === undefined ? {} : { ':expiry': gsi3pk }) },
  };
}

/** The `CreateTable` request for a key table: on-demand, with the tenant and environment indexes. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const s = TABLE_SCHEMA;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      s.partitionKey,
      s.sortKey,
      s.tenantIndexPartitionKey,
      s.tenantIndexSortKey,
      s.environmentIndexPartitionKey,
      s.environmentIndexSortKey,
      s.expiryIndexPartitionKey,
      s.activityIndexPartitionKey,
    ].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: s.partitionKey, KeyType: 'HASH' },
      { AttributeName: s.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: s.tenantIndex,
        KeySchema: [
          { AttributeName: s.tenantIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: s.tenantIndexSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: s.environmentIndex,
        KeySchema: [
          { AttributeName: s.environmentIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: s.environmentIndexSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      ...[
        [s.expiryIndex, s.expiryIndexPartitionKey],
        [s.activityIndex, s.activityIndexPartitionKey],
      ].map(([indexName, partitionKey]) => ({
        IndexName: indexName,
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' as const }],
        Projection: { ProjectionType: 'KEYS_ONLY' as const },
      })),
    ],
  };
}
