import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { fromKeyItem, keyItemKey, lastUsedUpdate } from '../core/store/key-item';
import type { SessionItem } from '../core/sessions/model';
import {
  fromSessionItem,
  sessionItemKey,
  sessionTenantItemKey,
  sessionTenantOf,
  type SessionTenant,
} from '../core/sessions/session-item';
import type { SessionReader } from '../core/sessions/store';
import type { KeyItem } from '../core/model';
import type { KeyStore } from '../core/store/store';
import { DynamoDbError, DynamoDbHttp } from './dynamodb-http';

export { DynamoDbError };

/** Where and as whom a {@link SignedKeyReader} reads. */
export interface SignedKeyReaderProps {
  readonly tableName: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Lambda's credentials are session credentials: they come with a token. */
  readonly sessionToken?: string;
  /** The DNS suffix of the region's partition. @default 'amazonaws.com' */
  readonly dnsSuffix?: string;
  /** @default - `https://dynamodb.<region>.<dnsSuffix>` */
  readonly endpoint?: string;
}

/**
 * The authorizer's two DynamoDB calls, `GetItem` and the `lastUsedAt` `UpdateItem`, as signed
 * HTTP requests ({@link DynamoDbHttp}: SigV4 on `node:crypto` over a keep-alive `node:https`
 * connection) instead of the AWS SDK. The SDK's core is most of a bundled authorizer (about
 * 530 kB) and its loading most of the cold start; this is a few kilobytes. The item layout and
 * the write's condition come from `key-item`, which the SDK store uses too, and it is tested
 * against DynamoDB Local alongside the store.
 */
export class SignedKeyReader implements Pick<KeyStore, 'getKey' | 'touchLastUsed'>, SessionReader {
  /**
   * @param client - how requests are sent; the benchmark measures its former `fetch` transport
   *   through the same reader.
   */
  constructor(
    private readonly props: SignedKeyReaderProps,
    private readonly client: Pick<DynamoDbHttp, 'call'> = new DynamoDbHttp(props),
  ) {}

  async getKey(id: string): Promise<KeyItem | undefined> {
    const out = (await this.call('GetItem', {
      TableName: this.props.tableName,
      Key: marshall(keyItemKey(id)),
      ConsistentRead: true,
    })) as {
      Item?: Parameters<typeof unmarshall>[0];
    };
    return out.Item === undefined
      ? undefined
      : fromKeyItem(unmarshall(out.Item) as Record<string, NativeAttributeValue>);
  }

  async getSession(id: string): Promise<SessionItem | undefined> {
    const item = await this.getItem(sessionItemKey(id));
    return item === undefined ? undefined : fromSessionItem(item);
  }

  async getSessionTenant(tenantId: string): Promise<SessionTenant | undefined> {
    return sessionTenantOf(await this.getItem(sessionTenantItemKey(tenantId)));
  }

  private async getItem(key: { pk: string; sk: string }): Promise<Record<string, NativeAttributeValue> | undefined> {
    const out = (await this.call('GetItem', {
      TableName: this.props.tableName,
      Key: marshall(key),
      ConsistentRead: true,
    })) as {
      Item?: Parameters<typeof unmarshall>[0];
    };
    return out.Item === undefined ? undefined : (unmarshall(out.Item) as Record<string, NativeAttributeValue>);
  }

  async touchLastUsed(id: string, at: Date, minIntervalMs: number): Promise<boolean> {
    const update = lastUsedUpdate(at, minIntervalMs, id);
    try {
      await this.call('UpdateItem', {
        TableName: this.props.tableName,
        Key: marshall(keyItemKey(id)),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: update.ConditionExpression,
        ExpressionAttributeValues: marshall(update.ExpressionAttributeValues),
      });
      return true;
    } catch (error) {
      if (error instanceof DynamoDbError && error.type === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private call(action: string, body: unknown): Promise<unknown> {
    return this.client.call(action, body);
  }
}
