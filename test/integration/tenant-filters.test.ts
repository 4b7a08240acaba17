import fc from 'fast-check';
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { PLAN_NAMES, type Tenant, type TenantStatus } from '../../lambdas/core/model';
import type { TenantFilter } from '../../lambdas/core/store/tenant-filter';
import { tenantIndexAttributes } from '../../lambdas/core/store/table';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { apiError, keyFixture, tenantFixture } from '../support/fixtures';
import { day, instant } from '../support/time';

/**
 * The tenant listing's filters on DynamoDB Local: what the key condition and the filter
 * expression select, and how pages of a filtered listing follow each other.
 */

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable('tenant-filters');
});
afterAll(async () => {
  await table.drop();
});

const STATUSES: readonly TenantStatus[] = ['active', 'suspended', 'deleting'];
const NAMES = ['Acme Corp', 'ACME labs', 'Ｂeta', 'gamma co', 'Zed'];
const GENERATIONS: readonly Partial<Tenant>[] = [
  {},
  { planGeneration: 2, appliedGeneration: 1 },
  { planGeneration: 1 },
  { planGeneration: 2, appliedGeneration: 2 },
  { appliedGeneration: 1 },
];

/** Forty tenants over eight days, several created at the same instant (the id breaks the tie). */
const seeded: Tenant[] = Array.from({ length: 40 }, (_, i) =>
  tenantFixture({
    tenantId: `${['acme', 'beta', 'gamma', 'zeta'][i % 4]}-${i}`,
    name: `${NAMES[i % 5]} ${i}`,
    plan: PLAN_NAMES[(i >> 1) % 4],
    status: STATUSES[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0],
    createdAt: instant(-(i % 8), i % 2 === 0 ? '10:00' : '23:59:59.999'),
    ...GENERATIONS[i % 5],
  }),
);

/** What a filter selects, said independently of the code under test; newest first. */
function expected(filter: TenantFilter): string[] {
  const lower = (text: string) => text.normalize('NFKC').toLowerCase();
  const search = filter.search === undefined ? undefined : lower(filter.search);
  return seeded
    .filter(
      (t) =>
        (search === undefined || t.tenantId.startsWith(search) || lower(t.name).startsWith(search)) &&
        (filter.plan === undefined || t.plan === filter.plan) &&
        (filter.status === undefined || t.status === filter.status) &&
        (filter.planStatus === undefined ||
          ((t.planGeneration ?? 0) > (t.appliedGeneration ?? 0) ? 'pending' : 'applied') === filter.planStatus) &&
        (filter.createdFrom === undefined || t.createdAt.slice(0, 10) >= filter.createdFrom) &&
        (filter.createdTo === undefined || t.createdAt.slice(0, 10) <= filter.createdTo),
    )
    .map((t) => ({ id: t.tenantId, sort: `${t.createdAt}#${t.tenantId}` }))
    .sort((a, b) => (a.sort < b.sort ? 1 : -1))
    .map((t) => t.id);
}

/** Every page of a listing, with each page's size. */
async function pages(limit: number, filter: TenantFilter) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.store.listTenants(limit, cursor, filter);
    ids.push(...page.items.map((t) => t.tenantId));
    sizes.push(page.items.length);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { ids, sizes };
}

describe('the tenant listing, filtered, on DynamoDB Local', () => {
  beforeAll(async () => {
    for (const tenant of seeded)
      await table.store.createTenant(tenant, keyFixture({ tenant, role: 'owner', now: tenant.createdAt }).item);
  });

  it('pages through exactly the matching tenants, newest first, none missed or repeated, at any page size', async () => {
    const filter = fc.record(
      {
        search: fc.constantFrom('a', 'acme', 'ACME L', 'ｂ', 'beta-1', 'g', 'z', 'zed 3', 'nope'),
        plan: fc.constantFrom(...PLAN_NAMES),
        status: fc.constantFrom(...STATUSES),
        planStatus: fc.constantFrom('applied' as const, 'pending' as const),
        createdFrom: fc.integer({ min: -8, max: 1 }).map((n) => day(n)),
        createdTo: fc.integer({ min: -8, max: 1 }).map((n) => day(n)),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(filter, fc.integer({ min: 1, max: 6 }), async (f, limit) => {
        const { ids, sizes } = await pages(limit, f);
        expect(ids).toEqual(expected(f));
        expect(Math.max(...sizes)).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 60 },
    );
  });

  it('ends a page at a boundary inside the matches and goes on after it', async () => {
    const filter: TenantFilter = { search: 'acme' };
    const all = expected(filter);
    expect(all.length).toBeGreaterThan(4);
    const first = await table.store.listTenants(3, undefined, filter);
    expect(first.items.map((t) => t.tenantId)).toEqual(all.slice(0, 3));
    const second = await table.store.listTenants(3, first.cursor, filter);
    expect(second.items.map((t) => t.tenantId)).toEqual(all.slice(3, 6));
  });

  it("refuses a cursor from outside the created range as invalid_request, not DynamoDB's 500", async () => {
    const outside = await table.store.listTenants(1);
    const error = await apiError(table.store.listTenants(5, outside.cursor, { createdTo: day(-3) }));
    expect(error.code).toBe('invalid_request');
    const early = await table.store.listTenants(1, undefined, { createdTo: day(-3) });
    expect((await apiError(table.store.listTenants(5, early.cursor, { createdFrom: day(-2) }))).code).toBe(
      'invalid_request',
    );
  });

  it('answers an empty range (from after to) with an empty last page', async () => {
    expect(await table.store.listTenants(5, undefined, { createdFrom: day(0), createdTo: day(-1) })).toEqual({
      items: [],
    });
  });
});

describe('a filtered listing reads a bounded amount per page', () => {
  let own: TestTable;
  beforeAll(async () => {
    own = await createTestTable('tenant-filters-bound');
    // 520 newer tenants that do not match, then three that do.
    const items = Array.from({ length: 523 }, (_, i) => {
      const tenant = tenantFixture({
        tenantId: `t-${String(i).padStart(4, '0')}`,
        plan: i < 3 ? 'scale' : 'starter',
        createdAt:
          i < 3
            ? instant(-2, `00:00:0${i}`)
            : instant(-1, `00:${String(i % 60).padStart(2, '0')}:00.${String(i).padStart(3, '0')}`),
      });
      return { pk: `TENANT#${tenant.tenantId}`, sk: 'TENANT', ...tenantIndexAttributes(tenant), ...tenant };
    });
    for (let i = 0; i < items.length; i += 25)
      await own.doc.send(
        new BatchWriteCommand({
          RequestItems: { [own.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
        }),
      );
  });
  afterAll(async () => {
    await own.drop();
  });

  it('answers a short page with a cursor past too many non-matching tenants, and finds the rest after it', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await own.store.listTenants(2, cursor, { plan: 'scale' });
      seen.push(...page.items.map((t) => t.tenantId));
      sizes.push(page.items.length);
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect([...seen].sort()).toEqual(['t-0000', 't-0001', 't-0002']);
    expect(new Set(seen).size).toBe(3);
    // the first page stopped at its bound before reaching any match: empty, with a cursor.
    expect(sizes[0]).toBe(0);
  });
});

describe('a tenant stored before names were stored for search', () => {
  it('is found by its name as written, and in either case once renamed', async () => {
    const legacy = tenantFixture({ tenantId: 'old-1', name: 'Legacy Co', createdAt: instant(-30) });
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: 'TENANT#old-1', sk: 'TENANT', ...tenantIndexAttributes(legacy), ...legacy },
      }),
    );
    expect((await table.store.listTenants(100, undefined, { search: 'Legacy' })).items).toEqual([legacy]);
    await table.store.renameTenant('old-1', 'Legacy Two');
    expect(
      (await table.store.listTenants(100, undefined, { search: 'LEGACY t' })).items.map((t) => t.tenantId),
    ).toEqual(['old-1']);
  });
});
