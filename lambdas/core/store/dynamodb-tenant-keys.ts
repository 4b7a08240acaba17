import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Environment } from '../keys/format';
import type { Tenant } from '../model';
import { keyItemKey } from './key-item';
import { queryPages } from './pages';
import { indexPartition, TABLE_SCHEMA } from './table';

/** Where {@link DynamoTenantKeys} works. */
export interface DynamoTenantKeysProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Writes over all of a tenant's keys at once, read page by page from the `byTenant` index: the
 * tenant's copy propagated onto each key (so the authorizer's single read sees a change), and
 * every key deleted with the tenant. Each write is conditional and each pass repeatable.
 */
export class DynamoTenantKeys {
  constructor(private readonly props: DynamoTenantKeysProps) {}

  /** Copies the tenant onto each of its keys whose copy is older; how many were updated. */
  async propagate(tenant: Tenant): Promise<number> {
    let updated = 0;
    const pages = queryPages(this.props.client, {
      TableName: this.props.tableName,
      IndexName: TABLE_SCHEMA.tenantIndex,
      KeyConditionExpression: 'gsi1pk = :tenant',
      FilterExpression: 'tenantVersion < :version',
      ProjectionExpression: 'id, environment',
      ExpressionAttributeValues: { ':tenant': indexPartition(tenant.tenantId), ':version': tenant.version },
    });
    for await (const page of pages) {
      const keys = (page.Items ?? []) as { id: string; environment: Environment }[];
      const results = await Promise.all(keys.map((key) => this.copyTenantOnto(tenant, key.id, key.environment)));
      updated += results.filter(Boolean).length;
    }
    return updated;
  }

  /**
   * Deletes every key item of a tenant, page by page, each on condition that it is still this
   * tenant's: repeatable, so a retried tenant deletion picks up where a failed one stopped.
   *
   * @returns how many keys were deleted.
   */
  async deleteAll(tenantId: string): Promise<number> {
    let deleted = 0;
    // passes until one finds nothing: the index is eventually consistent, so a pass may miss a
    // key written just before the tenant was marked, or list one already deleted.
    for (let found = true; found;) {
      found = false;
      const pages = queryPages(this.props.client, {
        TableName: this.props.tableName,
        IndexName: TABLE_SCHEMA.tenantIndex,
        KeyConditionExpression: 'gsi1pk = :tenant',
        ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk, id',
        ExpressionAttributeValues: { ':tenant': indexPartition(tenantId) },
        Limit: 100,
      });
      for await (const page of pages) {
        const results = await Promise.all((page.Items ?? []).map((item) => this.deleteKey(tenantId, String(item.id))));
        const now = results.filter(Boolean).length;
        deleted += now;
        if (now > 0) found = true;
      }
    }
    return deleted;
  }

  private async copyTenantOnto(tenant: Tenant, id: string, environment: Environment): Promise<boolean> {
    const usage = tenant.usageKeys[environment];
    const workspaces = tenant.workspaces ?? [];
    const removes = [
      ...(usage === undefined ? ['usageKey'] : []),
      ...(workspaces.length === 0 ? ['tenantWorkspaces'] : []),
    ];
    try {
      await this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: keyItemKey(id),
          UpdateExpression:
            'SET tenantStatus = :status, #plan = :plan, tenantVersion = :version' +
            (usage === undefined ? '' : ', usageKey = :usage') +
            (workspaces.length === 0 ? '' : ', tenantWorkspaces = :workspaces') +
            (removes.length === 0 ? '' : ` REMOVE ${removes.join(', ')}`),
          // never let an older copy overwrite a newer one when two changes propagate at once.
          ConditionExpression: 'attribute_exists(pk) AND tenantVersion < :version',
          ExpressionAttributeNames: { '#plan': 'plan' },
          ExpressionAttributeValues: {
            ':status': tenant.status,
            ':plan': tenant.plan,
            ':version': tenant.version,
            ...(usage === undefined ? {} : { ':usage': usage.value }),
            ...(workspaces.length === 0 ? {} : { ':workspaces': workspaces }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async deleteKey(tenantId: string, id: string): Promise<boolean> {
    try {
      await this.props.client.send(
        new DeleteCommand({
          TableName: this.props.tableName,
          Key: keyItemKey(id),
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
