import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalKeygate } from '../../local/app';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

/**
 * Tenant ids are never reused: a deleted tenant's id stays retired, so nothing of it (its audit
 * trail, its idempotency records, its usage identifiers) can reach a tenant made later, and a
 * deletion sent twice can only ever touch the tenant it was sent for.
 */
let table: TestTable;
let keygate: LocalKeygate & { requests: string[] };
let operator: string;
let now = Date.parse(instant(-120, '08:00'));

beforeAll(async () => {
  table = await createTestTable('tenant-ids');
  keygate = await startTestKeygate({ tableName: table.tableName, clock: () => new Date(now) });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
  await table.drop();
});

/** An operator call, a second after the one before: events sort by time. */
const panel = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
  now += 1000;
  return call(keygate.url, method, `/v1/panel${path}`, { key: operator, body, headers });
};

/** The table's items of a tenant but its audit trail (events outlive the tenant on purpose). */
async function itemsOf(tenantId: string): Promise<Record<string, unknown>[]> {
  const out = await table.doc.send(new ScanCommand({ TableName: table.tableName }));
  return (out.Items ?? []).filter(
    (item) =>
      (item.tenantId === tenantId || String(item.pk) === `TENANT#${tenantId}`) && !String(item.pk).startsWith('EVENT#'),
  );
}

/** What API Gateway holds for a tenant: its usage identifiers and its own usage plan. */
async function apiGatewayOf(tenantId: string) {
  return {
    apiKeys: (await keygate.usagePlans.findApiKeys(`keygate-local-${tenantId}-`)).map((key) => key.name),
    ownPlan: await keygate.usagePlans.findUsagePlan(`keygate-local-enterprise-${tenantId}`),
  };
}

describe('tenant ids are never reused', () => {
  it("refuses to create a deleted tenant's id again with 409 tenant_id_retired; its trail stays history for the operator", async () => {
    const id = 'retired-acme';
    const created = await panel('POST', '/tenants', { tenantId: id, name: 'Acme', plan: 'starter' });
    expect(created.status).toBe(201);
    const owner = created.body.key.key as string;
    const idem = { 'idempotency-key': 'first-key-of-acme' };
    now += 1000;
    const made = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'billing' }, headers: idem });
    expect(made.status).toBe(201);
    expect((await panel('DELETE', `/tenants/${id}`)).status).toBe(204);
    await keygate.reconciled();

    const again = await panel('POST', '/tenants', { tenantId: id, name: 'Someone Else', plan: 'growth' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: { code: 'tenant_id_retired', message: expect.stringContaining(id) } });
    // an Idempotency-Key the deleted tenant used changes nothing.
    const retried = await panel('POST', '/tenants', { tenantId: id, name: 'Acme', plan: 'starter' }, idem);
    expect([retried.status, retried.body.error.code]).toEqual([409, 'tenant_id_retired']);

    // nothing was made for the refused creation, and the id is not listed as a tenant.
    expect((await panel('GET', `/tenants/${id}`)).status).toBe(404);
    expect(await apiGatewayOf(id)).toEqual({ apiKeys: [], ownPlan: undefined });
    expect((await itemsOf(id)).map((item) => item.sk)).toEqual(['RETIRED']);
    const listed = await panel('GET', '/tenants?limit=100');
    expect(listed.body.items.map((tenant: { tenantId: string }) => tenant.tenantId)).not.toContain(id);

    // the operator still reads the deleted tenant's events, its deletion last.
    const trail = await panel('GET', `/events?tenantId=${id}`);
    expect(trail.body.items.map((event: { type: string }) => event.type)).toEqual([
      'tenant.deleted',
      'key.created',
      'tenant.created',
    ]);
    expect(
      trail.body.items.every((event: { details: { name?: string } }) => event.details.name !== 'Someone Else'),
    ).toBe(true);
  });

  it('refuses the id of a tenant whose deletion stopped half way with 409 tenant_id_retired', async () => {
    const id = 'retired-half';
    expect((await panel('POST', '/tenants', { tenantId: id, name: 'Half', plan: 'starter' })).status).toBe(201);
    const spy = jest
      .spyOn(keygate.usagePlans, 'deleteApiKey')
      .mockRejectedValueOnce(new Error('API Gateway is throttling'));
    try {
      expect((await panel('DELETE', `/tenants/${id}`)).status).toBe(500);
    } finally {
      spy.mockRestore();
    }
    const again = await panel('POST', '/tenants', { tenantId: id, name: 'Half again', plan: 'starter' });
    expect([again.status, again.body.error.code]).toEqual([409, 'tenant_id_retired']);
    expect((await panel('GET', `/tenants/${id}`)).body.status).toBe('deleting');
    expect((await panel('DELETE', `/tenants/${id}`)).status).toBe(204);
  });

  it('duplicate deletes racing a re-creation (20 trials): the id is refused, and nothing of the tenant is left', async () => {
    const outcomes: string[] = [];
    for (let trial = 0; trial < 20; trial += 1) {
      const id = `dup-${trial}`;
      const plan = trial % 2 === 0 ? { plan: 'starter' } : { plan: 'enterprise', rateLimit: 5, burstLimit: 5 };
      const created = await panel('POST', '/tenants', { tenantId: id, name: `Dup ${trial}`, ...plan });
      expect(created.status).toBe(201);
      await keygate.reconciled();
      const keys = await call(keygate.url, 'POST', '/v1/keys', {
        key: created.body.key.key,
        body: { name: 't', environment: 'test' },
      });
      expect(keys.status).toBe(201);

      // two deletes at once; as soon as one has answered, a creation of the same id.
      const recreations: Promise<{ status: number; body: any }>[] = [];
      const deletes = [0, 1].map(() =>
        panel('DELETE', `/tenants/${id}`).then((answer) => {
          if (answer.status === 204 && recreations.length === 0)
            recreations.push(panel('POST', '/tenants', { tenantId: id, name: `New ${trial}`, plan: 'starter' }));
          return answer;
        }),
      );
      const deleted = await Promise.all(deletes);
      const recreated = await Promise.all(recreations);
      await keygate.reconciled();

      for (const answer of deleted) expect([204, 404]).toContain(answer.status);
      expect(recreated).toHaveLength(1);
      outcomes.push(`${recreated[0].status} ${recreated[0].body?.error?.code ?? ''}`.trim());
      expect(await apiGatewayOf(id)).toEqual({ apiKeys: [], ownPlan: undefined });
      expect((await itemsOf(id)).map((item) => item.sk)).toEqual(['RETIRED']);
    }
    expect(outcomes).toEqual(Array.from({ length: 20 }, () => '409 tenant_id_retired'));
  });
});
