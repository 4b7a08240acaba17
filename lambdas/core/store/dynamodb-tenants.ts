import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoOutbox } from '../events/dynamodb-outbox';
import type { KeygateEvent } from '../events/model';
import { conflict, notFound, tenantIdRetired } from '../http/errors';
import type { KeyItem, Tenant } from '../model';
import { decodeTenantCursor, encodeTenantCursor, invalidCursor } from './cursor';
import type { DynamoOwners } from './dynamodb-owners';
import { toKeyItem } from './key-item';
import { readListing, scanPages } from './pages';
import { TenantChangedError, type TenantChanges, type TenantPage } from './store';
import { TABLE_SCHEMA, TENANT_LIST_PARTITION } from './table';
import { createdBounds, NAME_KEY_ATTRIBUTE, searchKey, tenantFilterQuery, type TenantFilter } from './tenant-filter';
import { fromTenantItem, retiredItemKey, TENANT_SK, tenantItemKey, toTenantItem } from './tenant-item';
import { cancellationCodes, transactItem, transactWrite } from './transact';

/** What a query of a filtered tenant listing reads at a time: matches may be sparse. */
export const FILTERED_BATCH = 100;
/**
 * At most this many queries per filtered page (so at most about 500 tenant items read): past the
 * bound the page ends short, with a cursor, as DynamoDB's own filtered queries do.
 */
export const MAX_QUERIES_PER_PAGE = 5;

/** What {@link DynamoTenants} shares with the other parts of the store. */
export interface DynamoTenantsProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly outbox: DynamoOutbox;
  readonly owners: DynamoOwners;
}

/**
 * The tenant items of the store (`TENANT#<id>`): reading, creating, listing, renaming, changing
 * under a version check, and deleting them. Tenant items sit in the sparse `TENANTS` partition
 * of `byTenant` (see `tenantIndexAttributes`), so a page of tenants is one query of `limit + 1`
 * items.
 */
export class DynamoTenants {
  constructor(private readonly props: DynamoTenantsProps) {}

  async get(tenantId: string): Promise<Tenant | undefined> {
    const { client, tableName } = this.props;
    const out = await client.send(
      new GetCommand({ TableName: tableName, Key: tenantItemKey(tenantId), ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : fromTenantItem(out.Item);
  }

  async create(tenant: Tenant, firstKey: KeyItem, event?: KeygateEvent): Promise<void> {
    const { client, tableName, outbox, owners } = this.props;
    try {
      await transactWrite(
        client,
        outbox.append(
          [
            transactItem.put({
              TableName: tableName,
              Item: toTenantItem(tenant, owners.newTenantAttributes(tenant.tenantId, firstKey)),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
            transactItem.put({
              TableName: tableName,
              Item: toKeyItem(firstKey),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
            // in the same transaction: a creation racing the end of a deletion cannot bring the id back.
            transactItem.check({
              TableName: tableName,
              Key: retiredItemKey(tenant.tenantId),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ],
          event,
        ),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.[2] === 'ConditionalCheckFailed') throw tenantIdRetired(tenant.tenantId);
      if (codes?.[0] === 'ConditionalCheckFailed') throw conflict(`a tenant with id ${tenant.tenantId} already exists`);
      if (codes?.includes('TransactionConflict'))
        throw conflict(`tenant id ${tenant.tenantId} is being written by another request; try again`);
      throw error;
    }
  }

  async idRetired(tenantId: string): Promise<boolean> {
    const { client, tableName } = this.props;
    const out = await client.send(
      new GetCommand({ TableName: tableName, Key: retiredItemKey(tenantId), ConsistentRead: true }),
    );
    return out.Item !== undefined;
  }

  /** Deletes a tenant item whatever its state: the compensation of a failed creation. */
  async delete(tenantId: string): Promise<void> {
    await this.props.client.send(new DeleteCommand({ TableName: this.props.tableName, Key: tenantItemKey(tenantId) }));
  }

  /**
   * One page of tenants, newest first, and the cursor after it (absent on the last page). The
   * created days bound the query's sort key; the other filters are a filter expression, so a
   * filtered page reads ahead {@link FILTERED_BATCH} items a query, at most
   * {@link MAX_QUERIES_PER_PAGE} queries, and ends short (even empty) with a cursor past them.
   */
  async list(limit: number, cursor?: string, filter: TenantFilter = {}): Promise<TenantPage> {
    const { client, tableName } = this.props;
    const start = cursor === undefined ? undefined : decodeTenantCursor(cursor);
    const { from, before } = createdBounds(filter);
    if (from !== undefined && before !== undefined && from >= before) return { items: [] };
    // DynamoDB refuses a start key outside the key condition (a ValidationException, a 500 here).
    if (
      start !== undefined &&
      ((from !== undefined && start.gsi1sk < from) || (before !== undefined && start.gsi1sk >= before))
    )
      throw invalidCursor();
    const query = tenantFilterQuery(filter);
    const names = query.names;
    const page = await readListing(
      client,
      {
        TableName: tableName,
        IndexName: TABLE_SCHEMA.tenantIndex,
        KeyConditionExpression: [
          'gsi1pk = :tenants',
          ...(query.sortKeyCondition === undefined ? [] : [query.sortKeyCondition]),
        ].join(' AND '),
        ...(query.filterExpression === undefined ? {} : { FilterExpression: query.filterExpression }),
        ...(Object.keys(names).length === 0 ? {} : { ExpressionAttributeNames: names }),
        ExpressionAttributeValues: { ':tenants': TENANT_LIST_PARTITION, ...query.values },
        ScanIndexForward: false,
        ExclusiveStartKey: start,
      },
      query.filterExpression === undefined
        ? { limit }
        : {
            limit,
            batch: () => Math.max(FILTERED_BATCH, limit + 1),
            exhausted: ({ requests }) => requests >= MAX_QUERIES_PER_PAGE,
          },
    );
    return {
      items: page.items.map(fromTenantItem),
      ...(page.after === undefined ? {} : { cursor: encodeTenantCursor(page.after) }),
    };
  }

  /**
   * Every tenant, by a full table scan: for the local gateway's restart over a kept data folder
   * only, never on a request path.
   */
  async *scan(): AsyncGenerator<Tenant> {
    const { client, tableName } = this.props;
    const pages = scanPages(client, {
      TableName: tableName,
      FilterExpression: 'sk = :tenant',
      ExpressionAttributeValues: { ':tenant': TENANT_SK },
    });
    for await (const page of pages) for (const item of page.Items ?? []) yield fromTenantItem(item);
  }

  /**
   * Renames a tenant; `not_found` when there is none, `conflict` while it is being deleted. The
   * name is not copied onto keys, so the version (which keys copy) is left alone.
   */
  async rename(tenantId: string, name: string): Promise<Tenant> {
    const { client, tableName } = this.props;
    try {
      const out = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: tenantItemKey(tenantId),
          UpdateExpression: 'SET #name = :name, #nameKey = :nameKey',
          ConditionExpression: 'attribute_exists(pk) AND #status <> :deleting',
          ExpressionAttributeNames: { '#name': 'name', '#nameKey': NAME_KEY_ATTRIBUTE, '#status': 'status' },
          ExpressionAttributeValues: { ':name': name, ':nameKey': searchKey(name), ':deleting': 'deleting' },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return fromTenantItem(out.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (error.Item === undefined) throw notFound('tenant');
        throw conflict(`the tenant is being deleted (status ${String(unmarshall(error.Item).status)})`);
      }
      throw error;
    }
  }

  /** Applies `changes` to a tenant still at `expectedVersion` and bumps its version. */
  async update(
    tenantId: string,
    expectedVersion: number,
    changes: TenantChanges,
    event?: KeygateEvent,
  ): Promise<Tenant> {
    const { client, tableName, outbox } = this.props;
    const { sets, removes, names, values } = tenantUpdate(expectedVersion, changes);
    try {
      const write = {
        TableName: tableName,
        Key: tenantItemKey(tenantId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(pk) AND version = :expected',
        ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW' as const,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      if (event !== undefined) {
        await outbox.send(client, { Update: write }, event);
        // a transaction returns no item: read the tenant as it now is.
        const tenant = await this.get(tenantId);
        if (tenant === undefined) throw notFound('tenant');
        return tenant;
      }
      const out = await client.send(new UpdateCommand(write));
      return fromTenantItem(out.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (error.Item === undefined) throw notFound('tenant');
        throw new TenantChangedError('the tenant was changed by another request; try again');
      }
      // a transaction holds the tenant item (a key being created checks its version): alone, the
      // write fails with TransactionConflictException; with its event, it is a transaction that
      // is cancelled for a TransactionConflict.
      if (error instanceof TransactionConflictException || cancellationCodes(error)?.includes('TransactionConflict'))
        throw new TenantChangedError('the tenant was being changed by another request; try again');
      throw error;
    }
  }

  /**
   * Deletes the tenant item, only while it is marked `deleting`, and writes the tombstone that
   * retires its id in the same transaction: no moment exists in which the id is free. Succeeds
   * when the tenant item is gone already, retiring the id all the same.
   */
  async deleteMarked(tenantId: string): Promise<void> {
    const { client, tableName } = this.props;
    try {
      await transactWrite(client, [
        transactItem.delete({
          TableName: tableName,
          Key: tenantItemKey(tenantId),
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :deleting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':deleting': 'deleting' },
        }),
        transactItem.put({ TableName: tableName, Item: { ...retiredItemKey(tenantId), tenantId } }),
      ]);
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed')
        throw conflict('the tenant is not marked for deletion');
      throw error;
    }
  }
}

/** The parts of a tenant's versioned `UpdateExpression`: every change bumps the version. */
function tenantUpdate(expectedVersion: number, changes: TenantChanges) {
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
  if (changes.workspaces?.length === 0) removes.push('workspaces');
  else if (changes.workspaces !== undefined) set('workspaces', changes.workspaces);
  for (const [environment, usage] of Object.entries(changes.usageKeys ?? {})) {
    names['#usageKeys'] = 'usageKeys';
    names[`#${environment}`] = environment;
    values[`:usage_${environment}`] = usage;
    sets.push(`#usageKeys.#${environment} = :usage_${environment}`);
  }
  return { sets, removes, names, values };
}
