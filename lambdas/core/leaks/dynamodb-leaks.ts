import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keyItemKey, type DynamoKeyStore } from '../store/dynamodb-store';
import { DynamoOutbox } from '../events/dynamodb-outbox';
import { LEAVE_NOTICE_INDEXES } from '../store/table';
import type { KeygateEvent } from '../events/model';
import type { KeyItem } from '../model';
import type { LeakStore } from './leak-service';

/**
 * {@link LeakStore} over the key table. A report acts while the key is active, however often it
 * leaked before (`leakedAt` keeps the latest report); a report of a key revoked after a leak
 * writes nothing.
 */
export class DynamoLeakStore implements LeakStore {
  private readonly outbox: DynamoOutbox;

  constructor(
    private readonly keys: Pick<DynamoKeyStore, 'getKey'>,
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    eventRetentionDays?: number,
  ) {
    this.outbox = new DynamoOutbox(tableName, eventRetentionDays);
  }

  getKey(id: string): Promise<KeyItem | undefined> {
    return this.keys.getKey(id);
  }

  async markLeaked(id: string, hash: string, revoke: boolean, at: Date, event: KeygateEvent): Promise<boolean> {
    try {
      await this.outbox.send(
        this.client,
        {
          Update: {
            TableName: this.tableName,
            Key: keyItemKey(id),
            UpdateExpression: revoke
              ? `SET leakedAt = :at, #status = :revoked ${LEAVE_NOTICE_INDEXES}`
              : 'SET leakedAt = :at',
            // the hash check makes the write about exactly the key that was presented. An active
            // key is acted on whatever its past, so a leaked key enabled again is stopped again;
            // a key revoked by hand has its first leak recorded, so whoever enables it sees it.
            ConditionExpression:
              'attribute_exists(pk) AND #hash = :hash AND (#status = :active OR attribute_not_exists(leakedAt))',
            ExpressionAttributeNames: { '#hash': 'hash', '#status': 'status' },
            ExpressionAttributeValues: {
              ':at': at.toISOString(),
              ':hash': hash,
              ':active': 'active',
              ...(revoke ? { ':revoked': 'revoked' } : {}),
            },
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
