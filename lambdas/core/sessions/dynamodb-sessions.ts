import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOutbox } from '../events/dynamodb-outbox';
import type { KeygateEvent } from '../events/model';
import { tenantItemKey } from '../store/tenant-item';
import type { SessionItem } from './model';
import { fromSessionItem, sessionItemKey, sessionTenantOf, toSessionItem, type SessionTenant } from './session-item';
import type { SessionStore } from './store';

/** Where a {@link DynamoSessionStore} keeps its items. */
export interface DynamoSessionStoreProps {
  readonly client: DynamoDBDocumentClient;
  /** The key table's name: sessions sit beside keys and tenants. */
  readonly tableName: string;
  /** How long event items are kept. @default 400 */
  readonly eventRetentionDays?: number;
}

/** The {@link SessionStore} over the key table (`SESSION#<id>` items). */
export class DynamoSessionStore implements SessionStore {
  private readonly outbox: DynamoOutbox;

  constructor(private readonly props: DynamoSessionStoreProps) {
    this.outbox = new DynamoOutbox(props.tableName, props.eventRetentionDays);
  }

  async getSession(id: string): Promise<SessionItem | undefined> {
    const { client, tableName } = this.props;
    const out = await client.send(
      new GetCommand({ TableName: tableName, Key: sessionItemKey(id), ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : fromSessionItem(out.Item);
  }

  async getSessionTenant(tenantId: string): Promise<SessionTenant | undefined> {
    const { client, tableName } = this.props;
    const out = await client.send(
      new GetCommand({ TableName: tableName, Key: tenantItemKey(tenantId), ConsistentRead: true }),
    );
    return sessionTenantOf(out.Item);
  }

  async createSession(session: SessionItem, event: KeygateEvent): Promise<void> {
    await this.outbox.send(
      this.props.client,
      {
        Put: {
          TableName: this.props.tableName,
          Item: toSessionItem(session),
          // the id comes from 256 random bits: this only refuses a collision.
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      event,
    );
  }

  async deleteSession(tenantId: string, id: string, event: KeygateEvent): Promise<boolean> {
    try {
      await this.outbox.send(
        this.props.client,
        {
          Delete: {
            TableName: this.props.tableName,
            Key: sessionItemKey(id),
            // another tenant's session is as absent as a revoked one: one answer for both.
            ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenantId',
            ExpressionAttributeValues: { ':tenantId': tenantId },
          },
        },
        event,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
