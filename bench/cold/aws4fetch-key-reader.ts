/**
 * A reference for the benchmark, not deployed: the authorizer's reader as it was before issue 13's
 * cold-start work, SigV4 over `fetch` with aws4fetch. Node loads `fetch` (undici) and WebCrypto
 * on first use, which cost it about 60 ms of CPU on the first call; `lambdas/runtime/dynamodb-http.ts`
 * replaced it. Kept to measure the two in the same run.
 */
import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { AwsClient } from 'aws4fetch';
import { fromKeyItem, keyItemKey, lastUsedUpdate } from '../../lambdas/core/store/key-item';
import type { KeyItem } from '../../lambdas/core/model';
import type { KeyStore } from '../../lambdas/core/store/store';
import { DynamoDbError } from '../../lambdas/runtime/dynamodb-http';
import type { SignedKeyReaderProps } from '../../lambdas/runtime/signed-key-reader';

/** The pre-issue-13 `SignedKeyReader`, unchanged but for its name. */
export class Aws4fetchKeyReader implements Pick<KeyStore, 'getKey' | 'touchLastUsed'> {
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
    const update = lastUsedUpdate(at, minIntervalMs);
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
