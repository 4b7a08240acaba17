import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { ApiError } from '../../lambdas/core/http/errors';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { decodeCursorJson, encodeCursorJson, malformedCursors } from '../support/cursors';
import { createTestTable, testEndpoint, type TestTable } from '../support/dynamodb';
import { keyFixture, tenantFixture, apiError } from '../support/fixtures';
import { instant } from '../support/time';

let table: TestTable;
/** A second client over the same table that records every Query it sends and what it read. */
let counted: { store: DynamoKeyStore; queries: { scanned: number; returned: number }[]; client: DynamoDBClient };

beforeAll(async () => {
  table = await createTestTable('listing');
  const client = new DynamoDBClient({ endpoint: testEndpoint(), ...LOCAL_AWS });
  const queries: { scanned: number; returned: number }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') {
        const output = result.output as { ScannedCount?: number; Count?: number };
        queries.push({ scanned: output.ScannedCount ?? 0, returned: output.Count ?? 0 });
      }
      return result;
    },
    { step: 'initialize', name: 'countQueries' },
  );
  counted = {
    store: new DynamoKeyStore({ client: documentClient(client), tableName: table.tableName }),
    queries,
    client,
  };
});
afterAll(async () => {
  counted.client.destroy();
  await table.drop();
});
beforeEach(() => {
  counted.queries.length = 0;
});

let counter = 0;
/** A new tenant with its first (live, owner) key in the table. */
async function seedTenant(): Promise<{ tenant: Tenant; first: KeyItem }> {
  counter += 1;
  const tenant = tenantFixture({ tenantId: `listing-${counter}-${Date.now()}` });
  const first = keyFixture({ tenant, role: 'owner', now: instant(-53) }).item;
  await table.store.createTenant(tenant, first);
  return { tenant, first };
}

/** Writes keys of a tenant, `parallel` at a time, created one second apart from `start`. */
async function seedKeys(tenant: Tenant, environments: ('live' | 'test')[], start: string): Promise<KeyItem[]> {
  const keys = environments.map(
    (environment, i) =>
      keyFixture({
        tenant,
        environment,
        now: new Date(Date.parse(start) + i * 1000).toISOString(),
        name: `${environment}-${i}`,
      }).item,
  );
  for (let i = 0; i < keys.length; i += 25)
    await Promise.all(keys.slice(i, i + 25).map((key) => table.store.createKey(key)));
  return keys;
}

describe('listing one environment reads O(limit) items', () => {
  let tenant: Tenant;
  let testKeys: KeyItem[];

  beforeAll(async () => {
    ({ tenant } = await seedTenant());
    // the test keys are the oldest, so a filter over the tenant's whole partition would read
    // every live key before it found them.
    testKeys = await seedKeys(tenant, ['test', 'test'], instant(-22));
    await seedKeys(tenant, Array<'live'>(200).fill('live'), instant(-21));
  });

  it('reads at most limit + 1 items for a test-key page of 1 among 200 live keys', async () => {
    const page = await counted.store.listKeys(tenant.tenantId, 1, undefined, 'test');

    expect(page.items.map((key) => key.id)).toEqual([testKeys[1].id]);
    expect(page.cursor).toBeDefined();
    const scanned = counted.queries.reduce((sum, query) => sum + query.scanned, 0);
    expect(counted.queries).toHaveLength(1);
    expect(scanned).toBeLessThanOrEqual(2);
  });

  it('reads at most limit + 1 items for the last test-key page too', async () => {
    const first = await counted.store.listKeys(tenant.tenantId, 1, undefined, 'test');
    counted.queries.length = 0;

    const last = await counted.store.listKeys(tenant.tenantId, 1, first.cursor, 'test');

    expect(last.items.map((key) => key.id)).toEqual([testKeys[0].id]);
    expect(last.cursor).toBeUndefined();
    expect(counted.queries.reduce((sum, query) => sum + query.scanned, 0)).toBeLessThanOrEqual(2);
  });

  it('still lists every environment through byTenant when none is given', async () => {
    const page = await counted.store.listKeys(tenant.tenantId, 3);
    expect(page.items).toHaveLength(3);
    expect(page.items.every((key) => key.environment === 'live')).toBe(true);
    expect(counted.queries.reduce((sum, query) => sum + query.scanned, 0)).toBeLessThanOrEqual(4);
  });
});

describe('paging over the environment index', () => {
  it('returns every test key exactly once, newest first, and no live key', async () => {
    const { tenant } = await seedTenant();
    const mixed = await seedKeys(
      tenant,
      ['test', 'live', 'live', 'test', 'test', 'live', 'test', 'test', 'live'],
      instant(-18),
    );
    const expected = mixed
      .filter((key) => key.environment === 'test')
      .reverse()
      .map((key) => key.id);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await table.store.listKeys(tenant.tenantId, 2, cursor, 'test');
      seen.push(...page.items.map((key) => key.id));
      expect(page.items.every((key) => key.environment === 'test')).toBe(true);
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined && pages < 10);

    expect(seen).toEqual(expected);
    expect(pages).toBe(3);
  });

  it('strips the index attributes from the items it returns', async () => {
    const { tenant } = await seedTenant();
    const [key] = await seedKeys(tenant, ['test'], instant(-18));
    const page = await table.store.listKeys(tenant.tenantId, 5, undefined, 'test');
    expect(page.items).toEqual([key]);
    expect(await table.store.getKey(key.id)).toEqual(key);
  });

  it('refuses a cursor of one index on the other, with 400', async () => {
    const { tenant } = await seedTenant();
    await seedKeys(tenant, ['test', 'test', 'live'], instant(-18));
    const byEnvironment = (await table.store.listKeys(tenant.tenantId, 1, undefined, 'test')).cursor;
    const byTenant = (await table.store.listKeys(tenant.tenantId, 1)).cursor;
    expect(byEnvironment).toBeDefined();
    expect(byTenant).toBeDefined();

    expect((await apiError(table.store.listKeys(tenant.tenantId, 1, byEnvironment))).code).toBe('invalid_request');
    expect((await apiError(table.store.listKeys(tenant.tenantId, 1, byTenant, 'test'))).code).toBe('invalid_request');
    expect((await apiError(table.store.listKeys(tenant.tenantId, 1, byEnvironment, 'live'))).code).toBe(
      'invalid_request',
    );
  });
});

describe('malformed cursors', () => {
  let tenant: Tenant;
  let valid: string;
  let validEnvironment: string;

  beforeAll(async () => {
    ({ tenant } = await seedTenant());
    await seedKeys(tenant, ['live', 'test', 'test'], instant(-18));
    valid = (await table.store.listKeys(tenant.tenantId, 1)).cursor as string;
    validEnvironment = (await table.store.listKeys(tenant.tenantId, 1, undefined, 'test')).cursor as string;
  });

  it('accepts the cursors the store issued', async () => {
    await expect(counted.store.listKeys(tenant.tenantId, 1, valid)).resolves.toBeDefined();
    await expect(counted.store.listKeys(tenant.tenantId, 1, validEnvironment, 'test')).resolves.toBeDefined();
  });

  it('refuses each malformed byTenant cursor with 400 and sends no query', async () => {
    const failures: string[] = [];
    for (const [label, cursor] of malformedCursors(valid, 'someone-else')) {
      counted.queries.length = 0;
      const error = await counted.store.listKeys(tenant.tenantId, 1, cursor).then(
        () => undefined,
        (e: unknown) => e,
      );
      const refused =
        error instanceof ApiError && error.code === 'invalid_request' && /^cursor is not valid/.test(error.message);
      if (!refused || counted.queries.length > 0)
        failures.push(`${label}: ${String(error)} after ${counted.queries.length} queries`);
    }
    expect(failures).toEqual([]);
  });

  it.each<[string, (fields: Record<string, unknown>, tenantId: string) => unknown]>([
    ['an empty sort key', (fields) => ({ ...fields, gsi2sk: '' })],
    ['the other environment', (fields, tenantId) => ({ ...fields, gsi2pk: `TENANT#${tenantId}#live` })],
    ['no environment in the partition', (fields, tenantId) => ({ ...fields, gsi2pk: `TENANT#${tenantId}` })],
    ['another tenant partition', (fields) => ({ ...fields, gsi2pk: 'TENANT#someone-else#test' })],
    ['a sort key naming another key', (fields) => ({ ...fields, gsi2sk: `${instant(-18)}#key_${'0'.repeat(24)}` })],
    ['a numeric sort key', (fields) => ({ ...fields, gsi2sk: 7 })],
    ['an extra field', (fields) => ({ ...fields, gsi1pk: 'x' })],
  ])('refuses an environment-index cursor with %s, and sends no query', async (_label, mutate) => {
    counted.queries.length = 0;
    const cursor = encodeCursorJson(mutate(decodeCursorJson(validEnvironment), tenant.tenantId));
    const error = await apiError(counted.store.listKeys(tenant.tenantId, 1, cursor, 'test'));
    expect(error.code).toBe('invalid_request');
    expect(counted.queries).toHaveLength(0);
  });
});
