import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOutbox } from '../events/dynamodb-outbox';
import type { KeygateEvent } from '../events/model';
import { ApiError } from '../http/errors';
import type { KeyService } from '../keys/key-service';
import { OwnerKeyRefusal, owningRole } from '../keys/owner-guard';
import type { KeyItem } from '../model';
import { queryItems } from '../store/pages';
import { NOTICE_SHARDS, noticePartition, TABLE_SCHEMA } from '../store/table';
import { cancellationCodes, transactItem, transactWrite } from '../store/transact';
import { SCHEDULER, type NoticeIndex, type NoticeStore, type StaleRevoker } from './notice-job';

/** The job's one bookkeeping item: the last day a run completed. */
const JOB_ITEM = { pk: 'NOTICES', sk: 'JOB' } as const;
/** A notice's "written once" marker outlives every rerun of its day (catch-up reaches 14 days back). */
const MARKER_TTL_DAYS = 60;

/** Where a {@link DynamoNoticeStore} works. */
export interface DynamoNoticeStoreProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Reads a key (the key store's consistent `getKey`). */
  readonly getKey: (id: string) => Promise<KeyItem | undefined>;
  /** How long event items are kept. @default 400 */
  readonly eventRetentionDays?: number;
}

/**
 * {@link NoticeStore} over the key table. A day's keys are one `Query` per shard of the sparse,
 * keys-only index, returning only the keys that sit on that day. A notice is written once: its
 * event goes in one transaction with a marker item (`NOTICE#<event id>`, TTL-expired after
 * {@link MARKER_TTL_DAYS} days) put only if absent, since the event item's own key holds the
 * instant it was written and so differs between runs.
 */
export class DynamoNoticeStore implements NoticeStore {
  private readonly outbox: DynamoOutbox;

  constructor(private readonly props: DynamoNoticeStoreProps) {
    this.outbox = new DynamoOutbox(props.tableName, props.eventRetentionDays);
  }

  async keysOn(index: NoticeIndex, day: string): Promise<string[]> {
    const [indexName, partitionKey] =
      index === 'expiry'
        ? [TABLE_SCHEMA.expiryIndex, TABLE_SCHEMA.expiryIndexPartitionKey]
        : [TABLE_SCHEMA.activityIndex, TABLE_SCHEMA.activityIndexPartitionKey];
    const shards = Array.from({ length: NOTICE_SHARDS }, (_, shard) => shard);
    const found = await Promise.all(
      shards.map(async (shard) => {
        const ids: string[] = [];
        const items = queryItems(this.props.client, {
          TableName: this.props.tableName,
          IndexName: indexName,
          KeyConditionExpression: '#day = :day',
          ExpressionAttributeNames: { '#day': partitionKey },
          ExpressionAttributeValues: { ':day': noticePartition(day, shard) },
        });
        for await (const item of items)
          if (typeof item.pk === 'string' && item.pk.startsWith('KEY#')) ids.push(item.pk.slice('KEY#'.length));
        return ids;
      }),
    );
    return found.flat();
  }

  getKey(id: string): Promise<KeyItem | undefined> {
    return this.props.getKey(id);
  }

  async putNotice(event: KeygateEvent): Promise<boolean> {
    const marker = {
      pk: `NOTICE#${event.id}`,
      sk: 'NOTICE',
      ttl: Math.floor(Date.parse(event.at) / 1000) + MARKER_TTL_DAYS * 86_400,
    };
    try {
      await transactWrite(this.props.client, [
        transactItem.put({
          TableName: this.props.tableName,
          Item: marker,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
        this.outbox.put(event),
      ]);
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async lastCompletedDay(): Promise<string | undefined> {
    const out = await this.props.client.send(
      new GetCommand({ TableName: this.props.tableName, Key: JOB_ITEM, ConsistentRead: true }),
    );
    return typeof out.Item?.lastDay === 'string' ? out.Item.lastDay : undefined;
  }

  async completeDay(day: string): Promise<void> {
    try {
      await this.props.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: { ...JOB_ITEM, lastDay: day },
          // two runs at once (a retry over a slow first attempt) never move the record back.
          ConditionExpression: 'attribute_not_exists(lastDay) OR lastDay < :day',
          ExpressionAttributeValues: { ':day': day },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/**
 * Revokes stale keys through {@link KeyService.revoke}: the same owner guard and transaction as
 * a person's revoke, with the scheduler as the actor. The caller it acts as is the tenant's
 * owning role in `live`, as the operator panel does, so it reaches every key of the tenant.
 */
export function keyServiceRevoker(keys: Pick<KeyService, 'revoke'>): StaleRevoker {
  return {
    async revokeStale(key, details) {
      const caller = {
        tenantId: key.tenantId,
        keyId: 'scheduler',
        environment: 'live' as const,
        role: owningRole(key.tenantId),
        plan: key.plan,
      };
      try {
        await keys.revoke(caller, key.id, SCHEDULER, details);
        return 'revoked';
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error instanceof OwnerKeyRefusal) return 'last_owner';
        // revoked or deleted meanwhile: nothing left to do. other conflicts (owners changing at
        // that moment) fail the day, which the next attempt runs again.
        if (error.code === 'not_found' || (error.code === 'conflict' && error.message === 'the key is already revoked'))
          return 'gone';
        throw error;
      }
    },
  };
}
