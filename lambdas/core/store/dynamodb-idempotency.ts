import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { idempotencyTimes, type IdempotencyRecord, type IdempotencyStore } from '../http/idempotency';

const SK = 'IDEMPOTENCY';
const pk = (id: string): string => `IDEMPOTENCY#${id}`;

/**
 * The {@link IdempotencyStore} over the key table: one item per (tenant, key) pair, in no
 * index, removed by the table's TTL a day later (TTL lags, so `expiresAt` is checked on claim).
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(private readonly props: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {}

  async claim(
    id: string,
    fingerprint: string,
    now: Date,
  ): Promise<{ claimed: true } | { claimed: false; record: IdempotencyRecord }> {
    const { expiresAt, ttl, lockedUntil } = idempotencyTimes(now);
    try {
      await this.props.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: { pk: pk(id), sk: SK, fingerprint, status: 'pending', lockedUntil, expiresAt, ttl },
          // free, expired, or claimed by a request that has surely died.
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt <= :now OR (#status = :pending AND lockedUntil <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': now.toISOString(), ':pending': 'pending' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && error.Item !== undefined) {
        const item = unmarshall(error.Item);
        return {
          claimed: false,
          record: {
            fingerprint: item.fingerprint,
            status: item.status,
            ...(item.response === undefined ? {} : { response: item.response }),
          },
        };
      }
      throw error;
    }
  }

  async complete(id: string, fingerprint: string, response: { statusCode: number; body: string }): Promise<void> {
    await this.props.client.send(
      new UpdateCommand({
        TableName: this.props.tableName,
        Key: { pk: pk(id), sk: SK },
        UpdateExpression: 'SET #status = :done, #response = :response REMOVE lockedUntil',
        ConditionExpression: 'fingerprint = :fingerprint AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
        ExpressionAttributeValues: {
          ':done': 'done',
          ':pending': 'pending',
          ':response': response,
          ':fingerprint': fingerprint,
        },
      }),
    );
  }

  async release(id: string, fingerprint: string): Promise<void> {
    try {
      await this.props.client.send(
        new DeleteCommand({
          TableName: this.props.tableName,
          Key: { pk: pk(id), sk: SK },
          ConditionExpression: 'fingerprint = :fingerprint AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':fingerprint': fingerprint, ':pending': 'pending' },
        }),
      );
    } catch (error) {
      // already taken over or answered: not ours to release any more.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
