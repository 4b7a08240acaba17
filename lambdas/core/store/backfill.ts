import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanPages } from './pages';
import { keyIndexAttributes, noticeIndexAttributes, TABLE_SCHEMA, tenantIndexAttributes, utcDay } from './table';

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
    marker: TABLE_SCHEMA.environmentIndexPartitionKey,
    projection: 'pk, id, tenantId, environment, createdAt',
    attributes: (item) => {
      const { gsi2pk, gsi2sk } = keyIndexAttributes(
        item as { id: string; tenantId: string; environment: string; createdAt: string },
      );
      return { gsi2pk, gsi2sk };
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
    marker: TABLE_SCHEMA.tenantIndexPartitionKey,
    projection: 'pk, tenantId, createdAt',
    attributes: (item) => {
      const { gsi1pk, gsi1sk } = tenantIndexAttributes(item as { tenantId: string; createdAt: string });
      return { gsi1pk, gsi1sk };
    },
  });
}

/**
 * Puts every active key written before the notice indexes existed into them: `gsi4pk` (its
 * activity day) and, for a key that expires, `gsi3pk` (its expiry day), so the daily notice job
 * sees it; a key already idle past `staleAfterDays` is filed so that the next run reports it.
 * Like the others: a one-off scan from an operator's machine (and at a local start over an
 * older data folder), idempotent, each write conditional on the key still existing, still
 * active and still outside the activity index (a use recorded meanwhile put it there, newer).
 * Revoked keys stay out, as revocation takes keys out.
 */
export async function backfillNoticeIndexes(props: BackfillProps & NoticeBackfillOptions): Promise<BackfillResult> {
  const staleAfterDays = props.staleAfterDays ?? 90;
  // a key idle for longer than the threshold is filed under the day the job reads next (tomorrow
  // minus N), so the next run reports it; filed under its real, older day it would never be read.
  const tomorrow = Date.parse(`${utcDay(props.now ?? new Date())}T00:00:00.000Z`) + 86_400_000;
  const notBefore = utcDay(new Date(tomorrow - staleAfterDays * 86_400_000));
  return backfillIndex(props, {
    sk: 'KEY',
    marker: TABLE_SCHEMA.activityIndexPartitionKey,
    projection: 'pk, id, #status, expiresAt, lastUsedAt, createdAt',
    onlyActive: true,
    attributes: (item) =>
      noticeIndexAttributes(
        {
          id: item.id,
          status: item.status,
          expiresAt: item.expiresAt ?? null,
          lastUsedAt: item.lastUsedAt ?? null,
          createdAt: item.createdAt,
        },
        notBefore,
      ) as Record<string, string>,
  });
}

/** What the notice backfill needs to file long-idle keys where the job will read them. */
export interface NoticeBackfillOptions {
  /** The deployment's `keygate:staleAfterDays`. @default 90 */
  readonly staleAfterDays?: number;
  /** Now. @default - the system clock */
  readonly now?: Date;
}

/** One backfill: items of a kind that lack an index's keys get them. */
interface IndexBackfill {
  /** The kind of item, by its sort key. */
  readonly sk: 'KEY' | 'TENANT';
  /** The index partition key whose absence marks an item to backfill. */
  readonly marker: string;
  /** What `attributes` reads, and `pk` (`#status` stands for `status`). */
  readonly projection: string;
  /** Only items whose `status` is `active`. @default false */
  readonly onlyActive?: boolean;
  /** The index attributes to set on an item (the marker among them). */
  readonly attributes: (item: Record<string, string>) => Record<string, string>;
}

/**
 * Scans for items of one kind lacking the marker attribute and sets the index attributes, each
 * write conditional on the item still existing and still lacking the marker (and, with
 * `onlyActive`, still being active).
 */
async function backfillIndex(props: BackfillProps, spec: IndexBackfill): Promise<BackfillResult> {
  const active = spec.onlyActive === true ? ' AND #status = :active' : '';
  const statusName: Record<string, string> =
    spec.onlyActive === true || spec.projection.includes('#status') ? { '#status': 'status' } : {};
  const statusValue: Record<string, string> = spec.onlyActive === true ? { ':active': 'active' } : {};
  let scanned = 0;
  let updated = 0;
  const pages = scanPages(props.client, {
    TableName: props.tableName,
    FilterExpression: `sk = :kind AND attribute_not_exists(#marker)${active}`,
    ProjectionExpression: spec.projection,
    ExpressionAttributeNames: { '#marker': spec.marker, ...statusName },
    ExpressionAttributeValues: { ':kind': spec.sk, ...statusValue },
  });
  for await (const out of pages) {
    scanned += out.ScannedCount ?? 0;
    for (const item of (out.Items ?? []) as Record<string, string>[]) {
      const attributes = Object.entries(spec.attributes(item));
      if (attributes.length === 0) continue;
      const names = Object.fromEntries(attributes.map(([name], i) => [`#a${i}`, name]));
      const values = Object.fromEntries(attributes.map(([, value], i) => [`:a${i}`, value]));
      try {
        await props.client.send(
          new UpdateCommand({
            TableName: props.tableName,
            Key: { pk: item.pk, sk: spec.sk },
            UpdateExpression: `SET ${attributes.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
            ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#marker)${active}`,
            ExpressionAttributeNames: {
              ...names,
              '#marker': spec.marker,
              ...(spec.onlyActive === true ? statusName : {}),
            },
            ExpressionAttributeValues: { ...values, ...statusValue },
          }),
        );
        updated += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
  }
  return { scanned, updated };
}
