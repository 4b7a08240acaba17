import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';
import { fixedClock } from '../support/time';

let keygate: LocalKeygate & { requests: string[] };
let operator: string;

/** A tenant made through the panel, with its owner key. */
async function createTenant(body: Record<string, unknown>) {
  const res = await call(keygate.url, 'POST', '/v1/panel/tenants', { key: operator, body });
  if (res.status !== 201) throw new Error(`create tenant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { tenant: { tenantId: string; plan: string }; key: { id: string; key: string } };
}

/** `n` concurrent GET /v1/me calls with a key; their statuses and 429 answers. */
async function burst(key: string, n: number) {
  const results = await Promise.all(Array.from({ length: n }, () => call(keygate.url, 'GET', '/v1/me', { key })));
  return {
    ok: results.filter((r) => r.status === 200).length,
    limited: results.filter((r) => r.status === 429),
    other: results.filter((r) => r.status !== 200 && r.status !== 429),
  };
}

beforeAll(async () => {
  // the clock stands still, so no bucket refills during a burst: what is throttled depends on the
  // plan alone, not on how fast a loaded machine serves the requests.
  keygate = await startTestKeygate({ clock: fixedClock() });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe('operator panel, plans and rate limits over HTTP', () => {
  it('creates a tenant with its first owner key, shown once, and reads it back', async () => {
    const created = await createTenant({ tenantId: 'acme', name: 'Acme Inc', plan: 'starter' });
    expect(created.tenant).toEqual({
      tenantId: 'acme',
      name: 'Acme Inc',
      plan: 'starter',
      limits: { rateLimit: 10, burstLimit: 20 },
      status: 'active',
      createdAt: expect.any(String),
      planStatus: 'applied',
    });
    expect(created.key).toMatchObject({ role: 'owner', environment: 'live', key: expect.stringMatching(/^sk_live_/) });
    expect(JSON.stringify(created)).not.toMatch(/usage|apiKey/i);
    const me = await call(keygate.url, 'GET', '/v1/me', { key: created.key.key });
    expect(me.body.tenant.tenantId).toBe('acme');
    const read = await call(keygate.url, 'GET', '/v1/panel/tenants/acme', { key: operator });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.tenant);
  });

  it('refuses a second tenant with the same id with 409, and an unknown tenant with 404', async () => {
    await createTenant({ tenantId: 'dup-co', name: 'Dup', plan: 'starter' });
    const again = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'dup-co', name: 'Dup', plan: 'growth' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants/dup-co', { key: operator })).body.plan).toBe('starter');
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants/nobody', { key: operator })).status).toBe(404);
  });

  it('refuses a bad tenant request with 400 naming the field', async () => {
    for (const [body, field] of [
      [{ name: 'X', plan: 'platinum' }, 'plan'],
      [{ name: 'X', plan: 'starter', tenantId: 'Bad Id' }, 'tenantId'],
      [{ name: 'X', plan: 'starter', rateLimit: 5 }, 'plan'],
      [{ name: 'X', plan: 'enterprise' }, 'rateLimit'],
      [{ name: 'X', plan: 'starter', extra: 1 }, 'extra'],
    ] as const) {
      const res = await call(keygate.url, 'POST', '/v1/panel/tenants', { key: operator, body });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
    }
  });

  it('keeps tenant keys off the panel: 403 forbidden', async () => {
    const { key } = await createTenant({ name: 'Nosy', plan: 'growth' });
    for (const [method, path] of [
      ['POST', '/v1/panel/tenants'],
      ['GET', '/v1/panel/tenants/acme'],
      ['PUT', '/v1/panel/tenants/acme/plan'],
      ['POST', '/v1/panel/tenants/acme/suspend'],
    ] as const) {
      const res = await call(keygate.url, method, path, {
        key: key.key,
        body: method === 'GET' ? undefined : { name: 'x', plan: 'scale' },
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants/acme', { key: operator })).body.plan).toBe('starter');
  });

  it('lets a starter tenant burst of 80 take its 20 tokens and throttles the rest with 429 rate_limited and Retry-After, while growth takes all 80', async () => {
    const starter = await createTenant({ name: 'Small', plan: 'starter' });
    const growth = await createTenant({ name: 'Big', plan: 'growth' });
    const small = await burst(starter.key.key, 80);
    const big = await burst(growth.key.key, 80);
    expect(small.other).toEqual([]);
    expect(small.ok).toBe(20);
    expect(small.limited).toHaveLength(60);
    expect(small.limited[0].body.error.code).toBe('rate_limited');
    expect(Number(small.limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(big.ok).toBe(80);
  });

  it('applies a plan change as soon as the reconciler has run', async () => {
    const tenant = await createTenant({ name: 'Grower', plan: 'starter' });
    const before = await burst(tenant.key.key, 60);
    expect(before.limited).toHaveLength(40);
    const changed = await call(keygate.url, 'PUT', `/v1/panel/tenants/${tenant.tenant.tenantId}/plan`, {
      key: operator,
      body: { plan: 'growth' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ plan: 'growth', limits: { rateLimit: 100, burstLimit: 200 } });
    await keygate.reconciled();
    const record = await call(keygate.url, 'GET', `/v1/panel/tenants/${tenant.tenant.tenantId}`, { key: operator });
    expect(record.body.planStatus).toBe('applied');
    const after = await burst(tenant.key.key, 80);
    expect(after.ok).toBe(80);
    const me = await call(keygate.url, 'GET', '/v1/usage', { key: tenant.key.key });
    expect(me.body).toMatchObject({ plan: 'growth', rateLimit: 100, burstLimit: 200, quota: null });
  });

  it('gives an enterprise tenant its own limits and a quota, reported by GET /v1/usage', async () => {
    const tenant = await createTenant({ name: 'Corp', plan: 'starter' });
    const changed = await call(keygate.url, 'PUT', `/v1/panel/tenants/${tenant.tenant.tenantId}/plan`, {
      key: operator,
      body: { plan: 'enterprise', rateLimit: 50, burstLimit: 50, quota: { limit: 5, period: 'DAY' } },
    });
    expect(changed.status).toBe(200);
    await keygate.reconciled();
    const statuses = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push((await call(keygate.url, 'GET', '/v1/me', { key: tenant.key.key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const over = await call(keygate.url, 'GET', '/v1/me', { key: tenant.key.key });
    expect(over.body.error.code).toBe('quota_exceeded');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // leaving enterprise drops the quota: the tenant is served again.
    await call(keygate.url, 'PUT', `/v1/panel/tenants/${tenant.tenant.tenantId}/plan`, {
      key: operator,
      body: { plan: 'scale' },
    });
    await keygate.reconciled();
    expect((await call(keygate.url, 'GET', '/v1/me', { key: tenant.key.key })).status).toBe(200);
  });

  it('reports quota use on GET /v1/usage', async () => {
    const tenant = await createTenant({
      name: 'Metered',
      plan: 'enterprise',
      rateLimit: 50,
      burstLimit: 50,
      quota: { limit: 100, period: 'MONTH' },
    });
    for (let i = 0; i < 3; i += 1) await call(keygate.url, 'GET', '/v1/me', { key: tenant.key.key });
    const usage = await call(keygate.url, 'GET', '/v1/usage', { key: tenant.key.key });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      plan: 'enterprise',
      rateLimit: 50,
      burstLimit: 50,
      quota: { limit: 100, period: 'MONTH', used: 4, remaining: 96 },
    });
  });

  it('meters test keys apart from live keys', async () => {
    const tenant = await createTenant({ name: 'Tester', plan: 'starter' });
    const testKey = await call(keygate.url, 'POST', '/v1/keys', {
      key: tenant.key.key,
      body: { name: 'sandbox', environment: 'test' },
    });
    expect(testKey.status).toBe(201);
    const live = await burst(tenant.key.key, 60);
    // the key creation above took one of the live bucket's 20 tokens.
    expect(live.ok).toBe(19);
    expect(live.limited).toHaveLength(41);
    // the live bucket is empty; the test bucket is full.
    const test = await burst(testKey.body.key, 20);
    expect(test.ok).toBe(20);
  });

  it('suspends a tenant: its keys get 401 at once, and 200 again on resume', async () => {
    const tenant = await createTenant({ name: 'Late Payer', plan: 'growth' });
    expect((await call(keygate.url, 'GET', '/v1/me', { key: tenant.key.key })).status).toBe(200); // cached now.
    const suspended = await call(keygate.url, 'POST', `/v1/panel/tenants/${tenant.tenant.tenantId}/suspend`, {
      key: operator,
    });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    const refused = await call(keygate.url, 'GET', '/v1/me', { key: tenant.key.key });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect(
      (await call(keygate.url, 'POST', `/v1/panel/tenants/${tenant.tenant.tenantId}/suspend`, { key: operator }))
        .status,
    ).toBe(409);
    expect(
      (await call(keygate.url, 'POST', `/v1/panel/tenants/${tenant.tenant.tenantId}/resume`, { key: operator })).status,
    ).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: tenant.key.key })).status).toBe(200);
  });

  it('refuses to suspend the operator tenant', async () => {
    const res = await call(keygate.url, 'POST', '/v1/panel/tenants/operator/suspend', { key: operator });
    expect(res.status).toBe(409);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: operator })).status).toBe(200);
  });
});
