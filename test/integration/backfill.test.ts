import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { backfillEnvironmentIndex, backfillNoticeIndexes } from '../../lambdas/core/store/backfill';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { createTableInput, noticeIndexAttributes } from '../../lambdas/core/store/table';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { LOCAL_AWS, startDynamoDbLocal } from '../../local/dynamodb-local';
import { ensureTable } from '../../local/table';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { keyFixture, rawKeyItem, tenantFixture } from '../support/fixtures';
import { BASE, day, instant } from '../support/time';
import { DEADLINES } from '../support/deadlines';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable('backfill');
});
afterAll(async () => {
  await table.drop();
});

/** A new tenant with its first key, written by today's store (so already indexed). */
async function seedTenant(tenantId: string) {
  const tenant = tenantFixture({ tenantId });
  const first = keyFixture({ tenant, role: 'owner', now: instant(-53) }).item;
  await table.store.createTenant(tenant, first);
  return { tenant, first };
}

describe('backfillEnvironmentIndex', () => {
  it('indexes keys written before the environment index existed, once, and touches nothing else', async () => {
    const { tenant, first } = await seedTenant('backfilled');
    // keys as the previous version wrote them: no gsi2pk/gsi2sk.
    const old = ['test', 'live', 'test'].map(
      (environment, i) =>
        keyFixture({ tenant, environment: environment as 'live' | 'test', now: instant(i - 22) }).item,
    );
    for (const key of old) await table.doc.send(new PutCommand({ TableName: table.tableName, Item: rawKeyItem(key) }));
    expect((await table.store.listKeys(tenant.tenantId, 10, undefined, 'test')).items).toEqual([]);

    const firstRun = await backfillEnvironmentIndex({ client: table.doc, tableName: table.tableName });

    expect(firstRun.updated).toBe(3);
    const listed = await table.store.listKeys(tenant.tenantId, 10, undefined, 'test');
    expect(listed.items.map((key) => key.id)).toEqual([old[2].id, old[0].id]);
    expect(await table.store.getKey(old[1].id)).toEqual(old[1]);
    expect((await table.store.listKeys(tenant.tenantId, 10, undefined, 'live')).items.map((key) => key.id)).toEqual([
      old[1].id,
      first.id,
    ]);
    const tenantItem = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: `TENANT#${tenant.tenantId}`, sk: 'TENANT' } }),
    );
    expect(tenantItem.Item?.gsi2pk).toBeUndefined();

    const secondRun = await backfillEnvironmentIndex({ client: table.doc, tableName: table.tableName });
    expect(secondRun.updated).toBe(0);
  });
});

describe('backfillNoticeIndexes', () => {
  it('puts active keys written before the notice indexes into them, once, and leaves revoked keys out', async () => {
    const { tenant } = await seedTenant('notice-backfill');
    const expiring = keyFixture({ tenant, now: instant(-22), expiresAt: instant(8) }).item;
    const used = { ...keyFixture({ tenant, now: instant(-22) }).item, lastUsedAt: instant(-3, '13:00') };
    const revoked = { ...keyFixture({ tenant, now: instant(-22) }).item, status: 'revoked' as const };
    // as the previous version wrote them: no gsi3pk/gsi4pk.
    for (const key of [expiring, used, revoked])
      await table.doc.send(new PutCommand({ TableName: table.tableName, Item: rawKeyItem(key) }));
    const raw = async (id: string) =>
      (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: `KEY#${id}`, sk: 'KEY' } })))
        .Item ?? {};

    const firstRun = await backfillNoticeIndexes({
      client: table.doc,
      tableName: table.tableName,
      now: new Date(BASE),
    });

    // these two, and the keys the environment test wrote the old way when it ran before.
    expect(firstRun.updated).toBeGreaterThanOrEqual(2);
    expect(await raw(expiring.id)).toMatchObject({
      gsi3pk: expect.stringMatching(new RegExp(`^${day(8)}#[0-7]$`)),
      gsi4pk: expect.stringMatching(new RegExp(`^${day(-22)}#[0-7]$`)),
    });
    expect(await raw(used.id)).toMatchObject({ gsi4pk: expect.stringMatching(new RegExp(`^${day(-3)}#[0-7]$`)) });
    expect((await raw(used.id)).gsi3pk).toBeUndefined();
    expect(await raw(revoked.id)).not.toHaveProperty('gsi4pk');
    expect(await table.store.getKey(expiring.id)).toEqual(expiring);
    expect(
      (await backfillNoticeIndexes({ client: table.doc, tableName: table.tableName, now: new Date(BASE) })).updated,
    ).toBe(0);
  });
});

describe('ensureTable over a table from before the environment and notice indexes', () => {
  it(
    'adds the indexes and backfills them, so the local gateway restarts over an old data folder',
    async () => {
      // a DynamoDB Local of its own: the run's shared one, busy with every other file's tables,
      // was seen to leave an added index CREATING for over a minute.
      const own = await startDynamoDbLocal();
      const client = new DynamoDBClient({ endpoint: own.endpoint, ...LOCAL_AWS });
      const tableName = `keygate-old-${Date.now()}`;
      const input = createTableInput(tableName);
      const old = {
        ...input,
        AttributeDefinitions: input.AttributeDefinitions?.filter((a) => !/^gsi[234]/.test(a.AttributeName ?? '')),
        GlobalSecondaryIndexes: input.GlobalSecondaryIndexes?.filter((index) => index.IndexName === 'byTenant'),
      };
      await client.send(new CreateTableCommand(old));
      const doc = documentClient(client);
      try {
        const tenant = tenantFixture({ tenantId: 'old-folder' });
        const key = keyFixture({ tenant, environment: 'test' }).item;
        await doc.send(new PutCommand({ TableName: tableName, Item: rawKeyItem(key) }));

        expect(await ensureTable(client, tableName, { now: new Date(BASE) })).toBe(false);

        const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
        expect(described.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
          'byActivityDay',
          'byExpiryDay',
          'byTenant',
          'byTenantEnvironment',
        ]);
        const store = new DynamoKeyStore({ client: doc, tableName });
        expect((await store.listKeys(tenant.tenantId, 5, undefined, 'test')).items).toEqual([key]);
        const stored = await doc.send(
          new GetCommand({ TableName: tableName, Key: { pk: `KEY#${key.id}`, sk: 'KEY' } }),
        );
        expect(stored.Item?.gsi4pk).toEqual(noticeIndexAttributes(key).gsi4pk);
        expect(await ensureTable(client, tableName)).toBe(false);
      } finally {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
        client.destroy();
        await own.stop();
      }
    },
    DEADLINES.slowTest,
  ); // DynamoDB Local builds an index slowly on a loaded machine.
});
