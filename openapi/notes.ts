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

/** Notes on the handlers' request schemas, keyed by the very schema objects they validate with. */
export function requestNotes(): Notes {
  return [
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
