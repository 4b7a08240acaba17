import { hash, randomBytes } from 'node:crypto';

/*
 * A session token is its own format, so that nothing (a person, a secret scanner, the gateway's
 * validation) can take it for an API key: `kgs_` then 43 base64url characters of 32 random bytes
 * (256 bits). Key prefixes are configurable, but no key format spells 47 characters with
 * base64url letters, so the two never overlap.
 */

/** What every session token starts with. */
export const SESSION_TOKEN_PREFIX = 'kgs_';
/** The source of a regular expression for a whole session token (no anchors). */
export const SESSION_TOKEN_SOURCE = 'kgs_[A-Za-z0-9_-]{43}';
/** Session ids: `ses_` and the first 24 hex characters of the token's SHA-256 (96 bits). */
export const SESSION_ID_PATTERN = /^ses_[0-9a-f]{24}$/;

const SHAPE = new RegExp(`^${SESSION_TOKEN_SOURCE}$`);

/** A newly minted session token: the plaintext (shown once) and what is stored instead of it. */
export interface MintedSessionToken {
  /** The token; returned once, to the backend that asked for it, and never stored or logged. */
  readonly plaintext: string;
  /** `sha256(plaintext)` as lowercase hex: the only form of the token that is stored. */
  readonly hash: string;
  /** The session's id, derived from the hash, so the authorizer finds it with one read. */
  readonly id: string;
}

/**
 * Mints a session token from 32 random bytes.
 *
 * @param random - source of random bytes, injectable for tests; defaults to `crypto.randomBytes`.
 */
export function mintSessionToken(random: (size: number) => Buffer = randomBytes): MintedSessionToken {
  const plaintext = `${SESSION_TOKEN_PREFIX}${random(32).toString('base64url')}`;
  const digest = hashSessionToken(plaintext);
  return { plaintext, hash: digest, id: sessionIdFromHash(digest) };
}

/** SHA-256 of a session token, lowercase hex (as keys are hashed). */
export function hashSessionToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** The session id of a token's hash. */
export function sessionIdFromHash(digest: string): string {
  return `ses_${digest.slice(0, 24)}`;
}

/** Whether a bare token has a session token's shape. */
export function isSessionToken(token: string): boolean {
  return token.startsWith(SESSION_TOKEN_PREFIX) && SHAPE.test(token);
}

/**
 * The session token in an `Authorization` value, spelled as keys are (`Bearer <token>` with any
 * case of the scheme and exactly one space, or bare when bare keys are accepted), with no I/O.
 *
 * @returns the token, or `undefined` when the value holds no session token.
 */
export function parseSessionAuthorization(value: string | undefined, acceptBareKeys: boolean): string | undefined {
  if (value === undefined) return undefined;
  const space = value.indexOf(' ');
  let token: string | undefined;
  if (space === -1) {
    if (acceptBareKeys) token = value;
  } else if (value.indexOf(' ', space + 1) === -1 && value.slice(0, space).toLowerCase() === 'bearer') {
    token = value.slice(space + 1);
  }
  return token !== undefined && isSessionToken(token) ? token : undefined;
}
