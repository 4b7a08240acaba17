import type { KeygateEvent } from '../../../lambdas/core/events/model';
import { createdBounds, tenantMatches, type TenantFilter } from '../../../lambdas/core/store/tenant-filter';
import { conflict, notFound, tenantIdRetired } from '../../../lambdas/core/http/errors';
import { isExpired, type Expiry } from '../../../lambdas/core/keys/expiry';
import type { Environment } from '../../../lambdas/core/keys/format';
import { isLastingOwner, lastsUntil, owningRole, type OwnerGuard } from '../../../lambdas/core/keys/owner-guard';
import { rotationRefusal } from '../../../lambdas/core/keys/rotation';
import type { KeyItem, KeyStatus, Tenant } from '../../../lambdas/core/model';
import {
  decodeCursor,
  decodeTenantCursor,
  invalidCursor,
  encodeCursor,
  encodeTenantCursor,
  listingIndex,
} from '../../../lambdas/core/store/cursor';
import { keyItemKey } from '../../../lambdas/core/store/key-item';
import {
  OwnersChangedError,
  TenantChangedError,
  type KeyPage,
  type KeyStore,
  type ScopeChange,
  type TenantChanges,
  type TenantPage,
} from '../../../lambdas/core/store/store';
import { keyIndexAttributes, tenantIndexAttributes } from '../../../lambdas/core/store/table';
import { tenantItemKey } from '../../../lambdas/core/store/tenant-item';

/** A write refused for a reason the DynamoDB store reports as the SDK's own error (an id collision). */
export class MemoryWriteError extends Error {}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A {@link KeyStore} in memory, for tests of the rules above the store (the key service, the
 * handlers). It keeps the conditions `DynamoKeyStore` writes into DynamoDB: the same conflicts and
 * `not_found`s in the same order, the tenant version check, the owner guard, newest-first listings
 * and the very cursors the DynamoDB store issues (so a forged or foreign cursor is refused the
 * same way). `test/contract/key-store.contract.test.ts` holds both stores to that.
 *
 * It lives with the tests rather than in `lambdas/`: the local gateway runs the real store on
 * DynamoDB Local on purpose, so that it shares every line of the deployed code.
 */
export class MemoryKeyStore implements KeyStore {
  private readonly keys = new Map<string, KeyItem>();
  private readonly tenants = new Map<string, Tenant>();
  private readonly owners = new Map<string, Set<string>>();
  /** Tenant ids of deleted tenants: never given out again. */
  private readonly retired = new Set<string>();
  /** `<tenantId>\n<usagePlanId>` of each usage plan discarded and not yet deleted. */
  private readonly discarded = new Set<string>();
  /** Every event written with its change, in order. */
  readonly events: KeygateEvent[] = [];

  async getKey(id: string): Promise<KeyItem | undefined> {
    const key = this.keys.get(id);
    return key === undefined ? undefined : copy(key);
  }

  async getTenantKey(tenantId: string, id: string): Promise<KeyItem> {
    return copy(this.ofTenant(tenantId, id));
  }

  async touchLastUsed(id: string, at: Date, minIntervalMs: number): Promise<boolean> {
    const key = this.keys.get(id);
    if (key === undefined) return false;
    if (key.lastUsedAt !== null && key.lastUsedAt >= new Date(at.getTime() - minIntervalMs).toISOString()) return false;
    this.keys.set(id, { ...key, lastUsedAt: at.toISOString() });
    return true;
  }

  async createKey(key: KeyItem, event?: KeygateEvent): Promise<void> {
    // the transaction's cancellation reasons are read tenant first.
    if (this.tenants.get(key.tenantId)?.version !== key.tenantVersion)
      throw new TenantChangedError('the tenant changed while the key was created');
    if (this.keys.has(key.id)) throw conflict('a key with this id already exists');
    this.putKey(key);
    this.record(event);
  }

  async listKeys(
    tenantId: string,
    limit: number,
    cursor?: string,
    environment?: Environment,
    namePrefix?: string,
  ): Promise<KeyPage> {
    const index = listingIndex(tenantId, environment);
    const after = cursor === undefined ? undefined : decodeCursor(index, cursor)[index.sortKey];
    const items = [...this.keys.values()]
      .filter((key) => key.tenantId === tenantId && (environment === undefined || key.environment === environment))
      .map((key) => ({ key, item: { ...keyItemKey(key.id), ...keyIndexAttributes(key) } as Record<string, unknown> }))
      .sort((a, b) => sortKeyOf(b.item, index.sortKey).localeCompare(sortKeyOf(a.item, index.sortKey)))
      .filter(({ item }) => after === undefined || sortKeyOf(item, index.sortKey) < after)
      .filter(({ key }) => namePrefix === undefined || key.name.startsWith(namePrefix));
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(({ key }) => copy(key)),
      ...(items.length > limit && last !== undefined ? { cursor: encodeCursor(index, last.item) } : {}),
    };
  }

  async renameKey(
    tenantId: string,
    id: string,
    name?: string,
    meta?: Readonly<Record<string, string>>,
    event?: KeygateEvent,
    scopes?: ScopeChange,
  ): Promise<KeyItem> {
    const key: Mutable<KeyItem> = { ...this.ofTenant(tenantId, id) };
    if (name !== undefined) key.name = name;
    if (scopes !== undefined) {
      if (JSON.stringify(key.scopes) !== JSON.stringify(scopes.from)) throw conflict('scopes changed');
      if (scopes.to === null) delete key.scopes;
      else key.scopes = [...scopes.to];
    }
    if (meta !== undefined && Object.keys(meta).length === 0) delete key.meta;
    else if (meta !== undefined) key.meta = { ...meta };
    this.keys.set(id, key);
    this.record(event);
    return copy(key);
  }

  async setKeyStatus(
    tenantId: string,
    id: string,
    status: KeyStatus,
    guard?: OwnerGuard,
    event?: KeygateEvent,
  ): Promise<KeyItem> {
    const key = this.ofTenant(tenantId, id);
    const from: KeyStatus = status === 'active' ? 'revoked' : 'active';
    if (key.status !== from) throw conflict(`the key is already ${status}`);
    if (guard !== undefined) this.checkGuard(key, guard);
    const changed = { ...key, status };
    this.keys.set(id, changed);
    this.record(event);
    return copy(changed);
  }

  async deleteKey(tenantId: string, id: string, guard?: OwnerGuard, event?: KeygateEvent): Promise<void> {
    const key = this.ofTenant(tenantId, id);
    if (guard !== undefined) {
      this.checkGuard(key, guard);
      this.owners.get(tenantId)?.delete(id);
    }
    this.keys.delete(id);
    this.record(event);
  }

  async ownerKeyIds(tenantId: string): Promise<string[]> {
    return [...(this.owners.get(tenantId) ?? [])];
  }

  async rotateKey(
    tenantId: string,
    oldId: string,
    newKey: KeyItem,
    oldExpiry: Expiry,
    now: Date,
    event?: KeygateEvent,
  ): Promise<void> {
    const old = this.keys.get(oldId);
    if (old === undefined || old.tenantId !== tenantId) throw notFound();
    const refusal = rotationRefusal(old, now);
    if (refusal !== undefined) throw conflict(refusal);
    if (this.tenants.get(newKey.tenantId)?.version !== newKey.tenantVersion)
      throw new TenantChangedError('the tenant changed while the key was rotated');
    if (this.keys.has(newKey.id)) throw new MemoryWriteError(`a key with id ${newKey.id} already exists`);
    this.keys.set(oldId, { ...old, rotatedTo: newKey.id, expiresAt: oldExpiry.expiresAt });
    this.putKey(newKey);
    this.record(event);
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const tenant = this.tenants.get(tenantId);
    return tenant === undefined ? undefined : copy(tenant);
  }

  async createTenant(tenant: Tenant, firstKey: KeyItem, event?: KeygateEvent): Promise<void> {
    if (this.retired.has(tenant.tenantId)) throw tenantIdRetired(tenant.tenantId);
    if (this.tenants.has(tenant.tenantId)) throw conflict(`a tenant with id ${tenant.tenantId} already exists`);
    if (this.keys.has(firstKey.id)) throw new MemoryWriteError(`a key with id ${firstKey.id} already exists`);
    this.tenants.set(tenant.tenantId, copy(tenant));
    this.owners.set(tenant.tenantId, new Set());
    this.putKey(firstKey);
    this.record(event);
  }

  async tenantIdRetired(tenantId: string): Promise<boolean> {
    return this.retired.has(tenantId);
  }

  async discardUsagePlan(tenantId: string, usagePlanId: string): Promise<void> {
    this.discarded.add(`${tenantId}\n${usagePlanId}`);
  }

  async discardedUsagePlans(tenantId: string): Promise<string[]> {
    return [...this.discarded]
      .filter((entry) => entry.startsWith(`${tenantId}\n`))
      .map((entry) => entry.split('\n')[1]);
  }

  async forgetDiscardedUsagePlan(tenantId: string, usagePlanId: string): Promise<void> {
    this.discarded.delete(`${tenantId}\n${usagePlanId}`);
  }

  async deleteTenant(tenantId: string): Promise<void> {
    this.tenants.delete(tenantId);
    this.owners.delete(tenantId);
  }

  async listTenants(limit: number, cursor?: string, filter: TenantFilter = {}): Promise<TenantPage> {
    const after = cursor === undefined ? undefined : decodeTenantCursor(cursor).gsi1sk;
    const { from, before } = createdBounds(filter);
    if (after !== undefined && ((from !== undefined && after < from) || (before !== undefined && after >= before)))
      throw invalidCursor();
    const items = [...this.tenants.values()]
      .filter((tenant) => tenantMatches(tenant, filter))
      .map((tenant) => ({ tenant, item: { ...tenantItemKey(tenant.tenantId), ...tenantIndexAttributes(tenant) } }))
      .sort((a, b) => b.item.gsi1sk.localeCompare(a.item.gsi1sk))
      .filter(({ item }) => after === undefined || item.gsi1sk < after);
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(({ tenant }) => copy(tenant)),
      ...(items.length > limit && last !== undefined ? { cursor: encodeTenantCursor(last.item) } : {}),
    };
  }

  async renameTenant(tenantId: string, name: string): Promise<Tenant> {
    const tenant = this.tenants.get(tenantId);
    if (tenant === undefined) throw notFound('tenant');
    if (tenant.status === 'deleting') throw conflict(`the tenant is being deleted (status ${tenant.status})`);
    const renamed = { ...tenant, name };
    this.tenants.set(tenantId, renamed);
    return copy(renamed);
  }

  async deleteTenantKeys(tenantId: string): Promise<number> {
    const ids = [...this.keys.values()].filter((key) => key.tenantId === tenantId).map((key) => key.id);
    for (const id of ids) this.keys.delete(id);
    return ids.length;
  }

  async deleteMarkedTenant(tenantId: string): Promise<void> {
    const tenant = this.tenants.get(tenantId);
    if (tenant !== undefined && tenant.status !== 'deleting') throw conflict('the tenant is not marked for deletion');
    this.retired.add(tenantId);
    if (tenant === undefined) return;
    this.tenants.delete(tenantId);
    this.owners.delete(tenantId);
  }

  async updateTenant(
    tenantId: string,
    expectedVersion: number,
    changes: TenantChanges,
    event?: KeygateEvent,
  ): Promise<Tenant> {
    const tenant = this.tenants.get(tenantId);
    if (tenant === undefined) throw notFound('tenant');
    if (tenant.version !== expectedVersion)
      throw new TenantChangedError('the tenant was changed by another request; try again');
    const next: Mutable<Tenant> = { ...tenant, version: expectedVersion + 1 };
    if (changes.status !== undefined) next.status = changes.status;
    if (changes.plan !== undefined) next.plan = changes.plan;
    if (changes.limits !== undefined) next.limits = changes.limits;
    if (changes.usagePlanId === null) delete next.usagePlanId;
    else if (changes.usagePlanId !== undefined) next.usagePlanId = changes.usagePlanId;
    if (changes.planGeneration !== undefined) next.planGeneration = changes.planGeneration;
    if (changes.appliedGeneration !== undefined) next.appliedGeneration = changes.appliedGeneration;
    if (changes.pendingUsageKeys !== undefined) next.pendingUsageKeys = changes.pendingUsageKeys;
    if (changes.retiredUsageKeys !== undefined) next.retiredUsageKeys = changes.retiredUsageKeys;
    if (changes.workspaces?.length === 0) delete next.workspaces;
    else if (changes.workspaces !== undefined) next.workspaces = [...changes.workspaces];
    if (changes.usageKeys !== undefined) next.usageKeys = { ...tenant.usageKeys, ...changes.usageKeys };
    this.tenants.set(tenantId, copy(next));
    this.record(event);
    return copy(next);
  }

  async propagateTenant(tenant: Tenant): Promise<number> {
    let updated = 0;
    for (const key of [...this.keys.values()]) {
      if (key.tenantId !== tenant.tenantId || key.tenantVersion >= tenant.version) continue;
      const usage = tenant.usageKeys[key.environment];
      const changed: Mutable<KeyItem> = {
        ...key,
        tenantStatus: tenant.status,
        plan: tenant.plan,
        tenantVersion: tenant.version,
      };
      if (usage === undefined) delete changed.usageKey;
      else changed.usageKey = usage.value;
      if (tenant.workspaces === undefined || tenant.workspaces.length === 0) delete changed.tenantWorkspaces;
      else changed.tenantWorkspaces = [...tenant.workspaces];
      this.keys.set(key.id, changed);
      updated += 1;
    }
    return updated;
  }

  /** A key of the tenant, as stored; `not_found` for a missing key or another tenant's. */
  private ofTenant(tenantId: string, id: string): KeyItem {
    const key = this.keys.get(id);
    if (key === undefined || key.tenantId !== tenantId) throw notFound();
    return key;
  }

  /**
   * The owner guard as DynamoDB checks it when the write commits: without a survivor the key must
   * not be active and current (revoked, rotated out or expired); with one, the survivor must still
   * be a lasting owner of the tenant, expiring no sooner than `until`.
   */
  private checkGuard(key: KeyItem, guard: OwnerGuard): void {
    if (guard.survivor === undefined) {
      if (key.status === 'active' && key.rotatedTo === undefined && !isExpired(key.expiresAt, guard.now)) {
        throw new OwnersChangedError('the key changed while it was revoked or deleted; try again');
      }
      return;
    }
    const survivor = this.keys.get(guard.survivor);
    if (
      survivor === undefined ||
      survivor.tenantId !== key.tenantId ||
      !isLastingOwner(survivor, guard.now) ||
      !lastsUntil(survivor, guard.until)
    ) {
      throw new OwnersChangedError("the tenant's owner keys changed meanwhile; try again");
    }
  }

  private putKey(key: KeyItem): void {
    this.keys.set(key.id, copy(key));
    if (key.role === owningRole(key.tenantId)) this.owners.get(key.tenantId)?.add(key.id);
  }

  private record(event: KeygateEvent | undefined): void {
    if (event !== undefined) this.events.push(copy(event));
  }
}

function sortKeyOf(item: Record<string, unknown>, sortKey: string): string {
  return String(item[sortKey]);
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
