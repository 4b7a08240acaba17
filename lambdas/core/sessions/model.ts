import type { Environment, Role } from '../keys/format';
import { ApiError } from '../http/errors';

/** How long a session lasts unless asked otherwise: 15 minutes. */
export const DEFAULT_SESSION_TTL_SECONDS = 900;
/** The longest a session may last: one hour. A person signs in again; a machine uses a key. */
export const MAX_SESSION_TTL_SECONDS = 3600;
/** The shortest a session may last: a minute, so a clock a little off cannot end it at birth. */
export const MIN_SESSION_TTL_SECONDS = 60;

/** The member a session was minted for, as the team's backend names them. */
export interface SessionUser {
  /** The team's own id for the member (1–200 printable characters). */
  readonly id: string;
  /** A display name, for the audit trail's readers. */
  readonly name?: string;
}

/** Everything stored about a session: one item, read in full by the authorizer. */
export interface SessionItem {
  /** `ses_` + 24 hex characters of the token's hash. */
  readonly id: string;
  readonly tenantId: string;
  /** `sha256(token)`; the token itself is never stored. */
  readonly hash: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly user: SessionUser;
  readonly createdAt: string;
  /** When it stops working (ISO); the authorizer and the handlers check it, DynamoDB TTL removes it later. */
  readonly expiresAt: string;
  /** Who minted it: the operator key's id (or `admin-cli`); for a sign-in link's, the key that minted the link. */
  readonly createdBy: string;
  /** The sign-in link's code id, when the session was opened with one. */
  readonly signInLink?: string;
}

/** A session as the API shows it: never the hash. */
export interface SessionRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly user: SessionUser;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** A minted session with its token, answered once. */
export type SessionWithToken = SessionRecord & { readonly token: string };

/** Projects a stored session onto the record the API shows. */
export function toSessionRecord(item: SessionItem): SessionRecord {
  const { id, tenantId, environment, role, user, createdAt, expiresAt } = item;
  return { id, tenantId, environment, role, user: { ...user }, createdAt, expiresAt };
}

/** Whether a session has ended at `now`: from its `expiresAt` on, to the millisecond. */
export function sessionExpired(expiresAt: string, now: Date): boolean {
  const end = Date.parse(expiresAt);
  // an unreadable expiry fails closed.
  return Number.isNaN(end) || now.getTime() >= end;
}

/**
 * Refuses a session that has ended since its Allow was cached (401): the authorizer's cache holds
 * an answer for minutes and a session may end in between, so keygate's handlers, the only ones a
 * session reaches, check its end themselves. A key's caller passes untouched.
 */
export function assertSessionLive(caller: { readonly [field: string]: string | undefined }, now: Date): void {
  const end = caller.sessionExpiresAt;
  if (end !== undefined && sessionExpired(end, now))
    throw new ApiError('unauthorized', 'this session has ended; sign in again');
}
