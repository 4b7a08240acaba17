import * as z from 'zod/mini';

/** The most entries a key's `meta` holds. */
export const MAX_META_ENTRIES = 16;
/** The most UTF-8 bytes a key's `meta` holds, names and values together. */
export const MAX_META_BYTES = 1024;

/** A key's metadata: flat string names to string values, for dashboards to file keys by. */
export type KeyMeta = Readonly<Record<string, string>>;

/**
 * `meta` on a key: a flat object of strings (no nesting, numbers or nulls), at most
 * {@link MAX_META_ENTRIES} entries and {@link MAX_META_BYTES} bytes in all. Names are
 * identifier-like (`[A-Za-z0-9_.:-]`, 1–40) so they read the same in every dashboard; values are
 * any text without control characters. It lives on the key record only: the authorizer's
 * context never carries it (backends get the five fixed fields).
 */
export const metaSchema = z
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
  );

/** The UTF-8 size of a meta object's names and values. */
export function metaBytes(meta: KeyMeta): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(meta))
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
  return bytes;
}
