import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { CreateTenantInput, Keygate } from 'keygate/client';
import type { LocalKeygate } from '../../local/app';
import { clientOf, failure } from '../support/client';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

let table: TestTable;
let keygate: LocalKeygate & { requests: string[] };
let operator: string;
let now = Date.parse(instant(-236, '08:00'));

/** A client of the local gateway calling with `key` (no retries: each answer is asserted). */
const as = (key: string): Keygate => clientOf(keygate.url, key);
/** The operator's tenant routes. */
const panel = () => as(operator).panel.tenants;

async function createTenant(input: CreateTenantInput) {
  // one second apart, so the newest-first order is the creation order.
  now += 1000;
  return panel().create(input);
}

/**
 * Every item of the table that belongs to the tenant, whatever its kind, but its audit trail and
 * its id's tombstone: events outlive the tenant on purpose (a deletion is what an audit trail is
 * for) and go with their TTL, which {@link eventsOf} checks; the tombstone keeps the id from ever
 * being given out again (test/e2e/tenant-ids.test.ts).
 */
async function itemsOf(tenantId: string): Promise<Record<string, unknown>[]> {
  const out = await table.doc.send(new ScanCommand({ TableName: table.tableName }));
  return (out.Items ?? []).filter(
    (item) =>
      (item.tenantId === tenantId || String(item.pk).includes(tenantId)) &&
      !String(item.pk).startsWith('EVENT#') &&
      !String(item.pk).startsWith('USAGE#') &&
      item.sk !== 'RETIRED',
  );
}

/**
 * The tenant's usage counters: like its events they stay as history after a deletion (the id is
 * never reused), each expiring by its TTL; requests in flight as it is deleted may still add some.
 */
async function usageOf(tenantId: string): Promise<Record<string, unknown>[]> {
  const out = await table.doc.send(new ScanCommand({ TableName: table.tableName }));
  return (out.Items ?? []).filter((item) => item.pk === `USAGE#TENANT#${tenantId}`);
}

/** The tenant's event items; each must carry its retention TTL. */
async function eventsOf(tenantId: string): Promise<Record<string, unknown>[]> {
  const out = await table.doc.send(new ScanCommand({ TableName: table.tableName }));
  return (out.Items ?? []).filter((item) => item.pk === `EVENT#${tenantId}`);
}

beforeAll(async () => {
  table = await createTestTable('tenants');
  keygate = await startTestKeygate({ tableName: table.tableName, clock: () => new Date(now) });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
  await table.drop();
});

describe('the operator on tenants over HTTP and through the client', () => {
  it('lists every tenant newest first, page by page, each once', async () => {
    const made = [];
    for (const name of ['List A', 'List B', 'List C'])
      made.push((await createTenant({ name, plan: 'starter' })).tenant.tenantId);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await panel().list({ limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(JSON.stringify(page.items)).not.toMatch(/usage|gsi|owner/i);
      seen.push(...page.items.map((t) => t.tenantId));
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined && pages < 20);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 3)).toEqual([...made].reverse());
    expect(seen[seen.length - 1]).toBe('operator');
  });

  it('refuses a made-up cursor or a bad limit with 400', async () => {
    const forged = Buffer.from(JSON.stringify({ pk: 'KEY#x', sk: 'KEY', gsi1pk: 'TENANTS', gsi1sk: 'x' })).toString(
      'base64url',
    );
    for (const query of [`cursor=${forged}`, 'cursor=!!', 'limit=0', 'limit=101', 'limit=abc', 'other=1']) {
      const res = await call(keygate.url, 'GET', `/v1/panel/tenants?${query}`, { key: operator });
      expect([query, res.status, res.body.error.code]).toEqual([query, 400, 'invalid_request']);
    }
  });

  it('renames a tenant, and refuses a bad name with 400 leaving the name as it was', async () => {
    const { tenant } = await createTenant({ name: 'Old Name', plan: 'starter' });
    const path = `/v1/panel/tenants/${tenant.tenantId}`;
    expect(await panel().rename(tenant.tenantId, 'New Name')).toMatchObject({
      tenantId: tenant.tenantId,
      name: 'New Name',
      status: 'active',
    });
    // bodies the client's types would not let through go raw.
    for (const body of [{ name: '' }, { name: 'x', plan: 'scale' }, {}]) {
      const bad = await call(keygate.url, 'PATCH', path, { key: operator, body });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_request');
    }
    expect((await panel().get(tenant.tenantId)).name).toBe('New Name');
    expect(await failure(panel().rename('nobody-here', 'x'))).toMatchObject({ status: 404 });
  });

  it('deletes a tenant: its keys answer 401 at once, and no item, usage key or usage plan is left', async () => {
    const { tenant, key } = await createTenant({ name: 'Doomed', plan: 'starter' });
    const id = tenant.tenantId;
    const testKey = await panel().keys.create(id, { name: 't', environment: 'test' });
    await panel().changePlan(id, { plan: 'enterprise', rateLimit: 5, burstLimit: 5 });
    await keygate.reconciled();
    await expect(as(key.key).me.get()).resolves.toBeDefined();
    const apiKeysBefore = keygate.usagePlans.apiKeyIds;
    const plansBefore = keygate.usagePlans.usagePlanIds;
    expect(await itemsOf(id)).not.toEqual([]);

    await expect(panel().delete(id)).resolves.toBeUndefined();
    expect(await failure(as(key.key).me.get())).toMatchObject({ status: 401 });
    expect(await failure(as(testKey.key).me.get())).toMatchObject({ status: 401 });
    expect(await failure(panel().get(id))).toMatchObject({ status: 404 });
    expect(await failure(panel().delete(id))).toMatchObject({ status: 404 });
    await keygate.reconciled();
    expect(await itemsOf(id)).toEqual([]);
    await keygate.flushUsage();
    for (const item of await usageOf(id)) expect(item.ttl).toEqual(expect.any(Number));
    expect(await keygate.usagePlans.findApiKeys(`keygate-local-${id}-`)).toEqual([]);
    const trail = await eventsOf(id);
    expect(trail.length).toBeGreaterThan(0);
    for (const event of trail) expect(typeof event.ttl).toBe('number');
    expect(await keygate.usagePlans.findUsagePlan(`keygate-local-enterprise-${id}`)).toBeUndefined();
    // two usage identifiers (live, test) and the enterprise plan went with it; nothing else did.
    expect(apiKeysBefore.filter((apiKey) => !keygate.usagePlans.apiKeyIds.includes(apiKey))).toHaveLength(2);
    expect(plansBefore.filter((plan) => !keygate.usagePlans.usagePlanIds.includes(plan))).toHaveLength(1);
    expect(keygate.usagePlans.usagePlanIds).toEqual(
      expect.arrayContaining(['local-starter', 'local-growth', 'local-scale']),
    );
    await expect(as(operator).me.get()).resolves.toBeDefined();
  });

  it('finishes a deletion that failed half way when DELETE is sent again', async () => {
    const { tenant, key } = await createTenant({ name: 'Half', plan: 'growth' });
    const id = tenant.tenantId;
    const apiKeysBefore = keygate.usagePlans.apiKeyIds;
    const spy = jest
      .spyOn(keygate.usagePlans, 'deleteApiKey')
      .mockRejectedValueOnce(new Error('API Gateway is throttling'));
    try {
      // the client does not retry here (clientOf): the 500 itself is what is checked.
      expect(await failure(panel().delete(id))).toMatchObject({ status: 500, code: 'internal_error' });
    } finally {
      spy.mockRestore();
    }
    // marked: its keys are refused already, and it takes no other change.
    expect(await failure(as(key.key).me.get())).toMatchObject({ status: 401 });
    expect((await panel().get(id)).status).toBe('deleting');
    expect(await failure(panel().changePlan(id, { plan: 'scale' }))).toMatchObject({ status: 409, code: 'conflict' });
    expect(await failure(panel().resume(id))).toMatchObject({ status: 409, code: 'conflict' });
    expect(await failure(panel().keys.create(id, { name: 'late' }))).toMatchObject({ status: 404 });

    await expect(panel().delete(id)).resolves.toBeUndefined();
    expect(await itemsOf(id)).toEqual([]);
    expect(apiKeysBefore.filter((apiKey) => !keygate.usagePlans.apiKeyIds.includes(apiKey))).toHaveLength(1);
  });

  it('leaves nothing behind when DELETE races itself and key creations', async () => {
    const { tenant, key } = await createTenant({ name: 'Racy', plan: 'starter' });
    const id = tenant.tenantId;
    const creates = Array.from({ length: 6 }, (_, i) =>
      call(keygate.url, 'POST', '/v1/keys', {
        key: key.key,
        body: { name: `k${i}`, environment: i % 2 === 0 ? 'live' : 'test' },
      }),
    );
    const deletes = [0, 1].map(() => call(keygate.url, 'DELETE', `/v1/panel/tenants/${id}`, { key: operator }));
    const answers = await Promise.all([...creates, ...deletes]);
    const deleteStatuses = answers.slice(6).map((answer) => answer.status);
    expect(deleteStatuses).toContain(204);
    for (const status of deleteStatuses) expect([204, 404]).toContain(status);
    // every create either made a key before the mark (then deleted with the tenant) or was refused:
    // 401 once the key is refused, 404 once the tenant is gone or marked, 409 when the tenant kept
    // changing under it.
    for (const answer of answers.slice(0, 6)) expect([201, 401, 404, 409]).toContain(answer.status);
    await keygate.reconciled();
    expect(await itemsOf(id)).toEqual([]);
    await keygate.flushUsage();
    for (const item of await usageOf(id)) expect(item.ttl).toEqual(expect.any(Number));
    expect(await keygate.usagePlans.findApiKeys(`keygate-local-${id}-`)).toEqual([]);
    for (const answer of answers.slice(0, 6).filter((a) => a.status === 201)) {
      expect((await call(keygate.url, 'GET', '/v1/me', { key: answer.body.key })).status).toBe(401);
    }
  });

  it('refuses to delete the operator tenant with 409, and the operator key keeps working', async () => {
    expect(await failure(panel().delete('operator'))).toMatchObject({ status: 409, code: 'conflict' });
    expect((await panel().get('operator')).status).toBe('active');
  });

  it('refuses tenant keys on the new tenant routes with 403, and nothing changes', async () => {
    const { tenant, key } = await createTenant({ name: 'Self', plan: 'starter' });
    const own = as(key.key).panel.tenants;
    for (const attempt of [own.list(), own.rename(tenant.tenantId, 'Mine now'), own.delete(tenant.tenantId)]) {
      expect(await failure(attempt)).toMatchObject({ status: 403, code: 'forbidden' });
    }
    expect(await panel().get(tenant.tenantId)).toMatchObject({ name: 'Self', status: 'active' });
  });
});
