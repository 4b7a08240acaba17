import { noCache } from '../../lambdas/core/auth/cache';
import { KeyService } from '../../lambdas/core/keys/key-service';
import type { AuthorizerContext, KeyItem, Tenant } from '../../lambdas/core/model';
import { PlanReconciler, type ReconcileRequests } from '../../lambdas/core/plans/plan-reconciler';
import type { PlanCatalog } from '../../lambdas/core/plans/usage-plans';
import type { KeyStore, TenantChanges } from '../../lambdas/core/store/store';
import { TenantService } from '../../lambdas/core/tenants/tenant-service';
import { LocalReconcileQueue } from '../../local/reconcile-queue';
import { LocalUsagePlans } from '../../local/usage-plans';
import { DEADLINES } from '../support/deadlines';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * Writes conditioned on the tenant item's version, while keygate's own background writes (the
 * plan reconciler recording each step) move that version: a caller's write decides again on
 * the tenant as it now is, and never answers 409 for a change it could not have seen.
 */
const NOW = instant(0, '10:00');
const clock = fixedClock(NOW);
const noPause = async (): Promise<void> => undefined;

let table: TestTable;
let usagePlans: LocalUsagePlans;
let plans: PlanCatalog;
beforeAll(async () => {
  table = await createTestTable('tenant-races');
  usagePlans = new LocalUsagePlans(() => clock().getTime());
  const catalog: Record<string, { usagePlanId: string; limits: { rateLimit: number; burstLimit: number } }> = {};
  for (const [plan, limits] of [
    ['starter', { rateLimit: 10, burstLimit: 20 }],
    ['growth', { rateLimit: 100, burstLimit: 200 }],
    ['scale', { rateLimit: 1000, burstLimit: 2000 }],
  ] as const) {
    usagePlans.definePlan(`up-${plan}`, plan, limits);
    catalog[plan] = { usagePlanId: `up-${plan}`, limits };
  }
  plans = catalog as unknown as PlanCatalog;
});
afterAll(async () => {
  await table.drop();
});

/** The services over `store`, with the reconcile requests going to `reconcile`. */
function services(store: KeyStore, reconcile: ReconcileRequests = { request: async () => undefined }) {
  const logger = recordingLogger();
  const tenants = new TenantService({
    store,
    usagePlans,
    plans,
    prefix: 'sk',
    clock,
    cache: noCache,
    logger,
    namePrefix: 'races',
    reconcile,
    sleep: noPause,
  });
  const keys = new KeyService({ store, clock, prefix: 'sk', cache: noCache, logger, usage: tenants, sleep: noPause });
  return { tenants, keys, logger };
}

let counter = 0;
/** A tenant on starter with its live usage identifier in the starter plan, and its owner key. */
async function seedTenant(): Promise<{ tenant: Tenant; owner: KeyItem }> {
  counter += 1;
  const tenantId = `races-${counter}-${Date.now().toString(36)}`;
  const liveId = await usagePlans.createApiKey(`races-${tenantId}-live`, `racesvalue${counter}${'0'.repeat(24)}`);
  await usagePlans.attachKey('up-starter', liveId);
  const tenant = tenantFixture({
    tenantId,
    usageKeys: { live: { id: liveId, value: `racesvalue${counter}${'0'.repeat(24)}`, usagePlanId: 'up-starter' } },
  });
  const owner = keyFixture({ tenant, role: 'owner', now: instant(-22, '09:00') }).item;
  await table.store.createTenant(tenant, owner);
  return { tenant, owner };
}

const callerOf = (key: KeyItem): AuthorizerContext => ({
  tenantId: key.tenantId,
  keyId: key.id,
  environment: key.environment,
  role: key.role,
  plan: 'starter',
});

/**
 * The store, except that each of its first `bumps` reads (of the tenant or of a key) is followed
 * by a write of keygate's own to the tenant, as the reconciler makes: between the caller's read
 * and its write, the tenant's version moves every time.
 */
function bumpingStore(
  tenantId: string,
  bumps: number,
  change: (tenant: Tenant) => TenantChanges = (tenant) => ({ retiredUsageKeys: tenant.retiredUsageKeys ?? [] }),
): KeyStore & { bumped(): number } {
  const store = table.store;
  let done = 0;
  const bump = async (): Promise<void> => {
    if (done >= bumps) return;
    done += 1;
    const tenant = (await store.getTenant(tenantId)) as Tenant;
    await store.updateTenant(tenantId, tenant.version, change(tenant));
  };
  const reads = new Set<PropertyKey>(['getTenant', 'getKey', 'getTenantKey']);
  return new Proxy(store, {
    get(target, property) {
      if (property === 'bumped') return () => done;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (!reads.has(property)) return value.bind(target);
      return async (...args: unknown[]) => {
        const read: unknown = await value.apply(target, args);
        await bump();
        return read;
      };
    },
  }) as unknown as KeyStore & { bumped(): number };
}

/** Bumps enough to outlast any fixed, small number of immediate retries. */
const BUMPS = 6;

describe('a tenant version bump between read and write is retried, never a 409', () => {
  it('creates a live key, which carries the tenant as it now is', async () => {
    const { tenant, owner } = await seedTenant();
    const store = bumpingStore(tenant.tenantId, BUMPS);

    const created = await services(store).keys.create(callerOf(owner), { name: 'ci' });

    expect(store.bumped()).toBe(BUMPS);
    const now = (await table.store.getTenant(tenant.tenantId)) as Tenant;
    expect(await table.store.getKey(created.id)).toMatchObject({ tenantVersion: now.version, status: 'active' });
  });

  it("creates the tenant's first test key, which gives it a test usage identifier", async () => {
    const { tenant, owner } = await seedTenant();
    const store = bumpingStore(tenant.tenantId, BUMPS);

    const created = await services(store).keys.create(callerOf(owner), { name: 'tester', environment: 'test' });

    const now = (await table.store.getTenant(tenant.tenantId)) as Tenant;
    expect(now.usageKeys.test).toBeDefined();
    expect(await table.store.getKey(created.id)).toMatchObject({
      tenantVersion: now.version,
      usageKey: now.usageKeys.test?.value,
    });
    // the identifiers made by attempts that lost were deleted again: only the recorded one is left.
    expect(await usagePlans.findApiKeys(`races-${tenant.tenantId}-test`)).toEqual([
      expect.objectContaining({ id: now.usageKeys.test?.id }),
    ]);
  });

  it('rotates a key, the new one carrying the tenant as it now is', async () => {
    const { tenant, owner } = await seedTenant();
    const store = bumpingStore(tenant.tenantId, BUMPS);

    const rotated = await services(store).keys.rotate(callerOf(owner), owner.id, 0);

    const now = (await table.store.getTenant(tenant.tenantId)) as Tenant;
    expect(await table.store.getKey(rotated.id)).toMatchObject({ tenantVersion: now.version, rotatedFrom: owner.id });
    expect(await table.store.getKey(owner.id)).toMatchObject({ rotatedTo: rotated.id });
  });

  it('enables a revoked key', async () => {
    const { tenant, owner } = await seedTenant();
    const { keys } = services(table.store);
    const developer = await keys.create(callerOf(owner), { name: 'dev' });
    await keys.revoke(callerOf(owner), developer.id);
    const store = bumpingStore(tenant.tenantId, BUMPS);

    const enabled = await services(store).keys.enable(callerOf(owner), developer.id);

    expect(store.bumped()).toBeGreaterThan(0);
    expect(enabled.status).toBe('active');
  });

  it("replaces a key's name and metadata", async () => {
    const { tenant, owner } = await seedTenant();
    const store = bumpingStore(tenant.tenantId, BUMPS);

    const updated = await services(store).keys.update(callerOf(owner), owner.id, {
      name: 'renamed',
      meta: { team: 'billing' },
    });

    expect(store.bumped()).toBeGreaterThan(0);
    expect(updated).toMatchObject({ name: 'renamed' });
    expect(await table.store.getKey(owner.id)).toMatchObject({ name: 'renamed', meta: { team: 'billing' } });
  });

  it('suspends and resumes the tenant', async () => {
    const { tenant } = await seedTenant();

    const suspended = await services(bumpingStore(tenant.tenantId, BUMPS)).tenants.setStatus(
      tenant.tenantId,
      'suspended',
    );
    const resumed = await services(bumpingStore(tenant.tenantId, BUMPS)).tenants.setStatus(tenant.tenantId, 'active');

    expect([suspended.status, resumed.status]).toEqual(['suspended', 'active']);
  });

  it("changes the tenant's plan", async () => {
    const { tenant } = await seedTenant();

    const changed = await services(bumpingStore(tenant.tenantId, BUMPS)).tenants.changePlan(tenant.tenantId, {
      plan: 'growth',
    });

    expect(changed.plan).toBe('growth');
  });

  it('still answers what the state calls for when the tenant is deleted meanwhile: 404', async () => {
    const { tenant, owner } = await seedTenant();
    // the one write between read and write marks the tenant for deletion.
    const store = bumpingStore(tenant.tenantId, 1, () => ({ status: 'deleting' }));

    await expect(services(store).keys.create(callerOf(owner), { name: 'late' })).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });
});

describe('key creation while the plan reconciler applies plan changes', () => {
  it(
    'creates every key (live and test) while two plan changes back to back are applied (20 trials)',
    async () => {
      const logger = recordingLogger();
      const reconciler = new PlanReconciler({
        store: table.store,
        usagePlans,
        plans,
        cache: noCache,
        clock,
        logger,
        namePrefix: 'races',
        retireAfterMs: 0,
      });
      const queue = new LocalReconcileQueue(reconciler, logger, { retryMs: 10 });
      const { tenants, keys } = services(table.store, queue);
      const failures: string[] = [];
      for (let trial = 0; trial < 20; trial += 1) {
        const { tenant, owner } = await seedTenant();
        await tenants.changePlan(tenant.tenantId, { plan: 'enterprise', rateLimit: 7, burstLimit: 9 });
        await tenants.changePlan(tenant.tenantId, { plan: 'growth' });
        // the creates race every step the reconciler records, until it is done.
        const settled = await Promise.allSettled([
          keys.create(callerOf(owner), { name: 'live-1' }),
          keys.create(callerOf(owner), { name: 'test-1', environment: 'test' }),
          keys.create(callerOf(owner), { name: 'live-2' }),
          keys.create(callerOf(owner), { name: 'test-2', environment: 'test' }),
        ]);
        for (const result of settled)
          if (result.status === 'rejected') failures.push(`trial ${trial}: ${String(result.reason)}`);
        await queue.idle();
        const now = (await table.store.getTenant(tenant.tenantId)) as Tenant;
        expect({ plan: now.plan, applied: now.appliedGeneration }).toEqual({
          plan: 'growth',
          applied: now.planGeneration,
        });
      }
      queue.stop();
      expect(failures).toEqual([]);
    },
    DEADLINES.slowTest,
  );
});
