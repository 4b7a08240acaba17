import * as z from 'zod/mini';
import { PLAN_NAMES, QUOTA_PERIODS } from '../../model';
import { nameSchema } from '../http';
import { listKeysQuerySchema } from './keys';

const limit = (max: number) => z.number().check(z.int('must be a whole number'), z.minimum(1), z.maximum(max));

const planFields = {
  plan: z.enum(PLAN_NAMES),
  rateLimit: z.optional(limit(1_000_000)),
  burstLimit: z.optional(limit(5_000_000)),
  quota: z.optional(z.strictObject({ limit: limit(2_000_000_000), period: z.enum(QUOTA_PERIODS) })),
};

/** The body of a tenant creation. */
export const createTenantSchema = z.strictObject({
  tenantId: z.optional(z.string().check(z.maxLength(64))),
  name: nameSchema,
  ...planFields,
});

/** The body of a plan change. */
export const tenantPlanSchema = z.strictObject(planFields);

/** The body of a tenant rename. */
export const renameTenantSchema = z.strictObject({ name: nameSchema });

/** The query of the tenant listing: a key listing's `limit` and `cursor`, no name filter. */
export const tenantListQuerySchema = z.omit(listKeysQuerySchema, { name: true });
