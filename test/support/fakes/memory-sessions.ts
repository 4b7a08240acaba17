import type { KeygateEvent } from '../../../lambdas/core/events/model';
import type { SessionItem } from '../../../lambdas/core/sessions/model';
import type { SessionTenant } from '../../../lambdas/core/sessions/session-item';
import type { SessionStore } from '../../../lambdas/core/sessions/store';

/**
 * The session store in memory, for unit tests: the same answers as `DynamoSessionStore` (held to
 * it by test/integration/session-store.test.ts), with the events it was given kept in order.
 */
export class MemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, SessionItem>();
  readonly tenants = new Map<string, SessionTenant>();
  readonly events: KeygateEvent[] = [];
  /** Set to make every read fail, as an unreachable DynamoDB would. */
  failing: Error | undefined;

  async getSession(id: string): Promise<SessionItem | undefined> {
    if (this.failing !== undefined) throw this.failing;
    const session = this.sessions.get(id);
    return session === undefined ? undefined : structuredClone(session);
  }

  async getSessionTenant(tenantId: string): Promise<SessionTenant | undefined> {
    if (this.failing !== undefined) throw this.failing;
    return this.tenants.get(tenantId);
  }

  async createSession(session: SessionItem, event: KeygateEvent): Promise<void> {
    if (this.sessions.has(session.id)) throw new Error('session id collision');
    this.sessions.set(session.id, structuredClone(session));
    this.events.push(event);
  }

  async deleteSession(tenantId: string, id: string, event: KeygateEvent): Promise<boolean> {
    const session = this.sessions.get(id);
    if (session === undefined || session.tenantId !== tenantId) return false;
    this.sessions.delete(id);
    this.events.push(event);
    return true;
  }
}
