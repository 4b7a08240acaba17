import type { LocalKeygate } from '../../local/app';
import { fixedClock } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate & { requests: string[] };
let owner: string;
const clock = fixedClock('2026-11-23T10:00:00.000Z');

/** A key created over HTTP by the given key. */
async function createKey(by: string, body: Record<string, unknown> = {}) {
  const res = await call(keygate.url, 'POST', '/v1/keys', { key: by, body: { name: 'ci', ...body } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; key: string; [field: string]: unknown };
}

beforeAll(async () => {
  keygate = await startTestKeygate({ clock, cacheTtlSeconds: 300 });
  // the operator key manages keys of the operator tenant; an owner key of it stands in for a tenant here.
  owner = (await createKey(keygate.operatorKey as string, { role: 'owner', name: 'owner' })).key;
});
afterAll(async () => {
  await keygate.stop();
});

describe('key lifecycle over HTTP (authorizer cache 300 s)', () => {
  it('creates a key: 201 with the record and the plaintext once', async () => {
    const res = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'billing', environment: 'test', expiresInDays: 30 } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      name: 'billing',
      environment: 'test',
      role: 'developer',
      status: 'active',
      last4: res.body.key.slice(-4),
      createdAt: '2026-11-23T10:00:00.000Z',
      expiresAt: '2026-12-23T00:00:00.000Z',
      lastUsedAt: null,
      createdBy: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      key: expect.stringMatching(/^sk_test_[0-9a-f]{72}$/),
    });
    const got = await call(keygate.url, 'GET', `/v1/keys/${res.body.id}`, { key: owner });
    expect(got.status).toBe(200);
    expect(got.body.key).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain(res.body.key.slice(8, 72));
  });

  it('walks the whole lifecycle: use, rename, revoke (refused on the very next request), enable, delete', async () => {
    const created = await createKey(owner, { name: 'worker' });
    const me = () => call(keygate.url, 'GET', '/v1/me', { key: created.key });
    expect((await me()).status).toBe(200); // now cached for 300 s.

    const renamed = await call(keygate.url, 'PATCH', `/v1/keys/${created.id}`, { key: owner, body: { name: 'worker-2' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('worker-2');

    const revoked = await call(keygate.url, 'POST', `/v1/keys/${created.id}/revoke`, { key: owner });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    expect((await me()).status).toBe(401);
    expect((await call(keygate.url, 'POST', `/v1/keys/${created.id}/revoke`, { key: owner })).status).toBe(409);

    const enabled = await call(keygate.url, 'POST', `/v1/keys/${created.id}/enable`, { key: owner });
    expect(enabled.body.status).toBe('active');
    expect((await me()).status).toBe(200);

    expect((await call(keygate.url, 'DELETE', `/v1/keys/${created.id}`, { key: owner })).status).toBe(204);
    expect((await me()).status).toBe(401);
    expect((await call(keygate.url, 'GET', `/v1/keys/${created.id}`, { key: owner })).status).toBe(404);
  });

  it('rotates without grace: the new key works, the old one stops at once', async () => {
    const created = await createKey(owner, { name: 'deploy', role: 'admin', expiresInDays: 7 });
    expect((await call(keygate.url, 'GET', '/v1/me', { key: created.key })).status).toBe(200);
    const rotated = await call(keygate.url, 'POST', `/v1/keys/${created.id}/rotate`, { key: owner });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ name: 'deploy', role: 'admin', environment: 'live', rotatedFrom: created.id, expiresAt: '2026-11-30T00:00:00.000Z' });
    expect((await call(keygate.url, 'GET', '/v1/me', { key: created.key })).status).toBe(401);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: rotated.body.key })).status).toBe(200);
    const old = await call(keygate.url, 'GET', `/v1/keys/${created.id}`, { key: owner });
    expect(old.body).toMatchObject({ rotatedTo: rotated.body.id, status: 'expired' });
    const again = await call(keygate.url, 'POST', `/v1/keys/${created.id}/rotate`, { key: owner });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('rotates with a grace period: the old key works until it ends', async () => {
    const created = await createKey(owner, { name: 'graceful' });
    const rotated = await call(keygate.url, 'POST', `/v1/keys/${created.id}/rotate`, { key: owner, body: { gracePeriodHours: 24 } });
    expect(rotated.status).toBe(201);
    const old = await call(keygate.url, 'GET', `/v1/keys/${created.id}`, { key: owner });
    expect(old.body).toMatchObject({ status: 'active', expiresAt: '2026-11-24T10:00:00.000Z', rotatedTo: rotated.body.id });
    expect((await call(keygate.url, 'GET', '/v1/me', { key: created.key })).status).toBe(200);
    clock.set('2026-11-24T10:00:00.000Z');
    // no manual flush: the rotation scheduled one for the grace period's end.
    try {
      expect((await call(keygate.url, 'GET', '/v1/me', { key: created.key })).status).toBe(401);
      expect((await call(keygate.url, 'GET', '/v1/me', { key: rotated.body.key })).status).toBe(200);
    } finally {
      clock.set('2026-11-23T10:00:00.000Z');
    }
  });

  it('lists newest first, page by page, and shows expired keys as expired', async () => {
    const tenantKeys = [];
    for (let i = 0; i < 3; i += 1) {
      clock.advance(1000);
      tenantKeys.push(await createKey(owner, { name: `page-${i}`, expiresOn: '2026-11-25' }));
    }
    const first = await call(keygate.url, 'GET', '/v1/keys?limit=2', { key: owner });
    expect(first.status).toBe(200);
    expect(first.body.items.map((k: { id: string }) => k.id)).toEqual([tenantKeys[2].id, tenantKeys[1].id]);
    expect(typeof first.body.cursor).toBe('string');
    const second = await call(keygate.url, 'GET', `/v1/keys?limit=2&cursor=${encodeURIComponent(first.body.cursor)}`, { key: owner });
    expect(second.body.items[0].id).toBe(tenantKeys[0].id);
    for (const item of [...first.body.items, ...second.body.items]) {
      expect(item.key).toBeUndefined();
      expect(item.hash).toBeUndefined();
    }
    clock.set('2026-11-25T00:00:00.000Z');
    try {
      const later = await call(keygate.url, 'GET', '/v1/keys?limit=3', { key: owner });
      expect(later.body.items.map((k: { status: string }) => k.status)).toEqual(['expired', 'expired', 'expired']);
    } finally {
      clock.set('2026-11-23T10:00:00.000Z');
    }
  });

  it('refuses a key expiring on D at D 00:00:00.000Z but not at D-1 23:59:59.999Z', async () => {
    const created = await createKey(owner, { name: 'midnight', expiresOn: '2026-11-26' });
    try {
      clock.set('2026-11-25T23:59:59.999Z');
      expect((await call(keygate.url, 'GET', '/v1/me', { key: created.key })).status).toBe(200); // cached for 300 s.
      clock.set('2026-11-26T00:00:00.000Z');
      // no manual flush: the local gateway flushes at every 00:00 UTC, as the stack's schedule does.
      expect((await call(keygate.url, 'GET', '/v1/me', { key: created.key })).status).toBe(401);
      const listed = await call(keygate.url, 'GET', `/v1/keys/${created.id}`, { key: owner });
      expect(listed.body.status).toBe('expired');
    } finally {
      clock.set('2026-11-23T10:00:00.000Z');
    }
  });

  it('keeps read_only keys to reading: 403 forbidden from the policy on every change', async () => {
    const reader = await createKey(owner, { name: 'reader', role: 'read_only' });
    const target = await createKey(owner, { name: 'target' });
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: reader.key })).status).toBe(200);
    const attempts = [
      call(keygate.url, 'POST', '/v1/keys', { key: reader.key, body: { name: 'x' } }),
      call(keygate.url, 'PATCH', `/v1/keys/${target.id}`, { key: reader.key, body: { name: 'x' } }),
      call(keygate.url, 'DELETE', `/v1/keys/${target.id}`, { key: reader.key }),
      call(keygate.url, 'POST', `/v1/keys/${target.id}/revoke`, { key: reader.key }),
      call(keygate.url, 'POST', `/v1/keys/${target.id}/rotate`, { key: reader.key }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    const unchanged = await call(keygate.url, 'GET', `/v1/keys/${target.id}`, { key: owner });
    expect(unchanged.body).toMatchObject({ name: 'target', status: 'active' });
  });

  it.each([
    ['broken JSON', { rawBody: '{"name":', headers: { 'content-type': 'application/json' } }, 400, /JSON/],
    ['an unknown field', { body: { name: 'x', tenantId: 'other' } }, 400, /tenantId/],
    ['a wrong type', { body: { name: 42 } }, 400, /name/],
    ['an empty name', { body: { name: '   ' } }, 400, /name/],
    ['a name of 101 characters', { body: { name: 'x'.repeat(101) } }, 400, /name/],
    ['a control character in the name', { body: { name: 'a\u0007b' } }, 400, /name/],
    ['a bad environment', { body: { name: 'x', environment: 'prod' } }, 400, /environment/],
    ['expiresInDays 8', { body: { name: 'x', expiresInDays: 8 } }, 400, /expiresInDays/],
    ['a past expiresOn', { body: { name: 'x', expiresOn: '2026-11-01' } }, 400, /expiresOn/],
    ['a non-date expiresOn', { body: { name: 'x', expiresOn: '2027-02-30' } }, 400, /expiresOn/],
    ['both expiry options', { body: { name: 'x', expiresInDays: 7, expiresOn: '2027-01-01' } }, 400, /not both/],
    ['a body over 16 KiB', { body: { name: 'x', pad: 'y'.repeat(17_000) } }, 413, /16384/],
    ['a JSON array', { body: [1, 2] }, 400, /object/],
  ])('refuses %s with a clear error and creates nothing', async (_label, options, status, message) => {
    const before = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner });
    const res = await call(keygate.url, 'POST', '/v1/keys', { key: owner, ...(options as object) });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(status === 413 ? 'payload_too_large' : 'invalid_request');
    expect(res.body.error.message).toMatch(message);
    const after = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner });
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['cursor=bogus', 'cursor'],
    ['sort=asc', 'sort'],
  ])('refuses a listing with %s', async (query, field) => {
    const res = await call(keygate.url, 'GET', `/v1/keys?${query}`, { key: owner });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
  });

  it('does not let a key create a key of a higher role', async () => {
    const developer = await createKey(owner, { name: 'dev', role: 'developer' });
    const res = await call(keygate.url, 'POST', '/v1/keys', { key: developer.key, body: { name: 'x', role: 'owner' } });
    expect(res.status).toBe(403);
    const ok = await call(keygate.url, 'POST', '/v1/keys', { key: developer.key, body: { name: 'x', role: 'read_only' } });
    expect(ok.status).toBe(201);
  });

  it('keeps test keys to test keys', async () => {
    const testKey = await createKey(owner, { name: 'sandbox', environment: 'test', role: 'admin' });
    const live = await createKey(owner, { name: 'live-one' });
    expect((await call(keygate.url, 'GET', `/v1/keys/${live.id}`, { key: testKey.key })).status).toBe(404);
    const listed = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: testKey.key });
    expect(listed.body.items.every((k: { environment: string }) => k.environment === 'test')).toBe(true);
    const made = await call(keygate.url, 'POST', '/v1/keys', { key: testKey.key, body: { name: 'child' } });
    expect(made.body.environment).toBe('test');
    expect((await call(keygate.url, 'POST', '/v1/keys', { key: testKey.key, body: { name: 'x', environment: 'live' } })).status).toBe(403);
  });
});
