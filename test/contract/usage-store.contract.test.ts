import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { eventPartition } from '../../lambdas/core/events/dynamodb-outbox';
import { aggregateAccessRecords } from '../../lambdas/core/usage/aggregate';
import type { AccessRecord } from '../../lambdas/core/usage/access-record';
import { DynamoUsageStore } from '../../lambdas/core/usage/dynamodb-usage';
import type { UsageStore } from '../../lambdas/core/usage/usage-store';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { MemoryUsageStore } from '../support/fakes/memory-usage-store';
import { fixedClock, instant } from '../support/time';
import { accessRecord } from '../support/fixtures';

/**
 * The one contract of a UsageStore, run against the in-memory fake and against DynamoUsageStore
 * on DynamoDB Local: counting once under redelivery, batches larger than one transaction, and
 * sources kept bounded when batches race.
 */

const ms = (iso: string): number => Date.parse(iso);
const clock = fixedClock(instant(0, '12:00'));

const record = (at: string, changes: Partial<AccessRecord> = {}): AccessRecord => accessRecord(ms(at), changes);

const tables: TestTable[] = [];
afterAll(async () => {
  await Promise.all(tables.map((table) => table.drop()));
});

const subjects: [string, () => Promise<UsageStore>][] = [
  ['MemoryUsageStore', async () => new MemoryUsageStore()],
  [
    'DynamoUsageStore',
    async () => {
      const table = await createTestTable('usage');
      tables.push(table);
      return new DynamoUsageStore({ client: table.doc, tableName: table.tableName, pause: async () => undefined });
    },
  ],
];

describe.each(subjects)('%s', (_, make) => {
  const hour = async (store: UsageStore, scope: 'key' | 'tenant', id: string, at: string) =>
    (await store.readBuckets(scope, id, 'hour', ms(at), ms(at) + 3_600_000))[0]?.delta.requests;

  it('counts a batch delivered twice once', async () => {
    const store = await make();
    const batch = Array.from({ length: 30 }, () => record(instant(0, '10:00')));
    expect(await aggregateAccessRecords(batch, { store, clock })).toMatchObject({ duplicate: false });
    expect(await aggregateAccessRecords(batch, { store, clock })).toMatchObject({ duplicate: true, writes: 0 });
    expect(await hour(store, 'key', 'k1', instant(0, '10:00'))).toBe(30);
    expect(await hour(store, 'tenant', 'acme', instant(0, '10:00'))).toBe(30);
  });

  it('counts a batch of more items than one transaction holds once, and again once when redelivered', async () => {
    const store = await make();
    // 80 keys in one hour: 80 key-hours, 80 key-days, 80 source days and the tenant's two.
    const batch = Array.from({ length: 80 }, (_, i) => record(instant(0, '10:30'), { keyId: `k${i}` }));
    const first = await aggregateAccessRecords(batch, { store, clock });
    expect(first).toEqual({ records: 80, duplicate: false, writes: 242 });
    expect(await aggregateAccessRecords(batch, { store, clock })).toMatchObject({ duplicate: true, writes: 0 });
    expect(await hour(store, 'tenant', 'acme', instant(0, '10:00'))).toBe(80);
    expect(await hour(store, 'key', 'k79', instant(0, '10:00'))).toBe(1);
  });

  it('adds batches that land in any order and at once', async () => {
    const store = await make();
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 10 }, (_, i) => record(instant(0, '10:00'), { ip: `192.0.2.${(b * 10 + i) % 7}` })),
    );
    await Promise.all(batches.map((batch) => aggregateAccessRecords(batch, { store, clock, sourcesPerDay: 5 })));
    expect(await hour(store, 'key', 'k1', instant(0, '10:00'))).toBe(60);
    const [day] = await store.readSources('k1', ms(instant(0)), ms(instant(1)));
    expect(day).toHaveLength(5);
    // 60 requests over 7 addresses: 4 with 9 and 3 with 8. The list is bounded, so which five stay
    // depends on the order the batches land in (an address pushed out of the top loses what it had,
    // as mergeSources says); whatever the order, no address is counted past its real requests.
    const real = new Map<string, number>();
    for (const r of batches.flat()) real.set(r.ip ?? '', (real.get(r.ip ?? '') ?? 0) + 1);
    for (const source of day ?? []) expect(source.requests).toBeLessThanOrEqual(real.get(source.ip) ?? 0);
    expect(new Set(day?.map((s) => s.ip)).size).toBe(5);
  });

  it("reads the tenants' days for the operator's ranking", async () => {
    const store = await make();
    await aggregateAccessRecords(
      [
        record(instant(0, '10:00'), { tenantId: 'a' }),
        record(instant(1, '10:00'), { tenantId: 'a' }),
        record(instant(1, '11:00'), { tenantId: 'b', keyId: 'k2' }),
      ],
      { store, clock },
    );
    const days = await store.readTenantDays(ms(instant(0)), ms(instant(2)));
    expect(days.map((d) => [d.tenantId, new Date(d.day).toISOString(), d.delta.requests]).sort()).toEqual([
      ['a', instant(0), 1],
      ['a', instant(1), 1],
      ['b', instant(1), 1],
    ]);
  });
});

describe('DynamoUsageStore with key.new_source', () => {
  it("writes a batch's events in the outbox once, however often the batch is delivered", async () => {
    const table = await createTestTable('usage');
    tables.push(table);
    const store = new DynamoUsageStore({ client: table.doc, tableName: table.tableName, pause: async () => undefined });
    const batch = [
      record(instant(0, '10:00'), { ip: '203.0.113.5' }),
      record(instant(0, '10:01'), { ip: '198.51.100.2' }),
    ];
    await aggregateAccessRecords(batch, { store, clock, newSourceDays: 30 });
    const again = await aggregateAccessRecords(batch, { store, clock, newSourceDays: 30 });
    expect(again.duplicate).toBe(true);
    const events = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': eventPartition('acme') },
      }),
    );
    expect((events.Items ?? []).map((item) => [item.type, item.details.network]).sort()).toEqual([
      ['key.new_source', '198.51.100.0/24'],
      ['key.new_source', '203.0.113.0/24'],
    ]);
  });
});
