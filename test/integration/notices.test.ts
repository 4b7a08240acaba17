import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { noCache } from '../../lambdas/core/auth/cache';
import { DynamoEventReader } from '../../lambdas/core/events/dynamodb-events';
import { newEvent, type KeygateEvent } from '../../lambdas/core/events/model';
import { DynamoLeakStore } from '../../lambdas/core/leaks/dynamodb-leaks';
import { KeyService } from '../../lambdas/core/keys/key-service';
import type { Role } from '../../lambdas/core/keys/format';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import { DynamoNoticeStore, keyServiceRevoker } from '../../lambdas/core/notices/dynamodb-notices';
import { NoticeJob } from '../../lambdas/core/notices/notice-job';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { createTestTable, testEndpoint, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, rawKeyItem, recordingLogger, tenantFixture } from '../support/fixtures';
import { backfillNoticeIndexes } from '../../lambdas/core/store/backfill';
import { day, instant } from '../support/time';

const TODAY = day(0);
const AT_RUN = `${TODAY}T00:05:00.000Z`;

/** A table of its own, and a client over it that counts what each call read. */
interface Setup {
  table: TestTable;
  reads: { queries: number; queried: number; gets: number; got: number; scans: number };
  counted: DynamoKeyStore;
  countedDoc: ReturnType<typeof documentClient>;
  client: DynamoDBClient;
}

let setup: Setup;
beforeEach(async () => {
  const table = await createTestTable('notices');
  const client = new DynamoDBClient({ endpoint: testEndpoint(), ...LOCAL_AWS });
  const reads = { queries: 0, queried: 0, gets: 0, got: 0, scans: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { Count?: number; Item?: unknown };
      if (context.commandName === 'QueryCommand') {
        reads.queries += 1;
        reads.queried += output.Count ?? 0;
      }
      if (context.commandName === 'GetItemCommand') {
        reads.gets += 1;
        reads.got += output.Item === undefined ? 0 : 1;
      }
      if (context.commandName === 'ScanCommand') reads.scans += 1;
      return result;
    },
    { step: 'initialize', name: 'countReads' },
  );
  const countedDoc = documentClient(client);
  setup = {
    table,
    reads,
    client,
    countedDoc,
    counted: new DynamoKeyStore({ client: countedDoc, tableName: table.tableName }),
  };
});
afterEach(async () => {
  setup.client.destroy();
  await setup.table.drop();
});

/** The job over the counting client, at `now`. */
function job(now: string, options: { staleAfterDays?: number; revokeStaleKeys?: boolean } = {}) {
  const clock = fixedClock(now);
  const logger = recordingLogger();
  const keys = new KeyService({ store: setup.counted, clock, prefix: 'sk', cache: noCache, logger });
  return new NoticeJob({
    store: new DynamoNoticeStore({
      client: setup.countedDoc,
      tableName: setup.table.tableName,
      getKey: (id) => setup.counted.getKey(id),
    }),
    clock,
    logger,
    staleAfterDays: options.staleAfterDays ?? 90,
    revokeStaleKeys: options.revokeStaleKeys ?? false,
    revoker: keyServiceRevoker(keys),
  });
}

let counter = 0;
/** A tenant whose first key (an owner, created `createdAt`) is in the table. */
async function seedTenant(createdAt = instant(-3, '08:00')): Promise<{ tenant: Tenant; first: KeyItem }> {
  const tenant = tenantFixture({ tenantId: `notices-${(counter += 1)}` });
  const first = keyFixture({ tenant, role: 'owner', now: createdAt }).item;
  await setup.table.store.createTenant(tenant, first);
  return { tenant, first };
}

/** A key of `tenant` created at `createdAt`, expiring at `expiresAt`. */
async function seedKey(
  tenant: Tenant,
  createdAt: string,
  expiresAt: string | null = null,
  role: Role = 'developer',
): Promise<KeyItem> {
  const item = keyFixture({ tenant, now: createdAt, expiresAt, role, name: `k${(counter += 1)}` }).item;
  await setup.table.store.createKey(item);
  return item;
}

/** The tenant's events written by the scheduler, oldest first. */
async function schedulerEvents(tenantId: string): Promise<KeygateEvent[]> {
  const page = await new DynamoEventReader(setup.table.doc, setup.table.tableName).tenantEvents(tenantId, 100);
  return page.items.filter((event) => 'system' in event.actor && event.actor.system === 'scheduler').reverse();
}

const summary = (events: KeygateEvent[]) => events.map((event) => [event.type, event.keyId, event.details]);

describe('expiry notices', () => {
  it('notices a key 7 days and 1 day before it expires, and on the day it expires, once each', async () => {
    const { tenant } = await seedTenant();
    const key = await seedKey(tenant, instant(-3, '08:00'), instant(7));

    const days = [day(0), day(1), day(6), day(7)];
    for (const date of days) await job(`${date}T00:05:00.000Z`).run();

    expect(summary(await schedulerEvents(tenant.tenantId))).toEqual([
      ['key.expiring', key.id, { expiresAt: instant(7), daysLeft: 7 }],
      ['key.expiring', key.id, { expiresAt: instant(7), daysLeft: 1 }],
      ['key.expired', key.id, { expiresAt: instant(7) }],
    ]);
    const [first] = await schedulerEvents(tenant.tenantId);
    expect(first).toMatchObject({
      tenantId: tenant.tenantId,
      environment: 'live',
      actor: { system: 'scheduler' },
      at: instant(0, '00:05'),
    });
  });

  it('says nothing about a revoked key, a key revoked as leaked, a key that never expires, or a key deleted since', async () => {
    const { tenant, first } = await seedTenant();
    const revoked = await seedKey(tenant, instant(-3, '08:00'), instant(7));
    await seedKey(tenant, instant(-3, '08:00'));
    const deleted = await seedKey(tenant, instant(-3, '08:00'), instant(7));
    const leaked = await seedKey(tenant, instant(-3, '08:00'), instant(7));
    await setup.table.store.setKeyStatus(tenant.tenantId, revoked.id, 'revoked');
    await setup.table.store.deleteKey(tenant.tenantId, deleted.id);
    const leaks = new DynamoLeakStore(setup.table.store, setup.table.doc, setup.table.tableName);
    await leaks.markLeaked(
      leaked.id,
      leaked.hash,
      true,
      new Date(instant(-1, '12:00')),
      newEvent({
        type: 'key.leaked',
        tenantId: tenant.tenantId,
        keyId: leaked.id,
        actor: { system: 'github' },
        at: new Date(instant(-1, '12:00')),
      }),
    );

    const result = await job(AT_RUN).run();

    expect(result.written).toEqual({});
    expect(await schedulerEvents(tenant.tenantId)).toEqual([]);
    expect(first.expiresAt).toBeNull();
  });

  it('notices a key enabled again, as it rejoins the index', async () => {
    const { tenant } = await seedTenant();
    const key = await seedKey(tenant, instant(-3, '08:00'), instant(7));
    await setup.table.store.setKeyStatus(tenant.tenantId, key.id, 'revoked');
    await setup.table.store.setKeyStatus(tenant.tenantId, key.id, 'active');

    await job(AT_RUN).run();

    expect(summary(await schedulerEvents(tenant.tenantId))).toEqual([
      ['key.expiring', key.id, { expiresAt: instant(7), daysLeft: 7 }],
    ]);
  });
});

describe('staleness notices', () => {
  it('reports a key never used for 90 days, counted from its creation', async () => {
    const { tenant } = await seedTenant(instant(-90, '12:00'));
    const never = await seedKey(tenant, instant(-90, '15:00'));
    // a key created a day later is not stale yet.
    await seedKey(tenant, instant(-89, '15:00'));

    await job(AT_RUN).run();

    const events = await schedulerEvents(tenant.tenantId);
    expect(events.map((event) => event.keyId).sort()).toEqual([never.id, (await ownerOf(tenant)).id].sort());
    expect(events.find((event) => event.keyId === never.id)?.details).toEqual({
      lastUsedAt: null,
      idleSince: day(-90),
      staleAfterDays: 90,
    });
  });

  it('reports a key last used 90 days ago, not one used since, and follows the authorizer’s lastUsedAt write', async () => {
    const { tenant } = await seedTenant(instant(-22, '08:00'));
    const idle = await seedKey(tenant, instant(-175, '08:00'));
    const busy = await seedKey(tenant, instant(-175, '08:00'));
    await setup.table.store.touchLastUsed(idle.id, new Date(instant(-90, '09:30')), 60_000);
    await setup.table.store.touchLastUsed(busy.id, new Date(instant(-90, '09:30')), 60_000);
    await setup.table.store.touchLastUsed(busy.id, new Date(instant(-1, '18:00')), 60_000);

    await job(AT_RUN).run();

    expect(summary(await schedulerEvents(tenant.tenantId))).toEqual([
      ['key.stale', idle.id, { lastUsedAt: instant(-90, '09:30'), idleSince: day(-90), staleAfterDays: 90 }],
    ]);
  });

  it('takes its threshold from the setting', async () => {
    const { tenant } = await seedTenant(instant(-22, '08:00'));
    const key = await seedKey(tenant, instant(-30, '08:00'));

    await job(AT_RUN, { staleAfterDays: 30 }).run();

    expect(summary(await schedulerEvents(tenant.tenantId))).toEqual([
      ['key.stale', key.id, { lastUsedAt: null, idleSince: day(-30), staleAfterDays: 30 }],
    ]);
  });
});

describe('keys that join the activity index late', () => {
  it('reports a key backfilled after long idleness on the next run, not never', async () => {
    const { tenant } = await seedTenant(instant(-3, '08:00'));
    // written by a version before the notice indexes, unused since January.
    const old = keyFixture({ tenant, now: instant(-322, '08:00'), name: 'old' }).item;
    await setup.table.doc.send(new PutCommand({ TableName: setup.table.tableName, Item: rawKeyItem(old) }));
    await job(AT_RUN).run();

    await backfillNoticeIndexes({
      client: setup.table.doc,
      tableName: setup.table.tableName,
      staleAfterDays: 90,
      now: new Date(instant(0, '15:00')),
    });
    await job(instant(1, '00:05')).run();

    expect(summary(await schedulerEvents(tenant.tenantId))).toEqual([
      ['key.stale', old.id, { lastUsedAt: null, idleSince: day(-322), staleAfterDays: 90 }],
    ]);
  });

  it('counts enabling a key again as activity: a key idle since June, enabled on 23 November, is stale 90 days later', async () => {
    const { tenant, first } = await seedTenant(instant(-3, '08:00'));
    const idle = await seedKey(tenant, instant(-175, '08:00'));
    await setup.table.store.setKeyStatus(tenant.tenantId, idle.id, 'revoked');
    const keys = new KeyService({
      store: setup.table.store,
      clock: fixedClock(instant(0, '09:00')),
      prefix: 'sk',
      cache: noCache,
      logger: recordingLogger(),
    });
    await keys.enable(
      { tenantId: tenant.tenantId, keyId: first.id, environment: 'live', role: 'owner', plan: 'starter' },
      idle.id,
    );

    await job(instant(90, '00:05')).run();

    expect(summary(await schedulerEvents(tenant.tenantId))).toEqual([
      ['key.stale', idle.id, { lastUsedAt: null, idleSince: day(-175), staleAfterDays: 90 }],
    ]);
  });
});

describe('automatic revocation of stale keys', () => {
  it('revokes a stale key with the scheduler as actor, and reports the last owner key instead of revoking it', async () => {
    const { tenant, first } = await seedTenant(instant(-90, '08:00'));
    const stale = await seedKey(tenant, instant(-90, '09:00'));

    const result = await job(AT_RUN, { revokeStaleKeys: true }).run();

    expect(result.written).toEqual({ 'key.revoked': 1, 'key.stale': 1 });
    expect((await setup.table.store.getKey(stale.id))?.status).toBe('revoked');
    expect((await setup.table.store.getKey(first.id))?.status).toBe('active');
    const events = await schedulerEvents(tenant.tenantId);
    expect(events.find((event) => event.keyId === stale.id)).toMatchObject({
      type: 'key.revoked',
      actor: { system: 'scheduler' },
      details: { reason: 'stale', lastUsedAt: null, idleSince: day(-90), staleAfterDays: 90 },
    });
    expect(events.find((event) => event.keyId === first.id)).toMatchObject({
      type: 'key.stale',
      details: { autoRevoke: 'refused_last_owner', idleSince: day(-90) },
    });
  });

  it('reports a stale never-expiring owner key instead of revoking it while the only other owner key expires', async () => {
    const { tenant, first } = await seedTenant(instant(-90, '08:00'));
    await seedKey(tenant, instant(-3, '08:00'), instant(20), 'owner');

    const result = await job(AT_RUN, { revokeStaleKeys: true }).run();

    expect(result.written).toEqual({ 'key.stale': 1 });
    expect((await setup.table.store.getKey(first.id))?.status).toBe('active');
    expect((await schedulerEvents(tenant.tenantId)).find((event) => event.keyId === first.id)).toMatchObject({
      type: 'key.stale',
      details: { autoRevoke: 'refused_last_owner' },
    });
  });

  it('revokes a stale owner key while another lasting owner key remains', async () => {
    const { tenant, first } = await seedTenant(instant(-90, '08:00'));
    const fresh = await seedKey(tenant, instant(-3, '08:00'), null, 'owner');

    await job(AT_RUN, { revokeStaleKeys: true }).run();

    expect((await setup.table.store.getKey(first.id))?.status).toBe('revoked');
    expect((await setup.table.store.getKey(fresh.id))?.status).toBe('active');
    expect(summary(await schedulerEvents(tenant.tenantId)).map(([type, id]) => [type, id])).toEqual([
      ['key.revoked', first.id],
    ]);
  });
});

describe('reruns and missed days', () => {
  it('writes nothing new when the same day runs again, even after losing its record of the run', async () => {
    const { tenant } = await seedTenant(instant(-90, '08:00'));
    await seedKey(tenant, instant(-3, '08:00'), instant(1));
    const first = await job(AT_RUN).run();

    const again = await job(instant(0, '17:00')).run();
    // a crash after the notices but before the day was recorded: the day runs again in full.
    await setup.table.doc.send(
      new DeleteCommand({ TableName: setup.table.tableName, Key: { pk: 'NOTICES', sk: 'JOB' } }),
    );
    const replayed = await job(instant(0, '17:00')).run();

    expect(first).toMatchObject({ days: [TODAY], written: { 'key.expiring': 1, 'key.stale': 1 } });
    expect(again).toEqual({ days: [], written: {}, skipped: 0 });
    expect(replayed).toEqual({ days: [TODAY], written: {}, skipped: 2 });
    expect(await schedulerEvents(tenant.tenantId)).toHaveLength(2);
  });

  it('catches up the days missed since the last completed run', async () => {
    const { tenant } = await seedTenant();
    const key = await seedKey(tenant, instant(-3, '08:00'), instant(2));
    await job(instant(-1, '00:05')).run();

    // the 23rd and 24th were missed (the 24th was the 1-day notice); the 25th runs both and its own.
    const result = await job(instant(2, '00:05')).run();

    expect(result.days).toEqual([day(0), day(1), day(2)]);
    // written in the same instant: the listing orders them by id.
    const events = summary(await schedulerEvents(tenant.tenantId));
    expect(events).toHaveLength(2);
    expect(events).toEqual(
      expect.arrayContaining([
        ['key.expiring', key.id, { expiresAt: instant(2), daysLeft: 1 }],
        ['key.expired', key.id, { expiresAt: instant(2) }],
      ]),
    );
  });
});

describe('races', () => {
  it('writes each notice once when two runs of the same day overlap (a retry over a slow first attempt)', async () => {
    const { tenant } = await seedTenant(instant(-90, '08:00'));
    await seedKey(tenant, instant(-3, '08:00'), instant(1));
    await seedKey(tenant, instant(-3, '08:00'), instant(7));

    const [a, b] = await Promise.all([job(AT_RUN).run(), job(AT_RUN).run()]);

    const written = (result: typeof a, type: 'key.expiring' | 'key.stale') => result.written[type] ?? 0;
    expect(written(a, 'key.expiring') + written(b, 'key.expiring')).toBe(2);
    expect(written(a, 'key.stale') + written(b, 'key.stale')).toBe(1);
    expect((await schedulerEvents(tenant.tenantId)).map((event) => event.type).sort()).toEqual([
      'key.expiring',
      'key.expiring',
      'key.stale',
    ]);
  });

  it('revokes one of two stale owner keys and reports the other, never both, when both are handled at once', async () => {
    const { tenant, first } = await seedTenant(instant(-90, '08:00'));
    const second = await seedKey(tenant, instant(-90, '09:00'), null, 'owner');

    await job(AT_RUN, { revokeStaleKeys: true }).run();

    const statuses = await Promise.all(
      [first, second].map(async (key) => (await setup.table.store.getKey(key.id))?.status),
    );
    expect(statuses.sort()).toEqual(['active', 'revoked']);
    const events = await schedulerEvents(tenant.tenantId);
    expect(events.map((event) => event.type).sort()).toEqual(['key.revoked', 'key.stale']);
    expect(events.find((event) => event.type === 'key.stale')?.details).toMatchObject({
      autoRevoke: 'refused_last_owner',
    });
  });
});

describe('read cost', () => {
  it('reads only the keys it reports: 3 of 200, and never scans', async () => {
    const { tenant } = await seedTenant(instant(-3, '08:00'));
    const quiet: KeyItem[] = [];
    for (let i = 0; i < 196; i += 1) {
      // spread over other days: created, used and expiring on days the run does not look at.
      const created = new Date(Date.parse(instant(-83, '08:00')) + (i % 60) * 86_400_000).toISOString();
      quiet.push(
        keyFixture({ tenant, now: created, expiresAt: i % 2 === 0 ? instant(98) : null, name: `quiet-${i}` }).item,
      );
    }
    for (let i = 0; i < quiet.length; i += 25)
      await Promise.all(quiet.slice(i, i + 25).map((key) => setup.table.store.createKey(key)));
    const expiring = await seedKey(tenant, instant(-3, '08:00'), instant(7));
    const expired = await seedKey(tenant, instant(-3, '08:00'), instant(0));
    const stale = await seedKey(tenant, instant(-90, '08:00'));
    Object.assign(setup.reads, { queries: 0, queried: 0, gets: 0, got: 0, scans: 0 });

    const result = await job(AT_RUN).run();

    expect(result.written).toEqual({ 'key.expiring': 1, 'key.expired': 1, 'key.stale': 1 });
    expect((await schedulerEvents(tenant.tenantId)).map((event) => event.keyId).sort()).toEqual(
      [expiring.id, expired.id, stale.id].sort(),
    );
    // 4 day partitions × 8 shards, whatever the table holds; one index entry and one read per key reported.
    expect(setup.reads).toEqual({ queries: 32, queried: 3, gets: 4, got: 3, scans: 0 });
  });
});

/** The tenant's first (owner) key. */
async function ownerOf(tenant: Tenant): Promise<KeyItem> {
  const page = await setup.table.store.listKeys(tenant.tenantId, 100);
  const owner = page.items.find((key) => key.role === 'owner');
  if (owner === undefined) throw new Error('no owner key');
  return owner;
}
