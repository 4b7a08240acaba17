import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { decodeTenantCursor, encodeTenantCursor } from './cursor';
import { conflict, notFound } from '../http/errors';
import { indexPartition, TABLE_SCHEMA, TENANT_LIST_PARTITION } from './table';

type Raw = Record<string, unknown>;

/** Where {@link DynamoTenants} works, and how the store names and reads items. */
export interface DynamoTenantsProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly tenantItem: (tenantId: string) => { pk: string; sk: string };
}

/**
 * The DynamoDB side of listing, renaming and deleting tenants, apart from the key store so that
 * each file keeps one concern. Tenant items sit in the sparse `TENANTS` partition of `byTenant`
 * (see `tenantIndexAttributes`), so a page of tenants is one query of `limit + 1` items.
 */
export class DynamoTenants {
  constructor(private readonly props: DynamoTenantsProps) {}

  /** One page of raw tenant items, newest first, and the cursor after it (absent on the last page). */
  async list(limit: number, cursor?: string): Promise<{ items: Raw[]; cursor?: string }> {
    const { client, tableName } = this.props;
    const raw: Raw[] = [];
    let start: Raw | undefined = cursor === undefined ? undefined : decodeTenantCursor(cursor);
    // one item past the page tells whether there is a next one; the loop only goes round again
    // when a query stops short at DynamoDB's 1 MB page.
    do {
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE_SCHEMA.tenantIndex,
          KeyConditionExpression: 'gsi1pk = :tenants',
          ExpressionAttributeValues: { ':tenants': TENANT_LIST_PARTITION },
          ScanIndexForward: false,
          Limit: limit + 1 - raw.length,
          ExclusiveStartKey: start,
        }),
      );
      raw.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (raw.length <= limit && start !== undefined);
    const page = raw.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, ...(raw.length > limit && last !== undefined ? { cursor: encodeTenantCursor(last) } : {}) };
  }

  /**
   * Renames a tenant; `not_found` when there is none, `conflict` while it is being deleted. The
   * name is not copied onto keys, so the version (which keys copy) is left alone.
   */
  async rename(tenantId: string, name: string): Promise<Raw> {
    const { client, tableName, tenantItem } = this.props;
    try {
      const out = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantItem(tenantId),
          UpdateExpression: 'SET #name = :name',
          ConditionExpression: 'attribute_exists(pk) AND #status <> :deleting',
          ExpressionAttributeNames: { '#name': 'name', '#status': 'status' },
          ExpressionAttributeValues: { ':name': name, ':deleting': 'deleting' },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return out.Attributes as Raw;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (error.Item === undefined) throw notFound('tenant');
        throw conflict(`the tenant is being deleted (status ${String(unmarshall(error.Item).status)})`);
      }
      throw error;
    }
  }

  /**
   * Deletes every key item of a tenant, page by page, each on condition that it is still this
   * tenant's: repeatable, so a retried tenant deletion picks up where a failed one stopped.
   *
   * @returns how many keys were deleted.
   */
  async deleteKeys(tenantId: string, keyItem: (id: string) => { pk: string; sk: string }): Promise<number> {
    const { client, tableName } = this.props;
    let deleted = 0;
    // passes until one finds nothing: the index is eventually consistent, so a pass may miss a
    // key written just before the tenant was marked, or list one already deleted.
    for (let found = true; found; ) {
      found = false;
      let start: Raw | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: TABLE_SCHEMA.tenantIndex,
            KeyConditionExpression: 'gsi1pk = :tenant',
            ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk, id',
            ExpressionAttributeValues: { ':tenant': indexPartition(tenantId) },
            Limit: 100,
            ExclusiveStartKey: start,
          }),
        );
        const results = await Promise.all((out.Items ?? []).map((item) => this.deleteKey(tenantId, keyItem(String(item.id)))));
        const now = results.filter(Boolean).length;
        deleted += now;
        if (now > 0) found = true;
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
    }
    return deleted;
  }

  /** Deletes the tenant item, only while it is marked `deleting`; succeeds when it is gone already. */
  async deleteMarked(tenantId: string): Promise<void> {
    const { client, tableName, tenantItem } = this.props;
    try {
      await client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: tenantItem(tenantId),
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :deleting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':deleting': 'deleting' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw conflict('the tenant is not marked for deletion');
      throw error;
    }
  }

  private async deleteKey(tenantId: string, key: { pk: string; sk: string }): Promise<boolean> {
    try {
      await this.props.client.send(
        new DeleteCommand({
          TableName: this.props.tableName,
          Key: key,
          ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenant',
          ExpressionAttributeValues: { ':tenant': tenantId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
