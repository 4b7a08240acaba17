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
  /** Keys that got their environment index attributes in this run. */
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
  const s = TABLE_SCHEMA;
  let scanned = 0;
  let updated = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await props.client.send(
      new ScanCommand({
        TableName: props.tableName,
        FilterExpression: 'sk = :key AND attribute_not_exists(#gsi2pk)',
        ProjectionExpression: 'pk, id, tenantId, environment, createdAt',
        ExpressionAttributeNames: { '#gsi2pk': s.environmentIndexPartitionKey },
        ExpressionAttributeValues: { ':key': 'KEY' },
        ExclusiveStartKey: start,
      }),
    );
    scanned += out.ScannedCount ?? 0;
    for (const item of (out.Items ?? []) as { pk: string; id: string; tenantId: string; environment: string; createdAt: string }[]) {
      if (await indexKey(props, item)) updated += 1;
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return { scanned, updated };
}

async function indexKey(
  props: BackfillProps,
  item: { pk: string; id: string; tenantId: string; environment: string; createdAt: string },
): Promise<boolean> {
  const { gsi2pk, gsi2sk } = keyIndexAttributes(item);
  try {
    await props.client.send(
      new UpdateCommand({
        TableName: props.tableName,
        Key: { pk: item.pk, sk: 'KEY' },
        UpdateExpression: 'SET #gsi2pk = :gsi2pk, #gsi2sk = :gsi2sk',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#gsi2pk)',
        ExpressionAttributeNames: { '#gsi2pk': TABLE_SCHEMA.environmentIndexPartitionKey, '#gsi2sk': TABLE_SCHEMA.environmentIndexSortKey },
        ExpressionAttributeValues: { ':gsi2pk': gsi2pk, ':gsi2sk': gsi2sk },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Puts every tenant written before the tenant listing existed into it (`gsi1pk`/`gsi1sk` of
 * `tenantIndexAttributes`), so `GET /v1/panel/tenants` shows it. Like the environment backfill:
 * a one-off scan from an operator's machine (and at each local start), idempotent, each write
 * conditional on the tenant still existing and still being unlisted.
 */
export async function backfillTenantListing(props: BackfillProps): Promise<BackfillResult> {
  let scanned = 0;
  let updated = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await props.client.send(
      new ScanCommand({
        TableName: props.tableName,
        FilterExpression: 'sk = :tenant AND attribute_not_exists(gsi1pk)',
        ProjectionExpression: 'pk, tenantId, createdAt',
        ExpressionAttributeValues: { ':tenant': 'TENANT' },
        ExclusiveStartKey: start,
      }),
    );
    scanned += out.ScannedCount ?? 0;
    for (const item of (out.Items ?? []) as { pk: string; tenantId: string; createdAt: string }[]) {
      const { gsi1pk, gsi1sk } = tenantIndexAttributes(item);
      try {
        await props.client.send(
          new UpdateCommand({
            TableName: props.tableName,
            Key: { pk: item.pk, sk: 'TENANT' },
            UpdateExpression: 'SET gsi1pk = :gsi1pk, gsi1sk = :gsi1sk',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(gsi1pk)',
            ExpressionAttributeValues: { ':gsi1pk': gsi1pk, ':gsi1sk': gsi1sk },
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
