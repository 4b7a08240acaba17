import { call } from '../../support/local';
import { instant } from '../../support/time';
import {
  expectActivityShown,
  expectExpiryChoices,
  expectOtherTenantsKeysNotFound,
  expectRevokeIsNotDelete,
  expectRoles,
  expectStartLineMatchesBlock,
  expectTestAndLiveApart,
  expectThrottled,
  expectUnauthorized,
} from './seed-checks';
import { bearer, caller, createKey, send, SEED_START, startSeed, tenant, type Seed } from './seed-kit';

// docs/seeds/postscale.md: Postscale's authentication page, served by the settings that page gives.
const API = '/v1/emails';
const UNAUTHORIZED = { status: 401 };

let seed: Seed;
let account: string;
const use = (key: string) => caller(seed, bearer, API)(key);

beforeAll(async () => {
  seed = await startSeed('postscale');
  account = await tenant(seed, 'acme-mail');
});
afterAll(async () => {
  await seed.stop();
});

describe('Postscale (docs/seeds/postscale.md)', () => {
  it('serves the same settings from its npm start line as from its cdk.json block', () => {
    expectStartLineMatchesBlock(seed.page);
  });

  it('mints ps_live_ and ps_test_ keys, shown once', async () => {
    const live = await createKey(seed, account, { name: 'Production Backend' });
    const test = await createKey(seed, account, { name: 'Development', environment: 'test' });
    expect(live.key).toMatch(/^ps_live_[0-9a-f]{72}$/);
    expect(test.key).toMatch(/^ps_test_[0-9a-f]{72}$/);
    const got = await call(seed.keygate.url, 'GET', `/v1/keys/${live.id}`, { key: account });
    expect(got.body.key).toBeUndefined();
  });

  it('takes Authorization: Bearer <key> on GET /v1/emails and POST /v1/send', async () => {
    const { key } = await createKey(seed, account, { name: 'sender' });
    expect((await send(seed, 'GET', '/v1/emails', `Bearer ${key}`)).status).toBe(200);
    expect((await send(seed, 'POST', '/v1/send', `Bearer ${key}`)).status).toBe(200);
    expect(seed.forwarded.at(-1)).toMatchObject({ method: 'POST', path: '/v1/send' });
  });

  it('keeps test keys to test: the backend is told, and they see and make test keys only', async () => {
    await expectTestAndLiveApart(seed, account, use);
  });

  it('meters test keys apart: a live key over its plan leaves the test key working', async () => {
    const owner = await tenant(seed, 'acme-busy');
    const test = await createKey(seed, owner, { name: 'Development', environment: 'test' });
    const over = await expectThrottled(seed, 'acme-busy', () => use(owner));
    expect(JSON.parse(over.body)).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await use(test.key)).status).toBe(200);
  });

  it('limits a scoped key to its routes (403 elsewhere), and a scoped key makes no wider key', async () => {
    const sender = await createKey(seed, account, { name: 'send only', scopes: ['POST /v1/send'] });
    expect((await send(seed, 'POST', '/v1/send', `Bearer ${sender.key}`)).status).toBe(200);
    const refused = await send(seed, 'GET', '/v1/emails', `Bearer ${sender.key}`);
    expect([refused.status, JSON.parse(refused.body).error.code]).toEqual([403, 'forbidden']);
    const wider = await call(seed.keygate.url, 'POST', '/v1/keys', {
      key: sender.key,
      body: { name: 'wider', scopes: ['* /v1/*'] },
    });
    expect(wider.status).toBe(403);
    const narrowed = await call(seed.keygate.url, 'PATCH', `/v1/keys/${sender.id}`, {
      key: account,
      body: { scopes: ['POST /v1/send'] },
    });
    expect(narrowed.status).toBe(200);
  });

  it('rotates with a grace period: the old key works until it ends, then 401', async () => {
    const old = await createKey(seed, account, { name: 'Production Backend v1' });
    const rotated = await call(seed.keygate.url, 'POST', `/v1/keys/${old.id}/rotate`, {
      key: account,
      body: { gracePeriodHours: 24 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.key).toMatch(/^ps_live_[0-9a-f]{72}$/);
    try {
      expect((await use(old.key)).status).toBe(200);
      seed.clock.set(instant(1, '10:00'));
      expect((await use(old.key)).status).toBe(401);
      expect((await use(rotated.body.key)).status).toBe(200);
    } finally {
      seed.clock.set(SEED_START);
    }
  });

  it('shows what a key did: lastUsedAt, and the key events of the account', async () => {
    await expectActivityShown(seed, account, use);
  });

  it('refuses a missing, malformed or never-issued key with 401, before the backend', async () => {
    await expectUnauthorized(seed, bearer, API, UNAUTHORIZED);
  });

  it("answers another account's key id with 404, like one that does not exist", async () => {
    await expectOtherTenantsKeysNotFound(seed, account, await tenant(seed, 'rival-mail'));
  });

  it('lets owner, admin and developer keys manage keys, and read_only keys only read (403)', async () => {
    await expectRoles(seed, account, use);
  });

  it('revokes (401 at once, still listed, enabled again) and deletes (401, gone) as two things', async () => {
    await expectRevokeIsNotDelete(seed, account, use, UNAUTHORIZED);
  });

  it('offers expiry in 7, 30, 60 or 90 days, on a date, or never; an expired key gets 401', async () => {
    await expectExpiryChoices(seed, account, use, UNAUTHORIZED);
  });
});
