import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DailyLastUse } from '../../lambdas/core/auth/last-use';
import { DynamoEventReader } from '../../lambdas/core/events/dynamodb-events';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import { DynamoNoticeStore } from '../../lambdas/core/notices/dynamodb-notices';
import { NoticeJob } from '../../lambdas/core/notices/notice-job';
import { keyItemKey } from '../../lambdas/core/store/key-item';
import { noticePartition, noticeShard } from '../../lambdas/core/store/table';
import type { AccessRecord } from '../../lambdas/core/usage/access-record';
import { aggregateAccessRecords } from '../../lambdas/core/usage/aggregate';
import { DynamoUsageStore } from '../../lambdas/core/usage/dynamodb-usage';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { day, instant } from '../support/time';

/**
 * The staleness notice reads a key's `lastUsedAt` and its activity day (`gsi4pk`); the usage
 * aggregator moves both from the access log, over DynamoDB Local's real conditions.
 */

let table: TestTable;
beforeEach(async () => {
  table = await createTestTable('usage-last-use');
});
afterEach(async () => {
  await table.drop();
});

let counter = 0;
/** A tenant with a developer key created long ago and last used, by the authorizer, 90 days ago. */
async function seed(): Promise<{ tenant: Tenant; key: KeyItem }> {
  const tenant = tenantFixture({ tenantId: `last-use-${(counter += 1)}` });
  await table.store.createTenant(tenant, keyFixture({ tenant, role: 'owner', now: instant(-200) }).item);
  const key = keyFixture({ tenant, now: instant(-200), name: 'nightly' }).item;
  await table.store.createKey(key);
  await table.store.touchLastUsed(key.id, new Date(instant(-90, '09:30')), 60_000);
  return { tenant, key };
}

let sequence = 0;
function request(key: KeyItem, at: string, status = 200): AccessRecord {
  sequence += 1;
  return {
    requestId: `req-${sequence}`,
    eventId: `evt-${sequence}`,
    requestTimeEpoch: Date.parse(at),
    stage: 'prod',
    ip: '203.0.113.9',
    method: 'GET',
    resource: '/v1/me',
    status,
    latencyMs: 12,
    keyId: key.id,
    tenantId: key.tenantId,
    environment: key.environment,
  };
}

/** One aggregator instance (its own in-memory throttle), its clock at `now`. */
function aggregator(now = instant(0, '00:01')) {
  const logger = recordingLogger();
  const store = new DynamoUsageStore({ client: table.doc, tableName: table.tableName });
  const lastUse = new DailyLastUse(table.store, logger);
  return (records: readonly AccessRecord[]) =>
    aggregateAccessRecords(records, { store, clock: fixedClock(now), lastUse });
}

async function rawKey(id: string): Promise<Record<string, unknown> | undefined> {
  const out = await table.doc.send(
    new GetCommand({ TableName: table.tableName, Key: keyItemKey(id), ConsistentRead: true }),
  );
  return out.Item;
}

async function staleNotices(tenantId: string, now: string) {
  const clock = fixedClock(now);
  await new NoticeJob({
    store: new DynamoNoticeStore({
      client: table.doc,
      tableName: table.tableName,
      getKey: (id) => table.store.getKey(id),
    }),
    clock,
    logger: recordingLogger(),
    staleAfterDays: 90,
  }).run();
  const page = await new DynamoEventReader(table.doc, table.tableName).tenantEvents(tenantId, 100);
  return page.items.filter((event) => event.type === 'key.stale').map((event) => [event.keyId, event.details]);
}

describe('the usage aggregator records last use where the staleness notice reads it', () => {
  it('moves lastUsedAt and the activity day to the latest request counted, so a key used through cached answers is not stale', async () => {
    const { tenant, key } = await seed();

    // yesterday's requests, answered from the authorizer's cache: only the access log saw them.
    await aggregator()([request(key, instant(-1, '18:00')), request(key, instant(-1, '18:05'), 429)]);

    expect(await rawKey(key.id)).toMatchObject({
      lastUsedAt: instant(-1, '18:05'),
      gsi4pk: noticePartition(day(-1), noticeShard(key.id)),
    });
    expect(await staleNotices(tenant.tenantId, instant(0, '00:05'))).toEqual([]);
    // 90 days after that use, it is.
    expect(await staleNotices(tenant.tenantId, instant(89, '00:05'))).toEqual([
      [key.id, { lastUsedAt: instant(-1, '18:05'), idleSince: day(-1), staleAfterDays: 90 }],
    ]);
  });

  it('without the aggregator, the same key is reported stale: the authorizer last saw it 90 days ago', async () => {
    const { tenant, key } = await seed();

    expect(await staleNotices(tenant.tenantId, instant(0, '00:05'))).toEqual([
      [key.id, { lastUsedAt: instant(-90, '09:30'), idleSince: day(-90), staleAfterDays: 90 }],
    ]);
  });

  it('never moves lastUsedAt back: an older batch counted later by another instance leaves it', async () => {
    const { key } = await seed();
    await aggregator()([request(key, instant(-1, '18:00'))]);

    await aggregator()([request(key, instant(-3, '12:00'))]);

    expect(await rawKey(key.id)).toMatchObject({
      lastUsedAt: instant(-1, '18:00'),
      gsi4pk: noticePartition(day(-1), noticeShard(key.id)),
    });
  });

  it('does not recreate a key deleted before its requests were counted', async () => {
    const { tenant, key } = await seed();
    await table.store.deleteKey(tenant.tenantId, key.id);

    const result = await aggregator()([request(key, instant(-1, '18:00'))]);

    expect(result).toMatchObject({ records: 1, duplicate: false });
    expect(await rawKey(key.id)).toBeUndefined();
  });
});
