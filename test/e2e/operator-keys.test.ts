import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate & { requests: string[] };
let operator: string;
/** The local gateway's clock, moved by tests that need keys to expire. */
let now = Date.parse('2026-03-10T12:00:00.000Z');

async function createTenant(name: string) {
  const res = await call(keygate.url, 'POST', '/v1/panel/tenants', { key: operator, body: { name, plan: 'scale' } });
  if (res.status !== 201) throw new Error(`create tenant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { tenant: { tenantId: string }; key: { id: string; key: string } };
}

const keysOf = (tenantId: string): string => `/v1/panel/tenants/${tenantId}/keys`;

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: () => new Date(now) });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe("the operator on a tenant's keys over HTTP", () => {
  it("lists, creates, renames, revokes, enables, rotates and deletes another tenant's keys", async () => {
    const acme = await createTenant('Acme');
    const base = keysOf(acme.tenant.tenantId);
    // a second later, so the listing's newest-first order is the creation order.
    now += 1000;
    const created = await call(keygate.url, 'POST', base, { key: operator, body: { name: 'ci', role: 'developer', environment: 'test' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', role: 'developer', environment: 'test', status: 'active', key: expect.stringMatching(/^sk_test_/) });
    // the key is the tenant's: it authenticates as the tenant, and the tenant sees it.
    expect((await call(keygate.url, 'GET', '/v1/me', { key: created.body.key })).body.tenant.tenantId).toBe(acme.tenant.tenantId);
    const own = await call(keygate.url, 'GET', '/v1/keys', { key: acme.key.key });
    expect(own.body.items.map((k: { id: string }) => k.id)).toContain(created.body.id);

    const listed = await call(keygate.url, 'GET', `${base}?limit=1`, { key: operator });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id })]);
    expect(JSON.stringify(listed.body)).not.toMatch(/hash|sk_test_|sk_live_/);
    const next = await call(keygate.url, 'GET', `${base}?limit=1&cursor=${listed.body.cursor}`, { key: operator });
    expect(next.body.items).toEqual([expect.objectContaining({ id: acme.key.id, role: 'owner' })]);
    expect(next.body.cursor).toBeUndefined();

    const one = `${base}/${created.body.id}`;
    expect((await call(keygate.url, 'GET', one, { key: operator })).body).toMatchObject({ id: created.body.id, name: 'ci' });
    expect((await call(keygate.url, 'PATCH', one, { key: operator, body: { name: 'ci-2' } })).body.name).toBe('ci-2');

    const revoked = await call(keygate.url, 'POST', `${one}/revoke`, { key: operator });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    expect((await call(keygate.url, 'GET', '/v1/me', { key: created.body.key })).status).toBe(401);
    expect((await call(keygate.url, 'POST', `${one}/enable`, { key: operator })).body.status).toBe('active');
    expect((await call(keygate.url, 'GET', '/v1/me', { key: created.body.key })).status).toBe(200);

    const rotated = await call(keygate.url, 'POST', `${one}/rotate`, { key: operator, body: {} });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'ci-2', role: 'developer', environment: 'test', rotatedFrom: created.body.id });
    expect((await call(keygate.url, 'GET', '/v1/me', { key: created.body.key })).status).toBe(401);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: rotated.body.key })).status).toBe(200);

    const deleted = await call(keygate.url, 'DELETE', `${base}/${rotated.body.id}`, { key: operator });
    expect(deleted.status).toBe(204);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: rotated.body.key })).status).toBe(401);
    expect((await call(keygate.url, 'GET', `${base}/${rotated.body.id}`, { key: operator })).status).toBe(404);
  });

  it('answers the same 400 as /v1/keys for a bad body, and creates nothing', async () => {
    const acme = await createTenant('Strict');
    const base = keysOf(acme.tenant.tenantId);
    for (const body of [{ name: '' }, { name: 'x', role: 'king' }, { name: 'x', extra: 1 }, { name: 'x', expiresInDays: 3 }]) {
      const panel = await call(keygate.url, 'POST', base, { key: operator, body });
      const own = await call(keygate.url, 'POST', '/v1/keys', { key: acme.key.key, body });
      expect(panel.status).toBe(400);
      expect(panel.body).toEqual(own.body);
    }
    expect((await call(keygate.url, 'GET', base, { key: operator })).body.items).toHaveLength(1);
  });

  it('refuses a tenant key on every new route with 403 forbidden, and nothing changes', async () => {
    const acme = await createTenant('Nosy');
    const target = await createTenant('Target');
    const base = keysOf(target.tenant.tenantId);
    const one = `${base}/${target.key.id}`;
    for (const [method, path] of [
      ['GET', base],
      ['POST', base],
      ['GET', one],
      ['PATCH', one],
      ['DELETE', one],
      ['POST', `${one}/revoke`],
      ['POST', `${one}/enable`],
      ['POST', `${one}/rotate`],
    ] as const) {
      for (const key of [acme.key.key, target.key.key]) {
        const res = await call(keygate.url, method, path, { key, body: method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' } });
        expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 403, 'forbidden']);
      }
    }
    const after = await call(keygate.url, 'GET', base, { key: operator });
    expect(after.body.items).toEqual([expect.objectContaining({ id: target.key.id, name: 'owner', status: 'active' })]);
  });

  it('answers 404 for a key id of another tenant in the path, and changes nothing', async () => {
    const one = await createTenant('One');
    const two = await createTenant('Two');
    const wrong = `${keysOf(one.tenant.tenantId)}/${two.key.id}`;
    for (const [method, path, body] of [
      ['GET', wrong, undefined],
      ['PATCH', wrong, { name: 'stolen' }],
      ['DELETE', wrong, undefined],
      ['POST', `${wrong}/revoke`, undefined],
      ['POST', `${wrong}/enable`, undefined],
      ['POST', `${wrong}/rotate`, {}],
    ] as const) {
      const res = await call(keygate.url, method, path, { key: operator, body });
      expect([method, path, res.status, res.body.error.code]).toEqual([method, path, 404, 'not_found']);
    }
    const still = await call(keygate.url, 'GET', `${keysOf(two.tenant.tenantId)}/${two.key.id}`, { key: operator });
    expect(still.body).toMatchObject({ name: 'owner', status: 'active' });
    expect(still.body.rotatedTo).toBeUndefined();
    expect((await call(keygate.url, 'GET', '/v1/me', { key: two.key.key })).status).toBe(200);
  });

  it('answers 404 for an unknown tenant on its keys', async () => {
    for (const [method, path] of [
      ['GET', keysOf('nobody-here')],
      ['POST', keysOf('nobody-here')],
      ['GET', `${keysOf('nobody-here')}/key_000000000000000000000000`],
    ] as const) {
      const res = await call(keygate.url, method, path, { key: operator, body: method === 'POST' ? { name: 'x' } : undefined });
      expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'not_found']);
    }
  });

  it('refuses to mint an operator key in another tenant with 403, and creates nothing', async () => {
    const acme = await createTenant('Climber');
    const res = await call(keygate.url, 'POST', keysOf(acme.tenant.tenantId), { key: operator, body: { name: 'root', role: 'operator' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await call(keygate.url, 'GET', keysOf(acme.tenant.tenantId), { key: operator })).body.items).toHaveLength(1);
  });

  it('recovers a tenant whose owner keys all expired by creating an owner key for it', async () => {
    const acme = await createTenant('Forgetful');
    const base = keysOf(acme.tenant.tenantId);
    const dev = await call(keygate.url, 'POST', base, { key: operator, body: { name: 'dev', role: 'developer' } });
    const shortOwner = await call(keygate.url, 'POST', base, { key: operator, body: { name: 'owner-7d', role: 'owner', expiresInDays: 7 } });
    expect(shortOwner.status).toBe(201);
    expect((await call(keygate.url, 'DELETE', `${base}/${acme.key.id}`, { key: operator })).status).toBe(204);
    // eight days on, the tenant has no lasting owner: its developer key cannot make one.
    now += 8 * 86_400_000;
    keygate.gateway.flushAuthorizerCache();
    expect((await call(keygate.url, 'GET', '/v1/me', { key: shortOwner.body.key })).status).toBe(401);
    const refused = await call(keygate.url, 'POST', '/v1/keys', { key: dev.body.key, body: { name: 'me-owner', role: 'owner' } });
    expect(refused.status).toBe(403);

    const recovered = await call(keygate.url, 'POST', base, { key: operator, body: { name: 'recovered', role: 'owner' } });
    expect(recovered.status).toBe(201);
    expect(recovered.body).toMatchObject({ role: 'owner', environment: 'live' });
    const admin = await call(keygate.url, 'POST', '/v1/keys', { key: recovered.body.key, body: { name: 'admin', role: 'admin' } });
    expect(admin.status).toBe(201);
  });
});
