import * as z from 'zod/mini';
import { invalidCursor, readCursor, writeCursor } from '../store/cursor';
import { ALL_EVENTS_PARTITION, eventPartition } from './dynamodb-outbox';

/** `<at>#<id>` as event items sort; the instant is checked again for being real and canonical. */
const SORT_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#evt_[0-9a-f]{24}$/;
/** Any tenant's event partition, for the operator's all-tenants listing. */
const EVENT_PK = /^EVENT#[a-z0-9][a-z0-9-]{2,63}$/;

/** Which listing a cursor belongs to: one tenant's partition, or the all-events index. */
export type EventListing = { readonly kind: 'tenant'; readonly tenantId: string } | { readonly kind: 'all' };

/** The cursor for the position after `key` (a `LastEvaluatedKey` or an item's keys), base64url JSON. */
export function encodeEventCursor(listing: EventListing, key: Record<string, unknown>): string {
  const fields =
    listing.kind === 'tenant'
      ? { pk: key.pk, sk: key.sk }
      : { pk: key.pk, sk: key.sk, gsi1pk: key.gsi1pk, gsi1sk: key.gsi1sk };
  return writeCursor(fields);
}

/**
 * The `ExclusiveStartKey` a cursor stands for, or `invalid_request` for anything that is not
 * exactly what {@link encodeEventCursor} makes for this listing: a tenant's cursor names that
 * tenant's partition and nothing else, so no cursor reads another tenant's events.
 */
export function decodeEventCursor(listing: EventListing, cursor: string): Record<string, string> {
  const schema =
    listing.kind === 'tenant'
      ? z.strictObject({ pk: z.literal(eventPartition(listing.tenantId)), sk: z.string().check(z.regex(SORT_KEY)) })
      : z.strictObject({
          pk: z.string().check(z.regex(EVENT_PK)),
          sk: z.string().check(z.regex(SORT_KEY)),
          gsi1pk: z.literal(ALL_EVENTS_PARTITION),
          gsi1sk: z.string(),
        });
  const key = readCursor(cursor, schema as z.ZodMiniType<Record<string, string>>);
  const at = SORT_KEY.exec(key.sk)?.[1] ?? '';
  const realInstant = !Number.isNaN(Date.parse(at)) && new Date(at).toISOString() === at;
  const consistent = listing.kind === 'tenant' || key.gsi1sk === key.sk;
  if (!realInstant || !consistent || encodeEventCursor(listing, key) !== cursor) throw invalidCursor();
  return key;
}
