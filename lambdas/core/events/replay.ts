import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryPages } from '../store/pages';
import { TABLE_SCHEMA } from '../store/table';
import { fromEventItem } from './dynamodb-events';
import { ALL_EVENTS_PARTITION } from './dynamodb-outbox';
import type { EventPublisher } from './publish';

/** The instants of the events to publish again: `from` included, `to` left out. */
export interface ReplayWindow {
  readonly from: Date;
  readonly to: Date;
}

/** Dependencies of {@link replayEvents}. */
export interface ReplayDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Where the events go again: EventBridge, as the stream's publisher puts them. */
  readonly publisher: EventPublisher;
  /** @default - 100 events per query */
  readonly pageSize?: number;
}

/** What a replay did. */
export interface ReplayResult {
  /** Events read from the table. */
  readonly read: number;
  /** Events published again. */
  readonly published: number;
  /** The instant of the first event not published, when the replay stopped early: pass it as `from` again. */
  readonly resumeFrom?: string;
}

/**
 * Checks the replay window the operator gives.
 *
 * @throws Error saying which instant is missing or wrong, and what is expected.
 */
export function parseReplayWindow(from: string | undefined, to: string | undefined): ReplayWindow {
  const instant = (name: string, value: string | undefined): Date => {
    const date = value === undefined ? undefined : new Date(value);
    if (date === undefined || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(value ?? ''))
      throw new Error(
        `--${name} must be an ISO 8601 instant such as 2030-01-31T00:00:00Z, received ${JSON.stringify(value)}`,
      );
    return date;
  };
  const window = { from: instant('from', from), to: instant('to', to) };
  if (window.from >= window.to) throw new Error(`--from must be before --to, received ${from} and ${to}`);
  return window;
}

/**
 * Publishes the table's events of a window again, oldest first, in the form the stream's
 * publisher gives them (the same `detail`, with the event's own `id`), so a consumer that drops
 * events whose id it has seen takes each once however often it is replayed. This is the operator's
 * way back from the publisher's dead-letter queue, which records only stream positions: the
 * events themselves stay in the table until their retention ends. Reads the `byTenant` index's
 * `EVENTS` partition (every tenant's events, sorted by `<at>#<id>`); stops at the first event
 * that cannot be published and says where to resume.
 */
export async function replayEvents(deps: ReplayDeps, window: ReplayWindow): Promise<ReplayResult> {
  let read = 0;
  let published = 0;
  const pages = queryPages(deps.client, {
    TableName: deps.tableName,
    IndexName: TABLE_SCHEMA.tenantIndex,
    // sort keys are `<at>#<id>`: `from` sorts before its own instant's events, `to` before its own.
    KeyConditionExpression: 'gsi1pk = :all AND gsi1sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':all': ALL_EVENTS_PARTITION,
      ':from': window.from.toISOString(),
      ':to': window.to.toISOString(),
    },
    ScanIndexForward: true,
    Limit: deps.pageSize ?? 100,
  });
  for await (const page of pages) {
    const events = (page.Items ?? []).map(fromEventItem);
    read += events.length;
    const done = await deps.publisher.publish(events);
    published += done;
    if (done < events.length) return { read, published, resumeFrom: events[done].at };
  }
  return { read, published };
}
