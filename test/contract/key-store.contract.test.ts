import { randomUUID } from 'node:crypto';
import { keyEvent } from '../../lambdas/core/events/changes';
import { DynamoEventReader } from '../../lambdas/core/events/dynamodb-events';
import type { KeygateEvent } from '../../lambdas/core/events/model';
import { expiryAt } from '../../lambdas/core/keys/expiry';
import type { Environment, Role } from '../../lambdas/core/keys/format';
import type { Tenant } from '../../lambdas/core/model';
import type { ApiError } from '../../lambdas/core/http/errors';
import { OwnersChangedError, TenantChangedError, type KeyStore } from '../../lambdas/core/store/store';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { MemoryKeyStore } from '../support/fakes/memory-key-store';
import { apiError, keyFixture, tenantFixture } from '../support/fixtures';

/**
 * The one contract of a KeyStore, run against the in-memory fake and against DynamoKeyStore on
 * DynamoDB Local: a service rule tested on the fake holds on DynamoDB too.
 */

/** Instants relative to the run's own start, so that no key is ever past DynamoDB's TTL. */
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);
const iso = (minutes: number): string => at(minutes).toISOString();
const DAY = 24 * 60;

/** A store under test and how to read the events it wrote for a tenant. */
interface Subject {
  readonly store: KeyStore;
  events(tenantId: string): Promise<KeygateEvent[]>;
  /** A store of its own, for listings of the whole table. */
  fresh(): Promise<KeyStore>;
}

const tables: TestTable[] = [];
afterAll(async () => {
  await Promise.all(tables.map((table) => table.drop()));
});

async function dynamoSubject(): Promise<Subject> {
  const table = await createTestTable('contract');
  tables.push(table);
  const reader = new DynamoEventReader(table.doc, table.tableName);
  return {
    store: table.store,
    events: async (tenantId) => [...(await reader.tenantEvents(tenantId, 100)).items].reverse(),
    fresh: async () => {
      const own = await createTestTable('contract');
      tables.push(own);
      return own.store;
    },
  };
}

function memorySubject(): Subject {
  const store = new MemoryKeyStore();
  return {
    store,
    events: async (tenantId) => store.events.filter((event) => event.tenantId === tenantId),
    fresh: async () => new MemoryKeyStore(),
  };
}

const ACTOR = { keyId: `key_${'a'.repeat(24)}`, role: 'owner' } as const;

describe.each([
  ['the in-memory fake', async () => memorySubject()],
  ['DynamoKeyStore on DynamoDB Local', dynamoSubject],
])('KeyStore contract: %s', (_name, makeSubject) => {
  let subject: Subject;
  let store: KeyStore;
  beforeAll(async () => {
    subject = await makeSubject();
    store = subject.store;
  });

  /** A new tenant with an owner first key, unique in the table. */
  async function seedTenant(overrides: Partial<Tenant> = {}) {
    const tenant = tenantFixture({ tenantId: `t-${randomUUID().slice(0, 12)}`, createdAt: iso(0), ...overrides });
    const owner = keyFixture({ tenant, role: 'owner', now: iso(1) });
    await store.createTenant(tenant, owner.item);
    return { tenant, owner: owner.item };
  }

  async function addKey(
    tenant: Tenant,
    options: { role?: Role; environment?: Environment; minute?: number; name?: string; expiresAt?: string } = {},
  ) {
    const { item } = keyFixture({ tenant, now: iso(options.minute ?? 2), ...options });
    await store.createKey(item);
    return item;
  }

  describe('tenants and keys', () => {
    it('creates a tenant with its first key, and refuses the same tenant id again without writing its key', async () => {
      const { tenant, owner } = await seedTenant();
      expect(await store.getTenant(tenant.tenantId)).toEqual(tenant);
      expect(await store.getKey(owner.id)).toEqual(owner);
      const again = keyFixture({ tenant, now: iso(3) }).item;
      const error = await apiError(store.createTenant(tenant, again));
      expect(error.code).toBe('conflict');
      expect(await store.getKey(again.id)).toBeUndefined();
    });

    it('refuses a key whose copy of the tenant is stale with TenantChangedError, writing nothing', async () => {
      const { tenant } = await seedTenant();
      await store.updateTenant(tenant.tenantId, 1, { status: 'suspended' });
      const stale = keyFixture({ tenant, now: iso(2) }).item;
      await expect(store.createKey(stale)).rejects.toBeInstanceOf(TenantChangedError);
      expect(await store.getKey(stale.id)).toBeUndefined();
    });

    it('refuses a second key with the same id as a conflict', async () => {
      const { tenant } = await seedTenant();
      const key = await addKey(tenant);
      const error = await apiError(store.createKey({ ...key, name: 'other' }));
      expect(error.code).toBe('conflict');
      expect((await store.getKey(key.id))?.name).toBe(key.name);
    });

    it("answers another tenant's key exactly as a missing one", async () => {
      const { tenant } = await seedTenant();
      const other = await seedTenant();
      const key = await addKey(tenant);
      const foreign = await apiError(store.getTenantKey(other.tenant.tenantId, key.id));
      const missing = await apiError(store.getTenantKey(tenant.tenantId, `key_${'0'.repeat(24)}`));
      expect([foreign.code, foreign.message]).toEqual([missing.code, missing.message]);
      expect(foreign.code).toBe('not_found');
      for (const write of [
        store.renameKey(other.tenant.tenantId, key.id, 'x'),
        store.setKeyStatus(other.tenant.tenantId, key.id, 'revoked'),
        store.deleteKey(other.tenant.tenantId, key.id),
      ]) {
        expect((await apiError(write)).code).toBe('not_found');
      }
      expect(await store.getKey(key.id)).toEqual(key);
    });

    it('renames a key, replaces its metadata, and removes it with an empty map', async () => {
      const { tenant } = await seedTenant();
      const key = await addKey(tenant);
      expect(await store.renameKey(tenant.tenantId, key.id, 'renamed', { team: 'a' })).toEqual({
        ...key,
        name: 'renamed',
        meta: { team: 'a' },
      });
      expect(await store.renameKey(tenant.tenantId, key.id, undefined, {})).toEqual({ ...key, name: 'renamed' });
      expect(await store.getKey(key.id)).toEqual({ ...key, name: 'renamed' });
    });

    it('records a use at most once per interval, and none for a missing key', async () => {
      const { tenant } = await seedTenant();
      const key = await addKey(tenant);
      expect(await store.touchLastUsed(key.id, at(10), 60_000)).toBe(true);
      expect(await store.touchLastUsed(key.id, new Date(at(10).getTime() + 59_000), 60_000)).toBe(false);
      // a use exactly one interval later is still within it.
      expect(await store.touchLastUsed(key.id, at(11), 60_000)).toBe(false);
      expect(await store.touchLastUsed(key.id, at(12), 60_000)).toBe(true);
      expect((await store.getKey(key.id))?.lastUsedAt).toBe(iso(12));
      expect(await store.touchLastUsed(`key_${'0'.repeat(24)}`, at(11), 60_000)).toBe(false);
    });
  });

  describe('status changes and the owner guard', () => {
    it('revokes and enables a key, and of two identical changes the second is a conflict', async () => {
      const { tenant } = await seedTenant();
      const key = await addKey(tenant);
      expect((await store.setKeyStatus(tenant.tenantId, key.id, 'revoked')).status).toBe('revoked');
      const again = await apiError(store.setKeyStatus(tenant.tenantId, key.id, 'revoked'));
      expect([again.code, again.message]).toEqual(['conflict', 'the key is already revoked']);
      expect((await store.setKeyStatus(tenant.tenantId, key.id, 'active')).status).toBe('active');
    });

    it('revokes an owner key while the named survivor is a lasting owner, and refuses once it is not', async () => {
      const { tenant, owner } = await seedTenant();
      const second = await addKey(tenant, { role: 'owner' });
      const third = await addKey(tenant, { role: 'owner', minute: 3 });
      await store.setKeyStatus(tenant.tenantId, second.id, 'revoked', { survivor: owner.id, now: at(5), until: null });
      await expect(
        store.setKeyStatus(tenant.tenantId, third.id, 'revoked', { survivor: second.id, now: at(5), until: null }),
      ).rejects.toBeInstanceOf(OwnersChangedError);
      expect((await store.getKey(third.id))?.status).toBe('active');
    });

    it('refuses a guard without a survivor for a key that is still a lasting owner, and deletes one that is not', async () => {
      const { tenant, owner } = await seedTenant();
      await expect(store.deleteKey(tenant.tenantId, owner.id, { now: at(5) })).rejects.toBeInstanceOf(
        OwnersChangedError,
      );
      expect(await store.getKey(owner.id)).toBeDefined();
      const expiring = await addKey(tenant, { role: 'owner', expiresAt: iso(DAY) });
      await store.deleteKey(tenant.tenantId, expiring.id, { now: at(DAY + 1) });
      expect(await store.getKey(expiring.id)).toBeUndefined();
    });

    it('refuses a survivor that expires before the guarded key would, and takes one that lasts as long', async () => {
      const { tenant, owner } = await seedTenant();
      const expiring = await addKey(tenant, { role: 'owner', expiresAt: iso(DAY) });
      const alike = await addKey(tenant, { role: 'owner', expiresAt: iso(DAY), minute: 3 });

      await expect(
        store.deleteKey(tenant.tenantId, owner.id, { survivor: expiring.id, now: at(5), until: null }),
      ).rejects.toBeInstanceOf(OwnersChangedError);
      await expect(
        store.setKeyStatus(tenant.tenantId, owner.id, 'revoked', {
          survivor: expiring.id,
          now: at(5),
          until: iso(DAY + 1),
        }),
      ).rejects.toBeInstanceOf(OwnersChangedError);
      expect(await store.getKey(owner.id)).toEqual(owner);

      await store.setKeyStatus(tenant.tenantId, alike.id, 'revoked', {
        survivor: expiring.id,
        now: at(5),
        until: iso(DAY),
      });
      await store.deleteKey(tenant.tenantId, expiring.id, { survivor: owner.id, now: at(5), until: iso(DAY) });
      expect((await store.getKey(alike.id))?.status).toBe('revoked');
      expect(await store.getKey(expiring.id)).toBeUndefined();
    });

    it('lists the owner key ids: the first key and each owner key written, less those deleted under a guard', async () => {
      const { tenant, owner } = await seedTenant();
      const second = await addKey(tenant, { role: 'owner' });
      await addKey(tenant, { role: 'developer', minute: 3 });
      expect((await store.ownerKeyIds(tenant.tenantId)).sort()).toEqual([owner.id, second.id].sort());
      await store.deleteKey(tenant.tenantId, second.id, { survivor: owner.id, now: at(5), until: null });
      expect(await store.ownerKeyIds(tenant.tenantId)).toEqual([owner.id]);
    });
  });

  describe('rotation', () => {
    it('writes the new key and ends the old one in one step, then refuses a second rotation', async () => {
      const { tenant } = await seedTenant();
      const old = await addKey(tenant);
      const next = keyFixture({ tenant, now: iso(5) }).item;
      await store.rotateKey(tenant.tenantId, old.id, next, expiryAt(at(65)), at(5));
      expect(await store.getKey(next.id)).toEqual(next);
      expect(await store.getKey(old.id)).toEqual({ ...old, rotatedTo: next.id, expiresAt: iso(65) });
      const again = await apiError(
        store.rotateKey(tenant.tenantId, old.id, keyFixture({ tenant, now: iso(6) }).item, expiryAt(at(6)), at(6)),
      );
      expect([again.code, again.message]).toEqual(['conflict', `the key was already rotated to ${next.id}`]);
    });

    it('refuses to rotate a revoked key, an expired key, and a key of another tenant, writing nothing', async () => {
      const { tenant } = await seedTenant();
      const other = await seedTenant();
      const revoked = await addKey(tenant);
      await store.setKeyStatus(tenant.tenantId, revoked.id, 'revoked');
      const expired = await addKey(tenant, { expiresAt: iso(DAY), minute: 3 });
      const cases: [string, string, Date, string][] = [
        [tenant.tenantId, revoked.id, at(5), 'a revoked key cannot be rotated; enable it first'],
        [tenant.tenantId, expired.id, at(DAY), 'an expired key cannot be rotated'],
        [other.tenant.tenantId, expired.id, at(5), 'no such key'],
      ];
      for (const [tenantId, id, now, message] of cases) {
        const next = keyFixture({ tenant, now: iso(5) }).item;
        const error = await apiError(store.rotateKey(tenantId, id, next, expiryAt(now), now));
        expect(error.message).toBe(message);
        expect(await store.getKey(next.id)).toBeUndefined();
      }
    });

    it('refuses a new key whose copy of the tenant is stale with TenantChangedError', async () => {
      const { tenant } = await seedTenant();
      const old = await addKey(tenant);
      await store.updateTenant(tenant.tenantId, 1, { plan: 'growth' });
      const next = keyFixture({ tenant, now: iso(5) }).item;
      await expect(store.rotateKey(tenant.tenantId, old.id, next, expiryAt(at(5)), at(5))).rejects.toBeInstanceOf(
        TenantChangedError,
      );
      expect((await store.getKey(old.id))?.rotatedTo).toBeUndefined();
    });
  });

  describe('listing keys', () => {
    it('lists newest first, a page at a time, with no cursor on the last page; one environment alone; by name prefix', async () => {
      const { tenant, owner } = await seedTenant();
      const created = [];
      for (let i = 0; i < 4; i += 1)
        created.push(
          await addKey(tenant, {
            minute: 10 + i,
            name: i % 2 === 0 ? `ci-${i}` : `web-${i}`,
            environment: i === 3 ? 'test' : 'live',
          }),
        );
      const ids = [...created]
        .reverse()
        .map((key) => key.id)
        .concat(owner.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listKeys(tenant.tenantId, 2, cursor);
        seen.push(...page.items.map((key) => key.id));
        cursor = page.cursor;
        pages += 1;
      } while (cursor !== undefined);
      expect(seen).toEqual(ids);
      expect(pages).toBe(3);
      expect((await store.listKeys(tenant.tenantId, 5)).cursor).toBeUndefined();
      expect((await store.listKeys(tenant.tenantId, 10, undefined, 'test')).items.map((key) => key.id)).toEqual([
        created[3].id,
      ]);
      expect(
        (await store.listKeys(tenant.tenantId, 10, undefined, undefined, 'ci-')).items.map((key) => key.id),
      ).toEqual([created[2].id, created[0].id]);
    });

    it("refuses another tenant's cursor, another environment's cursor, and a forged one as invalid_request", async () => {
      const { tenant } = await seedTenant();
      const other = await seedTenant();
      for (let i = 0; i < 2; i += 1) await addKey(tenant, { minute: 10 + i, environment: 'test' });
      const { cursor } = await store.listKeys(tenant.tenantId, 1);
      const { cursor: testCursor } = await store.listKeys(tenant.tenantId, 1, undefined, 'test');
      expect(cursor).toBeDefined();
      for (const [tenantId, bad, environment] of [
        [other.tenant.tenantId, cursor, undefined],
        [tenant.tenantId, testCursor, undefined],
        [tenant.tenantId, 'not-a-cursor', undefined],
        [tenant.tenantId, cursor, 'test'],
      ] as const) {
        expect((await apiError(store.listKeys(tenantId, 1, bad, environment))).code).toBe('invalid_request');
      }
    });

    it('lists tenants newest first, a page at a time', async () => {
      const own = await subject.fresh();
      const tenants = [0, 1, 2].map((i) =>
        tenantFixture({ tenantId: `list-${i}-${randomUUID().slice(0, 6)}`, createdAt: iso(i) }),
      );
      for (const tenant of tenants)
        await own.createTenant(tenant, keyFixture({ tenant, role: 'owner', now: iso(5) }).item);
      const first = await own.listTenants(2);
      const second = await own.listTenants(2, first.cursor);
      expect([...first.items, ...second.items].map((tenant) => tenant.tenantId)).toEqual(
        tenants.map((tenant) => tenant.tenantId).reverse(),
      );
      expect(second.cursor).toBeUndefined();
      expect((await apiError(own.listTenants(2, 'forged'))).code).toBe('invalid_request');
    });

    it('filters tenants by id or name prefix in either case, plan, status, plan status and created days', async () => {
      const own = await subject.fresh();
      const made = [
        tenantFixture({ tenantId: 'acme-eu', name: 'Acme Europe', createdAt: iso(0) }),
        tenantFixture({ tenantId: 'zeta', name: 'ACME Labs', plan: 'growth', createdAt: iso(DAY) }),
        tenantFixture({ tenantId: 'beta', name: 'Ｂeta Co', status: 'suspended', createdAt: iso(2 * DAY) }),
        tenantFixture({
          tenantId: 'gamma',
          name: 'Gamma',
          planGeneration: 2,
          appliedGeneration: 1,
          createdAt: iso(3 * DAY),
        }),
        tenantFixture({ tenantId: 'delta', name: 'Delta', planGeneration: 1, createdAt: iso(3 * DAY + 1) }),
        tenantFixture({
          tenantId: 'omega',
          name: 'Old Name',
          planGeneration: 3,
          appliedGeneration: 3,
          createdAt: iso(4 * DAY),
        }),
      ];
      for (const tenant of made)
        await own.createTenant(tenant, keyFixture({ tenant, role: 'owner', now: tenant.createdAt }).item);
      await own.renameTenant('omega', 'Acme Renamed');
      /** Every page of a filtered listing, two tenants at most a page, as ids. */
      const all = async (filter: Parameters<KeyStore['listTenants']>[2]) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await own.listTenants(2, cursor, filter);
          ids.push(...page.items.map((tenant) => tenant.tenantId));
          cursor = page.cursor;
        } while (cursor !== undefined);
        return ids;
      };
      const dayOf = (minutes: number) => iso(minutes).slice(0, 10);
      expect(await all({ search: 'acme' })).toEqual(['omega', 'zeta', 'acme-eu']);
      expect(await all({ search: 'ACME-' })).toEqual(['acme-eu']);
      expect(await all({ search: 'beta' })).toEqual(['beta']);
      expect(await all({ search: 'Old' })).toEqual([]);
      expect(await all({ plan: 'growth' })).toEqual(['zeta']);
      expect(await all({ status: 'suspended' })).toEqual(['beta']);
      expect(await all({ planStatus: 'pending' })).toEqual(['delta', 'gamma']);
      expect(await all({ planStatus: 'applied' })).toEqual(['omega', 'beta', 'zeta', 'acme-eu']);
      expect(await all({ createdFrom: dayOf(DAY), createdTo: dayOf(3 * DAY) })).toEqual(
        made
          .filter((tenant) => tenant.createdAt >= `${dayOf(DAY)}T` && tenant.createdAt < `${dayOf(4 * DAY)}T`)
          .map((tenant) => tenant.tenantId)
          .reverse(),
      );
      expect(await all({ createdTo: dayOf(0) })).toEqual(
        made.filter((tenant) => tenant.createdAt < `${dayOf(DAY)}T`).map((tenant) => tenant.tenantId),
      );
      expect(await all({ search: 'a', plan: 'starter', status: 'active', planStatus: 'applied' })).toEqual([
        'omega',
        'acme-eu',
      ]);
    });
  });

  describe('tenant changes', () => {
    it('changes a tenant at the expected version only, and answers not_found for none', async () => {
      const { tenant } = await seedTenant({ usagePlanId: 'plan-1' });
      const changed = await store.updateTenant(tenant.tenantId, 1, {
        plan: 'growth',
        usagePlanId: null,
        usageKeys: { test: { id: 'apikey-test', value: 'usagetestvalue0123456789' } },
      });
      const { usagePlanId: _removed, ...rest } = tenant;
      expect(changed).toEqual({
        ...rest,
        plan: 'growth',
        version: 2,
        usageKeys: { ...tenant.usageKeys, test: { id: 'apikey-test', value: 'usagetestvalue0123456789' } },
      });
      expect(await store.getTenant(tenant.tenantId)).toEqual(changed);
      expect((await apiError(store.updateTenant(tenant.tenantId, 1, { plan: 'starter' }))).code).toBe('conflict');
      expect((await apiError(store.updateTenant('t-none-of-these', 1, { plan: 'starter' }))).code).toBe('not_found');
    });

    it('renames a tenant, and refuses one being deleted or missing', async () => {
      const { tenant } = await seedTenant();
      expect((await store.renameTenant(tenant.tenantId, 'New name')).name).toBe('New name');
      await store.updateTenant(tenant.tenantId, 1, { status: 'deleting' });
      expect((await apiError(store.renameTenant(tenant.tenantId, 'x'))).code).toBe('conflict');
      expect((await apiError(store.renameTenant('t-none-of-these', 'x'))).code).toBe('not_found');
    });

    it('copies the tenant onto each key with an older copy, once', async () => {
      const { tenant, owner } = await seedTenant();
      const key = await addKey(tenant);
      const changed = await store.updateTenant(tenant.tenantId, 1, {
        status: 'suspended',
        plan: 'growth',
        usageKeys: { live: { id: 'apikey-2', value: 'usagelivevalue9876543210' } },
      });
      expect(await store.propagateTenant(changed)).toBe(2);
      expect(await store.propagateTenant(changed)).toBe(0);
      for (const id of [owner.id, key.id]) {
        expect(await store.getKey(id)).toMatchObject({
          tenantStatus: 'suspended',
          plan: 'growth',
          tenantVersion: 2,
          usageKey: 'usagelivevalue9876543210',
        });
      }
    });

    it('deletes every key of a tenant repeatably, then the tenant only once it is marked', async () => {
      const { tenant, owner } = await seedTenant();
      const key = await addKey(tenant);
      expect((await apiError(store.deleteMarkedTenant(tenant.tenantId))).code).toBe('conflict');
      await store.updateTenant(tenant.tenantId, 1, { status: 'deleting' });
      expect(await store.deleteTenantKeys(tenant.tenantId)).toBe(2);
      expect(await store.deleteTenantKeys(tenant.tenantId)).toBe(0);
      expect(await store.getKey(owner.id)).toBeUndefined();
      expect(await store.getKey(key.id)).toBeUndefined();
      await store.deleteMarkedTenant(tenant.tenantId);
      await store.deleteMarkedTenant(tenant.tenantId);
      expect(await store.getTenant(tenant.tenantId)).toBeUndefined();
    });

    it("retires a deleted tenant's id for good: a later creation of it is refused with tenant_id_retired", async () => {
      const { tenant } = await seedTenant();
      expect(await store.tenantIdRetired(tenant.tenantId)).toBe(false);
      await store.updateTenant(tenant.tenantId, 1, { status: 'deleting' });
      await store.deleteTenantKeys(tenant.tenantId);
      await store.deleteMarkedTenant(tenant.tenantId);
      expect(await store.tenantIdRetired(tenant.tenantId)).toBe(true);

      const again = tenantFixture({ tenantId: tenant.tenantId, name: 'Someone else', createdAt: iso(5) });
      const owner = keyFixture({ tenant: again, role: 'owner', now: iso(5) }).item;
      expect((await apiError(store.createTenant(again, owner))).code).toBe('tenant_id_retired');
      expect(await store.getTenant(tenant.tenantId)).toBeUndefined();
      expect(await store.getKey(owner.id)).toBeUndefined();
    });

    it('never lets a creation racing the last step of a deletion bring the id back (20 trials)', async () => {
      const refusals = new Set<string>();
      for (let trial = 0; trial < 20; trial += 1) {
        const { tenant } = await seedTenant();
        await store.updateTenant(tenant.tenantId, 1, { status: 'deleting' });
        await store.deleteTenantKeys(tenant.tenantId);
        const again = tenantFixture({ tenantId: tenant.tenantId, createdAt: iso(5) });
        const owner = keyFixture({ tenant: again, role: 'owner', now: iso(5) }).item;
        const [created] = await Promise.allSettled([
          store.createTenant(again, owner),
          store.deleteMarkedTenant(tenant.tenantId),
        ]);
        expect(created.status).toBe('rejected');
        if (created.status === 'rejected') refusals.add((created.reason as ApiError).code);
        // a deletion that lost a transaction conflict to the creation is sent again.
        await store.deleteMarkedTenant(tenant.tenantId);
        expect(await store.getTenant(tenant.tenantId)).toBeUndefined();
        expect(await store.getKey(owner.id)).toBeUndefined();
      }
      expect([...refusals].every((code) => code === 'conflict' || code === 'tenant_id_retired')).toBe(true);
    });

    it('keeps the usage plans a deletion or a failed creation discarded until the reconciler forgets each', async () => {
      const tenantId = `t-${randomUUID().slice(0, 12)}`;
      expect(await store.discardedUsagePlans(tenantId)).toEqual([]);
      await store.discardUsagePlan(tenantId, 'up-a');
      await store.discardUsagePlan(tenantId, 'up-b');
      await store.discardUsagePlan(tenantId, 'up-a');
      expect((await store.discardedUsagePlans(tenantId)).sort()).toEqual(['up-a', 'up-b']);
      await store.forgetDiscardedUsagePlan(tenantId, 'up-a');
      await store.forgetDiscardedUsagePlan(tenantId, 'up-a');
      expect(await store.discardedUsagePlans(tenantId)).toEqual(['up-b']);
      await store.forgetDiscardedUsagePlan(tenantId, 'up-b');
      expect(await store.discardedUsagePlans(tenantId)).toEqual([]);
    });
  });

  describe('events', () => {
    it('writes the event of a change with it, and none for a refused change', async () => {
      const { tenant } = await seedTenant();
      const key = await addKey(tenant);
      const revoked = keyEvent('key.revoked', ACTOR, key, at(5));
      await store.setKeyStatus(tenant.tenantId, key.id, 'revoked', undefined, revoked);
      await apiError(
        store.setKeyStatus(tenant.tenantId, key.id, 'revoked', undefined, keyEvent('key.revoked', ACTOR, key, at(6))),
      );
      const next = keyFixture({ tenant, now: iso(7) }).item;
      await apiError(
        store.rotateKey(
          tenant.tenantId,
          key.id,
          next,
          expiryAt(at(7)),
          at(7),
          keyEvent('key.rotated', ACTOR, key, at(7)),
        ),
      );
      expect(await subject.events(tenant.tenantId)).toEqual([revoked]);
    });
  });
});

describe('KeyStore contract: both stores issue the same cursors', () => {
  it('gives the same page and cursor for the same keys, so a cursor means one position in both', async () => {
    const table = await createTestTable('contract');
    tables.push(table);
    const memory = new MemoryKeyStore();
    const tenant = tenantFixture({ tenantId: `t-${randomUUID().slice(0, 12)}`, createdAt: iso(0) });
    const keys = [0, 1, 2].map((i) => keyFixture({ tenant, role: i === 0 ? 'owner' : 'developer', now: iso(i) }).item);
    for (const store of [memory, table.store]) {
      await store.createTenant(tenant, keys[0]);
      for (const key of keys.slice(1)) await store.createKey(key);
    }
    const fromMemory = await memory.listKeys(tenant.tenantId, 1);
    const fromDynamo = await table.store.listKeys(tenant.tenantId, 1);
    expect(fromMemory).toEqual(fromDynamo);
    expect(await memory.listKeys(tenant.tenantId, 5, fromDynamo.cursor)).toEqual(
      await table.store.listKeys(tenant.tenantId, 5, fromMemory.cursor),
    );
  });
});
