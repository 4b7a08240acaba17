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
  ttlAttribute: 'ttl',
} as const;

/** The `CreateTable` request for a key table: on-demand, with the tenant index. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const s = TABLE_SCHEMA;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [s.partitionKey, s.sortKey, s.tenantIndexPartitionKey, s.tenantIndexSortKey].map(
      (name) => ({ AttributeName: name, AttributeType: 'S' }),
    ),
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
    ],
  };
}
