import * as z from 'zod/mini';
import { EXPIRY_DAYS } from '../../keys/expiry';
import { ENVIRONMENTS, ROLES } from '../../keys/format';
import { metaSchema } from '../../keys/key-meta';
import { MAX_SCOPES, MAX_SCOPE_PATH_LENGTH } from '../../auth/scopes';
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
  scopes: z.optional(scopesSchema()),
});

/**
 * A key's scopes: `METHOD /path` patterns, 1 to {@link MAX_SCOPES} (what fits the authorizer's
 * 8 KB answer); their form is checked by `parseScopes`.
 */
function scopesSchema() {
  return z
    .array(z.string().check(z.maxLength(MAX_SCOPE_PATH_LENGTH + 8, 'is too long')))
    .check(
      z.minLength(1, `must be 1 to ${MAX_SCOPES} scopes`),
      z.maxLength(MAX_SCOPES, `must be 1 to ${MAX_SCOPES} scopes`),
    );
}

/**
 * The body of a key change: a new name, new metadata (`{}` clears it), new scopes (`null` takes
 * them away), or several.
 */
export const updateKeySchema = z
  .strictObject({
    name: z.optional(nameSchema),
    meta: z.optional(metaSchema),
    scopes: z.optional(z.nullable(scopesSchema())),
  })
  .check(
    z.refine(
      (body: { name?: string; meta?: unknown; scopes?: unknown }) =>
        body.name !== undefined || body.meta !== undefined || body.scopes !== undefined,
      { message: 'name: give a name, meta, scopes or several', path: ['name'] },
    ),
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
