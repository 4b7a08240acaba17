import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describeError, type Logger } from '../support/logger';
import { EVENT_ID_PATTERN, EVENT_TYPES, type KeygateEvent } from './model';

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
 * times; it stops at the first chunk that still has a refusal and answers the index of its first
 * refused entry, so no later chunk goes out and the stream's retry starts at that entry.
 */
export class BusPublisher implements EventPublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly eventBusName?: string,
    private readonly attempts = 3,
  ) {}

  async publish(events: readonly KeygateEvent[]): Promise<number> {
    for (let start = 0; start < events.length; start += MAX_ENTRIES) {
      // indexes into `events` of the chunk's entries not yet taken.
      let pending = events.slice(start, start + MAX_ENTRIES).map((_event, offset) => start + offset);
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        let failed: readonly number[];
        try {
          ({ failed } = await this.bus.putEvents(pending.map((index) => busEntry(events[index], this.eventBusName))));
        } catch (error) {
          this.logger.warn('PutEvents failed', { attempt, ...describeError(error) });
          failed = pending.map((_index, position) => position);
        }
        pending = failed.map((position) => pending[position]);
        // what the bus took ahead of a refused entry may go out again on the retry: at least once.
        if (pending.length > 0 && attempt >= this.attempts) return Math.min(...pending);
      }
    }
    return events.length;
  }
}

/** A stream record as far as publishing needs it (the `aws-lambda` type stays in the handler). */
export interface OutboxRecord {
  readonly eventName?: string;
  readonly dynamodb?: { readonly NewImage?: Record<string, unknown>; readonly SequenceNumber?: string };
}

/** Thrown for an inserted event item that does not hold a publishable event: a poison record. */
export class UnreadableEventError extends Error {
  constructor(reason: string) {
    super(`stream record holds no publishable event: ${reason}`);
    this.name = 'UnreadableEventError';
  }
}

/**
 * The outbox event a stream record carries: only the insert of an event item is one.
 *
 * @throws UnreadableEventError for an event item without an event id, a known type, an instant
 *   and a tenant: consumers could not deduplicate or route it.
 */
export function eventOfRecord(record: OutboxRecord): KeygateEvent | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image === undefined) return undefined;
  let item: Record<string, unknown>;
  try {
    item = unmarshall(image as Record<string, AttributeValue>);
  } catch (error) {
    throw new UnreadableEventError(error instanceof Error ? error.message : 'not a DynamoDB image');
  }
  if (typeof item.pk !== 'string' || !item.pk.startsWith('EVENT#')) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ttl: _ttl, ...event } = item;
  if (typeof event.id !== 'string' || !EVENT_ID_PATTERN.test(event.id)) throw new UnreadableEventError('no event id');
  if (!(EVENT_TYPES as readonly unknown[]).includes(event.type)) throw new UnreadableEventError('no known type');
  if (typeof event.at !== 'string' || typeof event.tenantId !== 'string')
    throw new UnreadableEventError('no instant or tenant');
  return event as unknown as KeygateEvent;
}

/**
 * Publishes a stream batch's outbox events in order and answers the sequence number of the first
 * record not published, or nothing when all were. With `ReportBatchItemFailures` and
 * `BisectBatchOnFunctionError` the event source mapping checkpoints before that record and
 * retries from it; when the batch's own first record fails, this throws instead, so that the
 * mapping halves the batch (which spends no retry) until the record that fails is alone, and
 * only its sequence number reaches the on-failure destination after its retries.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
 *
 * @throws Error when the batch has more than one record and its first one cannot be published.
 */
export async function publishBatch(
  records: readonly OutboxRecord[],
  publisher: EventPublisher,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const carried: { event: KeygateEvent; index: number }[] = [];
  let unreadable: number | undefined;
  for (const [index, record] of records.entries()) {
    let event: KeygateEvent | undefined;
    try {
      event = eventOfRecord(record);
    } catch (error) {
      if (!(error instanceof UnreadableEventError)) throw error;
      // nothing after it goes out ahead of it: the retry resumes here.
      unreadable = index;
      break;
    }
    if (event !== undefined) carried.push({ event, index });
  }
  const published = await publisher.publish(carried.map(({ event }) => event));
  const failed = published < carried.length ? carried[published].index : unreadable;
  if (failed === undefined) return { batchItemFailures: [] };
  const sequence = records[failed].dynamodb?.SequenceNumber ?? '';
  if (failed === 0 && records.length > 1) {
    throw new Error(`the batch's first record (sequence number ${sequence}) was not published; halving the batch`);
  }
  return { batchItemFailures: [{ itemIdentifier: sequence }] };
}

/** The local publisher: one JSON line per event, never more than the event holds. */
export class LogPublisher implements EventPublisher {
  constructor(private readonly write: (line: string) => void) {}

  async publish(events: readonly KeygateEvent[]): Promise<number> {
    for (const event of events) this.write(`event ${JSON.stringify(event)}`);
    return events.length;
  }
}
