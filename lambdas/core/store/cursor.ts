import * as z from 'zod/mini';
import { invalidRequest } from '../http/errors';
import type { Environment } from '../keys/format';
import { TENANT_ID_PATTERN } from '../model';
import { indexPartition, TABLE_SCHEMA, TENANT_LIST_PARTITION } from './table';

/** Longer than any cursor {@link encodeCursor} makes (tenant ids are at most 64 characters). */
const MAX_CURSOR_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const KEY_PK = /^KEY#(key_[0-9a-f]{24})$/;
/** `<createdAt>#<id>` as the indexes sort keys; the date is checked again for being a real instant. */
const SORT_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#(key_[0-9a-f]{24})$/;
const REFUSAL = 'cursor is not valid: pass back the cursor of the previous page unchanged';

/** A start key as a cursor: base64url JSON, the one encoding every listing uses. */
export function writeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The start key a cursor holds, checked against its listing's exact schema: anything else (too
 * long, not base64url, not JSON, a field more or less, a wrong type) is `invalid_request`. The
 * caller then checks what a schema cannot (ids agree, instants are real, the text is canonical).
 */
export function readCursor<T>(cursor: string, schema: z.ZodMiniType<T>): T {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw invalidRequest(REFUSAL);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest(REFUSAL);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalidRequest(REFUSAL);
  return parsed.data;
}

/** The refusal of a cursor that reads but does not hold up. */
export const invalidCursor = () => invalidRequest(REFUSAL);

/** The index a listing reads, and the one partition of it this listing may read. */
export interface ListingIndex {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** The partition key's value: the tenant, or the tenant and environment. */
  readonly partition: string;
}

/**
 * The index that lists a tenant's keys: `byTenant` for every environment, `byTenantEnvironment`
 * for one, so that a page of one environment reads O(limit) items.
 */
export function listingIndex(tenantId: string, environment?: Environment): ListingIndex {
  const s = TABLE_SCHEMA;
  return environment === undefined
    ? {
        indexName: s.tenantIndex,
        partitionKey: s.tenantIndexPartitionKey,
        sortKey: s.tenantIndexSortKey,
        partition: indexPartition(tenantId),
      }
    : {
        indexName: s.environmentIndex,
        partitionKey: s.environmentIndexPartitionKey,
        sortKey: s.environmentIndexSortKey,
        partition: indexPartition(tenantId, environment),
      };
}

/**
 * The cursor after `item` in `index`: its primary key and index key (DynamoDB's
 * `LastEvaluatedKey` for that index), as base64url JSON. The field names tell the two indexes'
 * cursors apart, so one is never taken for the other.
 */
export function encodeCursor(index: ListingIndex, item: Record<string, unknown>): string {
  const key = {
    pk: item.pk,
    sk: item.sk,
    [index.partitionKey]: item[index.partitionKey],
    [index.sortKey]: item[index.sortKey],
  };
  return writeCursor(key);
}

/**
 * The `ExclusiveStartKey` a cursor stands for, or `invalid_request` (400) for anything that is
 * not exactly what {@link encodeCursor} makes for this index and partition: malformed input
 * never reaches DynamoDB, where an empty or ill-typed key attribute would answer a
 * ValidationException (a 500), and a made-up start key could read outside the partition.
 */
export function decodeCursor(index: ListingIndex, cursor: string): Record<string, string> {
  const key = readCursor(cursor, cursorSchema(index));
  // the sort key must name the same key as pk, at an instant that exists; and the text must be
  // the canonical encoding, so that no two strings stand for one position.
  const [, id] = KEY_PK.exec(key.pk) ?? [];
  const [, createdAt, sortId] = SORT_KEY.exec(key[index.sortKey]) ?? [];
  const realInstant =
    createdAt !== undefined && !Number.isNaN(Date.parse(createdAt)) && new Date(createdAt).toISOString() === createdAt;
  if (id === undefined || sortId !== id || !realInstant || encodeCursor(index, key) !== cursor)
    throw invalidRequest(REFUSAL);
  return key;
}

function cursorSchema(index: ListingIndex): z.ZodMiniType<Record<string, string>> {
  return z.strictObject({
    pk: z.string().check(z.regex(KEY_PK)),
    sk: z.literal('KEY'),
    [index.partitionKey]: z.literal(index.partition),
    [index.sortKey]: z.string().check(z.regex(SORT_KEY)),
  }) as unknown as z.ZodMiniType<Record<string, string>>;
}

const TENANT_PK = /^TENANT#(.+)$/;
const TENANT_SORT_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#(.+)$/;
const tenantCursorSchema = z.strictObject({
  pk: z.string().check(z.regex(TENANT_PK)),
  sk: z.literal('TENANT'),
  gsi1pk: z.literal(TENANT_LIST_PARTITION),
  gsi1sk: z.string().check(z.regex(TENANT_SORT_KEY)),
});

/** The cursor after a tenant item in the tenant listing, as base64url JSON of its keys. */
export function encodeTenantCursor(item: Record<string, unknown>): string {
  const key = { pk: item.pk, sk: item.sk, gsi1pk: item.gsi1pk, gsi1sk: item.gsi1sk };
  return writeCursor(key);
}

/**
 * The `ExclusiveStartKey` a tenant-listing cursor stands for, or `invalid_request` (400) for
 * anything {@link encodeTenantCursor} would not have made: as strict as the keys' cursors.
 */
export function decodeTenantCursor(cursor: string): Record<string, string> {
  const key = readCursor(cursor, tenantCursorSchema);
  const [, id] = TENANT_PK.exec(key.pk) ?? [];
  const [, createdAt, sortId] = TENANT_SORT_KEY.exec(key.gsi1sk) ?? [];
  const realInstant =
    createdAt !== undefined && !Number.isNaN(Date.parse(createdAt)) && new Date(createdAt).toISOString() === createdAt;
  if (
    id === undefined ||
    !TENANT_ID_PATTERN.test(id) ||
    sortId !== id ||
    !realInstant ||
    encodeTenantCursor(key) !== cursor
  ) {
    throw invalidRequest(REFUSAL);
  }
  return key;
}
