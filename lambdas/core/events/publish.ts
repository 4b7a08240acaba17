import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describeError, type Logger } from '../support/logger';
import type { KeygateEvent } from './model';

/** One `PutEvents` entry, as EventBridge takes it. */
export interface BusEntry {
  readonly Source: 'keygate';
  /** The event type, e.g. `key.revoked`: what rules match on. */
  readonly DetailType: string;
  /** The whole event as JSON; its `id` lets consumers drop the duplicates at-least-once delivery brings. */
  readonly Detail: string;
  readonly Time: Date;
  /** @default - the account's default bus */
  readonly EventBusName?: string;
}

/** An event bus: `PutEvents` of at most 10 entries; answers the indexes of the entries it refused. */
export interface EventBus {
  putEvents(entries: readonly BusEntry[]): Promise<{ readonly failed: readonly number[] }>;
}

/** Where outbox events go once committed: EventBridge on AWS, a log line locally. */
export interface EventPublisher {
  /**
   * Publishes events in order; resolves with how many of the first ones are surely published
   * (all of them on success), so a caller can resume from the first that is not.
   */
  publish(events: readonly KeygateEvent[]): Promise<number>;
}

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

/** The EventBridge entry of an event: `source: keygate`, the type as `detail-type`. */
export function busEntry(event: KeygateEvent, eventBusName?: string): BusEntry {
  return {
    Source: 'keygate',
    DetailType: event.type,
    Detail: JSON.stringify(event),
    Time: new Date(event.at),
    ...(eventBusName === undefined ? {} : { EventBusName: eventBusName }),
  };
}

/**
 * Publishes to an {@link EventBus} in chunks of 10, in order, retrying refused entries a few
 * times; it stops at the first chunk that still has a refusal, so nothing after it is published
 * ahead of it (the stream's retry then starts there: order per tenant, at least once).
 */
export class BusPublisher implements EventPublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly eventBusName?: string,
    private readonly attempts = 3,
  ) {}

  async publish(events: readonly KeygateEvent[]): Promise<number> {
    let published = 0;
    for (let start = 0; start < events.length; start += MAX_ENTRIES) {
      let pending = events.slice(start, start + MAX_ENTRIES).map((event) => busEntry(event, this.eventBusName));
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        let failed: readonly number[];
        try {
          ({ failed } = await this.bus.putEvents(pending));
        } catch (error) {
          this.logger.warn('PutEvents failed', { attempt, ...describeError(error) });
          failed = pending.map((_entry, index) => index);
        }
        if (failed.length === 0) break;
        if (attempt >= this.attempts) return published;
        pending = failed.map((index) => pending[index]);
      }
      published = Math.min(events.length, start + MAX_ENTRIES);
    }
    return published;
  }
}

/** A stream record as far as publishing needs it (the `aws-lambda` type stays in the handler). */
export interface OutboxRecord {
  readonly eventName?: string;
  readonly dynamodb?: { readonly NewImage?: Record<string, unknown>; readonly SequenceNumber?: string };
}

/** The outbox event a stream record carries: only the insert of an event item is one. */
export function eventOfRecord(record: OutboxRecord): KeygateEvent | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image === undefined) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (typeof item.pk !== 'string' || !item.pk.startsWith('EVENT#')) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ttl: _ttl, ...event } = item;
  return event as KeygateEvent;
}

/**
 * Publishes a stream batch's outbox events in order and answers the sequence numbers to retry:
 * the first record not published (the stream's retry resumes there, and after its attempts the
 * batch goes to the dead-letter queue). Records that are not outbox inserts are skipped.
 */
export async function publishBatch(
  records: readonly OutboxRecord[],
  publisher: EventPublisher,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const carried = records.flatMap((record) => {
    const event = eventOfRecord(record);
    return event === undefined ? [] : [{ event, sequence: record.dynamodb?.SequenceNumber ?? '' }];
  });
  const published = await publisher.publish(carried.map(({ event }) => event));
  if (published >= carried.length) return { batchItemFailures: [] };
  return { batchItemFailures: [{ itemIdentifier: carried[published].sequence }] };
}

/** The local publisher: one JSON line per event, never more than the event holds. */
export class LogPublisher implements EventPublisher {
  constructor(private readonly write: (line: string) => void) {}

  async publish(events: readonly KeygateEvent[]): Promise<number> {
    for (const event of events) this.write(`event ${JSON.stringify(event)}`);
    return events.length;
  }
}
