import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryItems } from './pages';
import { DISCARDED_PLAN_SK, tenantPk } from './tenant-item';

/** Where {@link DynamoDiscardedPlans} works. */
export interface DynamoDiscardedPlansProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Usage plans that nothing uses any more (a deleted enterprise tenant's, a failed creation's),
 * one item each in the tenant id's partition (`DISCARDED_PLAN#<usagePlanId>`): the request that
 * discards one only writes it down, and the reconciler, which alone spends `UpdateUsagePlan`
 * calls, unbinds and deletes it, then forgets it. Every write is repeatable.
 */
export class DynamoDiscardedPlans {
  constructor(private readonly props: DynamoDiscardedPlansProps) {}

  async discard(tenantId: string, usagePlanId: string): Promise<void> {
    await this.props.client.send(
      new PutCommand({ TableName: this.props.tableName, Item: { ...this.key(tenantId, usagePlanId), usagePlanId } }),
    );
  }

  async list(tenantId: string): Promise<string[]> {
    const ids: string[] = [];
    const items = queryItems(this.props.client, {
      TableName: this.props.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :discarded)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':discarded': DISCARDED_PLAN_SK },
      ProjectionExpression: 'usagePlanId',
      ConsistentRead: true,
    });
    for await (const item of items) ids.push(String(item.usagePlanId));
    return ids;
  }

  async forget(tenantId: string, usagePlanId: string): Promise<void> {
    await this.props.client.send(
      new DeleteCommand({ TableName: this.props.tableName, Key: this.key(tenantId, usagePlanId) }),
    );
  }

  private key(tenantId: string, usagePlanId: string): { pk: string; sk: string } {
    return { pk: tenantPk(tenantId), sk: `${DISCARDED_PLAN_SK}${usagePlanId}` };
  }
}
