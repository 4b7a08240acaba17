import * as z from 'zod/mini';
import { MAX_WORKSPACES, MAX_WORKSPACE_ID_LENGTH, WORKSPACE_ID_PATTERN } from '../../auth/workspaces';
import { PLAN_NAMES, QUOTA_PERIODS, TENANT_ID_PATTERN } from '../../model';
import { nameSchema } from '../http';
import { listKeysQuerySchema } from './keys';

const limit = (max: number) => z.number().check(z.int('must be a whole number'), z.minimum(1), z.maximum(max));

const planFields = {
  plan: z.enum(PLAN_NAMES),
  rateLimit: z.optional(limit(1_000_000)),
  burstLimit: z.optional(limit(5_000_000)),
  quota: z.optional(z.strictObject({ limit: limit(2_000_000_000), period: z.enum(QUOTA_PERIODS) })),
};

const TENANT_ID_RULE = 'must be 3 to 64 lowercase letters, digits or dashes, starting with a letter or digit';

/**
 * A tenant id a caller chooses: the very rule tenant creation applies ({@link TENANT_ID_PATTERN}),
 * here so that the OpenAPI document, generated from this schema, states it. The lengths repeat
 * what the pattern says, for readers and generators that do not read patterns.
 */
export const tenantIdSchema = z
  .string()
  .check(z.minLength(3), z.maxLength(64), z.regex(TENANT_ID_PATTERN, TENANT_ID_RULE));

/** The body of a tenant creation. */
export const createTenantSchema = z.strictObject({
  tenantId: z.optional(tenantIdSchema),
  name: nameSchema,
  ...planFields,
});

/** The body of a plan change. */
export const tenantPlanSchema = z.strictObject(planFields);

/** The body of a tenant rename. */
export const renameTenantSchema = z.strictObject({ name: nameSchema });

/** The query of the tenant listing: a key listing's `limit` and `cursor`, no name filter. */
export const tenantListQuerySchema = z.omit(listKeysQuerySchema, { name: true });

const WORKSPACE_ID_RULE = `must be 1 to ${MAX_WORKSPACE_ID_LENGTH} lowercase letters, digits, '-' or '_', starting with a letter or digit`;

/**
 * The body of a workspace replacement: the tenant's whole set, at most {@link MAX_WORKSPACES}
 * (what fits the authorizer's 8 KB answer), no repeats; `[]` takes them all away.
 */
export const tenantWorkspacesSchema = z.strictObject({
  workspaces: z
    .array(
      z
        .string()
        .check(z.minLength(1), z.maxLength(MAX_WORKSPACE_ID_LENGTH), z.regex(WORKSPACE_ID_PATTERN, WORKSPACE_ID_RULE)),
    )
    .check(
      z.maxLength(MAX_WORKSPACES, `must be at most ${MAX_WORKSPACES} workspaces`),
      z.refine((ids) => new Set(ids).size === ids.length, 'must not repeat a workspace'),
    ),
});
