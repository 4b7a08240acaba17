import { call } from '../../support/local';
import {
  expectActivityShown,
  expectExpiryChoices,
  expectOtherTenantsKeysNotFound,
  expectRevokeIsNotDelete,
  expectRoles,
  expectStartLineMatchesBlock,
  expectThrottled,
  expectUnauthorized,
} from './seed-checks';
import { bare, caller, createKey, neverIssued, send, startSeed, tenant, type Seed } from './seed-kit';

// docs/seeds/postiz.md: Postiz's public API authentication, served by the settings that page gives.
const API = '/public/v1/integrations';
/** Postiz's documented 401, byte for byte. */
const INVALID = { status: 401, type: 'application/json', body: '{"msg":"Invalid API key"}' };

let seed: Seed;
let organization: string;
const use = (key: string) => caller(seed, bare, API)(key);

beforeAll(async () => {
  seed = await startSeed('postiz');
  organization = await tenant(seed, 'org-acme');
});
afterAll(async () => {
  await seed.stop();
});

describe('Postiz (docs/seeds/postiz.md)', () => {
  it('serves the same settings from its npm start line as from its cdk.json block', () => {
    expectStartLineMatchesBlock(seed.page);
  });

  it('mints keys clients hold as opaque strings: sk_ + 64 hex + an 8-hex checksum, no environment', async () => {
    const created = await createKey(seed, organization, { name: 'Zapier' });
    expect(created.key).toMatch(/^sk_[0-9a-f]{72}$/);
  });

  it('takes the key alone as Authorization: <key> (and with Bearer too)', async () => {
    const { key } = await createKey(seed, organization, { name: 'scheduler' });
    expect((await send(seed, 'GET', API, key)).status).toBe(200);
    expect(seed.forwarded.at(-1)?.headers['x-keygate-tenant-id']).toBe('org-acme');
    expect((await send(seed, 'GET', API, `Bearer ${key}`)).status).toBe(200);
  });

  it('answers a missing, unknown or malformed key with 401 {"msg":"Invalid API key"}, byte for byte', async () => {
    await expectUnauthorized(seed, bare, API, INVALID);
    expect(await send(seed, 'POST', '/public/v1/posts', `${neverIssued(seed)}`)).toMatchObject(INVALID);
  });

  it('answers a revoked key with the same 401; enabled, the same key works; deleted, it is gone', async () => {
    await expectRevokeIsNotDelete(seed, organization, use, INVALID);
  });

  it('answers a suspended organization (no subscription) with 403 {"msg":"No subscription found"}', async () => {
    const owner = await tenant(seed, 'org-unpaid');
    const { key } = await createKey(seed, owner, { name: 'publisher' });
    expect((await use(key)).status).toBe(200);
    await call(seed.keygate.url, 'POST', '/v1/panel/tenants/org-unpaid/suspend', { key: seed.operator });
    expect(await use(key)).toMatchObject({
      status: 403,
      type: 'application/json',
      body: '{"msg":"No subscription found"}',
    });
    await call(seed.keygate.url, 'POST', '/v1/panel/tenants/org-unpaid/resume', { key: seed.operator });
    expect((await use(key)).status).toBe(200);
  });

  it("keeps keygate's own /v1 answers in their documented shape", async () => {
    const own = await call(seed.keygate.url, 'GET', '/v1/me', { headers: { authorization: neverIssued(seed) } });
    expect(own.status).toBe(401);
    expect(own.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it("keeps each organization to its own keys: another one's key id answers 404", async () => {
    await expectOtherTenantsKeysNotFound(seed, organization, await tenant(seed, 'org-other'));
  });

  it('shows what a key did: lastUsedAt, and the key events of the organization', async () => {
    await expectActivityShown(seed, organization, use);
  });

  it('lets owner, admin and developer keys manage keys, and read_only keys only read (403)', async () => {
    await expectRoles(seed, organization, use);
  });

  it('offers expiry in 7, 30, 60 or 90 days, on a date, or never; an expired key gets the same 401', async () => {
    await expectExpiryChoices(seed, organization, use, INVALID);
  });

  it("answers 429 with Retry-After over the organization's plan", async () => {
    const busy = await tenant(seed, 'org-busy');
    await expectThrottled(seed, 'org-busy', () => use(busy));
  });
});
