/**
 * What the OpenAPI document says of schemas besides their JSON Schema: descriptions, and what
 * JSON Schema cannot say of a refinement (`expiresInDays` is one of a few values, `meta` has at
 * most so many entries). Keyed by the very schema objects the handlers validate with, from the
 * constants the refinements use.
 */
import type * as z from 'zod/mini';
import { EXPIRY_DAYS } from '../lambdas/core/keys/expiry';
import { MAX_META_BYTES, MAX_META_ENTRIES, metaSchema, RESERVED_META_NAMES } from '../lambdas/core/keys/key-meta';
import { createKeySchema, listKeysQuerySchema } from '../lambdas/core/http/schemas/keys';
import { cursorQuerySchema, limitQuerySchema, nameSchema } from '../lambdas/core/http/http';
import { createTenantSchema, tenantIdSchema, tenantPlanSchema } from '../lambdas/core/http/schemas/tenants';
import {
  anyErrorSchema,
  createdKeySchema,
  eventSchema,
  keyPageSchema,
  keyRecordSchema,
  tenantRecordSchema,
  usageSchema,
} from './responses';

type Json = Record<string, unknown>;

/** Descriptions of schemas, and what JSON Schema cannot say of a refinement. */
export type Notes = readonly (readonly [z.core.$ZodType, Json])[];

/**
 * What `limitsFor` enforces on a plan request, as JSON Schema: `enterprise` needs `rateLimit` and
 * `burstLimit`; every other plan has the deployment's fixed limits and takes none of the three.
 * (That the burst is at least the rate, JSON Schema cannot say: the descriptions do.)
 */
const ENTERPRISE_ONLY_LIMITS: Json = {
  if: { properties: { plan: { const: 'enterprise' } } },
  then: { required: ['rateLimit', 'burstLimit'] },
  else: { properties: { rateLimit: false, burstLimit: false, quota: false } },
};

/** Notes on the handlers' request schemas, keyed by the very schema objects they validate with. */
export function requestNotes(): Notes {
  const plan = tenantPlanSchema.shape;
  return [
    [createTenantSchema, ENTERPRISE_ONLY_LIMITS],
    [tenantPlanSchema, ENTERPRISE_ONLY_LIMITS],
    [
      tenantIdSchema,
      {
        description:
          'The id the tenant will have for good: 3 to 64 lowercase letters, digits or dashes, starting with a letter or digit. Absent: a random `t-` id.',
      },
    ],
    [
      plan.plan,
      {
        description:
          "`starter`, `growth` and `scale` have the deployment's fixed limits and take no `rateLimit`, `burstLimit` or `quota`; `enterprise` needs `rateLimit` and `burstLimit`, and may take a `quota`.",
      },
    ],
    [plan.rateLimit, { description: 'Requests per second. `enterprise` only, and required there.' }],
    [
      plan.burstLimit,
      { description: 'Requests in a burst, at least `rateLimit`. `enterprise` only, and required there.' },
    ],
    [plan.quota, { description: 'Requests per day, week or month. `enterprise` only; absent: no quota.' }],
    [
      createKeySchema.shape.expiresInDays,
      { enum: [...EXPIRY_DAYS], description: 'Days until the key stops working (at 00:00 UTC). Not with `expiresOn`.' },
    ],
    [
      createKeySchema.shape.expiresOn,
      {
        format: 'date',
        description:
          'The date (`YYYY-MM-DD`, after today, UTC) the key stops working, at 00:00 UTC. Not with `expiresInDays`.',
      },
    ],
    [
      metaSchema,
      {
        maxProperties: MAX_META_ENTRIES,
        description: `Flat string metadata for dashboards: at most ${MAX_META_ENTRIES} entries and ${MAX_META_BYTES} bytes (UTF-8, names and values); the names ${RESERVED_META_NAMES.map((name) => `\`${name}\``).join(', ')} are refused.`,
      },
    ],
    [
      nameSchema,
      { description: '1 to 100 printable characters, trimmed; no control or bidirectional control characters.' },
    ],
    [limitQuerySchema, { description: 'Page size, 1 to 100. Default 20.' }],
    [cursorQuerySchema, { description: 'The `cursor` of the previous page, unchanged.' }],
    [listKeysQuerySchema.shape.name, { description: 'Only keys whose name starts with this (case-sensitive).' }],
  ];
}

/** Descriptions of the answers' schemas. */
export function responseNotes(): Notes {
  const key = keyRecordSchema.shape;
  return [
    [keyRecordSchema, { description: 'A key as the API shows it: never its hash, never its plaintext.' }],
    [createdKeySchema, { description: 'A key just made or rotated, with its plaintext `key`.' }],
    [
      createdKeySchema.shape.key,
      {
        description:
          'The plaintext key, shown this once and stored nowhere. Absent when the answer is an idempotent replay (`Idempotent-Replayed: true`).',
      },
    ],
    [key.last4, { description: "The key's last 4 characters, to tell keys apart." }],
    [key.status, { description: '`expired` is derived from `expiresAt`; `revoked` is undone by enable.' }],
    [key.expiresAt, { description: 'When the key stops working; `null`: never.' }],
    [key.lastUsedAt, { description: 'When the key was last used, updated at most once a minute; `null`: never.' }],
    [
      key.createdBy,
      { description: 'The id of the key that created this one, or `operator` for the panel; absent on older keys.' },
    ],
    [
      key.scopes,
      {
        description:
          "The `METHOD /path` patterns the key is limited to on your routes (keygate's own routes follow its role); absent: the whole API. See docs/scoped-keys.md.",
      },
    ],
    [tenantRecordSchema, { description: 'A tenant as the operator sees it.' }],
    [
      tenantRecordSchema.shape.planStatus,
      { description: '`pending` while API Gateway still enforces an earlier plan; the reconciler applies it shortly.' },
    ],
    [
      keyPageSchema.shape.cursor,
      { description: 'Pass it back as `cursor` for the next page; absent on the last page.' },
    ],
    [
      eventSchema,
      { description: 'A change to a key or tenant, from the audit trail. Never a plaintext key, secret part or hash.' },
    ],
    [usageSchema.shape.quota, { description: '`null` when the plan has no quota.' }],
    [anyErrorSchema, { description: "The contract's error shape, everywhere, API Gateway's own answers included." }],
  ];
}
