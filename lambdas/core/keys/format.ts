import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The environments a key can belong to: `test` keys only ever reach test data. */
export const ENVIRONMENTS = ['live', 'test'] as const;
/** A key's environment. */
export type Environment = (typeof ENVIRONMENTS)[number];

/** Roles, from most to least powerful; `operator` exists only in the operator tenant. */
export const ROLES = ['operator', 'owner', 'admin', 'developer', 'read_only'] as const;
/** A key's role. */
export type Role = (typeof ROLES)[number];

const SECRET_HEX = 64;
const CHECK_HEX = 8;
const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

/**
 * Checks a deployment's key prefix: 1–16 lowercase letters or digits, starting with a letter,
 * so that the prefix can never contain the `_` separator or regex metacharacters.
 *
 * @throws Error naming the received value when it does not fit.
 */
export function assertValidPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(`key prefix must match ${PREFIX_PATTERN}, received ${JSON.stringify(prefix)}`);
  }
}

/**
 * The regular expression a well-formed key matches, for a given prefix; used both as API
 * Gateway's `identityValidationExpression` and by the local gateway.
 *
 * @param acceptBareKeys - whether a token without the `Bearer` scheme is allowed through.
 */
export function tokenValidationPattern(prefix: string, acceptBareKeys: boolean): string {
  assertValidPrefix(prefix);
  const key = `${prefix}_(live|test)_[0-9a-f]{${SECRET_HEX + CHECK_HEX}}`;
  // api gateway matches the whole header value and caches each distinct value apart: the scheme
  // stays case-insensitive (RFC 9110), but exactly one space and no padding keep one key to 65
  // spellings (64 cases of the scheme and the bare key) instead of unboundedly many.
  const bearer = '[Bb][Ee][Aa][Rr][Ee][Rr] ';
  return acceptBareKeys ? `^(${bearer})?${key}$` : `^${bearer}${key}$`;
}

/** CRC-32 (IEEE, as zlib computes it) as 8 lowercase hex characters. */
export function checksum(text: string): string {
  return crc32(text).toString(16).padStart(CHECK_HEX, '0');
}

/** A newly minted key: the plaintext (shown once) and everything that is stored instead of it. */
export interface MintedKey {
  /** The plaintext key; return it once and never store or log it. */
  readonly plaintext: string;
  /** `sha256(plaintext)` as lowercase hex: the only form of the key that is stored. */
  readonly hash: string;
  /** The key's id, derived from its hash. */
  readonly id: string;
  /** The key's last four characters, for telling keys apart in listings. */
  readonly last4: string;
}

/**
 * Mints a key `<prefix>_<env>_<64 hex secret><8 hex crc32>` from 32 random bytes.
 *
 * @param random - source of random bytes, injectable for tests; defaults to `crypto.randomBytes`.
 */
export function mintKey(
  prefix: string,
  environment: Environment,
  random: (size: number) => Buffer = randomBytes,
): MintedKey {
  assertValidPrefix(prefix);
  const body = `${prefix}_${environment}_${random(32).toString('hex')}`;
  const plaintext = body + checksum(body);
  const hash = hashKey(plaintext);
  return { plaintext, hash, id: keyIdFromHash(hash), last4: plaintext.slice(-4) };
}

/** SHA-256 of a key, lowercase hex. */
export function hashKey(key: string): string {
  // the one-shot form (a string is hashed as UTF-8): no Hash object per call, which is about
  // half of createHash's time on the authorizer's path.
  return hash('sha256', key, 'hex');
}

/** A key id is `key_` plus the first 24 hex characters of the key's hash (96 bits). */
export function keyIdFromHash(hash: string): string {
  return `key_${hash.slice(0, 24)}`;
}

/** Compares two hex hashes in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A presented key that has the right shape and a correct checksum. */
export interface ParsedKey {
  readonly key: string;
  readonly environment: Environment;
}

/**
 * Extracts a key from an `Authorization` value (`Bearer <key>` in any case of the scheme and
 * with exactly one space, or a bare key when allowed) and checks its shape and checksum, with no I/O.
 *
 * @returns the key, or `undefined` for anything malformed: callers refuse without a lookup.
 */
export function parseAuthorization(
  value: string | undefined,
  prefix: string,
  acceptBareKeys: boolean,
): ParsedKey | undefined {
  if (value === undefined) return undefined;
  // the same spellings as tokenValidationPattern: one space, no padding. Index scans rather than
  // split(' '): this runs on every authorization.
  const space = value.indexOf(' ');
  let key: string | undefined;
  if (space === -1) {
    if (acceptBareKeys) key = value;
  } else if (value.indexOf(' ', space + 1) === -1 && value.slice(0, space).toLowerCase() === 'bearer') {
    key = value.slice(space + 1);
  }
  if (key === undefined) return undefined;
  return parseKey(key, prefix);
}

/** `<prefix>_<env>_<64 + 8 lowercase hex>`, whatever the prefix; {@link parseKey} checks the prefix. */
const KEY_SHAPE = new RegExp(`^[a-z][a-z0-9]*_(?:live|test)_[0-9a-f]{${SECRET_HEX + CHECK_HEX}}$`);

/** Checks a bare key's shape and checksum; `undefined` when either is wrong. */
export function parseKey(key: string, prefix: string): ParsedKey | undefined {
  // the part before the first `_` must be the prefix itself (a prefix never contains `_`).
  if (
    !key.startsWith(prefix) ||
    key.charCodeAt(prefix.length) !== UNDERSCORE ||
    prefix.includes('_') ||
    !KEY_SHAPE.test(key)
  ) {
    return undefined;
  }
  // compared as numbers: the shape allows only lowercase hex, which checksum() prints.
  if (crc32(key.slice(0, -CHECK_HEX)) !== Number.parseInt(key.slice(-CHECK_HEX), 16)) return undefined;
  return { key, environment: key.startsWith('live', prefix.length + 1) ? 'live' : 'test' };
}

const UNDERSCORE = 0x5f;
