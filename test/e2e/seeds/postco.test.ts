import { call } from '../../support/local';
import { instant } from '../../support/time';
import {
  expectExpiryChoices,
  expectOtherTenantsKeysNotFound,
  expectRevokeIsNotDelete,
  expectRoles,
  expectStartLineMatchesBlock,
  expectThrottled,
  expectUnauthorized,
} from './seed-checks';
import { bearer, caller, createKey, send, SEED_START, startSeed, tenant, type Seed } from './seed-kit';

// docs/seeds/postco.md: PostCo's authentication page, served by the settings that page gives.
const API = '/api/public/v1/return_orders';
const UNAUTHORIZED = { status: 401 };

let seed: Seed;
let shop: string;
const use = (key: string) => caller(seed, bearer, API)(key);

beforeAll(async () => {
  seed = await startSeed('postco');
  shop = await tenant(seed, 'shop-1');
});
afterAll(async () => {
  await seed.stop();
});

describe('PostCo (docs/seeds/postco.md)', () => {
  it('serves the same settings from its npm start line as from its cdk.json block', () => {
    expectStartLineMatchesBlock(seed.page);
  });

  it('mints sk_ + 64 lowercase hex characters, 67 in all, shown once, told apart by the last 4', async () => {
    const created = await createKey(seed, shop, { name: 'Production Server' });
    expect(created.key).toMatch(/^sk_[0-9a-f]{64}$/);
    expect(created.key).toHaveLength(67);
    const got = await call(seed.keygate.url, 'GET', `/v1/keys/${created.id}`, { key: shop });
    expect(got.body).toMatchObject({ name: 'Production Server', last4: created.key.slice(-4) });
    expect(JSON.stringify(got.body)).not.toContain(created.key.slice(3, 63));
    const listed = await call(seed.keygate.url, 'GET', '/v1/keys?limit=100', { key: shop });
    expect(listed.body.items.filter((item: { last4: string }) => item.last4 === created.key.slice(-4))).toHaveLength(1);
  });

  it('takes the key as Authorization: Bearer (the scheme in any case) and refuses it bare', async () => {
    const { key } = await createKey(seed, shop, { name: 'Analytics Integration' });
    expect((await send(seed, 'GET', API, `Bearer ${key}`)).status).toBe(200);
    expect((await send(seed, 'GET', API, `bearer ${key}`)).status).toBe(200);
    expect(seed.forwarded.at(-1)?.headers['x-keygate-tenant-id']).toBe('shop-1');
    expect((await send(seed, 'GET', API, key)).status).toBe(401);
    expect((await send(seed, 'GET', API, `Bearer  ${key}`)).status).toBe(401);
  });

  it('refuses a missing, malformed, never-issued or wrong-length key with 401, before the backend', async () => {
    await expectUnauthorized(seed, bearer, API, UNAUTHORIZED);
    for (const length of [66, 68]) {
      const wrong = `sk_${'a'.repeat(length - 3)}`;
      expect((await send(seed, 'GET', API, `Bearer ${wrong}`)).status).toBe(401);
    }
  });

  it("keeps each shop to its own keys: another shop's key id answers 404", async () => {
    await expectOtherTenantsKeysNotFound(seed, shop, await tenant(seed, 'shop-2'));
  });

  it('records when each key was last used (lastUsedAt)', async () => {
    const created = await createKey(seed, shop, { name: 'Used once' });
    expect((await use(created.key)).status).toBe(200);
    await seed.keygate.settle();
    const got = await call(seed.keygate.url, 'GET', `/v1/keys/${created.id}`, { key: shop });
    expect(got.body.lastUsedAt).toBe(SEED_START);
  });

  it('offers expiry in 7, 30, 60 or 90 days, on a date, or never; an expired key gets 401', async () => {
    await expectExpiryChoices(seed, shop, use, UNAUTHORIZED);
  });

  it('lets owner, admin and developer keys manage keys, and read_only keys only read (403)', async () => {
    await expectRoles(seed, shop, use);
  });

  it('revokes (401 at once, still listed, enabled again) and deletes (401, gone) as two things', async () => {
    await expectRevokeIsNotDelete(seed, shop, use, UNAUTHORIZED);
  });

  it("answers 429 with Retry-After over the shop's plan", async () => {
    const busy = await tenant(seed, 'shop-busy');
    await expectThrottled(seed, 'shop-busy', () => use(busy));
  });

  it("revokes keys unused for 90 days, never the shop's last owner key", async () => {
    const owner = await tenant(seed, 'shop-stale');
    const forgotten = await createKey(seed, owner, { name: 'Forgotten' });
    const busy = await createKey(seed, owner, { name: 'Busy' });
    try {
      seed.clock.set(instant(89, '12:00'));
      expect((await use(busy.key)).status).toBe(200);
      await seed.keygate.settle();
      seed.clock.set(instant(90, '00:05'));
      await seed.keygate.runNotices();
      const status = async (id: string) =>
        (await call(seed.keygate.url, 'GET', `/v1/keys/${id}`, { key: owner })).body.status as string;
      expect(await status(forgotten.id)).toBe('revoked');
      expect(await status(busy.id)).toBe('active');
      expect((await use(forgotten.key)).status).toBe(401);
      expect((await use(owner)).status).toBe(200);
    } finally {
      seed.clock.set(SEED_START);
    }
  });
});
