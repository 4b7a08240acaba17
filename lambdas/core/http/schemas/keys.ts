import * as z from 'zod/mini';
import { EXPIRY_DAYS } from '../../keys/expiry';
import { ENVIRONMENTS, ROLES } from '../../keys/format';
import { metaSchema } from '../../keys/key-meta';
import { MAX_GRACE_HOURS } from '../../keys/key-service';
import { cursorQuerySchema, limitQuerySchema, nameSchema } from '../http';

/** The body of a key creation, for the tenant's own routes and the operator's alike. */
export const createKeySchema = z.strictObject({
  name: nameSchema,
  environment: z.optional(z.enum(ENVIRONMENTS)),
  role: z.optional(z.enum(ROLES)),
  expiresInDays: z.optional(
    z
      .number()
      .check(
        z.refine(
          (days: number) => (EXPIRY_DAYS as readonly number[]).includes(days),
          `must be one of ${EXPIRY_DAYS.join(', ')}`,
        ),
      ),
  ),
  expiresOn: z.optional(z.string()),
  meta: z.optional(metaSchema),
});

/** The body of a key change: a new name, new metadata (`{}` clears it), or both. */
export const updateKeySchema = z.strictObject({ name: z.optional(nameSchema), meta: z.optional(metaSchema) }).check(
  z.refine((body: { name?: string; meta?: unknown }) => body.name !== undefined || body.meta !== undefined, {
    message: 'name: give a name, meta or both',
    path: ['name'],
  }),
);

/** The body of a rotation. */
export const rotateKeySchema = z.strictObject({
  gracePeriodHours: z.optional(
    z.number().check(z.int('must be a whole number of hours'), z.minimum(0), z.maximum(MAX_GRACE_HOURS)),
  ),
});

/** The query of a listing: `limit` 1–100 and an opaque `cursor`. */
export const listKeysQuerySchema = z.strictObject({
  limit: limitQuerySchema,
  cursor: cursorQuerySchema,
  /** A name prefix, case-sensitive. */
  name: z.optional(
    z.string().check(z.minLength(1, 'must be 1 to 100 characters'), z.maxLength(100, 'must be 1 to 100 characters')),
  ),
});
