import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoOutbox } from '../events/dynamodb-outbox';
import type { KeygateEvent } from '../events/model';
import { conflict, notFound } from '../http/errors';
import type { Expiry } from '../keys/expiry';
import type { Environment } from '../keys/format';
import type { OwnerGuard } from '../keys/owner-guard';
import { ROTATION_REFUSED, rotationRefusal } from '../keys/rotation';
import type { KeyItem, KeyStatus } from '../model';
import { decodeCursor, encodeCursor, listingIndex } from './cursor';
import type { DynamoOwners } from './dynamodb-owners';
import { fromKeyItem, keyItemKey, lastUsedUpdate, toKeyItem } from './key-item';
import { readListing } from './pages';
import { KeyExistsError, TenantChangedError, type KeyPage, type ScopeChange } from './store';
import { expiryDayOf, noticePartition, noticeShard, noticeStatusUpdate, utcDay } from './table';
import { cancellationCodes, cancellationReasons, transactItem, transactWrite, type TransactUpdate } from './transact';

/**
 * A name-prefix listing filters after DynamoDB's `Limit`, so it reads items that do not match:
 * it reads in batches of this many and stops after {@link NAME_FILTER_BUDGET} items read, with a
 * short (even empty) page and a cursor to go on. The trade-off against a name index (a third
 * GSI, written on every key write, sorted by name rather than date) is written up in the README.
 */
const NAME_FILTER_BATCH = 100;
const NAME_FILTER_BUDGET = 1000;

/** What {@link DynamoKeys} shares with the other parts of the store. */
export interface DynamoKeysProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly outbox: DynamoOutbox;
  readonly owners: DynamoOwners;
}

/** An update of one of a tenant's keys, before the tenant condition is added. */
interface KeyUpdate {
  readonly UpdateExpression: string;
  readonly ExtraCondition?: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * The key items of the store: each key is one item (`KEY#<id>`), found by id without an index;
 * the `byTenant` index lists a tenant's keys newest first, and `byTenantEnvironment` those of one
 * environment. Every write that can race is conditional or transactional.
 */
export class DynamoKeys {
  constructor(private readonly props: DynamoKeysProps) {}

  async get(id: string): Promise<KeyItem | undefined> {
    const { client, tableName } = this.props;
    const out = await client.send(new GetCommand({ TableName: tableName, Key: keyItemKey(id), ConsistentRead: true }));
    return out.Item === undefined ? undefined : fromKeyItem(out.Item);
  }

  async getOfTenant(tenantId: string, id: string): Promise<KeyItem> {
    const key = await this.get(id);
    if (key === undefined || key.tenantId !== tenantId) throw notFound();
    return key;
  }

  async touchLastUsed(id: string, at: Date, minIntervalMs: number): Promise<boolean> {
    try {
      await this.props.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: keyItemKey(id),
          ...lastUsedUpdate(at, minIntervalMs, id),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async create(key: KeyItem, event?: KeygateEvent): Promise<void> {
    const { client, tableName, outbox, owners } = this.props;
    try {
      await transactWrite(
        client,
        outbox.append(
          [
            transactItem.put({
              TableName: tableName,
              Item: toKeyItem(key),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
            owners.tenantItemForNewKey(key, key.tenantVersion),
          ],
          event,
        ),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (tenantMoved(codes?.[1])) throw new TenantChangedError('the tenant changed while the key was created');
      if (codes?.[0] === 'ConditionalCheckFailed') throw new KeyExistsError();
      throw error;
    }
  }

  async list(
    tenantId: string,
    limit: number,
    cursor?: string,
    environment?: Environment,
    namePrefix?: string,
  ): Promise<KeyPage> {
    // one environment has an index of its own, so no filter runs after Limit and a page reads
    // limit + 1 items whatever the other environment holds.
    const index = listingIndex(tenantId, environment);
    const page = await readListing(
      this.props.client,
      {
        TableName: this.props.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: `${index.partitionKey} = :tenant`,
        ...(namePrefix === undefined
          ? { ExpressionAttributeValues: { ':tenant': index.partition } }
          : {
              FilterExpression: 'begins_with(#name, :prefix)',
              ExpressionAttributeNames: { '#name': 'name' },
              ExpressionAttributeValues: { ':tenant': index.partition, ':prefix': namePrefix },
            }),
        ScanIndexForward: false,
        ExclusiveStartKey: cursor === undefined ? undefined : decodeCursor(index, cursor),
      },
      {
        limit,
        ...(namePrefix === undefined ? {} : { batch: () => NAME_FILTER_BATCH }),
        // with a name filter, a page stops short (with a cursor) after the budget of items read.
        exhausted: ({ scanned }) => scanned >= NAME_FILTER_BUDGET,
      },
    );
    return {
      items: page.items.map(fromKeyItem),
      ...(page.after === undefined ? {} : { cursor: encodeCursor(index, page.after) }),
    };
  }

  async rename(
    tenantId: string,
    id: string,
    name?: string,
    meta?: Readonly<Record<string, string>>,
    event?: KeygateEvent,
    scopes?: ScopeChange,
  ): Promise<KeyItem> {
    const sets: string[] = [];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let extraCondition: string | undefined;
    if (scopes !== undefined) {
      names['#scopes'] = 'scopes';
      if (scopes.to === null) removes.push('#scopes');
      else {
        sets.push('#scopes = :scopes');
        values[':scopes'] = scopes.to;
      }
      // a narrowing is checked against the scopes read: it must not land on others.
      if (scopes.from === undefined) extraCondition = 'attribute_not_exists(#scopes)';
      else {
        extraCondition = '#scopes = :was';
        values[':was'] = scopes.from;
      }
    }
    if (name !== undefined) {
      sets.push('#name = :name');
      names['#name'] = 'name';
      values[':name'] = name;
    }
    const clearMeta = meta !== undefined && Object.keys(meta).length === 0;
    if (meta !== undefined && !clearMeta) {
      sets.push('#meta = :meta');
      values[':meta'] = meta;
    }
    if (meta !== undefined) names['#meta'] = 'meta';
    if (clearMeta) removes.push('#meta');
    const expression = [
      sets.length > 0 ? `SET ${sets.join(', ')}` : '',
      removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return this.updateOfTenant(
      tenantId,
      id,
      {
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(extraCondition === undefined ? {} : { ExtraCondition: extraCondition }),
      },
      () => conflict("the key's scopes changed at the same time; read the key and try again"),
      event,
    );
  }

  async setStatus(
    tenantId: string,
    id: string,
    status: KeyStatus,
    guard?: OwnerGuard,
    event?: KeygateEvent,
  ): Promise<KeyItem> {
    if (guard !== undefined) {
      await this.props.owners.setStatus(tenantId, id, status, guard, this.props.outbox.append([], event));
      // a transaction returns no item: read the key as it now is.
      return this.getOfTenant(tenantId, id);
    }
    const from: KeyStatus = status === 'active' ? 'revoked' : 'active';
    // the notice indexes: a revoked key leaves them; enabled, it rejoins them (the key as it is).
    const notices = noticeStatusUpdate(
      status,
      status === 'active' ? await this.get(id) : undefined,
      event === undefined ? undefined : utcDay(event.at),
    );
    return this.updateOfTenant(
      tenantId,
      id,
      {
        UpdateExpression: `SET #status = :to${notices.sets}${notices.removes}`,
        ExtraCondition: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': status, ':from': from, ...notices.values },
      },
      () => conflict(`the key is already ${status}`),
      event,
    );
  }

  async delete(tenantId: string, id: string, guard?: OwnerGuard, event?: KeygateEvent): Promise<void> {
    const { client, tableName, outbox, owners } = this.props;
    if (guard !== undefined) return owners.delete(tenantId, id, guard, outbox.append([], event));
    try {
      const write = {
        TableName: tableName,
        Key: keyItemKey(id),
        ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenant',
        ExpressionAttributeValues: { ':tenant': tenantId },
      };
      if (event === undefined) await client.send(new DeleteCommand(write));
      else await outbox.send(client, { Delete: write }, event);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw notFound();
      throw error;
    }
  }

  async rotate(
    tenantId: string,
    oldId: string,
    newKey: KeyItem,
    oldExpiry: Expiry,
    now: Date,
    event?: KeygateEvent,
  ): Promise<void> {
    const { client, tableName, outbox, owners } = this.props;
    const oldUpdate: TransactUpdate = {
      TableName: tableName,
      Key: keyItemKey(oldId),
      // the old key's new expiry moves it in the expiry notice index too.
      UpdateExpression: 'SET rotatedTo = :newId, expiresAt = :expiresAt, #ttl = :ttl, gsi3pk = :expiryDay',
      // the rotation rule (see rotationRefusal), checked as the write commits.
      ConditionExpression:
        'attribute_exists(pk) AND tenantId = :tenant AND #status = :active AND attribute_not_exists(rotatedTo) ' +
        'AND (attribute_not_exists(expiresAt) OR expiresAt > :now)',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':newId': newKey.id,
        ':expiresAt': oldExpiry.expiresAt,
        ':ttl': oldExpiry.ttl,
        // rotation always gives the old key an end (now, or its grace period's).
        ':expiryDay': noticePartition(expiryDayOf(oldExpiry.expiresAt ?? now.toISOString()), noticeShard(oldId)),
        ':tenant': tenantId,
        ':active': 'active',
        ':now': now.toISOString(),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
    try {
      await transactWrite(
        client,
        outbox.append(
          [
            transactItem.update(oldUpdate),
            transactItem.put({
              TableName: tableName,
              Item: toKeyItem(newKey),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
            owners.tenantItemForNewKey(newKey, newKey.tenantVersion),
          ],
          event,
        ),
      );
    } catch (error) {
      const [old, , tenant] = cancellationReasons(error) ?? [];
      if (old?.Code === 'ConditionalCheckFailed') {
        const item =
          old.Item === undefined ? undefined : fromKeyItem(unmarshall(old.Item as Record<string, AttributeValue>));
        if (item === undefined || item.tenantId !== tenantId) throw notFound();
        throw conflict(rotationRefusal(item, now) ?? ROTATION_REFUSED);
      }
      if (tenantMoved(tenant?.Code)) throw new TenantChangedError('the tenant changed while the key was rotated');
      throw error;
    }
  }

  /** A conditional update of one of a tenant's keys; `not_found` for another tenant's key. */
  private async updateOfTenant(
    tenantId: string,
    id: string,
    update: KeyUpdate,
    onStateMismatch?: () => Error,
    event?: KeygateEvent,
  ): Promise<KeyItem> {
    const { client, tableName, outbox } = this.props;
    const condition = ['attribute_exists(pk)', 'tenantId = :tenant', update.ExtraCondition]
      .filter(Boolean)
      .join(' AND ');
    try {
      const write = {
        TableName: tableName,
        Key: keyItemKey(id),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: condition,
        ExpressionAttributeNames: update.ExpressionAttributeNames,
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':tenant': tenantId },
        ReturnValues: 'ALL_NEW' as const,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      if (event !== undefined) {
        await outbox.send(client, { Update: write }, event);
        // a transaction returns no item: read the key as it now is.
        return await this.getOfTenant(tenantId, id);
      }
      const out = await client.send(new UpdateCommand(write));
      return fromKeyItem(out.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const old = error.Item === undefined ? undefined : unmarshall(error.Item);
        if (old === undefined || old.tenantId !== tenantId || onStateMismatch === undefined) throw notFound();
        throw onStateMismatch();
      }
      throw error;
    }
  }
}

/**
 * Whether the tenant item's part of a cancelled key transaction failed because the tenant was
 * written meanwhile: its version moved, or another transaction held it (`TransactionConflict`,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
 */
function tenantMoved(code: string | undefined): boolean {
  return code === 'ConditionalCheckFailed' || code === 'TransactionConflict';
}
