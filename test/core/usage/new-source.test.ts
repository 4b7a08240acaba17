import type { AccessRecord } from '../../../lambdas/core/usage/access-record';
import { aggregateAccessRecords, networkOf } from '../../../lambdas/core/usage/aggregate';
import { bucketStart } from '../../../lambdas/core/usage/counters';
import { MemoryUsageStore } from '../../support/fakes/memory-usage-store';
import { instant } from '../../support/time';
import { accessRecord } from '../../support/fixtures';

const DAY = 86_400_000;
/** A request of key `k1` of tenant `acme` at `at` (ms), from `ip`. */
const record = (at: number, ip: string, changes: Partial<AccessRecord> = {}): AccessRecord =>
  accessRecord(at, { ip, ...changes });

const start = Date.parse(instant(0, '10:00'));
function setup(newSourceDays?: number) {
  const store = new MemoryUsageStore();
  let now = start;
  const clock = () => new Date(now);
  const deps = { store, clock, ...(newSourceDays === undefined ? {} : { newSourceDays }) };
  const at = (ms: number) => {
    now = ms;
  };
  return { store, deps, at };
}
const newSources = (store: MemoryUsageStore) => store.events.filter((event) => event.type === 'key.new_source');

describe('key.new_source', () => {
  it('names the /24 of an IPv4 address and the /48 of an IPv6 one', () => {
    expect(networkOf('203.0.113.57')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(networkOf('::ffff:198.51.100.7')).toBe('198.51.100.0/24');
  });

  it('is off unless the setting asks for it', async () => {
    const { store, deps } = setup();
    await aggregateAccessRecords([record(start, '203.0.113.5')], deps);
    expect(newSources(store)).toEqual([]);
  });

  it('emits one event for a new network, none for the same network again, again after N days', async () => {
    const { store, deps, at } = setup(30);
    await aggregateAccessRecords(
      [record(start + 1000, '203.0.113.5', { userAgent: 'sdk/2' }), record(start, '203.0.113.9')],
      deps,
    );
    expect(newSources(store)).toEqual([
      expect.objectContaining({
        type: 'key.new_source',
        tenantId: 'acme',
        keyId: 'k1',
        environment: 'live',
        actor: { system: 'aggregator' },
        details: {
          keyId: 'k1',
          tenantId: 'acme',
          network: '203.0.113.0/24',
          ip: '203.0.113.9',
          userAgent: 'curl/8',
          firstSeen: new Date(start).toISOString(),
        },
      }),
    ]);
    at(start + 2 * DAY);
    await aggregateAccessRecords([record(start + 2 * DAY, '203.0.113.200')], deps);
    expect(newSources(store)).toHaveLength(1);
    await aggregateAccessRecords([record(start + 2 * DAY, '198.51.100.1')], deps);
    expect(newSources(store).map((event) => event.details.network)).toEqual(['203.0.113.0/24', '198.51.100.0/24']);
    const later = start + 2 * DAY + 31 * DAY;
    at(later);
    await aggregateAccessRecords([record(later, '203.0.113.7')], deps);
    expect(newSources(store).map((event) => event.details.network)).toEqual([
      '203.0.113.0/24',
      '198.51.100.0/24',
      '203.0.113.0/24',
    ]);
    expect(bucketStart('day', later)).toBeLessThanOrEqual(later);
  });

  it('writes no second event for a redelivered batch', async () => {
    const { store, deps } = setup(30);
    const batch = [record(start, '203.0.113.5'), record(start, '2001:db8:1:2::5')];
    await aggregateAccessRecords(batch, deps);
    const again = await aggregateAccessRecords(batch, deps);
    expect(again.duplicate).toBe(true);
    expect(newSources(store).map((event) => event.details.network)).toEqual(['2001:db8:1::/48', '203.0.113.0/24']);
  });
});

describe('session traffic', () => {
  it('counts a session for its tenant only: no key counters, sources or new-source events', async () => {
    const { store, deps } = setup(30);
    await aggregateAccessRecords([record(start, '203.0.113.5', { keyId: 'ses_abc' })], deps);
    const day = bucketStart('day', start);
    expect(await store.readBuckets('key', 'ses_abc', 'day', day, day + DAY)).toEqual([]);
    expect(await store.readSources('ses_abc', day, day + DAY)).toEqual([]);
    expect((await store.readBuckets('tenant', 'acme', 'day', day, day + DAY))[0]?.delta).toMatchObject({ requests: 1 });
    expect(newSources(store)).toEqual([]);
  });
});
