import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';
import { day, fixedClock } from '../support/time';

/** The panel listings' filters over HTTP: what they select, who may use them, and bad filters. */

let keygate: LocalKeygate & { requests: string[] };
let operator: string;
let ownerKey: { id: string; key: string };

/** A tenant made through the panel, with its owner key. */
async function createTenant(body: Record<string, unknown>) {
  const res = await call(keygate.url, 'POST', '/v1/panel/tenants', { key: operator, body });
  if (res.status !== 201) throw new Error(`create tenant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { tenant: { tenantId: string }; key: { id: string; key: string } };
}

const get = (path: string, key = operator) => call(keygate.url, 'GET', path, { key });
const ids = (body: { items: { tenantId: string }[] }) => body.items.map((t) => t.tenantId);

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: fixedClock() });
  operator = keygate.operatorKey as string;
  ownerKey = (await createTenant({ tenantId: 'filter-acme', name: 'Acme Filters', plan: 'starter' })).key;
  await createTenant({ tenantId: 'filter-beta', name: 'beta GROWTH', plan: 'growth' });
  const suspended = await call(keygate.url, 'POST', '/v1/panel/tenants/filter-beta/suspend', {
    key: operator,
    body: {},
  });
  expect(suspended.status).toBe(200);
});
afterAll(async () => {
  await keygate.stop();
});

describe('GET /v1/panel/tenants filters', () => {
  it('searches by id or name prefix in either case, and filters by plan, status, plan status and created days', async () => {
    expect(ids((await get('/v1/panel/tenants?search=ACME')).body)).toEqual(['filter-acme']);
    expect(ids((await get('/v1/panel/tenants?search=filter-')).body)).toEqual(['filter-beta', 'filter-acme']);
    expect(ids((await get('/v1/panel/tenants?search=Beta%20g')).body)).toEqual(['filter-beta']);
    expect(ids((await get('/v1/panel/tenants?plan=growth')).body)).toEqual(['filter-beta']);
    expect(ids((await get('/v1/panel/tenants?status=suspended')).body)).toEqual(['filter-beta']);
    expect(ids((await get('/v1/panel/tenants?search=filter&planStatus=applied&status=active')).body)).toEqual([
      'filter-acme',
    ]);
    expect(ids((await get('/v1/panel/tenants?planStatus=pending')).body)).toEqual([]);
    expect(ids((await get(`/v1/panel/tenants?search=filter&createdFrom=${day(0)}&createdTo=${day(0)}`)).body)).toEqual([
      'filter-beta',
      'filter-acme',
    ]);
    expect(ids((await get(`/v1/panel/tenants?createdFrom=${day(1)}`)).body)).toEqual([]);
    const first = await get('/v1/panel/tenants?search=filter&limit=1');
    const second = await get(`/v1/panel/tenants?search=filter&limit=1&cursor=${first.body.cursor}`);
    expect([...ids(first.body), ...ids(second.body)]).toEqual(['filter-beta', 'filter-acme']);
  });

  it.each([
    ['plan=gold', /plan/],
    ['status=gone', /status/],
    ['planStatus=done', /planStatus/],
    ['createdFrom=yesterday', /createdFrom/],
    ['createdTo=2-1-1', /createdTo/],
    [`createdFrom=${day(2)}&createdTo=${day(1)}`, /createdFrom.*createdTo|createdTo.*createdFrom/],
    ['search=', /search/],
    [`search=${'x'.repeat(101)}`, /search/],
    ['colour=red', /colour/],
  ])('answers a bad filter (%s) with 400 invalid_request naming it', async (params, named) => {
    const res = await get(`/v1/panel/tenants?${params}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(named);
  });

  it("refuses a tenant's key on the filtered listing with 403", async () => {
    const res = await get('/v1/panel/tenants?search=filter', ownerKey.key);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });
});

describe('GET /v1/panel/events filters', () => {
  it('filters every tenant’s events by type and by key, and one tenant’s too', async () => {
    const suspended = await get('/v1/panel/events?type=tenant.suspended');
    expect(suspended.status).toBe(200);
    expect(suspended.body.items.map((e: { tenantId: string }) => e.tenantId)).toEqual(['filter-beta']);
    const byKey = await get(`/v1/panel/events?keyId=${ownerKey.id}`);
    expect(byKey.body.items.map((e: { type: string; keyId: string }) => [e.type, e.keyId])).toEqual([
      ['tenant.created', ownerKey.id],
    ]);
    const oneTenant = await get('/v1/panel/events?tenantId=filter-beta&type=tenant.created');
    expect(oneTenant.body.items.map((e: { type: string }) => e.type)).toEqual(['tenant.created']);
    expect((await get('/v1/panel/events?tenantId=filter-acme&type=tenant.suspended')).body.items).toEqual([]);
  });

  it.each([
    ['type=key.exploded', /type/],
    ['keyId=key_1', /keyId/],
  ])('answers a bad filter (%s) with 400 invalid_request naming it', async (params, named) => {
    const res = await get(`/v1/panel/events?${params}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(named);
  });

  it("refuses a tenant's key on the filtered listing with 403", async () => {
    const res = await get('/v1/panel/events?type=tenant.created', ownerKey.key);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });
});
