import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { SESSION_TOKEN_SOURCE } from '../sessions/token';

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
 * How a deployment's keys are spelled: `<prefix>_` then, when `environment`, `live_` or `test_`,
 * then 64 lowercase hex characters (256 random bits), then, when `checksum`, the CRC-32 of all
 * that in 8 hex characters.
 */
export interface KeyFormat {
  /** 1–16 lowercase letters or digits, starting with a letter. */
  readonly prefix: string;
  /** Whether the key names its environment; without it the environment is only on the key's record. */
  readonly environment: boolean;
  /** Whether the key ends with a checksum, which refuses a mistyped key with no read. */
  readonly checksum: boolean;
}

/** The format of keys unless configured: `sk_live_` + 64 hex + an 8-hex checksum. */
export const DEFAULT_KEY_FORMAT: KeyFormat = Object.freeze({ prefix: 'sk', environment: true, checksum: true });

/** The default format with another prefix: what `keygate:keyPrefix` alone configures. */
export function defaultFormatFor(prefix: string): KeyFormat {
  return { prefix, environment: true, checksum: true };
}

const FORMAT_FIELDS = ['prefix', 'environment', 'checksum'];

/**
 * Checks a key format as read from a setting: an object with exactly `prefix` (see
 * {@link assertValidPrefix}), `environment` and `checksum` (booleans).
 *
 * @throws Error naming the field that does not fit.
 */
export function assertValidKeyFormat(value: unknown): asserts value is KeyFormat {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `a key format must be an object {"prefix", "environment", "checksum"}, received ${JSON.stringify(value)}`,
    );
  }
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((field) => !FORMAT_FIELDS.includes(field));
  if (unknown.length > 0)
    throw new Error(`a key format has only prefix, environment and checksum, received ${unknown.join(', ')}`);
  if (typeof fields.prefix !== 'string')
    throw new Error(`prefix must be a string, received ${JSON.stringify(fields.prefix)}`);
  assertValidPrefix(fields.prefix);
  for (const field of ['environment', 'checksum'] as const) {
    if (typeof fields[field] !== 'boolean') {
      throw new Error(`${field} must be true or false, received ${JSON.stringify(fields[field])}`);
    }
  }
}

/** Two formats spell keys alike. */
export function sameFormat(a: KeyFormat, b: KeyFormat): boolean {
  return a.prefix === b.prefix && a.environment === b.environment && a.checksum === b.checksum;
}

/** The source of a regular expression for a whole key in one format (no anchors). */
function keySource(format: KeyFormat): string {
  const environment = format.environment ? '(?:live|test)_' : '';
  return `${format.prefix}_${environment}[0-9a-f]{${SECRET_HEX + (format.checksum ? CHECK_HEX : 0)}}`;
}

/**
 * The regular expression a well-formed key matches, for a given prefix; used both as API
 * Gateway's `identityValidationExpression` and by the local gateway.
 *
 * @param acceptBareKeys - whether a token without the `Bearer` scheme is allowed through.
 */
export function tokenValidationPattern(prefix: string, acceptBareKeys: boolean): string {
  assertValidPrefix(prefix);
  return tokenValidationPatternFor([defaultFormatFor(prefix)], acceptBareKeys);
}

/**
 * Which tokens an authorizer takes: keygate's own routes take keys and sessions; the front door,
 * `addRoute` routes and any other API take keys only.
 */
export type AcceptedTokens = 'keys' | 'keysAndSessions';

/**
 * The regular expression a well-formed key in any of `formats` (and a session token, when
 * `accepted` says so) matches: API Gateway's `identityValidationExpression` and the local
 * gateway's, so a token of any other shape is refused before the authorizer runs. It checks the
 * shape only; the checksum is the authorizer's, and so is refusing a session where only keys go.
 *
 * @param acceptBareKeys - whether a token without the `Bearer` scheme is allowed through.
 * @param accepted - whether session tokens pass too. @default 'keysAndSessions'
 */
export function tokenValidationPatternFor(
  formats: readonly KeyFormat[],
  acceptBareKeys: boolean,
  accepted: AcceptedTokens = 'keysAndSessions',
): string {
  for (const format of formats) assertValidPrefix(format.prefix);
  const sources = formats.map(keySource);
  if (accepted === 'keysAndSessions') sources.push(SESSION_TOKEN_SOURCE);
  const key = `(?:${sources.join('|')})`;
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
  return mintKeyIn(defaultFormatFor(prefix), environment, random);
}

/**
 * Mints a key in `format` from 32 random bytes; `environment` is spelled in the key only when
 * the format has it (the caller keeps it on the key's record either way).
 *
 * @param random - source of random bytes, injectable for tests; defaults to `crypto.randomBytes`.
 */
export function mintKeyIn(
  format: KeyFormat,
  environment: Environment,
  random: (size: number) => Buffer = randomBytes,
): MintedKey {
  const body = `${format.prefix}_${format.environment ? `${environment}_` : ''}${random(32).toString('hex')}`;
  const plaintext = format.checksum ? body + checksum(body) : body;
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

/** A presented key that has the right shape and, when its format has one, a correct checksum. */
export interface ParsedKey {
  readonly key: string;
  /** The environment the key spells, if its format has one; the key's record has it always. */
  readonly environment?: Environment;
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
  return parseAuthorizationIn(value, formatsFor(prefix), acceptBareKeys);
}

/**
 * {@link parseAuthorization} for keys in any of `formats`.
 *
 * @returns the key, or `undefined` for anything malformed: callers refuse without a lookup.
 */
export function parseAuthorizationIn(
  value: string | undefined,
  formats: readonly KeyFormat[],
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
  return parseKeyIn(key, formats);
}

/** Checks a bare key's shape and checksum; `undefined` when either is wrong. */
export function parseKey(key: string, prefix: string): ParsedKey | undefined {
  return parseKeyIn(key, formatsFor(prefix));
}

/**
 * Checks a bare key against each of `formats` in turn (shape, then checksum where the format has
 * one); no two formats spell the same string, since they differ in prefix, length or the `_live_`.
 *
 * @returns the key and the environment it spells, or `undefined` when no format fits.
 */
export function parseKeyIn(key: string, formats: readonly KeyFormat[]): ParsedKey | undefined {
  for (const format of formats) {
    const parsed = parseOne(key, format);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function parseOne(key: string, format: KeyFormat): ParsedKey | undefined {
  const { prefix } = format;
  // the part before the first `_` must be the prefix itself (a prefix never contains `_`).
  if (!key.startsWith(prefix) || key.charCodeAt(prefix.length) !== UNDERSCORE || !shapeOf(format).test(key)) {
    return undefined;
  }
  // compared as numbers: the shape allows only lowercase hex, which checksum() prints.
  if (format.checksum && crc32(key.slice(0, -CHECK_HEX)) !== Number.parseInt(key.slice(-CHECK_HEX), 16)) {
    return undefined;
  }
  if (!format.environment) return { key };
  return { key, environment: key.startsWith('live', prefix.length + 1) ? 'live' : 'test' };
}

/** The compiled shape of each format met, built once per format: parsing runs on every authorization. */
const shapes = new WeakMap<KeyFormat, RegExp>();

function shapeOf(format: KeyFormat): RegExp {
  let shape = shapes.get(format);
  if (shape === undefined) {
    shape = new RegExp(`^${keySource(format)}$`);
    shapes.set(format, shape);
  }
  return shape;
}

/** One default format per prefix, so the callers that pass a prefix reuse one list. */
const defaultFormats = new Map<string, readonly KeyFormat[]>();

function formatsFor(prefix: string): readonly KeyFormat[] {
  let formats = defaultFormats.get(prefix);
  if (formats === undefined) {
    formats = Object.freeze([defaultFormatFor(prefix)]);
    defaultFormats.set(prefix, formats);
  }
  return formats;
}

const UNDERSCORE = 0x5f;
