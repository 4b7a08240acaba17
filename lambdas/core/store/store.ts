import type { TenantFilter } from './tenant-filter';
import type {
  KeyItem,
  KeyStatus,
  PlanLimits,
  PlanName,
  RetiredUsageKey,
  Tenant,
  TenantStatus,
  UsageIdentifier,
} from '../model';
import type { Environment } from '../keys/format';
import { ApiError } from '../http/errors';
import type { Expiry } from '../keys/expiry';
import type { KeygateEvent } from '../events/model';
import type { OwnerGuard } from '../keys/owner-guard';

/**
 * A write conditioned on the tenant item's version refused because the tenant changed since it
 * was read (another request, or keygate's own reconciler, wrote first). It is 409 only if it
 * ever reaches a caller: whoever wrote reads the tenant again and decides anew (see
 * `onLatestTenant`).
 */
export class TenantChangedError extends ApiError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'TenantChangedError';
  }
}

/**
 * A revoke or delete of an owning-role key refused because the {@link OwnerGuard}'s condition no
 * longer held when it committed (another owner key changed meanwhile); the caller reads the
 * owners again and decides anew.
 */
export class OwnersChangedError extends ApiError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'OwnersChangedError';
  }
}

/**
 * A new key refused because an item with its id, that is a key with the same hash, is stored
 * already: the write's `attribute_not_exists` condition decided it, so two writers of one key
 * never both succeed.
 */
export class KeyExistsError extends ApiError {
  constructor() {
    super('conflict', 'a key with this id already exists');
    this.name = 'KeyExistsError';
  }
}

/** One page of a tenant's keys, newest first. */
export interface KeyPage {
  readonly items: readonly KeyItem[];
  /** Opaque; pass it back to get the next page. Absent on the last page. */
  readonly cursor?: string;
}

/** One page of tenants, newest first. */
export interface TenantPage {
  readonly items: readonly Tenant[];
  /** Opaque; pass it back to get the next page. Absent on the last page. */
  readonly cursor?: string;
}

/** Fields of a tenant that change after creation; every change bumps its version. */
export interface TenantChanges {
  readonly status?: TenantStatus;
  readonly plan?: PlanName;
  readonly limits?: PlanLimits;
  /** `null` removes the tenant's own usage plan id. */
  readonly usagePlanId?: string | null;
  /** Sets the identifiers of the environments named; the others are kept. */
  readonly usageKeys?: Partial<Record<Environment, UsageIdentifier>>;
  readonly planGeneration?: number;
  readonly appliedGeneration?: number;
  /** Replaces the whole map of pending identifiers. */
  readonly pendingUsageKeys?: Partial<Record<Environment, UsageIdentifier>>;
  /** Replaces the whole list of retired identifiers. */
  readonly retiredUsageKeys?: readonly RetiredUsageKey[];
  /** Replaces the tenant's workspaces; an empty list removes them. */
  readonly workspaces?: readonly string[];
}

/**
 * Persistence for keys and tenants. Handlers, the authorizer and the local gateway all depend on
 * this interface; {@link DynamoKeyStore} is its one implementation.
 *
 * Methods that take a `tenantId` act only on that tenant's keys: a key of another tenant is
 * reported exactly like a key that does not exist (`not_found`).
 *
 * Write methods take an optional `event`, written in the same transaction as the change (the
 * transactional outbox): a write that fails writes no event.
 */
export interface KeyStore {
  /** Reads one key by id (strongly consistent): the authorizer's single read. */
  getKey(id: string): Promise<KeyItem | undefined>;
  /** Reads one key of a tenant; `not_found` when it does not exist or belongs to another tenant. */
  getTenantKey(tenantId: string, id: string): Promise<KeyItem>;
  /**
   * Records that a key was used, unless a use was recorded less than `minIntervalMs` earlier.
   *
   * @returns whether the write happened.
   */
  touchLastUsed(id: string, at: Date, minIntervalMs: number): Promise<boolean>;
  /**
   * Writes a new key, on condition that the tenant's version is still the one copied onto the
   * key; {@link TenantChangedError} when it changed meanwhile (the caller re-reads and retries),
   * {@link KeyExistsError} when a key with its id is stored already. A key of the owning role joins the tenant's owner key ids in the same transaction.
   */
  createKey(key: KeyItem, event?: KeygateEvent): Promise<void>;
  /**
   * A tenant's keys, newest first, optionally of one environment only, optionally only those whose
   * name starts with `namePrefix` (case-sensitive; a filtered page may be short, even empty, with a
   * cursor to go on); `invalid_request` for a cursor this store did not issue for this tenant.
   */
  listKeys(
    tenantId: string,
    limit: number,
    cursor?: string,
    environment?: Environment,
    namePrefix?: string,
  ): Promise<KeyPage>;
  /**
   * Renames a key and/or replaces its metadata (an empty `meta` removes it) and/or its scopes
   * (`null` removes them, and only if they still are `scopes.from`: `conflict` otherwise), and
   * returns it.
   */
  renameKey(
    tenantId: string,
    id: string,
    name?: string,
    meta?: Readonly<Record<string, string>>,
    event?: KeygateEvent,
    scopes?: ScopeChange,
  ): Promise<KeyItem>;
  /**
   * Moves a key from the other status to `status` and returns it; `conflict` when the key is
   * already in that status (so of a revoke racing an enable, exactly one wins). With a `guard`
   * (for keys of the owning role), the change commits only if the guard's condition holds, else
   * {@link OwnersChangedError}.
   */
  setKeyStatus(
    tenantId: string,
    id: string,
    status: KeyStatus,
    guard?: OwnerGuard,
    event?: KeygateEvent,
  ): Promise<KeyItem>;
  /**
   * Deletes a key for good. With a `guard` (for keys of the owning role), only if the guard's
   * condition holds when it commits, else {@link OwnersChangedError}; the key also leaves the
   * tenant's owner key ids.
   */
  deleteKey(tenantId: string, id: string, guard?: OwnerGuard, event?: KeygateEvent): Promise<void>;
  /**
   * The ids of the tenant's keys of the owning role, read consistently from the tenant: every
   * owner key written since is among them, and some may since be revoked, expired or gone (read
   * each key to know). A tenant stored before this list existed gets it built once from its keys.
   */
  ownerKeyIds(tenantId: string): Promise<string[]>;
  /**
   * In one transaction, writes `newKey` and marks the old key as rotated to it with the given
   * expiry; `conflict` when the old key is revoked, expired at `now`, or already rotated, and
   * {@link TenantChangedError} when the tenant changed since `newKey`'s copy of it. A new key of
   * the owning role joins the tenant's owner key ids in the same transaction.
   */
  rotateKey(
    tenantId: string,
    oldId: string,
    newKey: KeyItem,
    oldExpiry: Expiry,
    now: Date,
    event?: KeygateEvent,
  ): Promise<void>;
  /** Reads a tenant. */
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /**
   * Writes a tenant and its first key in one transaction; `conflict` when the id is taken,
   * `tenant_id_retired` when a deleted tenant had it (checked in the same transaction).
   */
  createTenant(tenant: Tenant, firstKey: KeyItem, event?: KeygateEvent): Promise<void>;
  /** Whether a deleted tenant had this id: tenant ids are never reused. */
  tenantIdRetired(tenantId: string): Promise<boolean>;
  /**
   * Records a usage plan that nothing uses any more, for the reconciler to unbind and delete
   * (`UpdateUsagePlan` never runs on a request's path); repeatable.
   */
  discardUsagePlan(tenantId: string, usagePlanId: string): Promise<void>;
  /** The usage plans discarded for this tenant id and not yet deleted (strongly consistent). */
  discardedUsagePlans(tenantId: string): Promise<string[]>;
  /** Forgets a discarded usage plan once it is deleted; succeeds when already forgotten. */
  forgetDiscardedUsagePlan(tenantId: string, usagePlanId: string): Promise<void>;
  /** Deletes a tenant that has no keys (compensation for a failed creation). */
  deleteTenant(tenantId: string): Promise<void>;
  /**
   * Every tenant, or those `filter` selects, newest first, a page at a time; `invalid_request`
   * for a cursor this store did not issue for the tenant listing (or from outside the filter's
   * created days). A filtered page may hold fewer than `limit` tenants and still a cursor.
   */
  listTenants(limit: number, cursor?: string, filter?: TenantFilter): Promise<TenantPage>;
  /** Renames a tenant; `not_found` when there is none, `conflict` while it is being deleted. */
  renameTenant(tenantId: string, name: string): Promise<Tenant>;
  /**
   * Deletes every key of a tenant, whatever its role or status (the tenant is going away: no
   * owner guard); repeatable. @returns how many were deleted.
   */
  deleteTenantKeys(tenantId: string): Promise<number>;
  /**
   * Deletes a tenant item marked `deleting` (the last step of a deletion) and retires its id for
   * good, in one transaction; succeeds when it is gone already, `conflict` when it is not marked.
   */
  deleteMarkedTenant(tenantId: string): Promise<void>;
  /**
   * Applies changes to a tenant whose version is still `expectedVersion` and returns it with the
   * version bumped; `conflict` when someone else changed it first.
   */
  updateTenant(
    tenantId: string,
    expectedVersion: number,
    changes: TenantChanges,
    event?: KeygateEvent,
  ): Promise<Tenant>;
  /**
   * Copies the tenant's status, plan, workspaces and usage identifiers onto each of its keys whose copy is
   * older, so the authorizer's single read sees the change.
   *
   * @returns how many keys were updated.
   */
  propagateTenant(tenant: Tenant): Promise<number>;
}

/** A key's scopes replaced: `to` (`null`: none), written only while they still are `from`. */
export interface ScopeChange {
  readonly from: readonly string[] | undefined;
  readonly to: readonly string[] | null;
}
