import type { Keygate } from 'keygate/client';
import type { LocalKeygate } from '../../local/app';
import { clientOf, failure } from '../support/client';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

let keygate: LocalKeygate & { requests: string[] };
let operator: string;
/** The local gateway's clock, moved by tests that need keys to expire. */
let now = Date.parse(instant(-258, '12:00'));

/** A client of the local gateway calling with `key` (no retries: each answer is asserted). */
const as = (key: string): Keygate => clientOf(keygate.url, key);

/** A tenant on the scale plan, with its first owner key. */
const createTenant = (name: string) => as(operator).panel.tenants.create({ name, plan: 'scale' });

const keysOf = (tenantId: string): string => `/v1/panel/tenants/${tenantId}/keys`;

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: () => new Date(now) });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe("the operator on a tenant's keys over HTTP and through the client", () => {
  it("lists, creates, renames, revokes, enables, rotates and deletes another tenant's keys, through the client", async () => {
    const acme = await createTenant('Acme');
    const tenantId = acme.tenant.tenantId;
    const keys = as(operator).panel.tenants.keys;
    // a second later, so the listing's newest-first order is the creation order.
    now += 1000;
    const created = await keys.create(tenantId, { name: 'ci', role: 'developer', environment: 'test' });
    expect(created).toMatchObject({
      name: 'ci',
      role: 'developer',
      environment: 'test',
      status: 'active',
      key: expect.stringMatching(/^sk_test_/),
    });
    // the key is the tenant's: it authenticates as the tenant, and the tenant sees it.
    expect((await as(created.key).me.get()).tenant.tenantId).toBe(tenantId);
    expect((await as(acme.key.key).keys.list()).items.map((k) => k.id)).toContain(created.id);

    const listed = await keys.list(tenantId, { limit: 1 });
    expect(listed.items).toEqual([expect.objectContaining({ id: created.id })]);
    expect(JSON.stringify(listed)).not.toMatch(/hash|sk_test_|sk_live_/);
    const next = await keys.list(tenantId, { limit: 1, cursor: listed.cursor as string });
    expect(next.items).toEqual([expect.objectContaining({ id: acme.key.id, role: 'owner' })]);
    expect(next.cursor).toBeUndefined();

    expect(await keys.get(tenantId, created.id)).toMatchObject({ id: created.id, name: 'ci' });
    expect((await keys.rename(tenantId, created.id, 'ci-2')).name).toBe('ci-2');

    expect((await keys.revoke(tenantId, created.id)).status).toBe('revoked');
    expect(await failure(as(created.key).me.get())).toMatchObject({ status: 401 });
    expect((await keys.enable(tenantId, created.id)).status).toBe('active');
    await expect(as(created.key).me.get()).resolves.toBeDefined();

    const rotated = await keys.rotate(tenantId, created.id);
    expect(rotated).toMatchObject({ name: 'ci-2', role: 'developer', environment: 'test', rotatedFrom: created.id });
    expect(await failure(as(created.key).me.get())).toMatchObject({ status: 401 });
    await expect(as(rotated.key).me.get()).resolves.toBeDefined();

    await expect(keys.delete(tenantId, rotated.id)).resolves.toBeUndefined();
    expect(await failure(as(rotated.key).me.get())).toMatchObject({ status: 401 });
    expect(await failure(keys.get(tenantId, rotated.id))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('answers the same 400 as /v1/keys for a bad body, and creates nothing', async () => {
    const acme = await createTenant('Strict');
    const base = keysOf(acme.tenant.tenantId);
    for (const body of [
      { name: '' },
      { name: 'x', role: 'king' },
      { name: 'x', extra: 1 },
      { name: 'x', expiresInDays: 3 },
    ]) {
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
        const res = await call(keygate.url, method, path, {
          key,
          body: method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' },
        });
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
      const res = await call(keygate.url, method, path, {
        key: operator,
        body: method === 'POST' ? { name: 'x' } : undefined,
      });
      expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'not_found']);
    }
  });

  it('refuses to mint an operator key in another tenant with 403, and creates nothing', async () => {
    const acme = await createTenant('Climber');
    const res = await call(keygate.url, 'POST', keysOf(acme.tenant.tenantId), {
      key: operator,
      body: { name: 'root', role: 'operator' },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await call(keygate.url, 'GET', keysOf(acme.tenant.tenantId), { key: operator })).body.items).toHaveLength(
      1,
    );
  });

  it('recovers a tenant whose owner keys all expired by creating an owner key for it', async () => {
    const acme = await createTenant('Forgetful');
    const tenantId = acme.tenant.tenantId;
    const keys = as(operator).panel.tenants.keys;
    const dev = await keys.create(tenantId, { name: 'dev', role: 'developer' });
    const shortOwner = await keys.create(tenantId, { name: 'owner-7d', role: 'owner', expiresInDays: 7 });
    // the never-expiring owner key cannot go while the only other one expires sooner, but a leak
    // report revokes it.
    expect(await failure(keys.delete(tenantId, acme.key.id))).toMatchObject({ status: 409 });
    const leak = await call(keygate.url, 'POST', '/v1/panel/leaks', { key: operator, body: { key: acme.key.key } });
    expect(leak.body).toMatchObject({ keyId: acme.key.id, action: 'revoked' });
    // eight days on, the tenant has no lasting owner: its developer key cannot make one.
    now += 8 * 86_400_000;
    keygate.gateway.flushAuthorizerCache();
    expect(await failure(as(shortOwner.key).me.get())).toMatchObject({ status: 401 });
    expect(await failure(as(dev.key).keys.create({ name: 'me-owner', role: 'owner' }))).toMatchObject({ status: 403 });

    const recovered = await keys.create(tenantId, { name: 'recovered', role: 'owner' });
    expect(recovered).toMatchObject({ role: 'owner', environment: 'live' });
    await expect(as(recovered.key).keys.create({ name: 'admin', role: 'admin' })).resolves.toMatchObject({
      role: 'admin',
    });
  });
});
