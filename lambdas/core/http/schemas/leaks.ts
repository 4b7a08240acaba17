import * as z from 'zod/mini';

/** The body of `POST /v1/panel/leaks`. */
export const panelLeakSchema = z.strictObject({
  key: z.string().check(z.minLength(1), z.maxLength(1024)),
  url: z.optional(z.string().check(z.maxLength(2048))),
});
