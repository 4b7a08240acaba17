/**
 * The HTTP API's answers as zod (mini) schemas, for the OpenAPI document and for the tests that
 * hold real answers against it. No Lambda imports this module: the handlers answer with the
 * domain's own types (`KeyRecord`, `TenantRecord`, ...), and the type checks at the end of this
 * file fail the build when a schema here and the type it describes part ways.
 */
import * as z from 'zod/mini';
import { EVENT_TYPES, type KeygateEvent } from '../lambdas/core/events/model';
import type { EventPage } from '../lambdas/core/events/store';
import { ENVIRONMENTS, ROLES } from '../lambdas/core/keys/format';
import type { ImportResult } from '../lambdas/core/keys/key-import';
import type { KeyWithSecret } from '../lambdas/core/keys/key-service';
import type { LeakOutcome } from '../lambdas/core/leaks/leak-service';
import type { GithubFeedback } from '../lambdas/core/leaks/github';
import { PLAN_NAMES, QUOTA_PERIODS, type KeyRecord, type TenantRecord } from '../lambdas/core/model';
import type { CreatedTenant, TenantWorkspaces, UsageReport } from '../lambdas/core/tenants/tenant-service';
import type { SessionWithToken } from '../lambdas/core/sessions/model';
import type { MintedSignInLink } from '../lambdas/core/sessions/sign-in-links';
import { ERROR_STATUS, type ErrorCode } from '../lambdas/core/http/errors';
import type { KeyUsageAnswer, TenantRanking, UsageAnswer } from '../lambdas/core/usage/usage-query';

/** A key id: `key_` and the first 24 hex characters of the key's SHA-256. */
const keyId = z.string().check(z.regex(/^key_[0-9a-f]{24}$/));
const instant = z.iso.datetime();

/** A key as the API shows it: never its hash, never its plaintext. */
export const keyRecordSchema = z.strictObject({
  id: keyId,
  name: z.string(),
  environment: z.enum(ENVIRONMENTS),
  role: z.enum(ROLES),
  status: z.enum(['active', 'revoked', 'expired']),
  last4: z.string().check(z.length(4)),
  createdAt: instant,
  expiresAt: z.nullable(instant),
  lastUsedAt: z.nullable(instant),
  rotatedFrom: z.optional(keyId),
  rotatedTo: z.optional(keyId),
  meta: z.optional(z.record(z.string(), z.string())),
  createdBy: z.optional(z.string()),
  scopes: z.optional(z.array(z.string())),
});

/**
 * A key just made, with its plaintext `key`: the only time it is shown. A replay of an
 * idempotent request (`Idempotent-Replayed: true`) answers the record without it.
 */
export const createdKeySchema = z.strictObject({
  ...keyRecordSchema.shape,
  key: z.optional(z.string().check(z.regex(/^[a-z][a-z0-9]{0,15}_(live|test)_[0-9a-f]{72}$/))),
});

/**
 * A member's session just minted, with its `token`: the only time it is shown. A replay of an
 * idempotent request answers the session without it.
 */
export const createdSessionSchema = z.strictObject({
  id: z.string().check(z.regex(/^ses_[0-9a-f]{24}$/)),
  tenantId: z.string(),
  environment: z.enum(ENVIRONMENTS),
  role: z.enum(ROLES),
  user: z.strictObject({ id: z.string(), name: z.optional(z.string()) }),
  createdAt: instant,
  expiresAt: instant,
  token: z.optional(z.string().check(z.regex(/^kgs_[A-Za-z0-9_-]{43}$/))),
});

/** A one-time sign-in code for the console, answered once to the operator key that minted it. */
export const createdSignInLinkSchema = z.strictObject({
  id: z.string().check(z.regex(/^sil_[0-9a-f]{24}$/)),
  code: z.string().check(z.regex(/^kgl_[A-Za-z0-9_-]{43}$/)),
  expiresAt: instant,
});

/** Where to go on from a page: absent on the last one. */
const cursor = z.optional(z.string());

/** One page of a tenant's keys, newest first. */
export const keyPageSchema = z.strictObject({ items: z.array(keyRecordSchema), cursor });

const limitsSchema = z.strictObject({
  rateLimit: z.number(),
  burstLimit: z.number(),
  quota: z.optional(z.strictObject({ limit: z.number(), period: z.enum(QUOTA_PERIODS) })),
});

/** A tenant as the operator sees it: never its usage identifiers. */
export const tenantRecordSchema = z.strictObject({
  tenantId: z.string(),
  name: z.string(),
  plan: z.enum(PLAN_NAMES),
  limits: limitsSchema,
  status: z.enum(['active', 'suspended', 'deleting']),
  createdAt: instant,
  planStatus: z.enum(['applied', 'pending']),
});

/** A tenant's workspaces, sorted. */
export const tenantWorkspacesAnswerSchema = z.strictObject({ tenantId: z.string(), workspaces: z.array(z.string()) });

/** A tenant just made, with its first owner key (plaintext once). */
export const createdTenantSchema = z.strictObject({ tenant: tenantRecordSchema, key: createdKeySchema });

/** One page of tenants, newest first. */
export const tenantPageSchema = z.strictObject({ items: z.array(tenantRecordSchema), cursor });

/** `GET /v1/me`: the calling key and its tenant. */
export const meSchema = z.strictObject({ key: keyRecordSchema, tenant: tenantRecordSchema });

/** The counts of a usage window or bucket (denied: 401 and 403; throttled: 429). */
const usageTotalsShape = {
  requests: z.number(),
  status2xx: z.number(),
  status3xx: z.number(),
  status4xx: z.number(),
  status5xx: z.number(),
  denied: z.number(),
  throttled: z.number(),
  latencyP50Ms: z.nullable(z.number()),
  latencyP95Ms: z.nullable(z.number()),
};

/** Requests counted from the access log over a window: totals and one entry per bucket. */
const usageWindowShape = {
  from: instant,
  to: instant,
  granularity: z.enum(['hour', 'day']),
  totals: z.strictObject(usageTotalsShape),
  series: z.array(z.strictObject({ at: instant, ...usageTotalsShape })),
};

/**
 * `GET /v1/usage`: the plan, its limits and, where a quota applies, what is used of it; and the
 * tenant's requests over a window.
 */
export const usageSchema = z.strictObject({
  environment: z.enum(ENVIRONMENTS),
  plan: z.enum(PLAN_NAMES),
  rateLimit: z.number(),
  burstLimit: z.number(),
  quota: z.nullable(
    z.strictObject({
      limit: z.number(),
      period: z.enum(QUOTA_PERIODS),
      used: z.number(),
      remaining: z.number(),
      resetsAt: instant,
    }),
  ),
  ...usageWindowShape,
});

/** `GET /v1/panel/tenants/{tenantId}/usage`: a tenant's requests over a window. */
export const usageWindowSchema = z.strictObject(usageWindowShape);

/** `GET /v1/keys/{id}/usage`: a key's requests over a window and its busiest sources. */
export const keyUsageSchema = z.strictObject({
  ...usageWindowShape,
  sources: z.array(
    z.strictObject({
      ip: z.string(),
      userAgent: z.string(),
      firstSeen: instant,
      lastSeen: instant,
      requests: z.number(),
    }),
  ),
});

/** `GET /v1/panel/usage`: every tenant's requests over whole days, and the busiest tenants. */
export const tenantRankingSchema = z.strictObject({
  ...usageWindowShape,
  sort: z.enum(['requests', 'errors', 'throttled']),
  tenants: z.array(z.strictObject({ tenantId: z.string(), ...usageTotalsShape })),
});

/** A change to a key or tenant, from the audit trail. */
export const eventSchema = z.strictObject({
  id: z.string().check(z.regex(/^evt_[0-9a-f]{24}$/)),
  type: z.enum(EVENT_TYPES),
  at: instant,
  tenantId: z.string(),
  keyId: z.optional(keyId),
  environment: z.optional(z.enum(ENVIRONMENTS)),
  actor: z.union([
    // onBehalfOf: the tenant an operator key acted for through the panel (its role is then operator).
    z.strictObject({ keyId, role: z.enum(ROLES), onBehalfOf: z.optional(z.string()) }),
    // a member's session: its id, the member's user id and the session's role (never its token).
    z.strictObject({
      session: z.string().check(z.regex(/^ses_[0-9a-f]{24}$/)),
      userId: z.string(),
      role: z.enum(ROLES),
      onBehalfOf: z.optional(z.string()),
      // a session opened with a one-time sign-in link: the operator key that minted the link.
      signInLink: z.optional(z.strictObject({ mintedBy: keyId })),
    }),
    z.strictObject({ system: z.enum(['scheduler', 'github', 'admin-cli', 'reconciler', 'aggregator']) }),
  ]),
  details: z.record(z.string(), z.unknown()),
});

/** One page of events, newest first. */
export const eventPageSchema = z.strictObject({ items: z.array(eventSchema), cursor });

/** What a leak report came to. */
export const leakOutcomeSchema = z.strictObject({
  label: z.enum(['true_positive', 'false_positive']),
  keyId: z.optional(keyId),
  tenantId: z.optional(z.string()),
  action: z.optional(z.enum(['revoked', 'notified', 'already_reported'])),
});

/** GitHub's feedback format: one entry per reported token, in the order reported. */
export const githubFeedbackSchema = z.array(
  z.strictObject({ token_raw: z.string(), token_type: z.string(), label: z.enum(['true_positive', 'false_positive']) }),
);

/** Every error code of the contract. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** The contract's error shape, `{ error: { code, message } }`, for the given codes. */
export function errorSchema(codes: readonly [ErrorCode, ...ErrorCode[]] = ERROR_CODES) {
  return z.strictObject({ error: z.strictObject({ code: z.enum(codes), message: z.string() }) });
}

/** The contract's error shape with any of its codes. */
export const anyErrorSchema = errorSchema();

/** `POST /v1/panel/tenants/{tenantId}/keys/import`: each item's outcome, in the order sent. */
export const importAnswerSchema = z.strictObject({
  results: z.array(
    z.strictObject({
      index: z.number().check(z.int()),
      status: z.enum(['imported', 'duplicate', 'invalid']),
      keyId: z.optional(keyId),
      error: z.optional(z.strictObject({ code: z.enum(ERROR_CODES), message: z.string() })),
    }),
  ),
});

// the schemas above must describe exactly what the handlers answer: each check fails to compile
// when a field is added, dropped or retyped on one side only.
// `Writable` compares optionality, `Shape` (every key made required) the sets of keys.
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
type Shape<T> = T extends readonly (infer U)[]
  ? Shape<U>[]
  : T extends object
    ? { -readonly [K in keyof T]-?: Shape<Exclude<T[K], undefined>> }
    : T;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Same<A, B> = Mutual<Writable<A>, Writable<B>> extends true ? Mutual<Shape<A>, Shape<B>> : false;
const agree = <T extends true>(): T | undefined => undefined;
agree<Same<z.output<typeof keyRecordSchema>, KeyRecord>>();
agree<Same<Omit<z.output<typeof createdKeySchema>, 'key'> & { key: string }, KeyWithSecret>>();
agree<Same<z.output<typeof tenantRecordSchema>, TenantRecord>>();
agree<Same<z.output<typeof tenantWorkspacesAnswerSchema>, TenantWorkspaces>>();
agree<Same<Omit<z.output<typeof createdSessionSchema>, 'token'> & { token: string }, SessionWithToken>>();
agree<Same<z.output<typeof createdSignInLinkSchema>, MintedSignInLink>>();
agree<
  Same<z.output<typeof createdTenantSchema>, Omit<CreatedTenant, 'key'> & { key: z.output<typeof createdKeySchema> }>
>();
agree<Same<z.output<typeof usageSchema>, UsageReport & UsageAnswer & { environment: (typeof ENVIRONMENTS)[number] }>>();
agree<Same<z.output<typeof usageWindowSchema>, UsageAnswer>>();
agree<Same<z.output<typeof keyUsageSchema>, KeyUsageAnswer>>();
agree<Same<z.output<typeof tenantRankingSchema>, TenantRanking>>();
agree<Same<z.output<typeof eventSchema>, KeygateEvent>>();
agree<Same<z.output<typeof eventPageSchema>, EventPage>>();
agree<Same<z.output<typeof leakOutcomeSchema>, LeakOutcome>>();
agree<Same<z.output<typeof githubFeedbackSchema>, GithubFeedback[]>>();
agree<Same<z.output<typeof importAnswerSchema>, { results: ImportResult[] }>>();
