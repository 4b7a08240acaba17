import { DailyLastUse } from '../../../lambdas/core/auth/last-use';
import type { KeyItem } from '../../../lambdas/core/model';
import { activityDayOf } from '../../../lambdas/core/store/table';
import type { AccessRecord } from '../../../lambdas/core/usage/access-record';
import { aggregateAccessRecords } from '../../../lambdas/core/usage/aggregate';
import { bucketStart } from '../../../lambdas/core/usage/counters';
import { MemoryKeyStore } from '../../support/fakes/memory-key-store';
import { MemoryUsageStore } from '../../support/fakes/memory-usage-store';
import { keyFixture, recordingLogger, tenantFixture, accessRecord } from '../../support/fixtures';
import { day, fixedClock, instant } from '../../support/time';

/**
 * The aggregator advances each key's last use from the access log: the authorizer's own write
 * happens only when it runs, and its cached answers (most requests) and throttled requests never
 * reach it.
 */

const ms = (iso: string): number => Date.parse(iso);
/** A request of `keyId` (of tenant acme) at `at`, answered 200. */
const request = (keyId: string, at: string, changes: Partial<AccessRecord> = {}): AccessRecord =>
  accessRecord(ms(at), { ip: '203.0.113.9', latencyMs: 12, keyId, ...changes });

/** Acme with an owner key and a developer key last used long ago, and the aggregator over them. */
async function setup(lastUsedAt: string | null = instant(-95, '09:30')) {
  const keys = new MemoryKeyStore();
  const tenant = tenantFixture();
  const owner = keyFixture({ tenant, role: 'owner', now: instant(-200) });
  const idle = keyFixture({ tenant, now: instant(-200), name: 'idle' });
  await keys.createTenant(tenant, owner.item);
  await keys.createKey({ ...idle.item, lastUsedAt });
  const touches = jest.spyOn(keys, 'touchLastUsed');
  const usage = new MemoryUsageStore();
  const logger = recordingLogger();
  const clock = fixedClock(instant(0, '12:00'));
  /** One aggregator process: its own last-use recorder, as each Lambda instance has. */
  const aggregator = () => {
    const lastUse = new DailyLastUse(keys, logger);
    return (records: readonly AccessRecord[]) => aggregateAccessRecords(records, { store: usage, clock, lastUse });
  };
  return {
    keys,
    usage,
    logger,
    clock,
    aggregator,
    touches,
    owner,
    idle,
    plaintexts: [owner.plaintext, idle.plaintext],
  };
}

async function lastUsedAtOf(keys: MemoryKeyStore, id: string): Promise<string | null | undefined> {
  return (await keys.getKey(id))?.lastUsedAt;
}

async function requestsOf(usage: MemoryUsageStore, keyId: string, at: string): Promise<number | undefined> {
  const start = bucketStart('day', ms(at));
  return (await usage.readBuckets('key', keyId, 'day', start, start + 86_400_000))[0]?.delta.requests;
}

describe("the aggregator and a key's last use", () => {
  it('moves a key last used long ago to the latest request it counted, and its activity day with it', async () => {
    const { keys, aggregator, idle } = await setup();
    const records = [
      request(idle.item.id, instant(0, '10:15')),
      request(idle.item.id, instant(0, '11:40')),
      request(idle.item.id, instant(0, '09:05')),
    ];

    await aggregator()(records);

    const key = (await keys.getKey(idle.item.id)) as KeyItem;
    expect(key.lastUsedAt).toBe(instant(0, '11:40'));
    expect(activityDayOf(key)).toBe(day(0));
  });

  it('writes once per key per batch, however many of its requests the batch holds, throttled ones included', async () => {
    const { aggregator, touches, owner, idle } = await setup();
    const records = [
      ...Array.from({ length: 300 }, (_, i) =>
        request(idle.item.id, instant(0, `10:${String(i % 60).padStart(2, '0')}`)),
      ),
      ...Array.from({ length: 200 }, () => request(owner.item.id, instant(0, '11:00'), { status: 429 })),
      request(owner.item.id, instant(0, '11:30'), { status: 429 }),
    ];

    await aggregator()(records);

    expect(touches.mock.calls.map(([id, at]) => [id, at.toISOString()]).sort()).toEqual(
      [
        [idle.item.id, instant(0, '10:59')],
        [owner.item.id, instant(0, '11:30')],
      ].sort(),
    );
  });

  it('never moves a last use back: a batch of older requests, counted later, leaves it', async () => {
    const { keys, aggregator, touches, idle } = await setup();
    await aggregator()([request(idle.item.id, instant(0, '11:00'))]);
    // another aggregator instance, which never saw the newer batch, counts an older one.
    await aggregator()([request(idle.item.id, instant(0, '08:00'))]);

    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(instant(0, '11:00'));
    expect(await touches.mock.results[1]?.value).toBe(false);
  });

  it('does not recreate a deleted key', async () => {
    const { keys, aggregator, usage, logger, idle } = await setup();
    await keys.deleteKey('acme', idle.item.id);

    await aggregator()([request(idle.item.id, instant(0, '11:00'))]);

    expect(await keys.getKey(idle.item.id)).toBeUndefined();
    // its requests still count: they happened.
    expect(await requestsOf(usage, idle.item.id, instant(0, '11:00'))).toBe(1);
    expect(logger.lines.filter((line) => line.level !== 'INFO')).toEqual([]);
  });

  it('keeps the counters of a batch whose last-use write fails, logs it without the key, and a redelivery counts once', async () => {
    const { keys, usage, logger, aggregator, touches, idle, plaintexts } = await setup();
    const batch = [request(idle.item.id, instant(0, '10:00')), request(idle.item.id, instant(0, '11:00'))];
    touches.mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException: rate of requests exceeds'));

    const first = await aggregator()(batch);

    expect(first).toMatchObject({ records: 2, duplicate: false });
    expect(await requestsOf(usage, idle.item.id, instant(0, '10:00'))).toBe(2);
    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(instant(-95, '09:30'));
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'lastUsedAt not recorded',
        fields: expect.objectContaining({ keyId: idle.item.id }),
      }),
    );
    for (const plaintext of plaintexts) expect(logger.text()).not.toContain(plaintext);

    // the same batch again (a retry, a replay from the dead-letter queue): counted once, last use recorded.
    const again = await aggregator()([...batch].reverse());

    expect(again).toMatchObject({ duplicate: true, writes: 0 });
    expect(await requestsOf(usage, idle.item.id, instant(0, '10:00'))).toBe(2);
    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(instant(0, '11:00'));
  });

  it('writes a key at most once per UTC day in one instance: the day is what the staleness notice reads', async () => {
    const { keys, aggregator, clock, touches, idle } = await setup();
    const aggregate = aggregator();
    await aggregate([request(idle.item.id, instant(0, '10:00'))]);
    await aggregate([request(idle.item.id, instant(0, '11:00'))]);
    clock.set(instant(1, '12:00'));
    await aggregate([request(idle.item.id, instant(1, '09:00'))]);

    expect(touches.mock.calls.map(([, at]) => at.toISOString())).toEqual([instant(0, '10:00'), instant(1, '09:00')]);
    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(instant(1, '09:00'));
  });

  it('leaves a key the authorizer recorded earlier the same day: the day is right, the time is the authorizer’s', async () => {
    const { keys, aggregator, idle } = await setup(instant(0, '09:00'));

    await aggregator()([request(idle.item.id, instant(0, '11:00'))]);

    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(instant(0, '09:00'));
  });

  it("tries a failed write again with the key's next batch in the same instance", async () => {
    const { keys, aggregator, touches, idle } = await setup();
    const aggregate = aggregator();
    touches.mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));
    await aggregate([request(idle.item.id, instant(0, '10:00'))]);

    await aggregate([request(idle.item.id, instant(0, '10:30'))]);

    expect(touches).toHaveBeenCalledTimes(2);
    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(instant(0, '10:30'));
  });

  it("records no key for a session's requests or for requests refused before any key was known", async () => {
    const { aggregator, touches } = await setup();
    const { keyId: _k, tenantId: _t, environment: _e, ...refused } = request('-', instant(0, '11:00'), { status: 401 });

    await aggregator()([refused, request('ses_0123456789abcdef01234567', instant(0, '11:00'))]);

    expect(touches).not.toHaveBeenCalled();
  });

  it("records a request stamped after the aggregator's clock as used now, never in the future", async () => {
    const { keys, aggregator, clock, idle } = await setup();

    await aggregator()([request(idle.item.id, instant(1, '12:00'))]);

    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(clock().toISOString());
  });

  it('leaves last use alone when the aggregator is given no recorder', async () => {
    const { keys, usage, clock, idle } = await setup();

    await aggregateAccessRecords([request(idle.item.id, instant(0, '11:00'))], { store: usage, clock });

    expect(await lastUsedAtOf(keys, idle.item.id)).toBe(instant(-95, '09:30'));
  });
});
