import type { PlanLimits } from '../model';

/** A usage plan's quota period: `DAY`, `WEEK` or `MONTH`. */
export type QuotaPeriod = NonNullable<PlanLimits['quota']>['period'];

/** A quota period as epoch milliseconds: `start` inclusive, `end` exclusive. */
export interface PeriodBounds {
  readonly start: number;
  readonly end: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The calendar period, in UTC, that contains an instant. A `DAY` starts at 00:00Z; a `MONTH` on
 * the 1st at 00:00Z; a `WEEK` on Sunday at 00:00Z, since API Gateway's quota settings
 * documented a week with the default offset 0 as starting on Sunday.
 */
export function quotaPeriodBounds(period: QuotaPeriod, at: number): PeriodBounds {
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  switch (period) {
    case 'DAY': {
      const start = Date.UTC(year, month, day);
      return { start, end: start + DAY_MS };
    }
    case 'WEEK': {
      const start = Date.UTC(year, month, day - date.getUTCDay());
      return { start, end: start + 7 * DAY_MS };
    }
    case 'MONTH':
      return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  }
}
