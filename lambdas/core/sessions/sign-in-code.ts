import { hash, randomBytes } from 'node:crypto';
import type { SessionUser } from './model';

/*
 * A sign-in code lets the admin CLI hand the console an operator session without a long-lived
 * secret in a URL: `kgl_` then 43 base64url characters of 32 random bytes (256 bits, so guessing
 * one is moot, however many guesses get through), good for one exchange within minutes. Like a
 * session token, it is its own format, never taken for an API key or a session token.
 */

/** What every sign-in code starts with. */
export const SIGN_IN_CODE_PREFIX = 'kgl_';
/** How long a sign-in code can be exchanged: five minutes, time enough to open a link. */
export const SIGN_IN_CODE_TTL_SECONDS = 300;
/** How long the session a code is exchanged for lasts: the longest a session may, an hour. */
export const SIGN_IN_SESSION_TTL_SECONDS = 3600;

const SHAPE = /^kgl_[A-Za-z0-9_-]{43}$/;

/** A newly minted code: the plaintext (printed once, by the CLI) and what is stored instead. */
export interface MintedSignInCode {
  readonly plaintext: string;
  /** `sha256(plaintext)` as lowercase hex: the only form of the code that is stored. */
  readonly hash: string;
  /** `sil_` + 24 hex characters of the hash, so the exchange finds the code with one read. */
  readonly id: string;
}

/** A stored sign-in code: never the code itself. */
export interface SignInCodeItem {
  readonly id: string;
  readonly hash: string;
  /** The tenant the session will belong to: always the operator tenant. */
  readonly tenantId: string;
  /** The member the session will name. */
  readonly user: SessionUser;
  readonly createdAt: string;
  /** When it can no longer be exchanged (ISO); the exchange checks it, DynamoDB TTL removes it later. */
  readonly expiresAt: string;
  /** The operator key that minted it. */
  readonly createdBy: string;
}

/** Mints a sign-in code from 32 random bytes. */
export function mintSignInCode(random: (size: number) => Buffer = randomBytes): MintedSignInCode {
  const plaintext = `${SIGN_IN_CODE_PREFIX}${random(32).toString('base64url')}`;
  const digest = hashSignInCode(plaintext);
  return { plaintext, hash: digest, id: signInCodeIdFromHash(digest) };
}

/** SHA-256 of a sign-in code, lowercase hex. */
export function hashSignInCode(code: string): string {
  return hash('sha256', code, 'hex');
}

/** The id of a code's hash. */
export function signInCodeIdFromHash(digest: string): string {
  return `sil_${digest.slice(0, 24)}`;
}

/** Whether a value has a sign-in code's shape: anything else is refused with no read. */
export function isSignInCode(value: string): boolean {
  return SHAPE.test(value);
}

/** A code's primary key in the key table: one item per code, found by id. */
export const signInCodeItemKey = (id: string): { pk: string; sk: string } => ({ pk: `SIGNIN#${id}`, sk: 'SIGNIN' });
