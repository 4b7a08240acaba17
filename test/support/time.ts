import type { Clock } from '../../lambdas/core/support/clock';

const DAY_MS = 86_400_000;

/**
 * The instant a test's clock starts at: 2001-11-23T10:00:00.000Z. It is far from any plausible
 * "now" on purpose, so that code reading the real clock where it should read the injected one
 * fails at once instead of a year from now. 2001 and 2002 are common years, like most years
 * around it, so a day offset lands on the same month and day whatever the base year.
 */
export const BASE = '2001-11-23T10:00:00.000Z';

/** Midnight UTC of the day an origin falls on, as epoch milliseconds. */
function midnight(origin: Date | string | number): number {
  const ms = typeof origin === 'number' ? origin : typeof origin === 'string' ? Date.parse(origin) : origin.getTime();
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${String(origin)}`);
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

/**
 * An instant as ISO text: `time` (UTC, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.sss`) on the day `days`
 * after the day `origin` falls on. `instant(7)` is midnight a week after the base day;
 * `instant(-1, '23:59:59.999')` is the last millisecond before it.
 *
 * @param origin - the clock or instant to count from. @default - {@link BASE}
 */
export function instant(days: number, time = '00:00', origin: Date | string | number = BASE): string {
  const match = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{3}))?)?$/.exec(time);
  if (match === null) throw new Error(`not a time of day: ${time}`);
  const [, h, m, s = '0', ms = '0'] = match;
  const offset = ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(ms);
  return new Date(midnight(origin) + days * DAY_MS + offset).toISOString();
}

/**
 * A calendar day as `YYYY-MM-DD`: `days` after the day `origin` falls on.
 *
 * @param origin - the clock or instant to count from. @default - {@link BASE}
 */
export function day(days: number, origin: Date | string | number = BASE): string {
  return instant(days, '00:00', origin).slice(0, 10);
}

/** A clock that tests may move. */
export type TestClock = Clock & { set(iso: string): void; advance(ms: number): void };

/**
 * A clock fixed at an instant that tests may move.
 *
 * @param iso - where it starts. @default - {@link BASE}
 */
export function fixedClock(iso: string = BASE): TestClock {
  let now = new Date(iso);
  const clock = (() => new Date(now.getTime())) as TestClock;
  clock.set = (next) => {
    now = new Date(next);
  };
  clock.advance = (ms) => {
    now = new Date(now.getTime() + ms);
  };
  return clock;
}
