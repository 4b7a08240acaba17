import type { Keygate } from 'keygate/client';
import { mintKey } from '../../lambdas/core/keys/format';
import type { LocalKeygate } from '../../local/app';
import { clientOf, failure, type Exchanges } from '../support/client';
import { leakScan } from '../support/leak-scan';
import { startTestKeygate } from '../support/local';
import { instant } from '../support/time';

let keygate: LocalKeygate;
let operator: Keygate;
let now = Date.parse(instant(-203, '09:00'));

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: () => new Date(now) });
  operator = clientOf(keygate.url, keygate.operatorKey as string);
});
afterAll(async () => {
  await keygate.stop();
});

describe('the operator API through the client, against the local gateway', () => {
  it('creates a tenant with its first owner key, gets it, renames it, and lists every tenant page by page', async () => {
    const made: string[] = [];
    for (const name of ['Alpha', 'Beta', 'Gamma']) {
      now += 1000;
      const created = await operator.panel.tenants.create({ name, plan: 'starter' });
      expect(created.tenant).toMatchObject({
        name,
        plan: 'starter',
        limits: { rateLimit: 10, burstLimit: 20 },
        status: 'active',
        planStatus: 'applied',
      });
      expect(created.key).toMatchObject({
        role: 'owner',
        environment: 'live',
        key: expect.stringMatching(/^sk_live_/),
      });
      made.push(created.tenant.tenantId);
    }
    const [alpha] = made;
    expect(await operator.panel.tenants.get(alpha)).toMatchObject({ tenantId: alpha, name: 'Alpha' });
    expect(await operator.panel.tenants.rename(alpha, 'Alpha Ltd')).toMatchObject({
      tenantId: alpha,
      name: 'Alpha Ltd',
    });
    const page = await operator.panel.tenants.list({ limit: 2 });
    expect(page.items.map((t) => t.tenantId)).toEqual([made[2], made[1]]);
    const all: string[] = [];
    for await (const tenant of operator.panel.tenants.listAll({ limit: 2 })) all.push(tenant.tenantId);
    expect(all).toEqual([...made].reverse().concat('operator'));
  });

  it('changes the plan (pending, then applied), sets a quota through an enterprise plan, and usage reports it', async () => {
    const { tenant, key } = await operator.panel.tenants.create({ name: 'Planner', plan: 'starter' });
    const changed = await operator.panel.tenants.changePlan(tenant.tenantId, { plan: 'growth' });
    expect(changed).toMatchObject({ plan: 'growth', limits: { rateLimit: 100, burstLimit: 200 } });
    await keygate.reconciled();
    expect((await operator.panel.tenants.get(tenant.tenantId)).planStatus).toBe('applied');
    const quota = await operator.panel.tenants.changePlan(tenant.tenantId, {
      plan: 'enterprise',
      rateLimit: 50,
      burstLimit: 50,
      quota: { limit: 3, period: 'DAY' },
    });
    expect(quota.limits).toEqual({ rateLimit: 50, burstLimit: 50, quota: { limit: 3, period: 'DAY' } });
    await keygate.reconciled();
    const owner = clientOf(keygate.url, key.key);
    expect(await owner.usage.get()).toMatchObject({
      plan: 'enterprise',
      quota: { limit: 3, period: 'DAY', used: 1, remaining: 2 },
    });
    await owner.me.get();
    await owner.me.get();
    // the quota's Retry-After runs to midnight UTC: longer than the client waits, so it fails at once.
    const over = await failure(clientOf(keygate.url, key.key, { maxRetries: 3 }).me.get());
    expect(over).toMatchObject({ status: 429, code: 'quota_exceeded', attempts: 1 });
    expect(over.retryAfter).toBe(Math.ceil((Date.parse(instant(-202)) - now) / 1000));
  });

  it('suspends a tenant (its keys get 401 as KeygateError), refuses a second suspend with 409, and resumes it', async () => {
    const { tenant, key } = await operator.panel.tenants.create({ name: 'Late Payer', plan: 'growth' });
    const owner = clientOf(keygate.url, key.key);
    await owner.me.get(); // cached now.
    expect(await operator.panel.tenants.suspend(tenant.tenantId)).toMatchObject({ status: 'suspended' });
    expect(await failure(owner.me.get())).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await failure(operator.panel.tenants.suspend(tenant.tenantId))).toMatchObject({
      status: 409,
      code: 'conflict',
    });
    expect(await operator.panel.tenants.resume(tenant.tenantId)).toMatchObject({ status: 'active' });
    await expect(owner.me.get()).resolves.toMatchObject({ tenant: { tenantId: tenant.tenantId, status: 'active' } });
  });

  it("manages a tenant's keys: create, list, listAll, get, rename, revoke, enable, rotate, delete", async () => {
    const { tenant, key: ownerKey } = await operator.panel.tenants.create({ name: 'Managed', plan: 'scale' });
    const keys = operator.panel.tenants.keys;
    const id = tenant.tenantId;
    now += 1000;
    const created = await keys.create(id, { name: 'ci', environment: 'test' });
    expect(created).toMatchObject({
      name: 'ci',
      environment: 'test',
      role: 'developer',
      key: expect.stringMatching(/^sk_test_/),
    });
    const user = clientOf(keygate.url, created.key);
    expect((await user.me.get()).tenant.tenantId).toBe(id);
    expect((await keys.list(id, { limit: 1 })).items.map((k) => k.id)).toEqual([created.id]);
    const all: string[] = [];
    for await (const key of keys.listAll(id, { limit: 1 })) all.push(key.id);
    expect(all).toEqual([created.id, ownerKey.id]);
    expect(await keys.get(id, created.id)).toMatchObject({ name: 'ci' });
    expect(await keys.rename(id, created.id, 'ci-2')).toMatchObject({ name: 'ci-2' });
    expect(await keys.revoke(id, created.id)).toMatchObject({ status: 'revoked' });
    expect(await failure(user.me.get())).toMatchObject({ status: 401 });
    expect(await keys.enable(id, created.id)).toMatchObject({ status: 'active' });
    const rotated = await keys.rotate(id, created.id);
    expect(rotated).toMatchObject({ name: 'ci-2', environment: 'test', rotatedFrom: created.id });
    expect(await failure(user.me.get())).toMatchObject({ status: 401 });
    await keys.delete(id, rotated.id);
    expect(await failure(keys.get(id, rotated.id))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it("imports a tenant's existing keys: one result per item, the imported key works at once, a repeat is a duplicate", async () => {
    const { tenant } = await operator.panel.tenants.create({ name: 'Importer', plan: 'scale' });
    const { plaintext } = mintKey('sk', 'live');
    leakScan.secret(plaintext);
    const keys = [
      { key: plaintext, name: 'legacy', role: 'admin' as const },
      { key: plaintext, name: 'legacy again' },
      { key: 'not-a-key', name: 'bad' },
    ];
    const { results } = await operator.panel.tenants.keys.import(tenant.tenantId, { keys });
    expect(results.map((r) => [r.index, r.status])).toEqual([
      [0, 'imported'],
      [1, 'duplicate'],
      [2, 'invalid'],
    ]);
    expect(results[2].error).toMatchObject({ code: 'invalid_request' });
    const me = await clientOf(keygate.url, plaintext).me.get();
    expect(me.key).toMatchObject({ id: results[0].keyId, name: 'legacy', role: 'admin' });
    expect(me.tenant.tenantId).toBe(tenant.tenantId);
  });

  it('answers 404 as KeygateError for an unknown tenant and for a key of another tenant', async () => {
    const one = await operator.panel.tenants.create({ name: 'One', plan: 'scale' });
    const two = await operator.panel.tenants.create({ name: 'Two', plan: 'scale' });
    expect(await failure(operator.panel.tenants.get('nobody-here'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await failure(operator.panel.tenants.keys.list('nobody-here'))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect(await failure(operator.panel.tenants.keys.get(one.tenant.tenantId, two.key.id))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
    expect(await failure(operator.panel.tenants.keys.revoke(one.tenant.tenantId, two.key.id))).toMatchObject({
      status: 404,
    });
    expect(await operator.panel.tenants.keys.get(two.tenant.tenantId, two.key.id)).toMatchObject({ status: 'active' });
  });

  it('keeps tenant keys off the panel: 403 forbidden as KeygateError', async () => {
    const { tenant, key } = await operator.panel.tenants.create({ name: 'Nosy', plan: 'scale' });
    const owner = clientOf(keygate.url, key.key);
    expect(await failure(owner.panel.tenants.list())).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await failure(owner.panel.tenants.rename(tenant.tenantId, 'Mine'))).toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    expect((await operator.panel.tenants.get(tenant.tenantId)).name).toBe('Nosy');
  });

  it('deletes a tenant: its keys get 401 at once, it is gone, and a second delete is 404', async () => {
    const { tenant, key } = await operator.panel.tenants.create({ name: 'Doomed', plan: 'starter' });
    const owner = clientOf(keygate.url, key.key);
    await owner.me.get();
    await expect(operator.panel.tenants.delete(tenant.tenantId)).resolves.toBeUndefined();
    expect(await failure(owner.me.get())).toMatchObject({ status: 401 });
    expect(await failure(operator.panel.tenants.get(tenant.tenantId))).toMatchObject({ status: 404 });
    expect(await failure(operator.panel.tenants.delete(tenant.tenantId))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });

  it('finishes a deletion that failed half way by retrying it (the 500 is retried, the retry completes it)', async () => {
    const { tenant } = await operator.panel.tenants.create({ name: 'Half', plan: 'growth' });
    const spy = jest
      .spyOn(keygate.usagePlans, 'deleteApiKey')
      .mockRejectedValueOnce(new Error('API Gateway is throttling'));
    const seen: Exchanges = [];
    try {
      const retrying = clientOf(keygate.url, keygate.operatorKey as string, {
        seen,
        maxRetries: 2,
        sleep: async () => undefined,
      });
      await expect(retrying.panel.tenants.delete(tenant.tenantId)).resolves.toBeUndefined();
    } finally {
      spy.mockRestore();
    }
    expect(seen).toEqual([
      `DELETE /v1/panel/tenants/${tenant.tenantId} 500`,
      `DELETE /v1/panel/tenants/${tenant.tenantId} 204`,
    ]);
    expect(await failure(operator.panel.tenants.get(tenant.tenantId))).toMatchObject({ status: 404 });
  });

  it("reads every tenant's events, or one tenant's, page by page", async () => {
    const { tenant } = await operator.panel.tenants.create({ name: 'Watched', plan: 'starter' });
    now += 1000;
    await operator.panel.tenants.suspend(tenant.tenantId);
    const types: string[] = [];
    for await (const event of operator.panel.events.listAll({ tenantId: tenant.tenantId, limit: 1 }))
      types.push(event.type);
    expect(types).toEqual(['tenant.suspended', 'tenant.created']);
    expect((await operator.panel.events.list({ limit: 1 })).items).toHaveLength(1);
  });
});
