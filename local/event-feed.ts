import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ALL_EVENTS_PARTITION } from '../lambdas/core/events/dynamodb-outbox';
import type { KeygateEvent } from '../lambdas/core/events/model';
import type { EventPublisher } from '../lambdas/core/events/publish';
import { queryPages } from '../lambdas/core/store/pages';
import { TABLE_SCHEMA } from '../lambdas/core/store/table';

/**
 * The local stand-in for the table's stream: DynamoDB Local's stream API needs a client keygate
 * does not ship, so this reads the all-events index forward from the last event seen and hands
 * new events to the publisher in commit order. Events committed in the same millisecond can
 * reach the index out of id order; a short look-back with de-duplication by id catches them.
 */
export class LocalEventFeed {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private seen = new Map<string, string>();
  private since: string;
  private readonly startedAt: string;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly publisher: EventPublisher,
    now: Date,
    private readonly intervalMs = 250,
  ) {
    // only events committed from now on: a restart over a kept data folder does not replay the past.
    this.since = now.toISOString();
    this.startedAt = this.since;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.poll()).catch(() => undefined);
    }, this.intervalMs);
  }

  /** Reads and publishes what is new; for tests, which call it instead of waiting. */
  async poll(): Promise<void> {
    const earlier = new Date(Date.parse(this.since) - 2_000).toISOString();
    const lookBack = earlier > this.startedAt ? earlier : this.startedAt;
    const pages = queryPages(this.client, {
      TableName: this.tableName,
      IndexName: TABLE_SCHEMA.tenantIndex,
      KeyConditionExpression: 'gsi1pk = :all AND gsi1sk > :since',
      ExpressionAttributeValues: { ':all': ALL_EVENTS_PARTITION, ':since': lookBack },
    });
    for await (const page of pages) {
      const fresh = (page.Items ?? []).filter((item) => !this.seen.has(String(item.id)));
      const events = fresh.map(
        ({ pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ttl: _t, ...event }) => event as unknown as KeygateEvent,
      );
      const published = await this.publisher.publish(events);
      for (const event of events.slice(0, published)) {
        this.seen.set(event.id, event.at);
        if (event.at > this.since) this.since = event.at;
      }
    }
    // forget what is older than the look-back window.
    for (const [id, at] of this.seen)
      if (at < new Date(Date.parse(this.since) - 5_000).toISOString()) this.seen.delete(id);
  }

  /** Stops polling after the poll under way, then publishes what is left. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
    await this.poll().catch(() => undefined);
  }
}
