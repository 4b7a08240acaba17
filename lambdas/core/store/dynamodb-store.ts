import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOutbox } from '../events/dynamodb-outbox';
import type { KeygateEvent } from '../events/model';
import type { Expiry } from '../keys/expiry';
import type { Environment } from '../keys/format';
import type { OwnerGuard } from '../keys/owner-guard';
import type { KeyItem, KeyStatus, Tenant } from '../model';
import { DynamoKeys } from './dynamodb-keys';
import { DynamoOwners } from './dynamodb-owners';
import { DynamoDiscardedPlans } from './dynamodb-discarded-plans';
import { DynamoTenantKeys } from './dynamodb-tenant-keys';
import { DynamoTenants } from './dynamodb-tenants';
import { keyItemKey } from './key-item';
import type { KeyPage, KeyStore, ScopeChange, TenantChanges, TenantPage } from './store';
import type { TenantFilter } from './tenant-filter';
import { tenantItemKey } from './tenant-item';

/** The primary key of a key's item, for stores of other concerns over the same table (leaks). */
export { keyItemKey };

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
 * The {@link KeyStore} over one DynamoDB table, one part per concern: key items
 * ({@link DynamoKeys}), tenant items ({@link DynamoTenants}), writes over all of a tenant's keys
 * ({@link DynamoTenantKeys}) and the owner rule ({@link DynamoOwners}), with events written in
 * the same transaction as their change ({@link DynamoOutbox}).
 */
export class DynamoKeyStore implements KeyStore {
  private readonly keys: DynamoKeys;
  private readonly tenants: DynamoTenants;
  private readonly tenantKeys: DynamoTenantKeys;
  private readonly owners: DynamoOwners;
  private readonly discardedPlans: DynamoDiscardedPlans;

  constructor(props: DynamoKeyStoreProps) {
    if (props.tableName.length === 0) throw new Error('DynamoKeyStore needs a table name, received ""');
    const { client, tableName } = props;
    const outbox = new DynamoOutbox(tableName, props.eventRetentionDays);
    this.owners = new DynamoOwners({ client, tableName, keyItem: keyItemKey, tenantItem: tenantItemKey });
    this.keys = new DynamoKeys({ client, tableName, outbox, owners: this.owners });
    this.tenants = new DynamoTenants({ client, tableName, outbox, owners: this.owners });
    this.tenantKeys = new DynamoTenantKeys({ client, tableName });
    this.discardedPlans = new DynamoDiscardedPlans({ client, tableName });
  }

  getKey(id: string): Promise<KeyItem | undefined> {
    return this.keys.get(id);
  }

  getTenantKey(tenantId: string, id: string): Promise<KeyItem> {
    return this.keys.getOfTenant(tenantId, id);
  }

  touchLastUsed(id: string, at: Date, minIntervalMs: number): Promise<boolean> {
    return this.keys.touchLastUsed(id, at, minIntervalMs);
  }

  createKey(key: KeyItem, event?: KeygateEvent): Promise<void> {
    return this.keys.create(key, event);
  }

  listKeys(
    tenantId: string,
    limit: number,
    cursor?: string,
    environment?: Environment,
    namePrefix?: string,
  ): Promise<KeyPage> {
    return this.keys.list(tenantId, limit, cursor, environment, namePrefix);
  }

  renameKey(
    tenantId: string,
    id: string,
    name?: string,
    meta?: Readonly<Record<string, string>>,
    event?: KeygateEvent,
    scopes?: ScopeChange,
  ): Promise<KeyItem> {
    return this.keys.rename(tenantId, id, name, meta, event, scopes);
  }

  setKeyStatus(
    tenantId: string,
    id: string,
    status: KeyStatus,
    guard?: OwnerGuard,
    event?: KeygateEvent,
  ): Promise<KeyItem> {
    return this.keys.setStatus(tenantId, id, status, guard, event);
  }

  deleteKey(tenantId: string, id: string, guard?: OwnerGuard, event?: KeygateEvent): Promise<void> {
    return this.keys.delete(tenantId, id, guard, event);
  }

  rotateKey(
    tenantId: string,
    oldId: string,
    newKey: KeyItem,
    oldExpiry: Expiry,
    now: Date,
    event?: KeygateEvent,
  ): Promise<void> {
    return this.keys.rotate(tenantId, oldId, newKey, oldExpiry, now, event);
  }

  ownerKeyIds(tenantId: string): Promise<string[]> {
    return this.owners.ownerKeyIds(tenantId);
  }

  getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.tenants.get(tenantId);
  }

  createTenant(tenant: Tenant, firstKey: KeyItem, event?: KeygateEvent): Promise<void> {
    return this.tenants.create(tenant, firstKey, event);
  }

  tenantIdRetired(tenantId: string): Promise<boolean> {
    return this.tenants.idRetired(tenantId);
  }

  discardUsagePlan(tenantId: string, usagePlanId: string): Promise<void> {
    return this.discardedPlans.discard(tenantId, usagePlanId);
  }

  discardedUsagePlans(tenantId: string): Promise<string[]> {
    return this.discardedPlans.list(tenantId);
  }

  forgetDiscardedUsagePlan(tenantId: string, usagePlanId: string): Promise<void> {
    return this.discardedPlans.forget(tenantId, usagePlanId);
  }

  deleteTenant(tenantId: string): Promise<void> {
    return this.tenants.delete(tenantId);
  }

  listTenants(limit: number, cursor?: string, filter?: TenantFilter): Promise<TenantPage> {
    return this.tenants.list(limit, cursor, filter);
  }

  renameTenant(tenantId: string, name: string): Promise<Tenant> {
    return this.tenants.rename(tenantId, name);
  }

  updateTenant(
    tenantId: string,
    expectedVersion: number,
    changes: TenantChanges,
    event?: KeygateEvent,
  ): Promise<Tenant> {
    return this.tenants.update(tenantId, expectedVersion, changes, event);
  }

  deleteMarkedTenant(tenantId: string): Promise<void> {
    return this.tenants.deleteMarked(tenantId);
  }

  deleteTenantKeys(tenantId: string): Promise<number> {
    return this.tenantKeys.deleteAll(tenantId);
  }

  propagateTenant(tenant: Tenant): Promise<number> {
    return this.tenantKeys.propagate(tenant);
  }

  /**
   * Every tenant, by a full table scan: for the local gateway's restart over a kept data folder
   * only, never on a request path.
   */
  scanTenants(): AsyncGenerator<Tenant> {
    return this.tenants.scan();
  }
}
