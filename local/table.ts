import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { backfillEnvironmentIndex, backfillNoticeIndexes } from '../lambdas/core/store/backfill';
import { createTableInput, TABLE_SCHEMA } from '../lambdas/core/store/table';
import { documentClient } from '../lambdas/runtime/dynamodb-client';

/** How {@link ensureTable} makes the table. */
export interface EnsureTableOptions {
  /** Days without use after which a backfilled key is filed as stale. @default - the notice job's default */
  readonly staleAfterDays?: number;
  /** Now, for the notice backfill's idle threshold. @default - the system clock */
  readonly now?: Date;
  /**
   * Whether a new table expires items by their `ttl` attribute, as the stack's table does. Tests
   * with an injected clock turn it off: their items expire at instants long past.
   * @default true
   */
  readonly timeToLive?: boolean;
}

/**
 * Creates the key table with its TTL setting unless it exists, as the CDK's `KeyTable` does in
 * AWS. A table kept in a data folder from before the `byTenantEnvironment` or the notice indexes
 * gets each missing index and its backfill, as a deployed stack gets them from `cdk deploy` and
 * `keygate-admin` (`staleAfterDays` files long-idle keys where the notice job reads next).
 *
 * @returns whether the table was created.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  options: EnsureTableOptions = {},
): Promise<boolean> {
  try {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = (described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName);
    if (!indexes.includes(TABLE_SCHEMA.environmentIndex)) {
      await addIndex(client, tableName, TABLE_SCHEMA.environmentIndex);
      await backfillEnvironmentIndex({ client: documentClient(client), tableName });
    }
    const notices = [TABLE_SCHEMA.expiryIndex, TABLE_SCHEMA.activityIndex].filter((index) => !indexes.includes(index));
    for (const index of notices) await addIndex(client, tableName, index);
    if (notices.length > 0)
      await backfillNoticeIndexes({
        client: documentClient(client),
        tableName,
        staleAfterDays: options.staleAfterDays,
        now: options.now,
      });
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  if (options.timeToLive === false) return true;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    }),
  );
  return true;
}

/** Adds one index of the schema to an existing table and waits until it is active. */
async function addIndex(client: DynamoDBClient, tableName: string, indexName: string): Promise<void> {
  const input = createTableInput(tableName);
  const index = input.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === indexName);
  if (index === undefined) throw new Error(`the table schema lacks the ${indexName} index`);
  await client.send(
    new UpdateTableCommand({
      TableName: tableName,
      // only the new index's attributes: the other new index's would be defined but unused.
      AttributeDefinitions: input.AttributeDefinitions?.filter((definition) =>
        index.KeySchema?.some((key) => key.AttributeName === definition.AttributeName),
      ),
      GlobalSecondaryIndexUpdates: [
        { Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } },
      ],
    }),
  );
  // writes to the table fail while the new index is still being created; DynamoDB Local takes
  // about a second, but many times that on a loaded machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const created = described.Table?.GlobalSecondaryIndexes?.find(
      (candidate) => candidate.IndexName === index.IndexName,
    );
    if (created?.IndexStatus === 'ACTIVE') break;
    if (Date.now() > deadline)
      throw new Error(`the ${index.IndexName} index of ${tableName} is still ${created?.IndexStatus} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
