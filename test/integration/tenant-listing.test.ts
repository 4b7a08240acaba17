import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { backfillTenantListing } from '../../lambdas/core/store/backfill';
import type { Tenant } from '../../lambdas/core/model';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { instant } from '../support/time';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable('tenant-listing');
});
afterAll(async () => {
  await table.drop();
});

const tenant = (tenantId: string, createdAt: string): Tenant => ({
  tenantId,
  name: tenantId,
  plan: 'starter',
  limits: { rateLimit: 10, burstLimit: 20 },
  status: 'active',
  createdAt,
  version: 1,
  usageKeys: {},
});

describe('backfillTenantListing', () => {
  it('lists tenants written before the listing existed, once, newest first', async () => {
    // tenants stored without the listing's index attributes.
    for (const [id, at] of [
      ['old-a', instant(-326)],
      ['old-b', instant(-325)],
    ] as const) {
      await table.doc.send(
        new PutCommand({ TableName: table.tableName, Item: { pk: `TENANT#${id}`, sk: 'TENANT', ...tenant(id, at) } }),
      );
    }
    expect((await table.store.listTenants(10)).items).toEqual([]);

    expect((await backfillTenantListing({ client: table.doc, tableName: table.tableName })).updated).toBe(2);
    expect((await backfillTenantListing({ client: table.doc, tableName: table.tableName })).updated).toBe(0);

    const first = await table.store.listTenants(1);
    expect(first.items.map((t) => t.tenantId)).toEqual(['old-b']);
    expect(first.items[0]).toEqual(tenant('old-b', instant(-325)));
    const second = await table.store.listTenants(1, first.cursor);
    expect(second.items.map((t) => t.tenantId)).toEqual(['old-a']);
    expect(second.cursor).toBeUndefined();
  });
});
