import type { SourceCount } from './usage-store';

/**
 * The sources of `before` and `added` together, one entry per address and user agent, the
 * busiest `limit` of them (ties: the most recent first). A source that drops out of the top loses
 * its count: the day's totals still hold its requests, the list is a bounded "who was it".
 */
export function mergeSources(
  before: readonly SourceCount[],
  added: readonly SourceCount[],
  limit: number,
): SourceCount[] {
  const merged = new Map<string, SourceCount>();
  for (const source of [...before, ...added]) {
    const name = `${source.ip}\u0000${source.userAgent}`;
    const seen = merged.get(name);
    merged.set(
      name,
      seen === undefined
        ? { ...source }
        : {
            ip: source.ip,
            userAgent: source.userAgent,
            firstSeen: Math.min(seen.firstSeen, source.firstSeen),
            lastSeen: Math.max(seen.lastSeen, source.lastSeen),
            requests: seen.requests + source.requests,
          },
    );
  }
  return [...merged.values()].sort(busiestFirst).slice(0, Math.max(0, limit));
}

function busiestFirst(a: SourceCount, b: SourceCount): number {
  if (a.requests !== b.requests) return b.requests - a.requests;
  if (a.lastSeen !== b.lastSeen) return b.lastSeen - a.lastSeen;
  const left = `${a.ip}\u0000${a.userAgent}`;
  const right = `${b.ip}\u0000${b.userAgent}`;
  return left < right ? -1 : left > right ? 1 : 0;
}
