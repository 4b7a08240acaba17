import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { readListing } from '../store/pages';
import { TABLE_SCHEMA } from '../store/table';
import { decodeEventCursor, encodeEventCursor, type EventListing } from './cursor';
import { ALL_EVENTS_PARTITION, eventPartition } from './dynamodb-outbox';
import type { KeygateEvent } from './model';
import type { EventFilter, EventPage, EventReader } from './store';

/** Storage attributes stripped from event items when read. */
const STORAGE_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'ttl'] as const;
/**
 * At most this many queries per page: with filters, a page may need to read past many events
 * that do not match. Past the bound the page ends short, with a cursor, as DynamoDB's own
 * filtered queries do, so no request reads without limit.
 */
const MAX_QUERIES_PER_PAGE = 5;

/** What a listing of events asks of its query; the reader adds the table, the order and the position. */
type EventQuery = Omit<QueryCommandInput, 'TableName' | 'ScanIndexForward' | 'ExclusiveStartKey' | 'Limit'>;

/** {@link EventReader} over the key table: `EVENT#<tenantId>` partitions and the `byTenant` index's `EVENTS` partition. */
export class DynamoEventReader implements EventReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async tenantEvents(tenantId: string, limit: number, cursor?: string, filter: EventFilter = {}): Promise<EventPage> {
    return this.page({ kind: 'tenant', tenantId }, limit, cursor, {
      KeyConditionExpression: 'pk = :pk',
      ...filterOf(filter, { ':pk': eventPartition(tenantId) }),
      ConsistentRead: true,
    });
  }

  async allEvents(limit: number, cursor?: string, filter: EventFilter = {}): Promise<EventPage> {
    return this.page({ kind: 'all' }, limit, cursor, {
      IndexName: TABLE_SCHEMA.tenantIndex,
      KeyConditionExpression: 'gsi1pk = :all',
      ...filterOf(filter, { ':all': ALL_EVENTS_PARTITION }),
    });
  }

  /** Reads limit + 1 matching items (the extra one says whether a next page exists), within bounds. */
  private async page(
    listing: EventListing,
    limit: number,
    cursor: string | undefined,
    query: EventQuery,
  ): Promise<EventPage> {
    const page = await readListing(
      this.client,
      {
        TableName: this.tableName,
        ...query,
        ScanIndexForward: false,
        ExclusiveStartKey: cursor === undefined ? undefined : decodeEventCursor(listing, cursor),
      },
      {
        limit,
        // with a filter, read ahead: matching events may be sparse.
        ...(query.FilterExpression === undefined ? {} : { batch: () => Math.max(100, limit + 1) }),
        exhausted: ({ requests }) => requests >= MAX_QUERIES_PER_PAGE,
      },
    );
    return {
      items: page.items.map(fromEventItem),
      ...(page.after === undefined ? {} : { cursor: encodeEventCursor(listing, page.after) }),
    };
  }
}

/**
 * A filter as a filter expression, with the key condition's `values`: no index holds events by
 * type or key, so DynamoDB reads the partition newest first and drops what does not match.
 */
function filterOf(
  filter: EventFilter,
  values: Record<string, unknown>,
): Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const names: Record<string, string> = {};
  const all: Record<string, unknown> = { ...values };
  const conditions: string[] = [];
  if (filter.type !== undefined) {
    names['#type'] = 'type';
    all[':type'] = filter.type;
    conditions.push('#type = :type');
  }
  if (filter.keyId !== undefined) {
    all[':keyId'] = filter.keyId;
    conditions.push('keyId = :keyId');
  }
  if (filter.environment !== undefined) {
    names['#environment'] = 'environment';
    all[':environment'] = filter.environment;
    conditions.push('#environment = :environment');
  }
  return {
    ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: all,
  };
}

/** An event as stored, in the documented field order (DynamoDB keeps no order), storage attributes left out. */
export function fromEventItem(raw: Record<string, unknown>): KeygateEvent {
  const item = { ...raw };
  for (const attribute of STORAGE_ATTRIBUTES) delete item[attribute];
  const { id, type, at, tenantId, keyId, environment, actor, details, ...rest } = item;
  return {
    id,
    type,
    at,
    tenantId,
    ...(keyId === undefined ? {} : { keyId }),
    ...(environment === undefined ? {} : { environment }),
    actor,
    details,
    ...rest,
  } as unknown as KeygateEvent;
}
