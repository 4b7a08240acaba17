import * as z from 'zod/mini';

/** The most entries a key's `meta` holds. */
export const MAX_META_ENTRIES = 16;
/** The most UTF-8 bytes a key's `meta` holds, names and values together. */
export const MAX_META_BYTES = 1024;

/** A key's metadata: flat string names to string values, for dashboards to file keys by. */
export type KeyMeta = Readonly<Record<string, string>>;

/**
 * Names a JavaScript object treats specially: assigned as a property, `__proto__` changes the
 * prototype instead (the entry vanishes) and `constructor` or `prototype` shadow what code reads
 * through every object. They are refused rather than stored, so no copy of `meta` on the way
 * (validation, the store, a listing, an idempotent replay) can lose or misread one.
 */
export const RESERVED_META_NAMES: readonly string[] = Object.freeze(['__proto__', 'constructor', 'prototype']);
const RESERVED_MESSAGE = `names must not be ${RESERVED_META_NAMES.join(', ')}`;

/**
 * `meta` on a key: a flat object of strings (no nesting, numbers or nulls), at most
 * {@link MAX_META_ENTRIES} entries and {@link MAX_META_BYTES} bytes in all. Names are
 * identifier-like (`[A-Za-z0-9_.:-]`, 1–40) so they read the same in every dashboard; values are
 * any text without control characters; {@link RESERVED_META_NAMES} are refused. It lives on
 * the key record only: the authorizer's context never carries it (backends get the five fixed
 * fields).
 */
export const metaSchema = z.pipe(
  // on the parsed JSON as it came: a record's parse skips `__proto__` before any check sees it.
  z.transform((meta: unknown, payload: z.core.ParsePayload) => {
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
      for (const name of RESERVED_META_NAMES) {
        if (Object.hasOwn(meta, name))
          payload.issues.push({ code: 'custom', message: RESERVED_MESSAGE, input: meta, path: [name] });
      }
    }
    return meta;
  }),
  z
    .record(
      z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,40}$/, 'names must be 1 to 40 letters, digits, _ . : or -')),
      z
        .string({ error: 'values must be strings' })
        .check(z.refine((value: string) => !/\p{Cc}/u.test(value), 'values must not contain control characters')),
    )
    .check(
      z.refine(
        (meta: KeyMeta) => Object.keys(meta).length <= MAX_META_ENTRIES,
        `must have at most ${MAX_META_ENTRIES} entries`,
      ),
      z.refine(
        (meta: KeyMeta) => metaBytes(meta) <= MAX_META_BYTES,
        `must be at most ${MAX_META_BYTES} bytes in all (names and values, UTF-8)`,
      ),
    ),
);

/** The UTF-8 size of a meta object's names and values. */
export function metaBytes(meta: KeyMeta): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(meta))
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
  return bytes;
}
