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
export function tenantIndexAttributes(tenant: { tenantId: string; createdAt: string }): Pick<KeyIndexAttributes, 'gsi1pk' | 'gsi1sk'> {
  return { gsi1pk: TENANT_LIST_PARTITION, gsi1sk: `${tenant.createdAt}#${tenant.tenantId}` };
}

/**
 * The index attributes of a key. Both indexes sort by `<createdAt>#<id>`: ISO dates sort as
 * strings, and the id breaks ties between keys created in the same millisecond.
 */
export function keyIndexAttributes(key: { tenantId: string; environment: string; createdAt: string; id: string }): KeyIndexAttributes {
  const sortKey = `${key.createdAt}#${key.id}`;
  return {
    gsi1pk: indexPartition(key.tenantId),
    gsi1sk: sortKey,
    gsi2pk: indexPartition(key.tenantId, key.environment),
    gsi2sk: sortKey,
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
    ],
  };
}
