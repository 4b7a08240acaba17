import * as z from 'zod/mini';
import { MAX_WORKSPACES, MAX_WORKSPACE_ID_LENGTH, WORKSPACE_ID_PATTERN } from '../../auth/workspaces';
import { PLAN_NAMES, PLAN_STATUSES, QUOTA_PERIODS, TENANT_ID_PATTERN, TENANT_STATUSES } from '../../model';
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

/** A day of the created filters: `YYYY-MM-DD`, a real one. */
const createdDaySchema = z.optional(
  z.string().check(
    z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'),
    z.refine(
      (text: string) => !Number.isNaN(Date.parse(text)) && new Date(text).toISOString().startsWith(text),
      'must be a real date',
    ),
  ),
);

/**
 * The query of the tenant listing: a key listing's `limit` and `cursor`, and the filters of
 * `TenantFilter` (every one given must hold).
 */
export const tenantListQuerySchema = z
  .strictObject({
    ...z.omit(listKeysQuerySchema, { name: true }).shape,
    /** A prefix of the tenant's id or name, either case. */
    search: z.optional(
      z.string().check(z.minLength(1, 'must be 1 to 100 characters'), z.maxLength(100, 'must be 1 to 100 characters')),
    ),
    plan: z.optional(z.enum(PLAN_NAMES)),
    status: z.optional(z.enum(TENANT_STATUSES)),
    planStatus: z.optional(z.enum(PLAN_STATUSES)),
    /** Created on this UTC day or later. */
    createdFrom: createdDaySchema,
    /** Created on this UTC day or earlier. */
    createdTo: createdDaySchema,
  })
  .check(
    z.refine(
      (query) =>
        !(query.createdFrom !== undefined && query.createdTo !== undefined && query.createdFrom > query.createdTo),
      {
        message: 'must not be after createdTo',
        path: ['createdFrom'],
      },
    ),
  );

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
