import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { decodeCursor, encodeCursor, listingIndex } from './cursor';
import { fromKeyItem, KEY_SK, keyItemKey, keyPk, lastUsedUpdate } from './key-item';
import { DynamoOwners, OWNER_ATTRIBUTES } from './dynamodb-owners';
import { DynamoTenants } from './dynamodb-tenants';
import { conflict, notFound } from '../http/errors';
import { DynamoOutbox } from '../events/dynamodb-outbox';
import type { KeygateEvent } from '../events/model';
import type { Expiry } from '../keys/expiry';
import type { Environment } from '../keys/format';
import type { KeyItem, KeyStatus, Tenant } from '../model';
import type { OwnerGuard } from '../keys/owner-guard';
import { TenantChangedError, type KeyPage, type KeyStore, type TenantChanges, type TenantPage } from './store';
import { expiryDayOf, keyIndexAttributes, noticeIndexAttributes, noticePartition, noticeShard, noticeStatusUpdate, TABLE_SCHEMA, tenantIndexAttributes, utcDay } from './table';

const TENANT_SK = 'TENANT';
const tenantPk = (tenantId: string): string => `TENANT#${tenantId}`;
/** The primary key of a key's item, for stores of other concerns over the same table (leaks). */
export { keyItemKey };


type Raw = Record<string, unknown>;

/**
 * A name-prefix listing filters after DynamoDB's `Limit`, so it reads items that do not match:
 * it reads in batches of this many and stops after {@link NAME_FILTER_BUDGET} items read, with a
 * short (even empty) page and a cursor to go on. The trade-off against a name index (a third
 * GSI, written on every key write, sorted by name rather than date) is written up in the README.
 */
const NAME_FILTER_BATCH = 100;
const NAME_FILTER_BUDGET = 1000;

/** Where a {@link DynamoKeyStore} keeps its items. */
export interface DynamoKeyStoreProps {
  /** A document client; created once per process by the caller. */
  readonly client: DynamoDBDocumentClient;
  /** The key table's name. */
  readonly tableName: string;
  /** How long event items are kept. @default 400 */
  readonly eventRetentionDays?: number;
}

/**
 * The {@link KeyStore} over one DynamoDB table. Each key is one item (`KEY#<id>`), found by id
 * without an index; a tenant is one item (`TENANT#<id>`); the `byTenant` index lists a tenant's
 * keys newest first, and `byTenantEnvironment` those of one environment.
 * Every write that can race is conditional or transactional.
 */
export class DynamoKeyStore implements KeyStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly owners: DynamoOwners;
  private readonly tenants: DynamoTenants;
  private readonly outbox: DynamoOutbox;

  constructor(props: DynamoKeyStoreProps) {
    if (props.tableName.length === 0) throw new Error('DynamoKeyStore needs a table name, received ""');
    this.client = props.client;
    this.tableName = props.tableName;
    this.outbox = new DynamoOutbox(props.tableName, props.eventRetentionDays);
    this.owners = new DynamoOwners({
      client: props.client,
      tableName: props.tableName,
      keyItem: (id) => ({ pk: keyPk(id), sk: KEY_SK }),
      tenantItem: (tenantId) => ({ pk: tenantPk(tenantId), sk: TENANT_SK }),
    });
    this.tenants = new DynamoTenants({
      client: props.client,
      tableName: props.tableName,
      tenantItem: (tenantId) => ({ pk: tenantPk(tenantId), sk: TENANT_SK }),
    });
  }

  async getKey(id: string): Promise<KeyItem | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: keyPk(id), sk: KEY_SK }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : fromKeyItem(out.Item);
  }

  async getTenantKey(tenantId: string, id: string): Promise<KeyItem> {
    const key = await this.getKey(id);
    if (key === undefined || key.tenantId !== tenantId) throw notFound();
    return key;
  }

  async touchLastUsed(id: string, at: Date, minIntervalMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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

  async createKey(key: KeyItem, event?: KeygateEvent): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: this.outbox.append<object>([
            { Put: { TableName: this.tableName, Item: toKeyItem(key), ConditionExpression: 'attribute_not_exists(pk)' } },
            this.owners.tenantItemForNewKey(key, key.tenantVersion),
          ], event) as never,
        }),
      );
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[1] === 'ConditionalCheckFailed') throw new TenantChangedError('the tenant changed while the key was created');
      if (reasons?.[0] === 'ConditionalCheckFailed') throw conflict('a key with this id already exists');
      throw error;
    }
  }

  async listKeys(tenantId: string, limit: number, cursor?: string, environment?: Environment, namePrefix?: string): Promise<KeyPage> {
    // one environment has an index of its own, so no filter runs after Limit and a page reads
    // limit + 1 items whatever the other environment holds.
    const index = listingIndex(tenantId, environment);
    const raw: Raw[] = [];
    let start: Record<string, unknown> | undefined = cursor === undefined ? undefined : decodeCursor(index, cursor);
    let evaluated = 0;
    // the extra item is how the last page is known to carry no cursor; the loop only goes round
    // again when a query stops short at DynamoDB's 1 MB page, or, with a name filter, when the
    // items read did not match enough (bounded by NAME_FILTER_BUDGET).
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
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
          Limit: namePrefix === undefined ? limit + 1 - raw.length : NAME_FILTER_BATCH,
          ExclusiveStartKey: start,
        }),
      );
      evaluated += out.ScannedCount ?? 0;
      raw.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (raw.length <= limit && start !== undefined && evaluated < NAME_FILTER_BUDGET);
    const page = raw.slice(0, limit);
    const last = page[page.length - 1];
    let next: string | undefined;
    if (raw.length > limit && last !== undefined) next = encodeCursor(index, last);
    // out of budget before the page filled: the cursor resumes after the last item read.
    else if (start !== undefined) next = encodeCursor(index, start);
    return { items: page.map(fromKeyItem), ...(next === undefined ? {} : { cursor: next }) };
  }

  async renameKey(tenantId: string, id: string, name?: string, meta?: Readonly<Record<string, string>>, event?: KeygateEvent): Promise<KeyItem> {
    const sets: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
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
    const expression = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', clearMeta ? 'REMOVE #meta' : ''].filter(Boolean).join(' ');
    return this.updateTenantKey(tenantId, id, { UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values }, undefined, event);
  }

  async setKeyStatus(tenantId: string, id: string, status: KeyStatus, guard?: OwnerGuard, event?: KeygateEvent): Promise<KeyItem> {
    if (guard !== undefined) {
      await this.owners.setStatus(tenantId, id, status, guard, this.outbox.append([], event));
      // a transaction returns no item: read the key as it now is.
      const key = await this.getKey(id);
      if (key === undefined || key.tenantId !== tenantId) throw notFound();
      return key;
    }
    const from: KeyStatus = status === 'active' ? 'revoked' : 'active';
    // the notice indexes: a revoked key leaves them; enabled, it rejoins them (the key as it is).
    const notices = noticeStatusUpdate(status, status === 'active' ? await this.getKey(id) : undefined, event === undefined ? undefined : utcDay(event.at));
    return this.updateTenantKey(
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

  async deleteKey(tenantId: string, id: string, guard?: OwnerGuard, event?: KeygateEvent): Promise<void> {
    if (guard !== undefined) return this.owners.delete(tenantId, id, guard, this.outbox.append([], event));
    try {
      const write = {
        TableName: this.tableName,
        Key: { pk: keyPk(id), sk: KEY_SK },
        ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenant',
        ExpressionAttributeValues: { ':tenant': tenantId },
      };
      if (event === undefined) await this.client.send(new DeleteCommand(write));
      else await this.outbox.send(this.client, { Delete: write }, event);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw notFound();
      throw error;
    }
  }

  async rotateKey(tenantId: string, oldId: string, newKey: KeyItem, oldExpiry: Expiry, now: Date, event?: KeygateEvent): Promise<void> {
    const oldUpdate = {
      TableName: this.tableName,
      Key: { pk: keyPk(oldId), sk: KEY_SK },
      // the old key's new expiry moves it in the expiry notice index too.
      UpdateExpression: 'SET rotatedTo = :newId, expiresAt = :expiresAt, #ttl = :ttl, gsi3pk = :expiryDay',
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
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: this.outbox.append<object>([
            { Update: oldUpdate },
            { Put: { TableName: this.tableName, Item: toKeyItem(newKey), ConditionExpression: 'attribute_not_exists(pk)' } },
            this.owners.tenantItemForNewKey(newKey, newKey.tenantVersion),
          ], event) as never,
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const [old, , tenant] = error.CancellationReasons ?? [];
        if (old?.Code === 'ConditionalCheckFailed') {
          const item = old.Item === undefined ? undefined : fromKeyItem(unmarshall(old.Item as Record<string, AttributeValue>));
          if (item === undefined || item.tenantId !== tenantId) throw notFound();
          throw conflict(rotationRefusal(item, now));
        }
        if (tenant?.Code === 'ConditionalCheckFailed') throw new TenantChangedError('the tenant changed while the key was rotated');
      }
      throw error;
    }
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: tenantPk(tenantId), sk: TENANT_SK }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : fromTenantItem(out.Item);
  }

  async createTenant(tenant: Tenant, firstKey: KeyItem, event?: KeygateEvent): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: this.outbox.append<object>([
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: tenantPk(tenant.tenantId),
                  sk: TENANT_SK,
                  ...tenantIndexAttributes(tenant),
                  ...tenant,
                  ...this.owners.newTenantAttributes(tenant.tenantId, firstKey),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Put: { TableName: this.tableName, Item: toKeyItem(firstKey), ConditionExpression: 'attribute_not_exists(pk)' } },
          ], event) as never,
        }),
      );
    } catch (error) {
      if (cancellationReasons(error)?.[0] === 'ConditionalCheckFailed') {
        throw conflict(`a tenant with id ${tenant.tenantId} already exists`);
      }
      throw error;
    }
  }

  async ownerKeyIds(tenantId: string): Promise<string[]> {
    return this.owners.ownerKeyIds(tenantId);
  }

  async deleteTenant(tenantId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: tenantPk(tenantId), sk: TENANT_SK } }));
  }

  async listTenants(limit: number, cursor?: string): Promise<TenantPage> {
    const page = await this.tenants.list(limit, cursor);
    return { items: page.items.map(fromTenantItem), ...(page.cursor === undefined ? {} : { cursor: page.cursor }) };
  }

  async renameTenant(tenantId: string, name: string): Promise<Tenant> {
    return fromTenantItem(await this.tenants.rename(tenantId, name));
  }

  async deleteTenantKeys(tenantId: string): Promise<number> {
    return this.tenants.deleteKeys(tenantId, (id) => ({ pk: keyPk(id), sk: KEY_SK }));
  }

  async deleteMarkedTenant(tenantId: string): Promise<void> {
    return this.tenants.deleteMarked(tenantId);
  }

  async updateTenant(tenantId: string, expectedVersion: number, changes: TenantChanges, event?: KeygateEvent): Promise<Tenant> {
    const sets = ['version = :next'];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':next': expectedVersion + 1, ':expected': expectedVersion };
    const set = (attribute: string, value: unknown): void => {
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      sets.push(`#${attribute} = :${attribute}`);
    };
    if (changes.status !== undefined) set('status', changes.status);
    if (changes.plan !== undefined) set('plan', changes.plan);
    if (changes.limits !== undefined) set('limits', changes.limits);
    if (changes.usagePlanId === null) removes.push('usagePlanId');
    else if (changes.usagePlanId !== undefined) set('usagePlanId', changes.usagePlanId);
    if (changes.planGeneration !== undefined) set('planGeneration', changes.planGeneration);
    if (changes.appliedGeneration !== undefined) set('appliedGeneration', changes.appliedGeneration);
    if (changes.pendingUsageKeys !== undefined) set('pendingUsageKeys', changes.pendingUsageKeys);
    if (changes.retiredUsageKeys !== undefined) set('retiredUsageKeys', changes.retiredUsageKeys);
    for (const [environment, usage] of Object.entries(changes.usageKeys ?? {})) {
      names['#usageKeys'] = 'usageKeys';
      names[`#${environment}`] = environment;
      values[`:usage_${environment}`] = usage;
      sets.push(`#usageKeys.#${environment} = :usage_${environment}`);
    }
    try {
      const write = {
        TableName: this.tableName,
        Key: { pk: tenantPk(tenantId), sk: TENANT_SK },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND version = :expected',
        ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW' as const,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      if (event !== undefined) {
        await this.outbox.send(this.client, { Update: write }, event);
        // a transaction returns no item: read the tenant as it now is.
        const tenant = await this.getTenant(tenantId);
        if (tenant === undefined) throw notFound('tenant');
        return tenant;
      }
      const out = await this.client.send(new UpdateCommand(write));
      return fromTenantItem(out.Attributes as Raw);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (error.Item === undefined) throw notFound('tenant');
        throw conflict('the tenant was changed by another request; try again');
      }
      throw error;
    }
  }

  /**
   * Every tenant, by a full table scan: for the local gateway's restart over a kept data folder
   * only, never on a request path.
   */
  async *scanTenants(): AsyncGenerator<Tenant> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'sk = :tenant',
          ExpressionAttributeValues: { ':tenant': TENANT_SK },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) yield fromTenantItem(item);
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  async propagateTenant(tenant: Tenant): Promise<number> {
    let updated = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_SCHEMA.tenantIndex,
          KeyConditionExpression: 'gsi1pk = :tenant',
          FilterExpression: 'tenantVersion < :version',
          ProjectionExpression: 'id, environment',
          ExpressionAttributeValues: { ':tenant': tenantPk(tenant.tenantId), ':version': tenant.version },
          ExclusiveStartKey: start,
        }),
      );
      const keys = (out.Items ?? []) as { id: string; environment: 'live' | 'test' }[];
      const results = await Promise.all(keys.map((key) => this.copyTenantOnto(tenant, key.id, key.environment)));
      updated += results.filter(Boolean).length;
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return updated;
  }

  private async copyTenantOnto(tenant: Tenant, id: string, environment: 'live' | 'test'): Promise<boolean> {
    const usage = tenant.usageKeys[environment];
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keyPk(id), sk: KEY_SK },
          UpdateExpression:
            'SET tenantStatus = :status, #plan = :plan, tenantVersion = :version' +
            (usage === undefined ? ' REMOVE usageKey' : ', usageKey = :usage'),
          // never let an older copy overwrite a newer one when two changes propagate at once.
          ConditionExpression: 'attribute_exists(pk) AND tenantVersion < :version',
          ExpressionAttributeNames: { '#plan': 'plan' },
          ExpressionAttributeValues: {
            ':status': tenant.status,
            ':plan': tenant.plan,
            ':version': tenant.version,
            ...(usage === undefined ? {} : { ':usage': usage.value }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** A conditional update of one of a tenant's keys; `not_found` for another tenant's key. */
  private async updateTenantKey(
    tenantId: string,
    id: string,
    update: {
      UpdateExpression: string;
      ExtraCondition?: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
    onStateMismatch?: () => Error,
    event?: KeygateEvent,
  ): Promise<KeyItem> {
    const condition = ['attribute_exists(pk)', 'tenantId = :tenant', update.ExtraCondition].filter(Boolean).join(' AND ');
    try {
      const write = {
        TableName: this.tableName,
        Key: { pk: keyPk(id), sk: KEY_SK },
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: condition,
        ExpressionAttributeNames: update.ExpressionAttributeNames,
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':tenant': tenantId },
        ReturnValues: 'ALL_NEW' as const,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      if (event !== undefined) {
        await this.outbox.send(this.client, { Update: write }, event);
        // a transaction returns no item: read the key as it now is.
        const key = await this.getKey(id);
        if (key === undefined || key.tenantId !== tenantId) throw notFound();
        return key;
      }
      const out = await this.client.send(new UpdateCommand(write));
      return fromKeyItem(out.Attributes as Raw);
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

/** Why a key that exists and belongs to the tenant cannot be rotated. */
function rotationRefusal(key: KeyItem, now: Date): string {
  if (key.status === 'revoked') return 'a revoked key cannot be rotated; enable it first';
  if (key.rotatedTo !== undefined) return `the key was already rotated to ${key.rotatedTo}`;
  if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime()) return 'an expired key cannot be rotated';
  return 'the key cannot be rotated in its current state';
}

function cancellationReasons(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => reason.Code);
}

function toKeyItem(key: KeyItem): Raw {
  const item: Raw = {
    pk: keyPk(key.id),
    sk: KEY_SK,
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


function fromTenantItem(raw: Raw): Tenant {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, ...tenant } = raw;
  for (const attribute of OWNER_ATTRIBUTES) delete tenant[attribute];
  return tenant as unknown as Tenant;
}
