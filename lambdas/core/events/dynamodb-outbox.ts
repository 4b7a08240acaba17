import { ConditionalCheckFailedException, type ReturnValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  cancellationReasons,
  transactItem,
  transactWrite,
  type TransactDelete,
  type TransactItem,
  type TransactPut,
  type TransactUpdate,
} from '../store/transact';
import type { KeygateEvent } from './model';

/** How long events are kept by default (DynamoDB TTL removes them after). */
export const DEFAULT_EVENT_RETENTION_DAYS = 400;

/** The partition of a tenant's events in the table: `EVENT#<tenantId>`, newest last by `sk`. */
export const eventPartition = (tenantId: string): string => `EVENT#${tenantId}`;
/** Events sort by `<at>#<id>`: ISO instants sort as strings, the id breaks ties. */
export const eventSortKey = (event: Pick<KeygateEvent, 'at' | 'id'>): string => `${event.at}#${event.id}`;
/**
 * The `byTenant` index partition that holds every tenant's events, for the operator's listing.
 * Keys sit in `TENANT#<id>` partitions of the same index, so the two never meet; reusing the
 * index spares a schema change. One partition takes about 1,000 writes/s: far above the rate of
 * key and tenant changes, and the daily job paces itself.
 */
export const ALL_EVENTS_PARTITION = 'EVENTS';

/**
 * A single write of a store method, as a `TransactWriteItems` element that may also carry the
 * `ReturnValues` of the same write sent alone.
 */
export type SingleWrite =
  | { readonly Update: TransactUpdate & { readonly ReturnValues?: ReturnValue } }
  | { readonly Put: TransactPut & { readonly ReturnValues?: ReturnValue } }
  | { readonly Delete: TransactDelete & { readonly ReturnValues?: ReturnValue } };

/**
 * Writes events into the key table in the transaction of the change they describe (the
 * transactional outbox): a change that fails writes no event, and no event is written without
 * its change. The table's stream publishes them afterwards.
 */
export class DynamoOutbox {
  constructor(
    private readonly tableName: string,
    private readonly retentionDays: number = DEFAULT_EVENT_RETENTION_DAYS,
  ) {
    if (!(retentionDays > 0))
      throw new Error(`event retention must be a positive number of days, received ${retentionDays}`);
  }

  /** The table item of an event. */
  item(event: KeygateEvent): Record<string, unknown> {
    const sk = eventSortKey(event);
    return {
      pk: eventPartition(event.tenantId),
      sk,
      gsi1pk: ALL_EVENTS_PARTITION,
      gsi1sk: sk,
      ttl: Math.floor(Date.parse(event.at) / 1000) + this.retentionDays * 86_400,
      ...event,
    };
  }

  /** The `Put` of an event; its id is random, the condition only guards against a collision. */
  put(event: KeygateEvent): TransactItem {
    return transactItem.put({
      TableName: this.tableName,
      Item: this.item(event),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  }

  /** `items` with the event's `Put` appended last (so cancellation reasons keep their indexes). */
  append(items: readonly TransactItem[], event: KeygateEvent | undefined): TransactItem[] {
    return event === undefined ? [...items] : [...items, this.put(event)];
  }

  /**
   * Runs one conditional write together with its event in one transaction. A failed condition
   * of the write surfaces as the `ConditionalCheckFailedException` (with the old item, when the
   * write asked for it) that the same write sent alone would have thrown, so callers keep one
   * error path for both.
   */
  async send(client: DynamoDBDocumentClient, write: SingleWrite, event: KeygateEvent): Promise<void> {
    try {
      await transactWrite(client, [inTransaction(write), this.put(event)]);
    } catch (error) {
      const reason = cancellationReasons(error)?.[0];
      if (reason?.Code === 'ConditionalCheckFailed') {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: reason.Item,
        });
      }
      throw error;
    }
  }
}

/** A single write as a transaction item: `ReturnValues` is not allowed there (the caller reads the item afterwards). */
function inTransaction(write: SingleWrite): TransactItem {
  if ('Update' in write) {
    const { ReturnValues: _update, ...body } = write.Update;
    return transactItem.update(body);
  }
  if ('Put' in write) {
    const { ReturnValues: _put, ...body } = write.Put;
    return transactItem.put(body);
  }
  const { ReturnValues: _delete, ...body } = write.Delete;
  return transactItem.delete(body);
}
