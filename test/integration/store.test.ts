import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readListing, scanPages } from '../../lambdas/core/store/pages';
import { expiryAt } from '../../lambdas/core/keys/expiry';
import { keyFixture, tenantFixture, apiError } from '../support/fixtures';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { instant } from '../support/time';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable('store');
});
afterAll(async () => {
  await table.drop();
});

let counter = 0;
/** A new tenant with its first key in the table. */
async function seedTenant(overrides: Parameters<typeof tenantFixture>[0] = {}) {
  counter += 1;
  const tenant = tenantFixture({ tenantId: `tenant-${counter}-${Date.now()}`, ...overrides });
  const first = keyFixture({ tenant, role: 'owner', now: instant(0, '09:00') });
  await table.store.createTenant(tenant, first.item);
  return { tenant, first };
}

describe('DynamoKeyStore over DynamoDB Local', () => {
  it('creates a tenant with its first key in one transaction, and refuses a second tenant with the same id', async () => {
    const { tenant, first } = await seedTenant();
    expect(await table.store.getTenant(tenant.tenantId)).toEqual(tenant);
    expect(await table.store.getKey(first.item.id)).toEqual(first.item);

    const again = keyFixture({ tenant });
    const error = await apiError(table.store.createTenant(tenant, again.item));
    expect(error.code).toBe('conflict');
    expect(await table.store.getKey(again.item.id)).toBeUndefined();
  });

  it('stores the hash and never the plaintext', async () => {
    const { first } = await seedTenant();
    const raw = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: `KEY#${first.item.id}`, sk: 'KEY' } }),
    );
    expect(JSON.stringify(raw.Item)).not.toContain(first.plaintext.slice(8, 72));
    expect(raw.Item?.hash).toBe(first.item.hash);
  });

  it('writes ttl as epoch seconds of expiresAt, and none for keys that never expire', async () => {
    const { tenant, first } = await seedTenant();
    const expiring = keyFixture({ tenant, expiresAt: instant(39) });
    await table.store.createKey(expiring.item);
    const read = async (id: string) =>
      (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: `KEY#${id}`, sk: 'KEY' } }))).Item;
    expect((await read(expiring.item.id))?.ttl).toBe(Date.parse(instant(39)) / 1000);
    expect((await read(first.item.id))?.ttl).toBeUndefined();
  });

  it('refuses a key whose tenant copy is stale, and writes nothing', async () => {
    const { tenant } = await seedTenant();
    await table.store.updateTenant(tenant.tenantId, 1, { status: 'suspended' });
    const stale = keyFixture({ tenant }); // copied version 1, the tenant is at 2 now.
    const error = await apiError(table.store.createKey(stale.item));
    expect(error.code).toBe('conflict');
    expect(await table.store.getKey(stale.item.id)).toBeUndefined();
  });

  it('lists a tenant keys newest first, page by page, with no cursor on the last page', async () => {
    const { tenant, first } = await seedTenant();
    const created = [];
    for (let i = 0; i < 4; i += 1) {
      const key = keyFixture({ tenant, now: instant(0, `10:0${i}`), name: `k${i}` });
      await table.store.createKey(key.item);
      created.push(key.item.id);
    }
    const expected = [...created].reverse().concat(first.item.id);
    const page1 = await table.store.listKeys(tenant.tenantId, 2);
    const page2 = await table.store.listKeys(tenant.tenantId, 2, page1.cursor);
    const page3 = await table.store.listKeys(tenant.tenantId, 2, page2.cursor);
    expect([...page1.items, ...page2.items, ...page3.items].map((k) => k.id)).toEqual(expected);
    expect(page3.cursor).toBeUndefined();
    const all = await table.store.listKeys(tenant.tenantId, 5);
    expect(all.items).toHaveLength(5);
    expect(all.cursor).toBeUndefined();
  });

  it('rejects a cursor of another tenant or a made-up one', async () => {
    const a = await seedTenant();
    const b = await seedTenant();
    await table.store.createKey(keyFixture({ tenant: a.tenant }).item);
    const page = await table.store.listKeys(a.tenant.tenantId, 1);
    expect(page.cursor).toBeDefined();
    expect((await apiError(table.store.listKeys(b.tenant.tenantId, 1, page.cursor))).code).toBe('invalid_request');
    expect((await apiError(table.store.listKeys(b.tenant.tenantId, 1, 'bm90LWEtY3Vyc29y'))).code).toBe(
      'invalid_request',
    );
    expect((await apiError(table.store.listKeys(b.tenant.tenantId, 1, '!!!'))).code).toBe('invalid_request');
  });

  it('reports another tenant key as not_found on every write, and leaves it unchanged', async () => {
    const victim = await seedTenant();
    const attacker = await seedTenant();
    const id = victim.first.item.id;
    const other = attacker.tenant.tenantId;
    const newKey = keyFixture({ tenant: attacker.tenant }).item;
    const attempts = [
      table.store.getTenantKey(other, id),
      table.store.renameKey(other, id, 'pwned'),
      table.store.setKeyStatus(other, id, 'revoked'),
      table.store.deleteKey(other, id),
      table.store.rotateKey(other, id, newKey, expiryAt(new Date()), new Date()),
    ];
    for (const attempt of attempts) {
      const error = await apiError(attempt);
      expect(error.code).toBe('not_found');
      expect(error.message).toBe('no such key');
    }
    expect(await table.store.getKey(id)).toEqual(victim.first.item);
    expect(await table.store.getKey(newKey.id)).toBeUndefined();
  });

  it('renames a key', async () => {
    const { tenant, first } = await seedTenant();
    const renamed = await table.store.renameKey(tenant.tenantId, first.item.id, 'production');
    expect(renamed).toEqual({ ...first.item, name: 'production' });
  });

  it('replaces scopes only while they are what the change was decided on', async () => {
    const { tenant, first } = await seedTenant();
    const narrowed = await table.store.renameKey(tenant.tenantId, first.item.id, undefined, undefined, undefined, {
      from: undefined,
      to: ['GET /v1/orders/*'],
    });
    expect(narrowed.scopes).toEqual(['GET /v1/orders/*']);
    // a second change decided on the key before the first landed must not overwrite it.
    const stale = await apiError(
      table.store.renameKey(tenant.tenantId, first.item.id, undefined, undefined, undefined, {
        from: undefined,
        to: ['GET /v1/emails'],
      }),
    );
    expect(stale.code).toBe('conflict');
    const cleared = await table.store.renameKey(tenant.tenantId, first.item.id, undefined, undefined, undefined, {
      from: ['GET /v1/orders/*'],
      to: null,
    });
    expect(cleared).toEqual(first.item);
  });

  it('lets exactly one of two racing revokes win; the other gets conflict', async () => {
    const { tenant, first } = await seedTenant();
    const results = await Promise.allSettled([
      table.store.setKeyStatus(tenant.tenantId, first.item.id, 'revoked'),
      table.store.setKeyStatus(tenant.tenantId, first.item.id, 'revoked'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 'conflict' });
    expect((await table.store.getKey(first.item.id))?.status).toBe('revoked');
    const enabled = await table.store.setKeyStatus(tenant.tenantId, first.item.id, 'active');
    expect(enabled.status).toBe('active');
  });

  it('deletes a key for good; a second delete is not_found', async () => {
    const { tenant, first } = await seedTenant();
    await table.store.deleteKey(tenant.tenantId, first.item.id);
    expect(await table.store.getKey(first.item.id)).toBeUndefined();
    expect((await apiError(table.store.deleteKey(tenant.tenantId, first.item.id))).code).toBe('not_found');
  });

  it('rotates a key in one transaction: new key written, old one linked and given its new expiry', async () => {
    const { tenant, first } = await seedTenant();
    const now = new Date(instant(0, '10:00'));
    const next = keyFixture({ tenant, role: 'owner' }).item;
    const grace = expiryAt(new Date(instant(0, '12:00')));
    await table.store.rotateKey(tenant.tenantId, first.item.id, { ...next, rotatedFrom: first.item.id }, grace, now);
    const old = await table.store.getKey(first.item.id);
    expect(old).toMatchObject({ rotatedTo: next.id, expiresAt: instant(0, '12:00') });
    expect(await table.store.getKey(next.id)).toMatchObject({ rotatedFrom: first.item.id, status: 'active' });
  });

  it('lets exactly one of two racing rotations win; the loser writes nothing', async () => {
    const { tenant, first } = await seedTenant();
    const now = new Date(instant(0, '10:00'));
    const a = keyFixture({ tenant }).item;
    const b = keyFixture({ tenant }).item;
    const results = await Promise.allSettled([
      table.store.rotateKey(tenant.tenantId, first.item.id, a, expiryAt(now), now),
      table.store.rotateKey(tenant.tenantId, first.item.id, b, expiryAt(now), now),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
      code: 'conflict',
    });
    const written = [await table.store.getKey(a.id), await table.store.getKey(b.id)].filter(Boolean);
    expect(written).toHaveLength(1);
    expect((await table.store.getKey(first.item.id))?.rotatedTo).toBe(written[0]?.id);
  });

  it('refuses to rotate a revoked or an expired key', async () => {
    const { tenant, first } = await seedTenant();
    const now = new Date(instant(0, '10:00'));
    await table.store.setKeyStatus(tenant.tenantId, first.item.id, 'revoked');
    const revoked = await apiError(
      table.store.rotateKey(tenant.tenantId, first.item.id, keyFixture({ tenant }).item, expiryAt(now), now),
    );
    expect(revoked).toMatchObject({ code: 'conflict', message: expect.stringMatching(/revoked/) });

    const expiring = keyFixture({ tenant, expiresAt: instant(0) }).item;
    await table.store.createKey(expiring);
    const expired = await apiError(
      table.store.rotateKey(tenant.tenantId, expiring.id, keyFixture({ tenant }).item, expiryAt(now), now),
    );
    expect(expired).toMatchObject({ code: 'conflict', message: expect.stringMatching(/expired/) });
  });

  it('records lastUsedAt at most once per interval, across writers', async () => {
    const { first } = await seedTenant();
    const t0 = new Date(instant(0, '10:00'));
    expect(await table.store.touchLastUsed(first.item.id, t0, 60_000)).toBe(true);
    expect(await table.store.touchLastUsed(first.item.id, new Date(t0.getTime() + 59_999), 60_000)).toBe(false);
    expect(await table.store.touchLastUsed(first.item.id, new Date(t0.getTime() + 60_001), 60_000)).toBe(true);
    expect(await table.store.touchLastUsed('key_missing', t0, 60_000)).toBe(false);
    expect((await table.store.getKey(first.item.id))?.lastUsedAt).toBe(instant(0, '10:01:00.001'));
    expect(await table.store.getKey('key_missing')).toBeUndefined();
  });

  it('changes a tenant under its version and refuses a stale version', async () => {
    const { tenant } = await seedTenant();
    const updated = await table.store.updateTenant(tenant.tenantId, 1, {
      plan: 'growth',
      limits: { rateLimit: 100, burstLimit: 200 },
      usageKeys: { test: { id: 'apikey-test', value: 'usagetestvalue0123456789' } },
    });
    expect(updated).toMatchObject({
      plan: 'growth',
      version: 2,
      usageKeys: { live: tenant.usageKeys.live, test: { id: 'apikey-test' } },
    });
    expect((await apiError(table.store.updateTenant(tenant.tenantId, 1, { status: 'suspended' }))).code).toBe(
      'conflict',
    );
    expect((await apiError(table.store.updateTenant('no-such-tenant', 1, { status: 'suspended' }))).code).toBe(
      'not_found',
    );
    expect((await table.store.getTenant(tenant.tenantId))?.status).toBe('active');
  });

  it('propagates a tenant change onto every key, and never lets an older copy win', async () => {
    const { tenant, first } = await seedTenant();
    const testKey = keyFixture({ tenant, environment: 'test' }).item;
    await table.store.createKey(testKey);
    const v2 = await table.store.updateTenant(tenant.tenantId, 1, {
      status: 'suspended',
      plan: 'growth',
      usageKeys: { test: { id: 't', value: 'usagetestvalue0123456789' } },
    });
    expect(await table.store.propagateTenant(v2)).toBe(2);
    expect(await table.store.getKey(first.item.id)).toMatchObject({
      tenantStatus: 'suspended',
      plan: 'growth',
      tenantVersion: 2,
      usageKey: tenant.usageKeys.live?.value,
    });
    expect(await table.store.getKey(testKey.id)).toMatchObject({
      tenantStatus: 'suspended',
      usageKey: 'usagetestvalue0123456789',
    });
    // replaying the older version changes nothing.
    expect(await table.store.propagateTenant({ ...tenant, version: 1 })).toBe(0);
    expect(await table.store.propagateTenant(v2)).toBe(0);
  });
});

describe('reading page by page (store/pages.ts)', () => {
  /** A document client of its own whose answers the test scripts. */
  function scripted() {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    return { doc, mock: mockClient(doc) };
  }

  it('sends each request of a multi-page listing with its own start key, sized by what the page still lacks', async () => {
    const { doc, mock } = scripted();
    mock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ n: 1 }], LastEvaluatedKey: { pk: 'a' }, ScannedCount: 1 })
      .resolvesOnce({ Items: [{ n: 2 }, { n: 3 }], LastEvaluatedKey: { pk: 'b' }, ScannedCount: 2 });

    const page = await readListing(doc, { TableName: 't', KeyConditionExpression: 'pk = :p' }, { limit: 2 });

    expect(page).toEqual({ items: [{ n: 1 }, { n: 2 }], after: { n: 2 } });
    const sent = mock
      .commandCalls(QueryCommand)
      .map((call) => [call.args[0].input.ExclusiveStartKey, call.args[0].input.Limit]);
    expect(sent).toEqual([
      [undefined, 3],
      [{ pk: 'a' }, 2],
    ]);
  });

  it('ends an exhausted read short, with the start key where it stopped, and a finished one without', async () => {
    const { doc, mock } = scripted();
    mock.on(QueryCommand).resolves({ Items: [], LastEvaluatedKey: { pk: 'next' }, ScannedCount: 100 });

    const short = await readListing(
      doc,
      { TableName: 't', KeyConditionExpression: 'pk = :p' },
      { limit: 5, batch: () => 100, exhausted: ({ requests }) => requests >= 3 },
    );

    expect(short).toEqual({ items: [], after: { pk: 'next' } });
    expect(mock.commandCalls(QueryCommand).map((call) => call.args[0].input.Limit)).toEqual([100, 100, 100]);
    mock.reset();
    mock.on(QueryCommand).resolves({ Items: [{ n: 1 }] });
    expect(await readListing(doc, { TableName: 't', KeyConditionExpression: 'pk = :p' }, { limit: 5 })).toEqual({
      items: [{ n: 1 }],
    });
  });

  it('scans every page, each request with the start key the previous page ended at', async () => {
    const { doc, mock } = scripted();
    mock
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ n: 1 }], LastEvaluatedKey: { pk: 'a' } })
      .resolvesOnce({ Items: [{ n: 2 }] });

    const items = [];
    for await (const page of scanPages(doc, { TableName: 't' })) items.push(...(page.Items ?? []));

    expect(items).toEqual([{ n: 1 }, { n: 2 }]);
    expect(mock.commandCalls(ScanCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([
      undefined,
      { pk: 'a' },
    ]);
  });
});
