import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keyIndexAttributes, TABLE_SCHEMA, tenantIndexAttributes } from './table';

/** Where the backfill runs. */
export interface BackfillProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** What a backfill did. */
export interface BackfillResult {
  /** Items the scan read, across the whole table. */
  readonly scanned: number;
  /** Items that got the index's keys in this run. */
  readonly updated: number;
}

/**
 * Gives every key written before the `byTenantEnvironment` index existed its `gsi2pk`/`gsi2sk`,
 * so test-key listings see it. A one-off migration run from an operator's machine (it scans the
 * whole table, which no Lambda may do), idempotent and safe to repeat or to run while the API
 * serves: each write is conditional on the key still existing and still lacking the attribute,
 * so a key deleted or written by the new code meanwhile is left alone.
 */
export async function backfillEnvironmentIndex(props: BackfillProps): Promise<BackfillResult> {
  return backfillIndex(props, {
    sk: 'KEY',
    partitionKey: TABLE_SCHEMA.environmentIndexPartitionKey,
    sortKey: TABLE_SCHEMA.environmentIndexSortKey,
    projection: 'pk, id, tenantId, environment, createdAt',
    attributes: (item) => {
      const { gsi2pk, gsi2sk } = keyIndexAttributes(item as { id: string; tenantId: string; environment: string; createdAt: string });
      return [gsi2pk, gsi2sk];
    },
  });
}

/**
 * Puts every tenant written before the tenant listing existed into it (`gsi1pk`/`gsi1sk` of
 * `tenantIndexAttributes`), so `GET /v1/panel/tenants` shows it. Like the environment backfill:
 * a one-off scan from an operator's machine (and at each local start), idempotent, each write
 * conditional on the tenant still existing and still being unlisted.
 */
export async function backfillTenantListing(props: BackfillProps): Promise<BackfillResult> {
  return backfillIndex(props, {
    sk: 'TENANT',
    partitionKey: TABLE_SCHEMA.tenantIndexPartitionKey,
    sortKey: TABLE_SCHEMA.tenantIndexSortKey,
    projection: 'pk, tenantId, createdAt',
    attributes: (item) => {
      const { gsi1pk, gsi1sk } = tenantIndexAttributes(item as { tenantId: string; createdAt: string });
      return [gsi1pk, gsi1sk];
    },
  });
}

/** One backfill: items of a kind that lack an index's keys get them. */
interface IndexBackfill {
  /** The kind of item, by its sort key. */
  readonly sk: 'KEY' | 'TENANT';
  readonly partitionKey: string;
  readonly sortKey: string;
  /** What `attributes` reads, and `pk`. */
  readonly projection: string;
  /** The index's partition and sort key values for an item. */
  readonly attributes: (item: Record<string, string>) => [string, string];
}

/**
 * Scans for items of one kind lacking the index's partition key and sets both index keys, each
 * write conditional on the item still existing and still lacking them.
 */
async function backfillIndex(props: BackfillProps, spec: IndexBackfill): Promise<BackfillResult> {
  const names = { '#ipk': spec.partitionKey, '#isk': spec.sortKey };
  let scanned = 0;
  let updated = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await props.client.send(
      new ScanCommand({
        TableName: props.tableName,
        FilterExpression: 'sk = :kind AND attribute_not_exists(#ipk)',
        ProjectionExpression: spec.projection,
        ExpressionAttributeNames: { '#ipk': spec.partitionKey },
        ExpressionAttributeValues: { ':kind': spec.sk },
        ExclusiveStartKey: start,
      }),
    );
    scanned += out.ScannedCount ?? 0;
    for (const item of (out.Items ?? []) as Record<string, string>[]) {
      const [partition, sort] = spec.attributes(item);
      try {
        await props.client.send(
          new UpdateCommand({
            TableName: props.tableName,
            Key: { pk: item.pk, sk: spec.sk },
            UpdateExpression: 'SET #ipk = :ipk, #isk = :isk',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#ipk)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':ipk': partition, ':isk': sort },
          }),
        );
        updated += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return { scanned, updated };
}
