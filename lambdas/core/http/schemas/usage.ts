import * as z from 'zod/mini';
import { limitQuerySchema } from '../http';

/** An instant of a usage window: an ISO 8601 date (`2026-12-01`, midnight UTC) or a UTC date-time. */
const instantQuerySchema = z.optional(
  z.string().check(
    z.regex(
      /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z)?$/,
      'must be an ISO 8601 date (YYYY-MM-DD) or UTC date-time (YYYY-MM-DDTHH:MM:SSZ)',
    ),
    z.refine((text: string) => !Number.isNaN(Date.parse(text)), 'must be a real date'),
  ),
);

/** The window of a usage read: `from`, `to` and `granularity`. */
const windowShape = {
  from: instantQuerySchema,
  to: instantQuerySchema,
  granularity: z.optional(z.enum(['hour', 'day'])),
};

/** The query of `GET /v1/usage`, `GET /v1/keys/{id}/usage` and `GET /v1/panel/tenants/{tenantId}/usage`. */
export const usageQuerySchema = z.strictObject(windowShape);

/** The query of `GET /v1/panel/usage`: tenants ranked, by day. */
export const usageRankingQuerySchema = z.strictObject({
  from: instantQuerySchema,
  to: instantQuerySchema,
  sort: z.optional(z.enum(['requests', 'errors', 'throttled'])),
  limit: limitQuerySchema,
});
