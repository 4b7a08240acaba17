import type { KeyItem } from '../model';
import { keyIndexAttributes, noticeIndexAttributes, noticePartition, noticeShard, utcDay } from './table';

/**
 * How a key is laid out in the table, apart from any DynamoDB client: the store (AWS SDK) and
 * the authorizer's signed reader (a few kilobytes, for its cold start) share every line of it.
 */

/** The sort key of every key item. */
export const KEY_SK = 'KEY';

/** The partition key of a key item: one item per key, found by id without an index. */
export const keyPk = (id: string): string => `KEY#${id}`;

/** A key item's primary key. */
export const keyItemKey = (id: string): { pk: string; sk: string } => ({ pk: keyPk(id), sk: KEY_SK });

/** Attributes that exist only for DynamoDB's sake and are stripped when an item is read. */
const STORAGE_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi4pk', 'ttl'] as const;

/** A key as an item: its primary key, its index attributes, and `ttl` when it expires. */
export function toKeyItem(key: KeyItem): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...keyItemKey(key.id),
    ...keyIndexAttributes(key),
    ...noticeIndexAttributes(key),
    ...key,
  };
  // absent rather than null, so conditions can use attribute_not_exists.
  if (key.expiresAt === null) delete item.expiresAt;
  else item.ttl = Math.floor(Date.parse(key.expiresAt) / 1000);
  if (key.lastUsedAt === null) delete item.lastUsedAt;
  return item;
}

/** A stored key item (plain JavaScript values) as the domain sees it. */
export function fromKeyItem(raw: Record<string, unknown>): KeyItem {
  const item: Record<string, unknown> = { ...raw };
  for (const attribute of STORAGE_ATTRIBUTES) delete item[attribute];
  item.expiresAt ??= null;
  item.lastUsedAt ??= null;
  return item as unknown as KeyItem;
}

/**
 * The conditional write of `lastUsedAt`: only if the key exists and no use was recorded less
 * than `minIntervalMs` before `at`, so concurrent authorizers write at most once a minute.
 * It also moves the key to `at`'s day in the `byActivityDay` index (`gsi4pk`): the same value
 * all day, so only the day's first use writes the index. It names only `pk`, `sk`, `lastUsedAt`
 * and `gsi4pk`: what the authorizer's IAM policy allows.
 */
export function lastUsedUpdate(
  at: Date,
  minIntervalMs: number,
  id: string,
): {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeValues: { ':at': string; ':threshold': string; ':day': string };
} {
  return {
    UpdateExpression: 'SET lastUsedAt = :at, gsi4pk = :day',
    ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :threshold)',
    ExpressionAttributeValues: {
      ':at': at.toISOString(),
      ':threshold': new Date(at.getTime() - minIntervalMs).toISOString(),
      ':day': noticePartition(utcDay(at), noticeShard(id)),
    },
  };
}
