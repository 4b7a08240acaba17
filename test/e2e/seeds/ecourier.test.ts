import { call } from '../../support/local';
import {
  expectExpiryChoices,
  expectOtherTenantsKeysNotFound,
  expectRevokeIsNotDelete,
  expectRoles,
  expectStartLineMatchesBlock,
  expectTestAndLiveApart,
  expectThrottled,
  expectUnauthorized,
} from './seed-checks';
import { bearer, caller, createKey, send, startSeed, tenant, type Seed } from './seed-kit';

// docs/seeds/ecourier.md: eCourier's "API Credentials" page, served by the settings that page gives.
const API = '/v1/shipments';
const UNAUTHORIZED = { status: 401 };

let seed: Seed;
let team: string;
const use = (key: string) => caller(seed, bearer, API)(key);

beforeAll(async () => {
  seed = await startSeed('ecourier');
  team = await tenant(seed, 'team-acme');
});
afterAll(async () => {
  await seed.stop();
});

describe('eCourier (docs/seeds/ecourier.md)', () => {
  it('serves the same settings from its npm start line as from its cdk.json block', () => {
    expectStartLineMatchesBlock(seed.page);
  });

  it('mints pk_live_ and pk_test_ tokens (64 hex and an 8-hex checksum), live unless asked', async () => {
    const live = await createKey(seed, team, { name: 'ERP production' });
    const test = await createKey(seed, team, { name: 'ERP staging', environment: 'test' });
    expect(live.key).toMatch(/^pk_live_[0-9a-f]{72}$/);
    expect(test.key).toMatch(/^pk_test_[0-9a-f]{72}$/);
    const got = await call(seed.keygate.url, 'GET', `/v1/keys/${live.id}`, { key: team });
    expect(got.body).toMatchObject({ name: 'ERP production', environment: 'live', last4: live.key.slice(-4) });
    expect(got.body.key).toBeUndefined();
  });

  it('takes Authorization: Bearer <token> on every path of the API: no scopes, the whole API', async () => {
    const { key } = await createKey(seed, team, { name: 'dispatcher' });
    for (const path of ['/v1/shipments', '/v1/shipments/42/label', '/v1/pickups']) {
      expect((await send(seed, 'GET', path, `Bearer ${key}`)).status).toBe(200);
      expect(seed.forwarded.at(-1)).toMatchObject({ path, headers: { 'x-keygate-tenant-id': 'team-acme' } });
    }
  });

  it('tells test from live by the token alone: test tokens reach the backend as test and see test keys only', async () => {
    await expectTestAndLiveApart(seed, team, use);
  });

  it('holds several credentials per team and environment, each working on its own', async () => {
    const keys = [];
    for (const environment of ['live', 'live', 'test', 'test'])
      keys.push(await createKey(seed, team, { name: `service ${keys.length}`, environment }));
    for (const { key } of keys) expect((await use(key)).status).toBe(200);
  });

  it('refuses a missing, malformed or never-issued token with 401, before the backend', async () => {
    await expectUnauthorized(seed, bearer, API, UNAUTHORIZED);
  });

  it("answers another team's credential id with 404, like one that does not exist", async () => {
    await expectOtherTenantsKeysNotFound(seed, team, await tenant(seed, 'team-rival'));
  });

  it('lets Owner, Admin and Developer keys create, rename, revoke, enable and delete; read-only keys see keys and get 403', async () => {
    await expectRoles(seed, team, use);
  });

  it('revokes until enabled again (the same token), and deletes for good', async () => {
    await expectRevokeIsNotDelete(seed, team, use, UNAUTHORIZED);
  });

  it('offers expiry in 7, 30, 60 or 90 days, on a date, or never; an expired token gets 401', async () => {
    await expectExpiryChoices(seed, team, use, UNAUTHORIZED);
  });

  it("answers 429 with Retry-After over the team's plan", async () => {
    const busy = await tenant(seed, 'team-busy');
    await expectThrottled(seed, 'team-busy', () => use(busy));
  });
});
