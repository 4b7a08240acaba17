import type { AuthorizerContext } from '../model';
import { flushAfterWrite, flushLater, type AuthorizerCacheFlusher } from '../auth/cache';
import type { Clock } from '../support/clock';
import { conflict, invalidRequest, notFound } from '../http/errors';
import { keyDetails, keyEvent } from '../events/changes';
import { actorOf, type Actor, type EventDetails } from '../events/model';
import { ExpiryError, expiryAt, resolveExpiry, type Expiry, type ExpiryDays } from './expiry';
import type { Environment, Role, KeyFormat } from './format';
import { assertCanWrite, assertMayChange, assertMayCreate, assertOperatorIsLive } from './key-permissions';
import type { Logger } from '../support/logger';
import { withBackoff } from '../support/retry';
import { toKeyRecord, type KeyItem, type KeyRecord, type Tenant } from '../model';
import { buildKey } from './new-key';
import { ownerGuardFor, owningRole, type OwnerGuard } from './owner-guard';
import { OwnersChangedError, type KeyStore } from '../store/store';
import { onLatestTenant, tenantTakingKeys } from '../tenants/latest-tenant';
import { assertWithinCaller, callerScopes, createdScopes, scopesAfterChange } from './key-scopes';

/** The longest a rotated-out key may keep working. */
export const MAX_GRACE_HOURS = 168;
/** A key id as the store derives it; anything else cannot exist. */
export const KEY_ID_PATTERN = /^key_[0-9a-f]{24}$/;

/** What the key lifecycle needs, passed in so Lambdas, the local gateway and tests share it. */
export interface KeyServiceDeps {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly prefix: string;
  /** How new keys are spelled. @default - the default format under `prefix` */
  readonly keyFormat?: KeyFormat;
  /** Every format a key brought in may have (imports). @default - `keyFormat` alone */
  readonly acceptedFormats?: readonly KeyFormat[];
  readonly cache: AuthorizerCacheFlusher;
  readonly logger: Logger;
  /**
   * Gives the tenant a usage identifier for an environment that has none yet (its first test
   * key). @default - keys are created without one.
   */
  readonly usage?: { ensureUsageKey(tenant: Tenant, environment: Environment): Promise<Tenant> };
  /**
   * Waits between the attempts of a revoke or delete of an owner key whose owners changed under
   * it; tests pass one that returns at once. @default - a real timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A validated create request. */
export interface CreateKeyInput {
  readonly name: string;
  readonly environment?: Environment;
  readonly role?: Role;
  readonly expiresInDays?: ExpiryDays;
  readonly expiresOn?: string;
  readonly meta?: Readonly<Record<string, string>>;
  /** `METHOD /path` patterns; see `auth/scopes.ts`. */
  readonly scopes?: string[];
}

/** A key record with its plaintext, answered once at creation and rotation. */
export type KeyWithSecret = KeyRecord & { readonly key: string };

/** How many times a revoke or delete of an owner key decides anew when the owners change under it. */
const OWNER_ATTEMPTS = 4;
/** The first pause before deciding anew (doubled each time, with full jitter). */
const OWNER_BACKOFF_MS = 20;

/**
 * The key lifecycle of one tenant, as its caller may see it: a caller only ever reaches keys of
 * its own tenant (others are `not_found`), a `test` key only reaches `test` keys, `read_only`
 * changes nothing, and no key creates or changes a key of a role above its own.
 */
export class KeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  /** Mints a key for the caller's tenant and returns it with its plaintext, once. */
  async create(caller: AuthorizerContext, input: CreateKeyInput): Promise<KeyWithSecret> {
    this.authorizeCreate(caller, input);
    const environment = input.environment ?? caller.environment;
    const role = input.role ?? 'developer';
    const now = this.deps.clock();
    let expiry: Expiry;
    try {
      expiry = resolveExpiry(input, () => now);
    } catch (error) {
      if (error instanceof ExpiryError) throw invalidRequest(`${error.field}: ${error.message}`);
      throw error;
    }
    const scopes = createdScopes(await callerScopes(this.deps.store, caller), input.scopes);
    return this.withFreshTenant(caller.tenantId, async (current) => {
      const tenant =
        this.deps.usage === undefined ? current : await this.deps.usage.ensureUsageKey(current, environment);
      const { item, plaintext } = buildKey({
        prefix: this.deps.prefix,
        keyFormat: this.deps.keyFormat,
        tenant,
        name: input.name,
        environment,
        role,
        expiry,
        ...(input.expiresInDays === undefined ? {} : { expiresInDays: input.expiresInDays }),
        now,
        ...(input.meta === undefined ? {} : { meta: input.meta }),
        ...(scopes === undefined ? {} : { scopes }),
        createdBy: caller.keyId,
      });
      await this.deps.store.createKey(item, keyEvent('key.created', actorOf(caller), item, now, keyDetails(item)));
      return { ...toKeyRecord(item, now), key: plaintext };
    });
  }

  /**
   * Refuses a creation the caller may not make, as {@link KeyService.create} does, without any
   * I/O: for a replayed answer to be refused as the request itself would be.
   */
  authorizeCreate(caller: AuthorizerContext, input: Pick<CreateKeyInput, 'environment' | 'role'>): void {
    assertMayCreate(caller, input.role ?? 'developer', input.environment ?? caller.environment);
  }

  /**
   * Refuses a rotation the caller may not make, as {@link KeyService.rotate} does (one read of the
   * key): for a replayed answer to be refused as the request itself would be.
   */
  async authorizeRotate(caller: AuthorizerContext, id: string): Promise<void> {
    const old = await this.changeableKey(caller, id);
    assertOperatorIsLive(old.role, old.environment);
    assertWithinCaller(await callerScopes(this.deps.store, caller), old.scopes);
  }

  /** One page of the caller's keys, newest first; with `namePrefix`, those whose name starts with it. */
  async list(
    caller: AuthorizerContext,
    limit: number,
    cursor?: string,
    namePrefix?: string,
  ): Promise<{ items: KeyRecord[]; cursor?: string }> {
    const environment = caller.environment === 'test' ? 'test' : undefined;
    const page = await this.deps.store.listKeys(caller.tenantId, limit, cursor, environment, namePrefix);
    const now = this.deps.clock();
    return {
      items: page.items.map((item) => toKeyRecord(item, now)),
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
    };
  }

  /** One of the caller's keys. */
  async get(caller: AuthorizerContext, id: string): Promise<KeyRecord> {
    return toKeyRecord(await this.visibleKey(caller, id), this.deps.clock());
  }

  /** Renames one of the caller's keys. */
  async rename(caller: AuthorizerContext, id: string, name: string): Promise<KeyRecord> {
    return this.update(caller, id, { name });
  }

  /**
   * Renames one of the caller's keys, or replaces its metadata (`{}` clears it), or its scopes
   * (`null` takes them away), or several. Only the tenant's owning role may widen scopes; and a
   * scoped caller may only give scopes within its own. A scope change holds from the next request.
   */
  async update(
    caller: AuthorizerContext,
    id: string,
    changes: { name?: string; meta?: Readonly<Record<string, string>>; scopes?: readonly string[] | null },
  ): Promise<KeyRecord> {
    const key = await this.changeableKey(caller, id);
    const scopes =
      changes.scopes === undefined
        ? undefined
        : scopesAfterChange(caller, await callerScopes(this.deps.store, caller), key.scopes, changes.scopes);
    const event = keyEvent('key.renamed', actorOf(caller), key, this.deps.clock(), {
      ...(changes.name === undefined ? {} : { from: key.name, to: changes.name }),
      ...(changes.meta === undefined ? {} : { meta: 'replaced' }),
      ...(scopes === undefined ? {} : { scopes: scopes === null ? null : [...scopes] }),
    });
    const change = scopes === undefined ? undefined : { from: key.scopes, to: scopes };
    const item = await this.deps.store.renameKey(caller.tenantId, id, changes.name, changes.meta, event, change);
    if (change !== undefined) await flushAfterWrite(this.deps.cache, this.deps.logger);
    return toKeyRecord(item, this.deps.clock());
  }

  /**
   * Revokes a key; it is refused from the very next request on. `actor` and `details` are what
   * the event says, for a system revoking on its own account (the notice job's stale keys).
   */
  async revoke(
    caller: AuthorizerContext,
    id: string,
    actor: Actor = actorOf(caller),
    details: EventDetails = {},
  ): Promise<KeyRecord> {
    const key = await this.changeableKey(caller, id);
    const item = await this.keepingAnOwner(key, (guard) =>
      this.deps.store.setKeyStatus(
        caller.tenantId,
        id,
        'revoked',
        guard,
        keyEvent('key.revoked', actor, key, this.deps.clock(), details),
      ),
    );
    await flushAfterWrite(this.deps.cache, this.deps.logger);
    return toKeyRecord(item, this.deps.clock());
  }

  /** Enables a revoked key again. */
  async enable(caller: AuthorizerContext, id: string): Promise<KeyRecord> {
    const key = await this.changeableKey(caller, id);
    const event = keyEvent('key.enabled', actorOf(caller), key, this.deps.clock());
    return toKeyRecord(
      await this.deps.store.setKeyStatus(caller.tenantId, id, 'active', undefined, event),
      this.deps.clock(),
    );
  }

  /** Deletes a key for good. */
  async delete(caller: AuthorizerContext, id: string): Promise<void> {
    const key = await this.changeableKey(caller, id);
    await this.keepingAnOwner(key, (guard) =>
      this.deps.store.deleteKey(
        caller.tenantId,
        id,
        guard,
        keyEvent('key.deleted', actorOf(caller), key, this.deps.clock(), { name: key.name, role: key.role }),
      ),
    );
    await flushAfterWrite(this.deps.cache, this.deps.logger);
  }

  /**
   * Replaces a key with a new one of the same name, role, environment and expiry policy. The old
   * key stops at once, or after `gracePeriodHours` (never later than it would have anyway).
   */
  async rotate(caller: AuthorizerContext, id: string, gracePeriodHours: number): Promise<KeyWithSecret> {
    const old = await this.changeableKey(caller, id);
    // a test operator key stored before the rule existed must not be renewed by rotation.
    assertOperatorIsLive(old.role, old.environment);
    assertWithinCaller(await callerScopes(this.deps.store, caller), old.scopes);
    const now = this.deps.clock();
    const graceEnd = new Date(now.getTime() + gracePeriodHours * 3_600_000);
    const oldEnds =
      old.expiresAt !== null && Date.parse(old.expiresAt) < graceEnd.getTime() ? new Date(old.expiresAt) : graceEnd;
    const result = await this.withFreshTenant(caller.tenantId, async (tenant) => {
      const { item, plaintext } = buildKey({
        prefix: this.deps.prefix,
        keyFormat: this.deps.keyFormat,
        tenant,
        name: old.name,
        environment: old.environment,
        role: old.role,
        expiry: this.repeatExpiry(old, now),
        ...(old.expiresInDays === undefined ? {} : { expiresInDays: old.expiresInDays }),
        now,
        rotatedFrom: old.id,
        // the new key is the same key for a dashboard: same metadata; made by whoever rotated.
        ...(old.meta === undefined ? {} : { meta: old.meta }),
        // the same reach too: a rotation must never widen a scoped key to the whole API.
        ...(old.scopes === undefined ? {} : { scopes: old.scopes }),
        createdBy: caller.keyId,
      });
      const event = keyEvent('key.rotated', actorOf(caller), old, now, {
        newKeyId: item.id,
        oldKeyEndsAt: oldEnds.toISOString(),
        gracePeriodHours,
      });
      await this.deps.store.rotateKey(caller.tenantId, old.id, item, expiryAt(oldEnds), now, event);
      return { ...toKeyRecord(item, now), key: plaintext };
    });
    await flushAfterWrite(this.deps.cache, this.deps.logger);
    // nothing is written when the grace period ends: without this flush a cached Allow would
    // outlive it by up to the cache TTL.
    if (oldEnds.getTime() > now.getTime()) await flushLater(this.deps.cache, oldEnds, old.id, this.deps.logger);
    return result;
  }

  /**
   * Runs a revoke or delete of `key` so that its tenant keeps a lasting owner key (see
   * `isLastingOwner`) for at least as long as `key` would have lasted: without one, nobody could
   * manage the tenant's keys any more. Keys of other roles go through unguarded. For a lasting
   * owner, another lasting owner that expires no sooner (see {@link ownerGuardFor}) is found and
   * the write commits only if it still is one then; when the owners change meanwhile, the key is
   * read again and the decision made anew.
   *
   * @throws OwnerKeyRefusal (409 `conflict`) when no other lasting owner lasts as long as `key`.
   */
  private async keepingAnOwner<T>(key: KeyItem, write: (guard: OwnerGuard | undefined) => Promise<T>): Promise<T> {
    if (key.role !== owningRole(key.tenantId)) return write(undefined);
    let current: KeyItem | undefined;
    const attempt = async (): Promise<T> => {
      // the first attempt decides on the key as the caller read it; each next one reads it again.
      current = current === undefined ? key : await this.deps.store.getTenantKey(key.tenantId, key.id);
      return write(await ownerGuardFor(this.deps.store, current, this.deps.clock()));
    };
    try {
      // two owners racing may both be cancelled: a random pause lets one go first next time.
      return await withBackoff(attempt, (error) => error instanceof OwnersChangedError, {
        attempts: OWNER_ATTEMPTS,
        baseMs: OWNER_BACKOFF_MS,
        ...(this.deps.sleep === undefined ? {} : { sleep: this.deps.sleep }),
      });
    } catch (error) {
      if (error instanceof OwnersChangedError)
        throw conflict("the tenant's owner keys were changing at the same time; try again");
      throw error;
    }
  }

  /** The same policy again: N days from today, the same fixed date, or never. */
  private repeatExpiry(old: KeyItem, now: Date): Expiry {
    if (old.expiresInDays !== undefined) return resolveExpiry({ expiresInDays: old.expiresInDays }, () => now);
    return expiryAt(old.expiresAt === null ? null : new Date(old.expiresAt));
  }

  private async visibleKey(caller: AuthorizerContext, id: string): Promise<KeyItem> {
    if (!KEY_ID_PATTERN.test(id)) throw notFound();
    const item = await this.deps.store.getTenantKey(caller.tenantId, id);
    // a test key never learns that live keys exist.
    if (caller.environment === 'test' && item.environment !== 'test') throw notFound();
    return item;
  }

  private async changeableKey(caller: AuthorizerContext, id: string): Promise<KeyItem> {
    assertCanWrite(caller);
    const item = await this.visibleKey(caller, id);
    assertMayChange(caller, item.role);
    return item;
  }

  /**
   * Runs a write that copies the tenant onto a key (a new key, by creation or rotation): the
   * store conditions it on the tenant's version, and when the tenant changed in between (a plan
   * change, the reconciler recording a step), the write is decided again on the tenant as it now
   * is, so no key carries a stale copy and no caller gets a 409 for a write of keygate's own.
   */
  private withFreshTenant<T>(tenantId: string, write: (tenant: Tenant) => Promise<T>): Promise<T> {
    return onLatestTenant(this.deps, tenantId, write, tenantTakingKeys);
  }
}
