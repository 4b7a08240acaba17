import { AuthorizerCache } from '../../local/authorizer-cache';

const TOKEN = `Bearer sk_test_${'a'.repeat(72)}`;

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('AuthorizerCache', () => {
  it('returns what was set for the same token', () => {
    const cache = new AuthorizerCache<string>(300_000);
    cache.set(TOKEN, 'result');
    expect(cache.get(TOKEN)).toBe('result');
    expect(cache.size).toBe(1);
  });

  it('misses for a token that differs by a single character', () => {
    const cache = new AuthorizerCache<string>(300_000);
    cache.set(TOKEN, 'result');
    expect(cache.get(`${TOKEN.slice(0, -1)}b`)).toBeUndefined();
  });

  it('keys entries by the token exactly: a bare key and its Bearer form are different identity sources', () => {
    const cache = new AuthorizerCache<string>(300_000);
    cache.set(TOKEN, 'bearer');
    expect(cache.get(TOKEN.replace('Bearer ', ''))).toBeUndefined();
  });

  it('serves an entry until just before its TTL runs out', () => {
    const clock = manualClock();
    const cache = new AuthorizerCache<string>(1_000, clock.now);
    cache.set(TOKEN, 'result');
    clock.advance(999);
    expect(cache.get(TOKEN)).toBe('result');
  });

  it('drops an entry once its TTL has run out', () => {
    const clock = manualClock();
    const cache = new AuthorizerCache<string>(1_000, clock.now);
    cache.set(TOKEN, 'result');
    clock.advance(1_000);
    expect(cache.get(TOKEN)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('restarts the TTL when a token is set again', () => {
    const clock = manualClock();
    const cache = new AuthorizerCache<string>(1_000, clock.now);
    cache.set(TOKEN, 'first');
    clock.advance(800);
    cache.set(TOKEN, 'second');
    clock.advance(800);
    expect(cache.get(TOKEN)).toBe('second');
    expect(cache.size).toBe(1);
  });

  it('empties on flush, as FlushStageAuthorizersCache does', () => {
    const cache = new AuthorizerCache<string>(300_000);
    cache.set(TOKEN, 'a');
    cache.set('other', 'b');
    cache.flush();
    expect(cache.size).toBe(0);
    expect(cache.get(TOKEN)).toBeUndefined();
    expect(cache.get('other')).toBeUndefined();
  });

  it('caches nothing when the TTL is 0', () => {
    const cache = new AuthorizerCache<string>(0);
    cache.set(TOKEN, 'result');
    expect(cache.size).toBe(0);
    expect(cache.get(TOKEN)).toBeUndefined();
  });

  it('evicts the oldest entry once full, so memory stays bounded', () => {
    const cache = new AuthorizerCache<number>(300_000, Date.now, 3);
    for (let i = 0; i < 5; i += 1) cache.set(`token-${i}`, i);
    expect(cache.size).toBe(3);
    expect(cache.get('token-0')).toBeUndefined();
    expect(cache.get('token-1')).toBeUndefined();
    expect([cache.get('token-2'), cache.get('token-3'), cache.get('token-4')]).toEqual([2, 3, 4]);
  });

  it('evicts nothing when a token already cached is set again in a full cache', () => {
    const cache = new AuthorizerCache<number>(300_000, Date.now, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('b', 3);
    expect(cache.size).toBe(2);
    expect([cache.get('a'), cache.get('b')]).toEqual([1, 3]);
  });

  it('counts a token set again as the youngest when evicting', () => {
    const cache = new AuthorizerCache<number>(300_000, Date.now, 3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    cache.set('d', 5);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([3, 4, 5]);
  });

  it('stays within the default bound of 10 000 entries under a flood of distinct tokens', () => {
    const cache = new AuthorizerCache<number>(300_000);
    for (let i = 0; i < 10_050; i += 1) cache.set(`token-${i}`, i);
    expect(cache.size).toBe(10_000);
    expect(cache.get('token-10049')).toBe(10_049);
  });

  it('keeps no plaintext token in its map keys', () => {
    const cache = new AuthorizerCache<string>(300_000);
    cache.set(TOKEN, 'result');
    // the private map, read the way a heap dump would see it.
    const keys = [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('sk_test_');
    expect(keys[0]).not.toContain('a'.repeat(16));
  });

  it('keeps one pending flush for a grace end scheduled twice, as a one-time schedule named by it does', () => {
    const clock = manualClock();
    const cache = new AuthorizerCache<string>(300_000, clock.now);
    cache.flushAt(clock.now() + 7 * 86_400_000);
    cache.flushAt(clock.now() + 7 * 86_400_000);
    cache.flushAt(clock.now() + 86_400_000);
    expect(cache.pendingFlushes).toBe(2);
  });

  it('rejects a negative TTL or a zero bound', () => {
    expect(() => new AuthorizerCache<string>(-1)).toThrow(RangeError);
    expect(() => new AuthorizerCache<string>(1_000, Date.now, 0)).toThrow(RangeError);
  });
});
