import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { AwsClient } from 'aws4fetch';
import { fromKeyItem, keyItemKey, lastUsedUpdate } from '../core/store/key-item';
import type { KeyItem } from '../core/model';
import type { KeyStore } from '../core/store/store';

/** Where and as whom a {@link SignedKeyReader} reads. */
export interface SignedKeyReaderProps {
  readonly tableName: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Lambda's credentials are session credentials: they come with a token. */
  readonly sessionToken?: string;
  /** @default - `https://dynamodb.<region>.amazonaws.com` */
  readonly endpoint?: string;
}

/** A DynamoDB error answer: `__type` ends with the exception's name. */
export class DynamoDbError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(`${type}: ${message}`);
    this.name = type;
  }
}

/**
 * The authorizer's two DynamoDB calls, `GetItem` and the `lastUsedAt` `UpdateItem`, as signed
 * HTTP requests (aws4fetch: SigV4 over `fetch`) instead of the AWS SDK. The SDK's core is most
 * of a bundled authorizer (about 530 kB) and its loading most of the cold start; this is a few
 * kilobytes. The item layout and the write's condition come from `key-item`, which the SDK
 * store uses too, and it is tested against DynamoDB Local alongside the store.
 */
export class SignedKeyReader implements Pick<KeyStore, 'getKey' | 'touchLastUsed'> {
  private readonly client: AwsClient;
  private readonly endpoint: string;

  constructor(private readonly props: SignedKeyReaderProps) {
    this.client = new AwsClient({
      accessKeyId: props.accessKeyId,
      secretAccessKey: props.secretAccessKey,
      ...(props.sessionToken === undefined ? {} : { sessionToken: props.sessionToken }),
      service: 'dynamodb',
      region: props.region,
      // one layer of retries: the authorizer fails closed, and API Gateway's client retries.
      retries: 0,
    });
    this.endpoint = props.endpoint ?? `https://dynamodb.${props.region}.amazonaws.com`;
  }

  async getKey(id: string): Promise<KeyItem | undefined> {
    const out = (await this.call('GetItem', { TableName: this.props.tableName, Key: marshall(keyItemKey(id)), ConsistentRead: true })) as {
      Item?: Parameters<typeof unmarshall>[0];
    };
    return out.Item === undefined ? undefined : fromKeyItem(unmarshall(out.Item) as Record<string, NativeAttributeValue>);
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

  private async call(action: string, body: unknown): Promise<unknown> {
    const response = await this.client.fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${action}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (!response.ok) {
      const type = String(json.__type ?? 'UnknownError').split('#').pop() as string;
      throw new DynamoDbError(type, String(json.message ?? json.Message ?? response.statusText), response.status);
    }
    return json;
  }
}
