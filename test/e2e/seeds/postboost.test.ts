import { call } from '../../support/local';
import { expectExpiryChoices, expectStartLineMatchesBlock, expectUnauthorized } from './seed-checks';
import { bearer, caller, send, startSeed, tenant, type Seed } from './seed-kit';

// docs/seeds/postboost.md: PostBoost's access tokens, served by the settings that page gives.
const [WS_A, WS_B, WS_OTHER] = [
  '2b7c0c4e-0000-4000-8000-00000000000a',
  '9f1e0c4e-0000-4000-8000-00000000000b',
  '5d3e0c4e-0000-4000-8000-00000000000c',
];
const UNAUTHORIZED = { status: 401 };
const FORBIDDEN = { status: 403 };

let seed: Seed;
let account: string;

const setWorkspaces = async (tenantId: string, workspaces: string[]) => {
  const answer = await call(seed.keygate.url, 'PUT', `/v1/panel/tenants/${tenantId}/workspaces`, {
    key: seed.operator,
    body: { workspaces },
  });
  expect(answer.status).toBe(200);
};

beforeAll(async () => {
  seed = await startSeed('postboost');
  account = await tenant(seed, 'acme-social');
  await setWorkspaces('acme-social', [WS_A, WS_B]);
  await tenant(seed, 'other-social');
  await setWorkspaces('other-social', [WS_OTHER]);
});
afterAll(async () => {
  await seed.stop();
});

describe('PostBoost (docs/seeds/postboost.md)', () => {
  it('serves the same settings from its npm start line as from its cdk.json block', () => {
    expectStartLineMatchesBlock(seed.page);
    expect(seed.settings.workspacePathSegment).toBe(1);
  });

  it('refuses a missing, malformed or never-issued token with 401', async () => {
    await expectUnauthorized(seed, bearer, `/${WS_A}/posts`, UNAUTHORIZED);
  });

  it('reaches every workspace of the account on /{workspaceUuid}/*, and tells the backend which', async () => {
    for (const workspace of [WS_A, WS_B]) {
      expect((await caller(seed, bearer, `/${workspace}/posts`)(account)).status).toBe(200);
      expect(seed.forwarded.at(-1)).toMatchObject({
        path: `/${workspace}/posts`,
        headers: { 'x-keygate-workspaces': `${WS_A},${WS_B}` },
      });
    }
  });

  it("refuses another account's workspace with 403", async () => {
    const before = seed.forwarded.length;
    const answer = await send(seed, 'GET', `/${WS_OTHER}/posts`, bearer(account));
    expect([answer.status, JSON.parse(answer.body).error.code]).toEqual([403, 'forbidden']);
    expect(seed.forwarded.length).toBe(before);
  });

  it('counts a workspace removed or added from the next request on', async () => {
    const use = caller(seed, bearer, `/${WS_B}/posts`);
    expect((await use(account)).status).toBe(200);
    await setWorkspaces('acme-social', [WS_A]);
    expect(await use(account)).toEqual(expect.objectContaining(FORBIDDEN));
    await setWorkspaces('acme-social', [WS_A, WS_B]);
    expect((await use(account)).status).toBe(200);
  });

  it('offers the expiry choices 7, 30, 60 or 90 days, or never', async () => {
    await expectExpiryChoices(seed, account, caller(seed, bearer, `/${WS_A}/posts`), UNAUTHORIZED);
  });
});
