import type { AccessRecord } from '../../../lambdas/core/usage/access-record';
import { aggregateAccessRecords } from '../../../lambdas/core/usage/aggregate';
import { bucketStart, latencyPercentile, LATENCY_BOUNDS_MS } from '../../../lambdas/core/usage/counters';
import { MemoryUsageStore } from '../../support/fakes/memory-usage-store';
import { fixedClock, instant } from '../../support/time';
import { accessRecord } from '../../support/fixtures';

const ms = (iso: string): number => Date.parse(iso);
const HOUR = 3_600_000;

/** A request of key `k1` of tenant `acme` at `at`, answered 200 in 20 ms. */
const record = (at: string, changes: Partial<AccessRecord> = {}): AccessRecord => accessRecord(ms(at), changes);

const refused = (at: string): AccessRecord => {
  const { keyId: _key, tenantId: _tenant, environment: _env, ...rest } = record(at, { status: 401 });
  return rest;
};

function setup() {
  const store = new MemoryUsageStore();
  const clock = fixedClock(instant(0, '12:00'));
  return { store, deps: { store, clock } };
}

async function hourOf(store: MemoryUsageStore, scope: 'key' | 'tenant' | 'stage', id: string, at: string) {
  const start = bucketStart('hour', ms(at));
  return (await store.readBuckets(scope, id, 'hour', start, start + HOUR))[0]?.delta;
}

describe('aggregateAccessRecords', () => {
  it('counts requests by status class, denied (401, 403) and throttled (429), per key and per tenant', async () => {
    const { store, deps } = setup();
    const at = instant(0, '10:05');
    const statuses = [200, 201, 204, 304, 400, 401, 403, 404, 429, 429, 500, 503];
    await aggregateAccessRecords(
      statuses.map((status) => record(at, { status })),
      deps,
    );
    for (const [scope, id] of [
      ['key', 'k1'],
      ['tenant', 'acme'],
    ] as const) {
      expect(await hourOf(store, scope, id, at)).toMatchObject({
        requests: 12,
        status2xx: 3,
        status3xx: 1,
        status4xx: 6,
        status5xx: 2,
        denied: 2,
        throttled: 2,
      });
    }
  });

  it('counts requests refused before the authorizer for the stage, not for any key or tenant', async () => {
    const { store, deps } = setup();
    const at = instant(0, '10:05');
    await aggregateAccessRecords([refused(at), refused(at), record(at)], deps);
    expect(await hourOf(store, 'stage', 'prod', at)).toMatchObject({ requests: 2, denied: 2, status4xx: 2 });
    expect(await hourOf(store, 'key', 'k1', at)).toMatchObject({ requests: 1, denied: 0 });
    expect(await hourOf(store, 'tenant', 'acme', at)).toMatchObject({ requests: 1 });
  });

  it('puts a request in the hour and day it arrived in, by its own time, across both boundaries', async () => {
    const { store, deps } = setup();
    const records = [
      record(instant(0, '22:59:59.999')),
      record(instant(0, '23:00')),
      record(instant(0, '23:59:59.999')),
      record(instant(1, '00:00')),
    ];
    await aggregateAccessRecords(records, deps);
    const hours = await store.readBuckets('key', 'k1', 'hour', ms(instant(0, '22:00')), ms(instant(1, '01:00')));
    expect(hours.map((h) => [new Date(h.bucket).toISOString(), h.delta.requests])).toEqual([
      [instant(0, '22:00'), 1],
      [instant(0, '23:00'), 2],
      [instant(1, '00:00'), 1],
    ]);
    const days = await store.readBuckets('key', 'k1', 'day', ms(instant(0)), ms(instant(2)));
    expect(days.map((d) => [new Date(d.bucket).toISOString(), d.delta.requests])).toEqual([
      [instant(0), 3],
      [instant(1), 1],
    ]);
  });

  it('keeps hours for 35 days and days for 400 by default (TTL), or as configured', async () => {
    const { store, deps } = setup();
    const at = instant(0, '10:05');
    await aggregateAccessRecords([record(at)], deps);
    const hourEnd = ms(instant(0, '11:00'));
    const dayEnd = ms(instant(1));
    expect(store.ttlOf('key', 'k1', 'hour', ms(instant(0, '10:00')))).toBe((hourEnd + 35 * 86_400_000) / 1000);
    expect(store.ttlOf('key', 'k1', 'day', ms(instant(0)))).toBe((dayEnd + 400 * 86_400_000) / 1000);
    const other = new MemoryUsageStore();
    await aggregateAccessRecords([record(at)], { ...deps, store: other, retention: { hourlyDays: 2, dailyDays: 30 } });
    expect(other.ttlOf('tenant', 'acme', 'hour', ms(instant(0, '10:00')))).toBe((hourEnd + 2 * 86_400_000) / 1000);
  });

  it('writes each item once per batch, however many records fall in it', async () => {
    const { store, deps } = setup();
    const records = [
      ...Array.from({ length: 300 }, (_, i) => record(instant(0, '10:00'), { latencyMs: i })),
      ...Array.from({ length: 200 }, () => record(instant(0, '11:30'), { keyId: 'k2', ip: '127.0.0.2' })),
      ...Array.from({ length: 50 }, () => refused(instant(0, '11:45'))),
    ];
    const result = await aggregateAccessRecords(records, deps);
    // k1: 10h, day; k2: 11h, day; acme: 10h, 11h, day; stage: 11h, day; sources: k1 day, k2 day.
    expect(store.writes).toHaveLength(11);
    expect(result).toEqual({ records: 550, duplicate: false, writes: 11 });
    const names = store.writes.map((w) =>
      'granularity' in w ? `${w.scope}/${w.id}/${w.granularity}/${w.bucket}` : `sources/${w.keyId}/${w.day}`,
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('counts a batch delivered twice once, in any order', async () => {
    const { store, deps } = setup();
    const batch = Array.from({ length: 10 }, (_, i) => record(instant(0, '10:00'), { eventId: `evt-${i}` }));
    expect((await aggregateAccessRecords(batch, deps)).duplicate).toBe(false);
    expect(await aggregateAccessRecords([...batch].reverse(), deps)).toMatchObject({ duplicate: true, writes: 0 });
    expect((await hourOf(store, 'key', 'k1', instant(0, '10:00')))?.requests).toBe(10);
  });

  it('counts a record repeated inside one batch once', async () => {
    const { store, deps } = setup();
    const one = record(instant(0, '10:00'), { eventId: 'evt-1' });
    expect((await aggregateAccessRecords([one, one, { ...one }], deps)).records).toBe(1);
    expect((await hourOf(store, 'key', 'k1', instant(0, '10:00')))?.requests).toBe(1);
  });

  it("keeps a key's busiest sources of the day, with first and last seen", async () => {
    const { store, deps } = setup();
    const records = [
      record(instant(0, '09:00'), { ip: '203.0.113.1' }),
      record(instant(0, '10:00'), { ip: '203.0.113.1' }),
      record(instant(0, '11:00'), { ip: '203.0.113.1' }),
      record(instant(0, '09:30'), { ip: '198.51.100.7', userAgent: 'python' }),
      ...Array.from({ length: 5 }, (_, i) => record(instant(0, '08:00'), { ip: `192.0.2.${i}` })),
    ];
    await aggregateAccessRecords(records, { ...deps, sourcesPerDay: 2 });
    const [day] = await store.readSources('k1', ms(instant(0)), ms(instant(1)));
    expect(day).toEqual([
      {
        ip: '203.0.113.1',
        userAgent: 'curl/8',
        firstSeen: ms(instant(0, '09:00')),
        lastSeen: ms(instant(0, '11:00')),
        requests: 3,
      },
      {
        ip: '198.51.100.7',
        userAgent: 'python',
        firstSeen: ms(instant(0, '09:30')),
        lastSeen: ms(instant(0, '09:30')),
        requests: 1,
      },
    ]);
  });

  it('keeps latency in a fixed histogram that gives p50 and p95', async () => {
    const { store, deps } = setup();
    // 90 fast (≤ 25 ms), 10 slow (≤ 1 s).
    const records = [
      ...Array.from({ length: 90 }, () => record(instant(0, '10:00'), { latencyMs: 20 })),
      ...Array.from({ length: 10 }, () => record(instant(0, '10:00'), { latencyMs: 700 })),
    ];
    await aggregateAccessRecords(records, deps);
    const delta = await hourOf(store, 'key', 'k1', instant(0, '10:00'));
    expect(delta?.latency).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    expect(latencyPercentile(delta?.latency ?? [], 0.5)).toBe(25);
    expect(latencyPercentile(delta?.latency ?? [], 0.95)).toBe(1000);
    expect(latencyPercentile([0, 0], 0.5)).toBeNull();
  });

  it('writes nothing for an empty batch', async () => {
    const { store, deps } = setup();
    expect(await aggregateAccessRecords([], deps)).toEqual({ records: 0, duplicate: false, writes: 0 });
    expect(store.writes).toEqual([]);
  });
});
