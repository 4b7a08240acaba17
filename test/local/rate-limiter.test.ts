import { quotaPeriodBounds } from '../../lambdas/core/plans/quota';
import { RateLimiter, type RateLimits } from '../../local/rate-limiter';

const KEY = 'usage-key-1';
const STARTER: RateLimits = { rateLimit: 10, burstLimit: 20 };

/** A clock the test moves by hand. */
function manualClock(start: number | string = '2003-03-12T10:00:00.000Z'): {
  now: () => number;
  advance: (ms: number) => void;
  set: (at: string) => void;
} {
  let time = typeof start === 'number' ? start : Date.parse(start);
  return { now: () => time, advance: (ms) => (time += ms), set: (at) => (time = Date.parse(at)) };
}

/** Takes `count` requests at once and returns how many were allowed. */
function burst(limiter: RateLimiter, limits: RateLimits, count: number, key = KEY): number {
  let allowed = 0;
  for (let i = 0; i < count; i += 1) if (limiter.take(key, limits).allowed) allowed += 1;
  return allowed;
}

describe('RateLimiter token bucket', () => {
  it('allows exactly burstLimit requests at once, starting full', () => {
    const limiter = new RateLimiter(manualClock().now);
    expect(burst(limiter, STARTER, 20)).toBe(20);
  });

  it('refuses the request after the burst as rate_limited, retry after 1 s', () => {
    const limiter = new RateLimiter(manualClock().now);
    burst(limiter, STARTER, 20);
    expect(limiter.take(KEY, STARTER)).toEqual({ allowed: false, reason: 'rate_limited', retryAfterSeconds: 1 });
  });

  it('refills one token after 1/rate seconds, and not before', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    burst(limiter, STARTER, 20);
    clock.advance(99);
    expect(limiter.take(KEY, STARTER).allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take(KEY, STARTER)).toEqual({ allowed: true });
    expect(limiter.take(KEY, STARTER).allowed).toBe(false);
  });

  it('refills continuously at rateLimit per second, up to the burst', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    burst(limiter, STARTER, 20);
    clock.advance(1_000);
    expect(burst(limiter, STARTER, 15)).toBe(10);
    clock.advance(60_000);
    expect(burst(limiter, STARTER, 25)).toBe(20);
  });

  it('refills at a rate that does not divide a second exactly', () => {
    const clock = manualClock();
    const limits = { rateLimit: 3, burstLimit: 1 };
    const limiter = new RateLimiter(clock.now);
    expect(limiter.take(KEY, limits).allowed).toBe(true);
    clock.advance(333);
    expect(limiter.take(KEY, limits).allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take(KEY, limits).allowed).toBe(true);
  });

  it('says to retry after the seconds one token takes at a slow rate, rounded up', () => {
    const clock = manualClock();
    const limits = { rateLimit: 0.25, burstLimit: 1 };
    const limiter = new RateLimiter(clock.now);
    limiter.take(KEY, limits);
    expect(limiter.take(KEY, limits)).toEqual({ allowed: false, reason: 'rate_limited', retryAfterSeconds: 4 });
    clock.advance(1_500);
    expect(limiter.take(KEY, limits)).toEqual({ allowed: false, reason: 'rate_limited', retryAfterSeconds: 3 });
  });

  it('never says to retry after less than 1 s, even at a very high rate', () => {
    const limits = { rateLimit: 1e10, burstLimit: 1 };
    const limiter = new RateLimiter(manualClock().now);
    limiter.take(KEY, limits);
    expect(limiter.take(KEY, limits)).toEqual({ allowed: false, reason: 'rate_limited', retryAfterSeconds: 1 });
  });

  it('refills nothing, and takes nothing away, when the clock steps back', () => {
    const clock = manualClock();
    const limits = { rateLimit: 1, burstLimit: 1 };
    const limiter = new RateLimiter(clock.now);
    limiter.take(KEY, limits);
    clock.advance(-10_000);
    expect(limiter.take(KEY, limits)).toEqual({ allowed: false, reason: 'rate_limited', retryAfterSeconds: 1 });
    clock.advance(1_000);
    expect(limiter.take(KEY, limits)).toEqual({ allowed: true });
  });

  it('does not spend a token on a refused request', () => {
    const clock = manualClock();
    const limits = { rateLimit: 1, burstLimit: 1 };
    const limiter = new RateLimiter(clock.now);
    limiter.take(KEY, limits);
    for (let i = 0; i < 5; i += 1) limiter.take(KEY, limits);
    clock.advance(1_000);
    expect(limiter.take(KEY, limits).allowed).toBe(true);
  });

  it('keeps a bucket per usage key', () => {
    const limiter = new RateLimiter(manualClock().now);
    burst(limiter, STARTER, 20, 'a');
    expect(limiter.take('a', STARTER).allowed).toBe(false);
    expect(limiter.take('b', STARTER).allowed).toBe(true);
  });

  it('clamps the bucket to a smaller burst when the plan shrinks', () => {
    const limiter = new RateLimiter(manualClock().now);
    burst(limiter, { rateLimit: 100, burstLimit: 200 }, 10);
    expect(burst(limiter, STARTER, 30)).toBe(20);
  });

  it('refills to a larger burst at the new rate when the plan grows, without a free refill', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    burst(limiter, STARTER, 20);
    const growth = { rateLimit: 100, burstLimit: 200 };
    expect(limiter.take(KEY, growth).allowed).toBe(false);
    clock.advance(1_000);
    expect(burst(limiter, growth, 300)).toBe(100);
  });

  it('forgets a key on reset, and every key on reset()', () => {
    const limiter = new RateLimiter(manualClock().now);
    burst(limiter, STARTER, 20, 'a');
    burst(limiter, STARTER, 20, 'b');
    limiter.reset('a');
    expect(limiter.take('a', STARTER).allowed).toBe(true);
    expect(limiter.take('b', STARTER).allowed).toBe(false);
    limiter.reset();
    expect(limiter.take('b', STARTER).allowed).toBe(true);
  });

  it('rejects unusable limits', () => {
    const limiter = new RateLimiter(manualClock().now);
    expect(() => limiter.take(KEY, { rateLimit: 0, burstLimit: 10 })).toThrow(RangeError);
    expect(() => limiter.take(KEY, { rateLimit: 10, burstLimit: 0 })).toThrow(RangeError);
    expect(() => limiter.take(KEY, { rateLimit: Number.NaN, burstLimit: 10 })).toThrow(RangeError);
    expect(() => limiter.take(KEY, { ...STARTER, quota: { limit: 1.5, period: 'DAY' } })).toThrow(RangeError);
  });
});

describe('RateLimiter quota', () => {
  const daily = (limit: number): RateLimits => ({
    rateLimit: 1_000,
    burstLimit: 1_000,
    quota: { limit, period: 'DAY' },
  });

  it('allows quota.limit requests in a day, then refuses as quota_exceeded until midnight UTC', () => {
    const clock = manualClock('2003-03-12T23:59:58.500Z');
    const limiter = new RateLimiter(clock.now);
    expect(burst(limiter, daily(3), 3)).toBe(3);
    expect(limiter.take(KEY, daily(3))).toEqual({ allowed: false, reason: 'quota_exceeded', retryAfterSeconds: 2 });
  });

  it('resets the quota at the period boundary', () => {
    const clock = manualClock('2003-03-12T23:59:59.000Z');
    const limiter = new RateLimiter(clock.now);
    burst(limiter, daily(3), 3);
    clock.set('2003-03-12T23:59:59.999Z');
    expect(limiter.take(KEY, daily(3)).allowed).toBe(false);
    clock.set('2003-03-13T00:00:00.000Z');
    expect(limiter.take(KEY, daily(3))).toEqual({ allowed: true });
  });

  it('says to retry after the seconds left in the day, rounded up', () => {
    const clock = manualClock('2003-03-12T00:00:00.000Z');
    const limiter = new RateLimiter(clock.now);
    limiter.take(KEY, daily(1));
    expect(limiter.take(KEY, daily(1))).toMatchObject({ reason: 'quota_exceeded', retryAfterSeconds: 86_400 });
    clock.advance(200);
    expect(limiter.take(KEY, daily(1))).toMatchObject({ reason: 'quota_exceeded', retryAfterSeconds: 86_400 });
  });

  it('does not count requests refused by the rate limit against the quota', () => {
    const clock = manualClock();
    const limits: RateLimits = { rateLimit: 1, burstLimit: 2, quota: { limit: 10, period: 'DAY' } };
    const limiter = new RateLimiter(clock.now);
    expect(burst(limiter, limits, 5)).toBe(2);
    expect(limiter.usedInPeriod(KEY)).toBe(2);
  });

  it('does not spend a rate token on a request the quota refuses', () => {
    const clock = manualClock('2003-03-12T23:59:59.000Z');
    const limits: RateLimits = { rateLimit: 1, burstLimit: 1, quota: { limit: 1, period: 'DAY' } };
    const limiter = new RateLimiter(clock.now);
    limiter.take(KEY, limits);
    clock.advance(1_000);
    expect(limiter.take(KEY, limits)).toEqual({ allowed: true });
  });

  it('reports usage in the current period and 0 once it has ended', () => {
    const clock = manualClock('2003-03-12T12:00:00.000Z');
    const limiter = new RateLimiter(clock.now);
    burst(limiter, daily(100), 7);
    expect(limiter.usedInPeriod(KEY)).toBe(7);
    expect(limiter.usedInPeriod(KEY, Date.parse('2003-03-13T00:00:00.000Z'))).toBe(0);
    expect(limiter.usedInPeriod('unknown')).toBe(0);
  });

  it('counts nothing for a key without a quota', () => {
    const limiter = new RateLimiter(manualClock().now);
    burst(limiter, STARTER, 5);
    expect(limiter.usedInPeriod(KEY)).toBe(0);
  });

  it('refuses every request with a quota of 0', () => {
    const limiter = new RateLimiter(manualClock().now);
    expect(limiter.take(KEY, daily(0))).toMatchObject({ allowed: false, reason: 'quota_exceeded' });
  });

  it('starts a fresh count when the quota period changes', () => {
    const limiter = new RateLimiter(manualClock().now);
    burst(limiter, daily(2), 2);
    const monthly: RateLimits = { ...daily(2), quota: { limit: 2, period: 'MONTH' } };
    expect(limiter.take(KEY, monthly).allowed).toBe(true);
    expect(limiter.usedInPeriod(KEY)).toBe(1);
  });

  it('resets a monthly quota on the 1st at 00:00 UTC', () => {
    const clock = manualClock('2003-02-28T23:00:00.000Z');
    const monthly: RateLimits = { rateLimit: 100, burstLimit: 100, quota: { limit: 1, period: 'MONTH' } };
    const limiter = new RateLimiter(clock.now);
    limiter.take(KEY, monthly);
    expect(limiter.take(KEY, monthly)).toMatchObject({ reason: 'quota_exceeded', retryAfterSeconds: 3_600 });
    clock.set('2003-03-01T00:00:00.000Z');
    expect(limiter.take(KEY, monthly).allowed).toBe(true);
  });

  it('resets a weekly quota on Sunday at 00:00 UTC', () => {
    // 2003-03-15 is a Saturday.
    const clock = manualClock('2003-03-15T23:59:59.000Z');
    const weekly: RateLimits = { rateLimit: 100, burstLimit: 100, quota: { limit: 1, period: 'WEEK' } };
    const limiter = new RateLimiter(clock.now);
    limiter.take(KEY, weekly);
    expect(limiter.take(KEY, weekly)).toMatchObject({ reason: 'quota_exceeded', retryAfterSeconds: 1 });
    clock.set('2003-03-16T00:00:00.000Z');
    expect(limiter.take(KEY, weekly).allowed).toBe(true);
  });
});

describe('quotaPeriodBounds', () => {
  const bounds = (period: 'DAY' | 'WEEK' | 'MONTH', at: string): [string, string] => {
    const { start, end } = quotaPeriodBounds(period, Date.parse(at));
    return [new Date(start).toISOString(), new Date(end).toISOString()];
  };

  it('bounds a day from 00:00Z to the next 00:00Z', () => {
    expect(bounds('DAY', '2003-03-12T13:14:15Z')).toEqual(['2003-03-12T00:00:00.000Z', '2003-03-13T00:00:00.000Z']);
  });

  it('bounds a week from Sunday 00:00Z, across a month and year end', () => {
    expect(bounds('WEEK', '2003-03-12T13:14:15Z')).toEqual(['2003-03-09T00:00:00.000Z', '2003-03-16T00:00:00.000Z']);
    expect(bounds('WEEK', '2003-03-09T00:00:00Z')).toEqual(['2003-03-09T00:00:00.000Z', '2003-03-16T00:00:00.000Z']);
    expect(bounds('WEEK', '2003-01-01T12:00:00Z')).toEqual(['2002-12-29T00:00:00.000Z', '2003-01-05T00:00:00.000Z']);
  });

  it('bounds a month from the 1st 00:00Z, leap February and December included', () => {
    expect(bounds('MONTH', '2004-02-29T23:59:59Z')).toEqual(['2004-02-01T00:00:00.000Z', '2004-03-01T00:00:00.000Z']);
    expect(bounds('MONTH', '2003-12-31T23:59:59Z')).toEqual(['2003-12-01T00:00:00.000Z', '2004-01-01T00:00:00.000Z']);
  });
});
