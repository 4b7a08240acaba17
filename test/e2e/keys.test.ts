import type { Keygate } from 'keygate/client';
import type { LocalKeygate } from '../../local/app';
import { clientOf, failure } from '../support/client';
import { fixedClock } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';
import { day, instant } from '../support/time';

let keygate: LocalKeygate & { requests: string[] };
let owner: string;
const clock = fixedClock(instant(0, '10:00'));

/** A client of the local gateway calling with `key` (no retries: each answer is asserted). */
const as = (key: string): Keygate => clientOf(keygate.url, key);

beforeAll(async () => {
  keygate = await startTestKeygate({ clock, cacheTtlSeconds: 300 });
  // the operator key manages keys of the operator tenant; an owner key of it stands in for a tenant here.
  owner = (await as(keygate.operatorKey as string).keys.create({ role: 'owner', name: 'owner' })).key;
});
afterAll(async () => {
  await keygate.stop();
});

describe('key lifecycle over HTTP and through the client (authorizer cache 300 s)', () => {
  it('creates a key: 201 with the record and the plaintext once', async () => {
    const res = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner,
      body: { name: 'billing', environment: 'test', expiresInDays: 30 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      name: 'billing',
      environment: 'test',
      role: 'developer',
      status: 'active',
      last4: res.body.key.slice(-4),
      createdAt: instant(0, '10:00'),
      expiresAt: instant(30),
      lastUsedAt: null,
      createdBy: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      key: expect.stringMatching(/^sk_test_[0-9a-f]{72}$/),
    });
    const got = await call(keygate.url, 'GET', `/v1/keys/${res.body.id}`, { key: owner });
    expect(got.status).toBe(200);
    expect(got.body.key).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain(res.body.key.slice(8, 72));
  });

  it('walks the whole lifecycle through the client: use, rename, revoke (refused on the very next request), enable, delete', async () => {
    const created = await as(owner).keys.create({ name: 'worker' });
    const worker = as(created.key);
    await worker.me.get(); // now cached for 300 s.

    expect((await as(owner).keys.rename(created.id, 'worker-2')).name).toBe('worker-2');

    expect((await as(owner).keys.revoke(created.id)).status).toBe('revoked');
    expect(await failure(worker.me.get())).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await failure(as(owner).keys.revoke(created.id))).toMatchObject({ status: 409, code: 'conflict' });

    expect((await as(owner).keys.enable(created.id)).status).toBe('active');
    await expect(worker.me.get()).resolves.toMatchObject({ key: { id: created.id } });

    await expect(as(owner).keys.delete(created.id)).resolves.toBeUndefined();
    expect(await failure(worker.me.get())).toMatchObject({ status: 401 });
    expect(await failure(as(owner).keys.get(created.id))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('rotates without grace: the new key works, the old one stops at once', async () => {
    const created = await as(owner).keys.create({ name: 'deploy', role: 'admin', expiresInDays: 7 });
    await as(created.key).me.get();
    const rotated = await as(owner).keys.rotate(created.id);
    expect(rotated).toMatchObject({
      name: 'deploy',
      role: 'admin',
      environment: 'live',
      rotatedFrom: created.id,
      expiresAt: instant(7),
    });
    expect(await failure(as(created.key).me.get())).toMatchObject({ status: 401 });
    await expect(as(rotated.key).me.get()).resolves.toBeDefined();
    expect(await as(owner).keys.get(created.id)).toMatchObject({ rotatedTo: rotated.id, status: 'expired' });
    expect(await failure(as(owner).keys.rotate(created.id))).toMatchObject({ status: 409, code: 'conflict' });
  });

  it('rotates with a grace period: the old key works until it ends', async () => {
    const created = await as(owner).keys.create({ name: 'graceful' });
    const rotated = await as(owner).keys.rotate(created.id, { gracePeriodHours: 24 });
    expect(await as(owner).keys.get(created.id)).toMatchObject({
      status: 'active',
      expiresAt: instant(1, '10:00'),
      rotatedTo: rotated.id,
    });
    await expect(as(created.key).me.get()).resolves.toBeDefined();
    clock.set(instant(1, '10:00'));
    // no manual flush: the rotation scheduled one for the grace period's end.
    try {
      expect(await failure(as(created.key).me.get())).toMatchObject({ status: 401 });
      await expect(as(rotated.key).me.get()).resolves.toBeDefined();
    } finally {
      clock.set(instant(0, '10:00'));
    }
  });

  it('lists newest first, page by page, and shows expired keys as expired', async () => {
    const tenantKeys = [];
    for (let i = 0; i < 3; i += 1) {
      clock.advance(1000);
      tenantKeys.push(await as(owner).keys.create({ name: `page-${i}`, expiresOn: day(2) }));
    }
    const first = await as(owner).keys.list({ limit: 2 });
    expect(first.items.map((k) => k.id)).toEqual([tenantKeys[2].id, tenantKeys[1].id]);
    expect(typeof first.cursor).toBe('string');
    const second = await as(owner).keys.list({ limit: 2, cursor: first.cursor as string });
    expect(second.items[0].id).toBe(tenantKeys[0].id);
    for (const item of [...first.items, ...second.items]) {
      expect(item).not.toHaveProperty('key');
      expect(item).not.toHaveProperty('hash');
    }
    clock.set(instant(2));
    try {
      const later = await as(owner).keys.list({ limit: 3 });
      expect(later.items.map((k) => k.status)).toEqual(['expired', 'expired', 'expired']);
    } finally {
      clock.set(instant(0, '10:00'));
    }
  });

  it('refuses a key expiring on D at D 00:00:00.000Z but not at D-1 23:59:59.999Z', async () => {
    const created = await as(owner).keys.create({ name: 'midnight', expiresOn: day(3) });
    try {
      clock.set(instant(2, '23:59:59.999'));
      await expect(as(created.key).me.get()).resolves.toBeDefined(); // cached for 300 s.
      clock.set(instant(3));
      // no manual flush: the local gateway flushes at every 00:00 UTC, as the stack's schedule does.
      expect(await failure(as(created.key).me.get())).toMatchObject({ status: 401 });
      expect((await as(owner).keys.get(created.id)).status).toBe('expired');
    } finally {
      clock.set(instant(0, '10:00'));
    }
  });

  it('keeps read_only keys to reading: 403 forbidden from the policy on every change', async () => {
    const reader = as((await as(owner).keys.create({ name: 'reader', role: 'read_only' })).key);
    const target = await as(owner).keys.create({ name: 'target' });
    await expect(reader.keys.list()).resolves.toBeDefined();
    const attempts = [
      reader.keys.create({ name: 'x' }),
      reader.keys.rename(target.id, 'x'),
      reader.keys.delete(target.id),
      reader.keys.revoke(target.id),
      reader.keys.rotate(target.id),
    ];
    for (const attempt of attempts) expect(await failure(attempt)).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await as(owner).keys.get(target.id)).toMatchObject({ name: 'target', status: 'active' });
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
    ['a past expiresOn', { body: { name: 'x', expiresOn: day(-22) } }, 400, /expiresOn/],
    ['a non-date expiresOn', { body: { name: 'x', expiresOn: '2002-02-30' } }, 400, /expiresOn/],
    ['both expiry options', { body: { name: 'x', expiresInDays: 7, expiresOn: day(39) } }, 400, /not both/],
    ['a body over 16 KiB', { body: { name: 'x', pad: 'y'.repeat(17_000) } }, 413, /16384/],
    ['a JSON array', { body: [1, 2] }, 400, /object/],
    [
      "a form-encoded body (curl -d's default type)",
      { rawBody: '{"name":"x"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      /Content-Type: application\/json/,
    ],
    ["a JSON body sent as text (fetch's default type)", { rawBody: '{"name":"x"}' }, 415, /application\/json/],
  ])('refuses %s with a clear error and creates nothing', async (_label, options, status, message) => {
    const before = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner });
    const res = await call(keygate.url, 'POST', '/v1/keys', { key: owner, ...(options as object) });
    expect(res.status).toBe(status);
    const codes: Record<number, string> = { 413: 'payload_too_large', 415: 'unsupported_media_type' };
    expect(res.body.error.code).toBe(codes[status] ?? 'invalid_request');
    expect(res.body.error.message).toMatch(message);
    const after = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner });
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('takes a JSON body whose Content-Type names charset=utf-8', async () => {
    const res = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner,
      rawBody: '{"name":"charset"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect([res.status, res.body.name]).toEqual([201, 'charset']);
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
    const developer = as((await as(owner).keys.create({ name: 'dev', role: 'developer' })).key);
    expect(await failure(developer.keys.create({ name: 'x', role: 'owner' }))).toMatchObject({ status: 403 });
    await expect(developer.keys.create({ name: 'x', role: 'read_only' })).resolves.toMatchObject({ role: 'read_only' });
  });

  it('keeps test keys to test keys', async () => {
    const testKey = as((await as(owner).keys.create({ name: 'sandbox', environment: 'test', role: 'admin' })).key);
    const live = await as(owner).keys.create({ name: 'live-one' });
    expect(await failure(testKey.keys.get(live.id))).toMatchObject({ status: 404 });
    const listed = await testKey.keys.list({ limit: 100 });
    expect(listed.items.every((k) => k.environment === 'test')).toBe(true);
    expect((await testKey.keys.create({ name: 'child' })).environment).toBe('test');
    expect(await failure(testKey.keys.create({ name: 'x', environment: 'live' }))).toMatchObject({ status: 403 });
  });
});
