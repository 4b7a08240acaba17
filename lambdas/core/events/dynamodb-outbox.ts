import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

/** A single write of a store method, as a `TransactWriteItems` element. */
export type SingleWrite = { Update: Record<string, unknown> } | { Put: Record<string, unknown> } | { Delete: Record<string, unknown> };

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
    if (!(retentionDays > 0)) throw new Error(`event retention must be a positive number of days, received ${retentionDays}`);
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
  put(event: KeygateEvent) {
    return { Put: { TableName: this.tableName, Item: this.item(event), ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  /** `items` with the event's `Put` appended last (so cancellation reasons keep their indexes). */
  append<T extends object>(items: T[], event: KeygateEvent | undefined): (T | ReturnType<DynamoOutbox['put']>)[] {
    return event === undefined ? items : [...items, this.put(event)];
  }

  /**
   * Runs one conditional write together with its event in one transaction. A failed condition
   * of the write surfaces as the `ConditionalCheckFailedException` (with the old item, when the
   * write asked for it) that the same write sent alone would have thrown, so callers keep one
   * error path for both.
   */
  async send(client: DynamoDBDocumentClient, write: SingleWrite, event: KeygateEvent): Promise<void> {
    // ReturnValues is not allowed in a transaction; the caller reads the item afterwards.
    const [kind, body] = Object.entries(write)[0] as [string, Record<string, unknown>];
    const { ReturnValues: _ignored, ...rest } = body;
    try {
      await client.send(new TransactWriteCommand({ TransactItems: [{ [kind]: rest } as never, this.put(event)] }));
    } catch (error) {
      const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
      if (reason?.Code === 'ConditionalCheckFailed') {
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: reason.Item });
      }
      throw error;
    }
  }
}
