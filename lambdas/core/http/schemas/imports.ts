import * as z from 'zod/mini';
import { ENVIRONMENTS, ROLES } from '../../keys/format';
import { metaSchema } from '../../keys/key-meta';
import { nameSchema } from '../http';

/** The most keys one import call takes. */
export const MAX_IMPORT_KEYS = 100;

/**
 * An import's body may exceed the other routes' limit: up to {@link MAX_IMPORT_KEYS} keys, each
 * with a name and up to a kilobyte of metadata.
 */
export const MAX_IMPORT_BODY_BYTES = 256 * 1024;

const instant = z.iso.datetime();

/**
 * One key to import: its plaintext `key` (hashed on arrival, never stored) or the SHA-256 of it
 * as 64 lowercase hex (`sha256`, with `last4`), and what its record should say. Which of `key`
 * and `sha256` is given, and the key's format, are checked item by item by the importer.
 */
export const importKeyItemSchema = z.strictObject({
  key: z.optional(z.string().check(z.maxLength(512))),
  sha256: z.optional(z.string()),
  name: nameSchema,
  environment: z.optional(z.enum(ENVIRONMENTS)),
  role: z.optional(z.enum(ROLES)),
  expiresAt: z.optional(instant),
  createdAt: z.optional(instant),
  lastUsedAt: z.optional(instant),
  last4: z.optional(z.string().check(z.regex(/^[\x21-\x7e]{4}$/, 'must be 4 printable ASCII characters'))),
  meta: z.optional(metaSchema),
});

const keysOf = <T extends z.ZodMiniType>(item: T) =>
  z.strictObject({
    keys: z
      .array(item)
      .check(
        z.minLength(1, `must hold 1 to ${MAX_IMPORT_KEYS} keys`),
        z.maxLength(MAX_IMPORT_KEYS, `must hold 1 to ${MAX_IMPORT_KEYS} keys; send more in further calls`),
      ),
  });

/** The body of an import, as the OpenAPI document describes it. */
export const importKeysSchema = keysOf(importKeyItemSchema);

/**
 * The body of an import as the handler reads it first: the batch as a whole, whose items are
 * then checked one by one against {@link importKeyItemSchema}, so one bad item refuses itself only.
 */
export const importBatchSchema = keysOf(z.unknown());
