import { isIPv4 } from 'node:net';
import { newEvent, type KeygateEvent } from '../events/model';
import type { AccessRecord } from './access-record';
import { bucketStart } from './counters';
import type { UsageStore } from './usage-store';

const DAY_MS = 86_400_000;

/**
 * The network an address belongs to, as keygate watches them: its /24 for IPv4 (an
 * IPv4-mapped IPv6 address counts as IPv4), its /48 for IPv6 (a site's usual allocation).
 */
export function networkOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped?.[1] ?? ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 3)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/48`;
}

/**
 * One `key.new_source` event per key and network of the batch that the key's sources of the
 * `days` before its first request from there do not hold; the event names that first request.
 * The events ride in the batch's own write (see `UsageStore.apply`), so a redelivered batch
 * writes none again. Sources are the busiest few per day, so a network seen only in a dropped,
 * quieter source counts as new: a false alarm, never a missed one.
 */
export async function newSourceEvents(
  records: readonly AccessRecord[],
  store: UsageStore,
  days: number,
  now: Date,
): Promise<KeygateEvent[]> {
  const first = new Map<string, AccessRecord & { keyId: string; tenantId: string }>();
  for (const record of records) {
    if (record.keyId === undefined || record.tenantId === undefined || record.ip === '-') continue;
    if (record.keyId.startsWith('ses_')) continue;
    const name = `${record.keyId}\u0000${networkOf(record.ip)}`;
    const before = first.get(name);
    if (before === undefined || record.requestTimeEpoch < before.requestTimeEpoch) {
      first.set(name, { ...record, keyId: record.keyId, tenantId: record.tenantId });
    }
  }
  const events: KeygateEvent[] = [];
  const seenByKey = new Map<string, Map<string, number>>();
  for (const name of [...first.keys()].sort()) {
    const record = first.get(name)!;
    const network = networkOf(record.ip);
    let seen = seenByKey.get(record.keyId);
    if (seen === undefined) {
      seen = await lastSeenPerNetwork(store, record.keyId, now.getTime() - (days + 1) * DAY_MS, now.getTime());
      seenByKey.set(record.keyId, seen);
    }
    const last = seen.get(network);
    if (last !== undefined && last >= record.requestTimeEpoch - days * DAY_MS) continue;
    events.push(
      newEvent({
        type: 'key.new_source',
        tenantId: record.tenantId,
        keyId: record.keyId,
        ...(record.environment === 'live' || record.environment === 'test' ? { environment: record.environment } : {}),
        actor: { system: 'aggregator' },
        details: {
          keyId: record.keyId,
          tenantId: record.tenantId,
          network,
          ip: record.ip,
          userAgent: record.userAgent ?? '',
          firstSeen: new Date(record.requestTimeEpoch).toISOString(),
        },
        at: now,
      }),
    );
  }
  return events;
}

/** The last time each network appears in a key's sources of the days starting in `[from, to]`. */
async function lastSeenPerNetwork(
  store: UsageStore,
  keyId: string,
  from: number,
  to: number,
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const day of await store.readSources(keyId, bucketStart('day', from), bucketStart('day', to) + DAY_MS)) {
    for (const source of day) {
      const network = networkOf(source.ip);
      seen.set(network, Math.max(seen.get(network) ?? 0, source.lastSeen));
    }
  }
  return seen;
}
