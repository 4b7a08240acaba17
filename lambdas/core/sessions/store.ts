import type { KeygateEvent } from '../events/model';
import type { SessionItem } from './model';
import type { SessionTenant } from './session-item';

/** What the authorizer reads for a session: the session, then its tenant. */
export interface SessionReader {
  getSession(id: string): Promise<SessionItem | undefined>;
  /** The tenant fields a session's authorization needs; `undefined` when there is no such tenant. */
  getSessionTenant(tenantId: string): Promise<SessionTenant | undefined>;
}

/** Where sessions live; every change is written with its event (the outbox). */
export interface SessionStore extends SessionReader {
  /** Stores a new session and its `session.created` event in one transaction. */
  createSession(session: SessionItem, event: KeygateEvent): Promise<void>;
  /**
   * Deletes a session of `tenantId` and writes its `session.revoked` event in one transaction.
   *
   * @returns false when there was no such session of that tenant (already revoked, or another's).
   */
  deleteSession(tenantId: string, id: string, event: KeygateEvent): Promise<boolean>;
}
