import type { AuthorizerCacheFlusher } from '../../lambdas/core/auth/cache';
import { DynamoEventReader } from '../../lambdas/core/events/dynamodb-events';
import { ApiError } from '../../lambdas/core/http/errors';
import type { PlanCatalog } from '../../lambdas/core/plans/usage-plans';
import { TenantService } from '../../lambdas/core/tenants/tenant-service';
import { LocalUsagePlans } from '../../local/usage-plans';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * A tenant's workspaces over DynamoDB Local's real protocol: stored on the tenant, copied onto
 * every one of its keys (what the authorizer reads), each change with its event and a flush.
 */
const clock = fixedClock(instant(0, '10:00'));
const noPause = async (): Promise<void> => undefined;

let table: TestTable;
let flushes: number;
let tenants: TenantService;
beforeAll(async () => {
  table = await createTestTable('tenant-workspaces');
  const cache: AuthorizerCacheFlusher = {
    flush: async () => void (flushes += 1),
    flushAt: async () => undefined,
  };
  tenants = new TenantService({
    store: table.store,
    usagePlans: new LocalUsagePlans(() => clock().getTime()),
    plans: {} as PlanCatalog,
    prefix: 'sk',
    clock,
    cache,
    logger: recordingLogger(),
    namePrefix: 'ws',
    reconcile: { request: async () => undefined },
    sleep: noPause,
  });
});
beforeEach(() => {
  flushes = 0;
});
afterAll(async () => {
  await table.drop();
});

let counter = 0;
async function seedTenant() {
  counter += 1;
  const tenant = tenantFixture({ tenantId: `ws-${counter}-${Date.now().toString(36)}` });
  const owner = keyFixture({ tenant, role: 'owner' }).item;
  const developer = keyFixture({ tenant, role: 'developer' }).item;
  await table.store.createTenant(tenant, owner);
  await table.store.createKey(developer);
  return { tenant, keys: [owner.id, developer.id] };
}

const copies = async (ids: string[]) =>
  Promise.all(ids.map(async (id) => (await table.store.getKey(id))?.tenantWorkspaces));

describe("a tenant's workspaces", () => {
  it('replaces the set, copies it onto every key, writes its event and flushes the cache', async () => {
    const { tenant, keys } = await seedTenant();
    const answer = await tenants.setWorkspaces(tenant.tenantId, ['w2', 'w1']);
    expect(answer).toEqual({ tenantId: tenant.tenantId, workspaces: ['w1', 'w2'] });
    expect(await copies(keys)).toEqual([
      ['w1', 'w2'],
      ['w1', 'w2'],
    ]);
    expect(flushes).toBe(1);
    await tenants.setWorkspaces(tenant.tenantId, ['w1', 'w3']);
    expect(await tenants.workspaces(tenant.tenantId)).toEqual({ tenantId: tenant.tenantId, workspaces: ['w1', 'w3'] });
    expect(await copies(keys)).toEqual([
      ['w1', 'w3'],
      ['w1', 'w3'],
    ]);
    const events = await new DynamoEventReader(table.doc, table.tableName).tenantEvents(
      tenant.tenantId,
      10,
      undefined,
      {
        type: 'tenant.workspaces_changed',
      },
    );
    expect(events.items.map((event) => event.details)).toEqual(
      expect.arrayContaining([
        { workspaces: ['w1', 'w3'], added: ['w3'], removed: ['w2'] },
        { workspaces: ['w1', 'w2'], added: ['w1', 'w2'], removed: [] },
      ]),
    );
    expect(events.items).toHaveLength(2);
  });

  it('is idempotent: the same set again writes nothing and no event', async () => {
    const { tenant } = await seedTenant();
    await tenants.setWorkspaces(tenant.tenantId, ['w1']);
    const version = (await table.store.getTenant(tenant.tenantId))?.version;
    expect(await tenants.setWorkspaces(tenant.tenantId, ['w1'])).toEqual({
      tenantId: tenant.tenantId,
      workspaces: ['w1'],
    });
    expect((await table.store.getTenant(tenant.tenantId))?.version).toBe(version);
  });

  it('takes them all away with an empty set', async () => {
    const { tenant, keys } = await seedTenant();
    await tenants.setWorkspaces(tenant.tenantId, ['w1']);
    await tenants.setWorkspaces(tenant.tenantId, []);
    expect(await copies(keys)).toEqual([undefined, undefined]);
    expect((await tenants.workspaces(tenant.tenantId)).workspaces).toEqual([]);
  });

  it('gives a key created afterwards the workspaces too', async () => {
    const { tenant } = await seedTenant();
    await tenants.setWorkspaces(tenant.tenantId, ['w9']);
    const latest = await tenants.get(tenant.tenantId);
    const later = keyFixture({ tenant: latest, role: 'developer' }).item;
    expect(later.tenantWorkspaces).toEqual(['w9']);
  });

  it('answers not_found for an unknown tenant and changes nothing', async () => {
    const refusal = await tenants.setWorkspaces('no-such-tenant', ['w1']).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).status).toBe(404);
    expect(await table.store.getTenant('no-such-tenant')).toBeUndefined();
    expect(flushes).toBe(0);
  });

  it('settles two replacements at once on one whole set, on the tenant and every key alike', async () => {
    const { tenant, keys } = await seedTenant();
    await Promise.all([
      tenants.setWorkspaces(tenant.tenantId, ['a1', 'a2']),
      tenants.setWorkspaces(tenant.tenantId, ['b1', 'b2']),
    ]);
    const stored = (await tenants.workspaces(tenant.tenantId)).workspaces;
    expect([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ]).toContainEqual(stored);
    expect(await copies(keys)).toEqual([stored, stored]);
  });
});
