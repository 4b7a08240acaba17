import type { AuthorizerCacheFlusher } from '../../lambdas/core/auth/cache';
import type { Tenant } from '../../lambdas/core/model';
import { PlanReconciler, type ReconcileRequests } from '../../lambdas/core/plans/plan-reconciler';
import { TenantService, type PlanRequest } from '../../lambdas/core/tenants/tenant-service';
import type { PlanCatalog } from '../../lambdas/core/plans/usage-plans';
import { ApiGatewayUsagePlans } from '../../lambdas/runtime/api-gateway-usage-plans';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { FakeApiGateway } from '../../local/fake-api-gateway';
import { recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * The plan reconciler against a DynamoDB Local table and an API Gateway that enforces its real
 * limits, `UpdateUsagePlan` once per 20 s per account among them, on a clock the test moves.
 * The queue is played by the test: a run that throws is delivered again after the visibility
 * timeout, as SQS does.
 */
const PLANS: PlanCatalog = {
  starter: { usagePlanId: 'up-starter', limits: { rateLimit: 10, burstLimit: 20 } },
  growth: { usagePlanId: 'up-growth', limits: { rateLimit: 100, burstLimit: 200 } },
  scale: { usagePlanId: 'up-scale', limits: { rateLimit: 1000, burstLimit: 2000 } },
};
const VISIBILITY_TIMEOUT_MS = 90_000;

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable('reconciler');
});
afterAll(async () => {
  await table.drop();
});

function world() {
  let time = Date.parse(instant(0, '10:00'));
  const clock = () => new Date(time);
  const advance = async (ms: number) => {
    time += ms;
  };
  const api = new FakeApiGateway({ now: () => time, updateUsagePlanIntervalMs: 20_000 });
  for (const [name, plan] of Object.entries(PLANS))
    api.definePlan(plan.usagePlanId, `keygate-${name}`, plan.limits, 'api123:prod');
  const usagePlans = new ApiGatewayUsagePlans(api, {
    restApiId: 'api123',
    stageName: 'prod',
    // the reconciler's patient backoff, sleeping on the test's clock.
    backoff: { attempts: 3, baseMs: 4_000, sleep: advance, random: () => 1 },
  });
  const requested: string[] = [];
  const reconcile: ReconcileRequests = { request: async (tenantId) => void requested.push(tenantId) };
  let flushes = 0;
  const cache: AuthorizerCacheFlusher = { flush: async () => void (flushes += 1), flushAt: async () => undefined };
  const logger = recordingLogger();
  const namePrefix = `kg${Math.random().toString(36).slice(2, 8)}`;
  const deps = { store: table.store, usagePlans, plans: PLANS, clock, cache, logger, namePrefix };
  const tenants = new TenantService({ ...deps, prefix: 'sk', reconcile });
  const reconciler = new PlanReconciler({ ...deps, retireAfterMs: 10_000, sleep: advance });

  /** Delivers every queued request until each has run without throwing; returns the deliveries. */
  const drain = async (): Promise<number> => {
    let deliveries = 0;
    while (requested.length > 0) {
      const tenantId = requested[0];
      deliveries += 1;
      if (deliveries > 50) throw new Error('the queue did not drain in 50 deliveries');
      try {
        await reconciler.reconcile(tenantId);
        requested.shift();
      } catch {
        await advance(VISIBILITY_TIMEOUT_MS);
      }
    }
    return deliveries;
  };

  /** What must hold once reconciled: record, attachments and limits agree; nothing orphaned. */
  const expectConverged = async (tenantIds: string[]) => {
    const known = new Set<string>();
    const ownPlans = new Set<string>();
    for (const tenantId of tenantIds) {
      const tenant = (await table.store.getTenant(tenantId)) as Tenant;
      expect({ tenantId, applied: tenant.appliedGeneration ?? 0 }).toEqual({
        tenantId,
        applied: tenant.planGeneration ?? 0,
      });
      expect(tenant.pendingUsageKeys ?? {}).toEqual({});
      expect(tenant.retiredUsageKeys ?? []).toEqual([]);
      for (const usage of Object.values(tenant.usageKeys)) {
        known.add(usage.id);
        const plan = api.planOf(usage.id);
        expect(plan?.id).toBe(usage.usagePlanId);
        expect(plan?.limits).toEqual(tenant.limits);
      }
      if (tenant.plan === 'enterprise') ownPlans.add(tenant.usagePlanId as string);
      else expect(tenant.usagePlanId).toBeUndefined();
    }
    expect(api.apiKeyIds.filter((id) => !known.has(id))).toEqual([]);
    expect(api.usagePlanIds.filter((id) => !ownPlans.has(id) && !id.startsWith('up-')).sort()).toEqual([]);
  };

  return {
    tenants,
    reconciler,
    api,
    usagePlans,
    namePrefix,
    drain,
    expectConverged,
    requested,
    advance,
    flushes: () => flushes,
  };
}

let seq = 0;
const newTenant = async (w: ReturnType<typeof world>, plan: PlanRequest) => {
  seq += 1;
  const tenantId = `rc-${seq}-${Date.now().toString(36)}`;
  await w.tenants.create({ tenantId, name: tenantId, ...plan });
  return tenantId;
};

describe('the plan reconciler under API Gateway limits', () => {
  it('converges when UpdateUsagePlan is throttled (1 per 20 s), with no orphan and no error on the request path', async () => {
    const w = world();
    const a = await newTenant(w, { plan: 'enterprise', rateLimit: 5, burstLimit: 10 });
    const b = await newTenant(w, { plan: 'enterprise', rateLimit: 6, burstLimit: 12 });
    const c = await newTenant(w, { plan: 'starter' });

    // the panel answers each at once: no control-plane call happens on the request path.
    const answers = [
      await w.tenants.changePlan(a, {
        plan: 'enterprise',
        rateLimit: 50,
        burstLimit: 60,
        quota: { limit: 1000, period: 'DAY' },
      }),
      await w.tenants.changePlan(b, { plan: 'enterprise', rateLimit: 70, burstLimit: 80 }),
      await w.tenants.changePlan(c, { plan: 'enterprise', rateLimit: 9, burstLimit: 9 }),
      await w.tenants.changePlan(a, { plan: 'growth' }),
    ];
    expect(answers.map((answer) => answer.planStatus)).toEqual(['pending', 'pending', 'pending', 'pending']);
    expect(w.api.counts.updateUsagePlan).toBe(0);

    const deliveries = await w.drain();
    expect(w.api.counts.throttled).toBeGreaterThan(0); // the limit really bit.
    expect(deliveries).toBeGreaterThan(w.requested.length);
    await w.expectConverged([a, b, c]);
  });

  it('moves identifiers make-before-break: the identifier the keys carry is in a usage plan at every step', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'starter' });
    const before = (await table.store.getTenant(tenantId)) as Tenant;
    const [ownerKey] = (await table.store.listKeys(tenantId, 10)).items;
    await w.tenants.changePlan(tenantId, { plan: 'scale' });

    // around every control-plane call the reconciler makes, look at what the keys carry.
    const gaps: string[] = [];
    const check = async (when: string) => {
      const carried = (await table.store.getKey(ownerKey.id))?.usageKey;
      const apiKeyId = carried === undefined ? undefined : w.api.apiKeyIdOf(carried);
      if (apiKeyId === undefined || w.api.planOf(apiKeyId) === undefined) gaps.push(when);
    };
    for (const method of ['createApiKey', 'deleteApiKey', 'attachKey', 'detachKey', 'deleteUsagePlan'] as const) {
      const original = w.usagePlans[method].bind(w.usagePlans) as (...args: unknown[]) => Promise<unknown>;
      (w.usagePlans as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
        await check(`before ${method}`);
        const result = await original(...args);
        await check(`after ${method}`);
        return result;
      };
    }
    await w.drain();

    const after = (await table.store.getTenant(tenantId)) as Tenant;
    expect(gaps).toEqual([]);
    expect(after.usageKeys.live?.id).not.toBe(before.usageKeys.live?.id);
    expect(w.api.planOf(after.usageKeys.live?.id as string)?.id).toBe('up-scale');
    expect(w.api.apiKeyIds).not.toContain(before.usageKeys.live?.id);
    expect((await table.store.getKey(ownerKey.id))?.usageKey).toBe(after.usageKeys.live?.value);
    expect(w.flushes()).toBeGreaterThanOrEqual(2); // the plan change, then the swap.
  });

  it('finishes the job after a crash, deleting an API key a crashed run made and never recorded', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'starter' });
    await w.tenants.changePlan(tenantId, { plan: 'growth' });
    // a run killed right after CreateApiKey, before it could record or delete the key.
    const stray = await w.usagePlans.createApiKey(`${w.namePrefix}-${tenantId}-live-g1`, 'S'.repeat(40));
    // another tenant whose id starts like this one's keeps its keys.
    const neighbour = await w.usagePlans.createApiKey(`${w.namePrefix}-${tenantId}-live-x-live`, 'N'.repeat(40));

    await w.drain();

    expect(w.api.apiKeyIds).not.toContain(stray);
    expect(w.api.apiKeyIds).toContain(neighbour);
    await w.usagePlans.deleteApiKey(neighbour);
    await w.expectConverged([tenantId]);
  });

  it('retires the new identifier of a move that was overtaken before its swap (A to B, back to A)', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'starter' });
    await w.tenants.changePlan(tenantId, { plan: 'growth' });
    // a run stops right after recording the new identifier as pending (before attaching it)...
    const attach = w.usagePlans.attachKey.bind(w.usagePlans);
    w.usagePlans.attachKey = async () => {
      throw new Error('Lambda timed out');
    };
    await expect(w.reconciler.reconcile(tenantId)).rejects.toThrow('Lambda timed out');
    w.usagePlans.attachKey = attach;
    expect(Object.keys((await table.store.getTenant(tenantId))?.pendingUsageKeys ?? {})).toEqual(['live']);
    // ...and the operator goes back to starter before the next run.
    await w.tenants.changePlan(tenantId, { plan: 'starter' });
    await w.drain();
    await w.expectConverged([tenantId]);
  });

  it('applies a change sent twice once: one generation, one reconciliation', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'starter' });
    await Promise.all([
      w.tenants.changePlan(tenantId, { plan: 'growth' }),
      w.tenants.changePlan(tenantId, { plan: 'growth' }),
    ]);
    const tenant = (await table.store.getTenant(tenantId)) as Tenant;
    expect(tenant.planGeneration).toBe(1);
    await w.drain();
    await w.expectConverged([tenantId]);
  });
});

describe('tenant deletion against the plan reconciler', () => {
  it('deletes an enterprise tenant mid-move: the reconciler answers gone, and no API key, usage plan or item is left', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'enterprise', rateLimit: 5, burstLimit: 10 });
    const keep = await newTenant(w, { plan: 'starter' });
    // a move to growth asked for and not yet applied, and an API key a crashed run left unrecorded.
    await w.tenants.changePlan(tenantId, { plan: 'growth' });
    await w.usagePlans.createApiKey(`${w.namePrefix}-${tenantId}-live-g1`, 'x'.repeat(40));
    const during = (await table.store.getTenant(tenantId)) as Tenant;
    expect(during.usagePlanId).toBeDefined();

    await w.tenants.delete(tenantId);

    expect(await w.reconciler.reconcile(tenantId)).toBe('gone');
    expect(await table.store.getTenant(tenantId)).toBeUndefined();
    expect((await table.store.listKeys(tenantId, 10)).items).toEqual([]);
    await w.drain();
    // only the tenant kept has API keys and plans of its own; the shared plans stay.
    await w.expectConverged([keep]);
    expect(w.api.usagePlanIds.filter((id) => id.startsWith('up-')).sort()).toEqual([
      'up-growth',
      'up-scale',
      'up-starter',
    ]);
  });

  it('deletes an enterprise tenant with no UpdateUsagePlan on the request: the reconciler unbinds and deletes its usage plan', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'enterprise', rateLimit: 5, burstLimit: 10 });
    const own = (await table.store.getTenant(tenantId))?.usagePlanId as string;
    const before = { ...w.api.counts };

    await w.tenants.delete(tenantId);

    // the request left the plan to the reconciler's queue, as every other plan change.
    expect(w.api.counts).toEqual(before);
    expect(w.api.usagePlanIds).toContain(own);
    expect(w.requested).toContain(tenantId);
    await w.drain();
    expect(w.api.usagePlanIds).not.toContain(own);
    expect(w.api.counts.updateUsagePlan).toBe(before.updateUsagePlan + 1);
    await w.expectConverged([]);
  });

  it('rolls back a failed enterprise creation with no UpdateUsagePlan on the request: the reconciler deletes the plan, and the id stays free', async () => {
    const w = world();
    const plansBefore = w.api.usagePlanIds;
    const attach = w.usagePlans.attachKey.bind(w.usagePlans);
    w.usagePlans.attachKey = async () => {
      throw new Error('API Gateway is unavailable');
    };
    const tenantId = `rb-${Date.now().toString(36)}`;
    const input = { tenantId, name: 'Rollback', plan: 'enterprise' as const, rateLimit: 5, burstLimit: 5 };
    const before = { ...w.api.counts };

    await expect(w.tenants.create(input)).rejects.toThrow('API Gateway is unavailable');
    w.usagePlans.attachKey = attach;

    expect(w.api.counts).toEqual(before);
    expect(w.api.apiKeyIds).toEqual([]);
    await w.drain();
    expect(w.api.usagePlanIds).toEqual(plansBefore);
    // a failed creation retires nothing: the same request made again succeeds.
    await w.tenants.create(input);
    await w.drain();
    await w.expectConverged([tenantId]);
  });

  it('answers gone for a tenant marked deleting, and makes no control-plane call for it', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'starter' });
    await w.tenants.changePlan(tenantId, { plan: 'enterprise', rateLimit: 3, burstLimit: 3 });
    const tenant = (await table.store.getTenant(tenantId)) as Tenant;
    await table.store.updateTenant(tenantId, tenant.version, { status: 'deleting' });
    const plansBefore = w.api.usagePlanIds;
    expect(await w.reconciler.reconcile(tenantId)).toBe('gone');
    expect(w.api.usagePlanIds).toEqual(plansBefore);
  });
});

describe('the plan reconciler when a plan change lands while it deletes a usage plan', () => {
  it('converges when the tenant goes back to enterprise just as its own usage plan was deleted', async () => {
    const w = world();
    const tenantId = await newTenant(w, { plan: 'enterprise', rateLimit: 5, burstLimit: 10 });
    await w.tenants.changePlan(tenantId, { plan: 'growth' });
    // the operator moves it back between the deletion of its own plan and the record of it.
    const deleteUsagePlan = w.usagePlans.deleteUsagePlan.bind(w.usagePlans);
    let raced = false;
    w.usagePlans.deleteUsagePlan = async (usagePlanId: string) => {
      await deleteUsagePlan(usagePlanId);
      if (raced) return;
      raced = true;
      await w.tenants.changePlan(tenantId, { plan: 'enterprise', rateLimit: 7, burstLimit: 9 });
    };

    await w.drain();

    expect(raced).toBe(true);
    await w.expectConverged([tenantId]);
    expect((await table.store.getTenant(tenantId))?.limits).toEqual({ rateLimit: 7, burstLimit: 9 });
  });
});
