import { ApiError, KeygateApi, type SessionSource } from '../../elements/api';

const BASE = 'https://keygate.example';
const KEY_ID = 'key_0123456789abcdef01234567';

let fetched: { url: string; method: string; authorization: string | undefined }[];

beforeEach(() => {
  fetched = [];
  jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    fetched.push({
      url: String(input),
      method: init?.method ?? 'GET',
      authorization: (init?.headers as Record<string, string> | undefined)?.authorization,
    });
    return new Response(JSON.stringify({ items: [] }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  });
});

afterEach(() => jest.restoreAllMocks());

const apiFor = (tenantId?: string): KeygateApi => {
  const source: SessionSource = {
    baseUrl: () => `${BASE}/`,
    token: () => 'ses_token',
    renew: async () => undefined,
    ...(tenantId === undefined ? {} : { tenantId: () => tenantId }),
  };
  return new KeygateApi(source);
};

/** Every call the page makes on a key routes, each sent once. */
async function everyKeyCall(api: KeygateApi): Promise<void> {
  await api.keys({ name: 'prod' });
  await api.create({ name: 'n', environment: 'live', role: 'owner' });
  await api.setStatus(KEY_ID, 'revoke');
  await api.setStatus(KEY_ID, 'enable');
  await api.rotate(KEY_ID, 0);
  await api.usage(KEY_ID);
  await api.events(KEY_ID);
  await api.remove(KEY_ID);
}

const paths = (): string[] => fetched.map(({ method, url }) => `${method} ${url.slice(BASE.length)}`);

test("a member's session calls the tenant's own key routes", async () => {
  await everyKeyCall(apiFor());
  expect(paths()).toEqual([
    'GET /v1/keys?limit=20&name=prod',
    'POST /v1/keys',
    `POST /v1/keys/${KEY_ID}/revoke`,
    `POST /v1/keys/${KEY_ID}/enable`,
    `POST /v1/keys/${KEY_ID}/rotate`,
    `GET /v1/keys/${KEY_ID}/usage?granularity=day`,
    `GET /v1/events?limit=10&keyId=${KEY_ID}`,
    `DELETE /v1/keys/${KEY_ID}`,
  ]);
});

test("with a tenant id, the same calls go to the panel's key routes of that tenant, with the same session", async () => {
  await everyKeyCall(apiFor('ops-co-7'));
  const base = '/v1/panel/tenants/ops-co-7/keys';
  expect(paths()).toEqual([
    `GET ${base}?limit=20&name=prod`,
    `POST ${base}`,
    `POST ${base}/${KEY_ID}/revoke`,
    `POST ${base}/${KEY_ID}/enable`,
    `POST ${base}/${KEY_ID}/rotate`,
    `GET ${base}/${KEY_ID}/usage?granularity=day`,
    `GET /v1/panel/events?tenantId=ops-co-7&limit=10&keyId=${KEY_ID}`,
    `DELETE ${base}/${KEY_ID}`,
  ]);
  expect(new Set(fetched.map((call) => call.authorization))).toEqual(new Set(['Bearer ses_token']));
});

test.each([
  ['a/b', 'a%2Fb'],
  ['../x', '..%2Fx'],
  ['x/../../../keys', 'x%2F..%2F..%2F..%2Fkeys'],
  ['a?b#c', 'a%3Fb%23c'],
  ['%2e%2e', '%252e%252e'],
])('a crafted tenant id %j stays one encoded path segment of the panel', async (tenantId, segment) => {
  await apiFor(tenantId).keys({});
  expect(paths()).toEqual([`GET /v1/panel/tenants/${segment}/keys?limit=20`]);
  // as the browser resolves it: no dot segment or slash moves the request to another route.
  expect(new URL(fetched[0].url).pathname).toBe(`/v1/panel/tenants/${segment}/keys`);
});

test.each(['', '.', '..'])(
  'a tenant id %j, which the URL would resolve away, is no tenant: 404 and no request',
  async (tenantId) => {
    const api = apiFor(tenantId);
    const refused = await api.keys({}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 404, code: 'not_found' });
    await expect(api.create({ name: 'n', environment: 'live', role: 'owner' })).rejects.toMatchObject({
      status: 404,
    });
    expect(fetched).toEqual([]);
  },
);

test('an operator acting for a tenant may offer every role, in both environments, without asking keygate who it is', async () => {
  await expect(apiFor('ops-co-7').member(undefined)).resolves.toEqual({ role: 'operator', environment: 'live' });
  expect(fetched).toEqual([]);
});
