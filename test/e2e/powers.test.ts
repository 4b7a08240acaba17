import { expiryAt } from '../../lambdas/core/keys/expiry';
import { buildKey } from '../../lambdas/core/keys/new-key';
import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate & { requests: string[] };
let operator: string;

beforeAll(async () => {
  keygate = await startTestKeygate();
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe('operator keys are live only (over HTTP)', () => {
  it('refuses to create a test operator key with 400, and creates nothing', async () => {
    const res = await call(keygate.url, 'POST', '/v1/keys', {
      key: operator,
      body: { name: 'sandbox', role: 'operator', environment: 'test' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(/operator keys are live only/),
    });
    const listed = await call(keygate.url, 'GET', '/v1/keys', { key: operator });
    expect(listed.body.items.filter((key: { environment: string }) => key.environment === 'test')).toEqual([]);
  });

  it('keeps a stored test operator key (made before the rule) off the panel with 403, and it changes nothing', async () => {
    // a test key made over HTTP gives the operator tenant its test usage identifier first.
    expect(
      (await call(keygate.url, 'POST', '/v1/keys', { key: operator, body: { name: 'sandbox', environment: 'test' } }))
        .status,
    ).toBe(201);
    // no HTTP route creates a test operator key: put one in the store directly, as stored data may still hold one.
    const tenant = await keygate.store.getTenant('operator');
    if (tenant === undefined) throw new Error('no operator tenant');
    const { item, plaintext } = buildKey({
      prefix: 'sk',
      tenant,
      name: 'legacy',
      environment: 'test',
      role: 'operator',
      expiry: expiryAt(null),
      now: new Date(),
    });
    await keygate.store.createKey(item);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: plaintext })).status).toBe(200);

    const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: plaintext,
      body: { tenantId: 'sneaky', name: 'Sneaky', plan: 'scale' },
    });
    const read = await call(keygate.url, 'GET', '/v1/panel/tenants/operator', { key: plaintext });
    const suspended = await call(keygate.url, 'POST', '/v1/panel/tenants/operator/suspend', { key: plaintext });

    for (const res of [created, read, suspended]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(await keygate.store.getTenant('sneaky')).toBeUndefined();
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants/operator', { key: operator })).status).toBe(200);
  });
});

describe("a tenant's last active owner key (over HTTP)", () => {
  it('refuses to revoke or delete the only owner key with 409, and the key keeps working', async () => {
    const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { name: 'Solo', plan: 'starter' },
    });
    const owner = created.body.key as { id: string; key: string };

    const revoked = await call(keygate.url, 'POST', `/v1/keys/${owner.id}/revoke`, { key: owner.key });
    const deleted = await call(keygate.url, 'DELETE', `/v1/keys/${owner.id}`, { key: owner.key });

    for (const res of [revoked, deleted]) {
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: 'conflict',
        message: "this is the tenant's last active owner key: create or enable another owner key first",
      });
    }
    expect((await call(keygate.url, 'GET', `/v1/keys/${owner.id}`, { key: owner.key })).body.status).toBe('active');
  });

  it('lets exactly one of two owner keys revoking each other at once win; the other key keeps working', async () => {
    const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { name: 'Pair', plan: 'growth' },
    });
    const a = created.body.key as { id: string; key: string };
    const b = (
      await call(keygate.url, 'POST', '/v1/keys', { key: a.key, body: { name: 'second owner', role: 'owner' } })
    ).body as { id: string; key: string };

    const results = await Promise.all([
      call(keygate.url, 'POST', `/v1/keys/${a.id}/revoke`, { key: b.key }),
      call(keygate.url, 'POST', `/v1/keys/${b.id}/revoke`, { key: a.key }),
    ]);

    expect(results.map((res) => res.status).sort()).toEqual([200, 409]);
    const survivor = results[0].status === 200 ? b : a;
    expect((await call(keygate.url, 'GET', '/v1/me', { key: survivor.key })).status).toBe(200);
  });
});
