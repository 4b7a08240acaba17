import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate & { requests: string[] };
let operator: string;
let tenant: { tenantId: string; ownerId: string; owner: string };

beforeAll(async () => {
  keygate = await startTestKeygate();
  operator = keygate.operatorKey as string;
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { name: 'Meta', plan: 'scale' },
  });
  tenant = { tenantId: created.body.tenant.tenantId, ownerId: created.body.key.id, owner: created.body.key.key };
});
afterAll(async () => {
  await keygate.stop();
});

describe('meta and createdBy on keys over HTTP', () => {
  it('keeps meta on the record, shows who created each key, and carries meta over a rotation', async () => {
    const meta = { userId: 'u_42', team: 'billing' };
    const own = await call(keygate.url, 'POST', '/v1/keys', { key: tenant.owner, body: { name: 'mine', meta } });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ meta, createdBy: tenant.ownerId });
    const panel = await call(keygate.url, 'POST', `/v1/panel/tenants/${tenant.tenantId}/keys`, {
      key: operator,
      body: { name: 'theirs', meta },
    });
    // through the panel, the operator's own key made it.
    const operatorId = (await call(keygate.url, 'GET', '/v1/me', { key: operator })).body.key.id;
    expect(operatorId).toMatch(/^key_[0-9a-f]{24}$/);
    expect(panel.body).toMatchObject({ meta, createdBy: operatorId });

    expect((await call(keygate.url, 'GET', `/v1/keys/${own.body.id}`, { key: tenant.owner })).body.meta).toEqual(meta);
    const listed = await call(keygate.url, 'GET', '/v1/keys', { key: tenant.owner });
    expect(listed.body.items.find((k: { id: string }) => k.id === own.body.id).meta).toEqual(meta);
    expect(listed.body.items.find((k: { id: string }) => k.id === tenant.ownerId).createdBy).toBe('operator');

    const rotated = await call(keygate.url, 'POST', `/v1/panel/tenants/${tenant.tenantId}/keys/${own.body.id}/rotate`, {
      key: operator,
      body: {},
    });
    expect(rotated.body).toMatchObject({ meta, createdBy: operatorId, rotatedFrom: own.body.id });
  });

  it.each([
    ['too many entries', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
    ['too long', { note: 'x'.repeat(1100) }],
    ['a non-string value', { seats: 5 }],
    ['a nested object', { user: { id: 'u_1' } }],
  ])('refuses meta with %s with 400 naming meta, and creates nothing', async (_label, meta) => {
    const before = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: tenant.owner });
    for (const [key, path] of [
      [tenant.owner, '/v1/keys'],
      [operator, `/v1/panel/tenants/${tenant.tenantId}/keys`],
    ] as const) {
      const res = await call(keygate.url, 'POST', path, { key, body: { name: 'bad-meta', meta } });
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
      expect(res.body.error.message).toMatch(/^meta/);
    }
    const after = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: tenant.owner });
    expect(after.body.items).toEqual(before.body.items);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses the meta name %s with 400 naming it, on create and PATCH, changing nothing',
    async (name) => {
      const json = { 'content-type': 'application/json' };
      const made = await call(keygate.url, 'POST', '/v1/keys', {
        key: tenant.owner,
        body: { name: `kept-${name}`, meta: { team: 'a' } },
      });
      const before = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: tenant.owner });
      // as text: an object literal would take `__proto__` for the prototype, not a name.
      const created = await call(keygate.url, 'POST', '/v1/keys', {
        key: tenant.owner,
        headers: json,
        rawBody: `{"name":"bad","meta":{"team":"b","${name}":"x"}}`,
      });
      expect([created.status, created.body.error.code]).toEqual([400, 'invalid_request']);
      expect(created.body.error.message).toMatch(new RegExp(`^meta\\.${name}: `));
      const patched = await call(keygate.url, 'PATCH', `/v1/keys/${made.body.id}`, {
        key: tenant.owner,
        headers: json,
        rawBody: `{"meta":{"${name}":"x"}}`,
      });
      expect([patched.status, patched.body.error.code]).toEqual([400, 'invalid_request']);
      expect(patched.body.error.message).toMatch(new RegExp(`^meta\\.${name}: `));
      expect((await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: tenant.owner })).body.items).toEqual(
        before.body.items,
      );
    },
  );

  it('lists keys whose name starts with ?name=, newest first, page by page', async () => {
    for (const name of ['prod-api', 'dev-api', 'prod-worker']) {
      expect((await call(keygate.url, 'POST', '/v1/keys', { key: tenant.owner, body: { name } })).status).toBe(201);
    }
    const all = await call(keygate.url, 'GET', '/v1/keys?name=prod-', { key: tenant.owner });
    expect(all.body.items.map((k: { name: string }) => k.name).sort()).toEqual(['prod-api', 'prod-worker']);
    expect(all.body.cursor).toBeUndefined();

    const first = await call(keygate.url, 'GET', '/v1/keys?name=prod-&limit=1', { key: tenant.owner });
    const second = await call(keygate.url, 'GET', `/v1/keys?name=prod-&limit=1&cursor=${first.body.cursor}`, {
      key: tenant.owner,
    });
    expect([...first.body.items, ...second.body.items].map((k: { name: string }) => k.name).sort()).toEqual([
      'prod-api',
      'prod-worker',
    ]);

    const panel = await call(keygate.url, 'GET', `/v1/panel/tenants/${tenant.tenantId}/keys?name=dev`, {
      key: operator,
    });
    expect(panel.body.items.map((k: { name: string }) => k.name)).toEqual(['dev-api']);
    const empty = await call(keygate.url, 'GET', '/v1/keys?name=', { key: tenant.owner });
    expect([empty.status, empty.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it('replaces and clears meta with PATCH, and refuses an empty PATCH with 400 changing nothing', async () => {
    const made = await call(keygate.url, 'POST', '/v1/keys', {
      key: tenant.owner,
      body: { name: 'patchable', meta: { a: '1' } },
    });
    const one = `/v1/panel/tenants/${tenant.tenantId}/keys/${made.body.id}`;
    const replaced = await call(keygate.url, 'PATCH', one, { key: operator, body: { meta: { b: '2' } } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'patchable', meta: { b: '2' } });
    const both = await call(keygate.url, 'PATCH', `/v1/keys/${made.body.id}`, {
      key: tenant.owner,
      body: { name: 'patched', meta: {} },
    });
    expect(both.body.name).toBe('patched');
    expect(both.body.meta).toBeUndefined();
    for (const body of [{}, { meta: { x: 1 } }]) {
      const bad = await call(keygate.url, 'PATCH', one, { key: operator, body });
      expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
    }
    expect((await call(keygate.url, 'GET', one, { key: operator })).body).toMatchObject({ name: 'patched' });
  });
});
