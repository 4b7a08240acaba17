import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { conflict, notFound } from '../http/errors';
import type { KeyStatus } from '../model';
import { owningRole, type OwnerGuard } from '../keys/owner-guard';
import { OwnersChangedError } from './store';
import { queryItems } from './pages';
import { LEAVE_NOTICE_INDEXES, TABLE_SCHEMA } from './table';
import { cancellationReasons, transactItem, transactWrite, type TransactItem } from './transact';

/** A primary key of the table. */
export type ItemKey = { readonly pk: string; readonly sk: string };

/**
 * The tenant item's string set of owner key ids: every key of the owning role written since the
 * set exists (removed when deleted). Revoked, expired and rotated-out keys stay in it; readers
 * check each key. Only keys carry what the authorizer reads: these live on the tenant item.
 */
const OWNER_IDS = 'ownerKeyIds';
/** Marks a tenant whose owner set is complete: a tenant stored before it existed lacks it. */
const OWNERS_LISTED = 'ownersListed';
/** Attributes of the tenant item that belong to the owner guard, not to {@link Tenant}. */
export const OWNER_ATTRIBUTES: readonly string[] = [OWNER_IDS, OWNERS_LISTED];

/** A key item is a lasting owner of `:tenant` at `:now` (what {@link isLastingOwner} says). */
const LASTING_OWNER =
  'attribute_exists(pk) AND tenantId = :tenant AND #role = :ownerRole AND #status = :active ' +
  'AND attribute_not_exists(rotatedTo) AND (attribute_not_exists(expiresAt) OR expiresAt > :now)';
/** The survivor never expires: the key it stands in for does not either. */
const LASTS_FOR_GOOD = 'attribute_not_exists(expiresAt)';
/** The survivor expires no sooner than `:until`, the expiry of the key it stands in for. */
const LASTS_UNTIL = '(attribute_not_exists(expiresAt) OR expiresAt >= :until)';
/** The key being changed (of the owning role) is not a lasting owner at `:now`. */
const NOT_LASTING = '(#status <> :active OR attribute_exists(rotatedTo) OR expiresAt <= :now)';

/** Where {@link DynamoOwners} works, and how the store names items. */
export interface DynamoOwnersProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly keyItem: (id: string) => ItemKey;
  readonly tenantItem: (tenantId: string) => ItemKey;
}

/**
 * The DynamoDB side of the owner rule (a tenant keeps a lasting owner key): the tenant's owner
 * set, and the guarded revoke and delete. Safety does not rest on the set: each guarded write
 * carries a `ConditionCheck` that another named key is still a lasting owner, expiring no sooner
 * than the key removed, when it commits, and DynamoDB serializes transactions over the same
 * items, so of two owners removing each other at once one commit sees the other's change and
 * fails.
 */
export class DynamoOwners {
  constructor(private readonly props: DynamoOwnersProps) {}

  /** Attributes a new tenant item starts with, its first key among its owners if of the owning role. */
  newTenantAttributes(tenantId: string, firstKey: { id: string; role: string }): Record<string, unknown> {
    return {
      [OWNERS_LISTED]: true,
      ...(firstKey.role === owningRole(tenantId) ? { [OWNER_IDS]: new Set([firstKey.id]) } : {}),
    };
  }

  /**
   * The transaction item on the tenant that goes with writing a new key: the version check the
   * key's tenant copy needs, and for a key of the owning role, the key joining the owner set.
   */
  tenantItemForNewKey(key: { id: string; tenantId: string; role: string }, version: number): TransactItem {
    const { tableName, tenantItem } = this.props;
    if (key.role !== owningRole(key.tenantId)) {
      return transactItem.check({
        TableName: tableName,
        Key: tenantItem(key.tenantId),
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': version },
      });
    }
    return transactItem.update({
      TableName: tableName,
      Key: tenantItem(key.tenantId),
      UpdateExpression: `ADD ${OWNER_IDS} :owner`,
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': version, ':owner': new Set([key.id]) },
    });
  }

  async ownerKeyIds(tenantId: string): Promise<string[]> {
    const { client, tableName, tenantItem } = this.props;
    const out = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: tenantItem(tenantId),
        ConsistentRead: true,
        ProjectionExpression: `${OWNER_IDS}, ${OWNERS_LISTED}`,
      }),
    );
    const stored = [...((out.Item?.[OWNER_IDS] as Set<string> | undefined) ?? [])];
    if (out.Item?.[OWNERS_LISTED] === true) return stored;
    // a tenant stored before the owner set existed: list its owner keys once from the index and
    // add them. ADD is a union, so this commutes with a key joining meanwhile and with another
    // request doing the same; an id the (eventually consistent) index still shows after a delete
    // is harmless, as readers read each key.
    const listed = await this.listOwnerKeys(tenantId);
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: tenantItem(tenantId),
        UpdateExpression: `SET ${OWNERS_LISTED} = :listed${listed.length > 0 ? ` ADD ${OWNER_IDS} :owners` : ''}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':listed': true, ...(listed.length > 0 ? { ':owners': new Set(listed) } : {}) },
      }),
    );
    return [...new Set([...stored, ...listed])];
  }

  /** Revokes or enables a key of the owning role under `guard`; `extra` items (its event) commit with it. */
  async setStatus(
    tenantId: string,
    id: string,
    status: KeyStatus,
    guard: OwnerGuard,
    extra: readonly TransactItem[] = [],
  ): Promise<void> {
    const from: KeyStatus = status === 'active' ? 'revoked' : 'active';
    const keyUpdate = transactItem.update({
      TableName: this.props.tableName,
      Key: this.props.keyItem(id),
      // a revoked key leaves the notice indexes (an owner key is only ever revoked here).
      UpdateExpression: status === 'revoked' ? `SET #status = :to ${LEAVE_NOTICE_INDEXES}` : 'SET #status = :to',
      ConditionExpression: this.targetCondition('#status = :from', guard),
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':to': status, ':from': from, ...this.guardValues(tenantId, guard) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    await this.transact(tenantId, [keyUpdate, ...this.survivorCheck(tenantId, guard), ...extra], (old) =>
      old.status !== from ? conflict(`the key is already ${status}`) : undefined,
    );
  }

  /** Deletes a key of the owning role under `guard` and takes it out of the owner set; `extra` items commit with it. */
  async delete(tenantId: string, id: string, guard: OwnerGuard, extra: readonly TransactItem[] = []): Promise<void> {
    const { tableName, keyItem, tenantItem } = this.props;
    const keyDelete = transactItem.delete({
      TableName: tableName,
      Key: keyItem(id),
      ConditionExpression: this.targetCondition(undefined, guard),
      ...(guard.survivor === undefined ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
      ExpressionAttributeValues: this.guardValues(tenantId, guard),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const leaveOwners = transactItem.update({
      TableName: tableName,
      Key: tenantItem(tenantId),
      UpdateExpression: `DELETE ${OWNER_IDS} :owner`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':owner': new Set([id]) },
    });
    await this.transact(
      tenantId,
      [keyDelete, ...this.survivorCheck(tenantId, guard), leaveOwners, ...extra],
      () => undefined,
    );
  }

  /**
   * Runs a guarded transaction whose first item is the key changed: `not_found` for a key that
   * is gone or of another tenant, `refusal(old)` when its own state forbids the change, and
   * {@link OwnersChangedError} when the guard no longer held (or a concurrent transaction
   * touched the same items: the caller decides anew either way).
   */
  private async transact(
    tenantId: string,
    items: readonly TransactItem[],
    refusal: (old: Record<string, unknown>) => Error | undefined,
  ): Promise<void> {
    try {
      await transactWrite(this.props.client, items);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw error;
      const [target, ...others] = reasons;
      if (target?.Code === 'ConditionalCheckFailed') {
        const old = target.Item === undefined ? undefined : unmarshall(target.Item as Record<string, AttributeValue>);
        if (old === undefined || old.tenantId !== tenantId) throw notFound();
        throw refusal(old) ?? new OwnersChangedError('the key changed while it was revoked or deleted; try again');
      }
      if (
        [target, ...others].some(
          (reason) => reason?.Code === 'ConditionalCheckFailed' || reason?.Code === 'TransactionConflict',
        )
      ) {
        throw new OwnersChangedError("the tenant's owner keys changed meanwhile; try again");
      }
      throw error;
    }
  }

  private targetCondition(extra: string | undefined, guard: OwnerGuard): string {
    return ['attribute_exists(pk)', 'tenantId = :tenant', extra, guard.survivor === undefined ? NOT_LASTING : undefined]
      .filter(Boolean)
      .join(' AND ');
  }

  private guardValues(tenantId: string, guard: OwnerGuard): Record<string, unknown> {
    return {
      ':tenant': tenantId,
      ...(guard.survivor === undefined ? { ':active': 'active', ':now': guard.now.toISOString() } : {}),
    };
  }

  private survivorCheck(tenantId: string, guard: OwnerGuard): TransactItem[] {
    if (guard.survivor === undefined) return [];
    return [
      transactItem.check({
        TableName: this.props.tableName,
        Key: this.props.keyItem(guard.survivor),
        // expiry instants are stored as toISOString() text, whose order is the order of time.
        ConditionExpression: `${LASTING_OWNER} AND ${guard.until === null ? LASTS_FOR_GOOD : LASTS_UNTIL}`,
        ExpressionAttributeNames: { '#role': 'role', '#status': 'status' },
        ExpressionAttributeValues: {
          ':tenant': tenantId,
          ':ownerRole': owningRole(tenantId),
          ':active': 'active',
          ':now': guard.now.toISOString(),
          ...(guard.until === null ? {} : { ':until': guard.until }),
        },
      }),
    ];
  }

  private async listOwnerKeys(tenantId: string): Promise<string[]> {
    const ids: string[] = [];
    const items = queryItems(this.props.client, {
      TableName: this.props.tableName,
      IndexName: TABLE_SCHEMA.tenantIndex,
      KeyConditionExpression: 'gsi1pk = :tenant',
      FilterExpression: '#role = :ownerRole',
      ProjectionExpression: 'id',
      ExpressionAttributeNames: { '#role': 'role' },
      // the index's partition value for a tenant is the tenant item's own pk.
      ExpressionAttributeValues: { ':tenant': this.props.tenantItem(tenantId).pk, ':ownerRole': owningRole(tenantId) },
    });
    for await (const item of items) ids.push(String(item.id));
    return ids;
  }
}
