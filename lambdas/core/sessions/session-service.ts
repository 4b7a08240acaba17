import { flushAfterWrite, type AuthorizerCacheFlusher } from '../auth/cache';
import { actorOf, newEvent, type Actor } from '../events/model';
import { conflict, forbidden, invalidRequest, notFound } from '../http/errors';
import { ROLES, type Environment, type Role } from '../keys/format';
import { OPERATOR_TENANT_ID } from '../keys/owner-guard';
import type { AuthorizerContext, Tenant } from '../model';
import type { Clock } from '../support/clock';
import type { Logger } from '../support/logger';
import {
  DEFAULT_SESSION_TTL_SECONDS,
  MAX_SESSION_TTL_SECONDS,
  MIN_SESSION_TTL_SECONDS,
  toSessionRecord,
  type SessionItem,
  type SessionUser,
  type SessionWithToken,
} from './model';
import type { SessionStore } from './store';
import { mintSessionToken, SESSION_ID_PATTERN } from './token';

/** What the session lifecycle needs, passed in so Lambdas, the local gateway and tests share it. */
export interface SessionServiceDeps {
  readonly sessions: SessionStore;
  /** The tenant a session is minted for. */
  readonly tenants: { getTenant(tenantId: string): Promise<Tenant | undefined> };
  /**
   * Gives the tenant a usage identifier for an environment that has none yet, as its first test
   * key would. @default - sessions are minted without one.
   */
  readonly usage?: { ensureUsageKey(tenant: Tenant, environment: Environment): Promise<Tenant> };
  readonly cache: AuthorizerCacheFlusher;
  readonly clock: Clock;
  readonly logger: Logger;
  /** @default - `crypto.randomBytes` */
  readonly random?: (size: number) => Buffer;
}

/** A validated request to mint a session. */
export interface CreateSessionInput {
  readonly role: Role;
  readonly environment?: Environment;
  readonly ttlSeconds?: number;
  readonly user: SessionUser;
}

const rank = (role: Role): number => ROLES.indexOf(role);

/**
 * Sessions for people: a team's backend (with an operator key) mints a short-lived token for a
 * signed-in member, with the member's role in one tenant and environment; the member's browser
 * uses it on keygate's own tenant routes until it expires or is revoked. An operator session (the
 * operator tenant's, role `operator`) reaches the panel too: the console's sign-in.
 */
export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /**
   * Mints a session for a member of `tenantId`. Only an operator key may (a session never mints
   * another, so none outlives the hour it was given); the role is at most `owner` in a tenant,
   * and `operator` (live) only in the operator tenant.
   */
  async create(caller: AuthorizerContext, tenantId: string, input: CreateSessionInput): Promise<SessionWithToken> {
    this.authorizeCreate(caller, tenantId, input);
    const environment = input.environment ?? 'live';
    const ttlSeconds = input.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
    const found = await this.deps.tenants.getTenant(tenantId);
    if (found === undefined || found.status === 'deleting') throw notFound('tenant');
    if (found.status !== 'active') throw conflict(`tenant ${tenantId} is suspended: its members cannot sign in`);
    // the authorizer answers a session with its tenant's usage identifier, as it does a key.
    if (this.deps.usage !== undefined) await this.deps.usage.ensureUsageKey(found, environment);
    const now = this.deps.clock();
    const minted = mintSessionToken(this.deps.random);
    const item: SessionItem = {
      id: minted.id,
      tenantId,
      hash: minted.hash,
      environment,
      role: input.role,
      user: input.user.name === undefined ? { id: input.user.id } : { id: input.user.id, name: input.user.name },
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
      createdBy: caller.keyId,
    };
    await this.deps.sessions.createSession(
      item,
      sessionEvent('session.created', actorOf(caller), item, now, { expiresAt: item.expiresAt }),
    );
    return { ...toSessionRecord(item), token: minted.plaintext };
  }

  /** Refuses, with no I/O, a session the caller may not mint: for replays to be refused alike. */
  authorizeCreate(caller: AuthorizerContext, tenantId: string, input: CreateSessionInput): void {
    if (caller.session !== undefined) throw forbidden('a session cannot mint sessions; use an operator key');
    if (caller.role !== 'operator' || caller.environment !== 'live')
      throw forbidden('only live operator keys may mint sessions');
    const ttl = input.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < MIN_SESSION_TTL_SECONDS || ttl > MAX_SESSION_TTL_SECONDS) {
      throw invalidRequest(
        `ttlSeconds: must be a whole number from ${MIN_SESSION_TTL_SECONDS} to ${MAX_SESSION_TTL_SECONDS}, received ${ttl}`,
      );
    }
    if (tenantId === OPERATOR_TENANT_ID) {
      if (input.role === 'operator' && (input.environment ?? 'live') !== 'live')
        throw invalidRequest('environment: operator sessions are live only');
      return;
    }
    if (rank(input.role) < rank('owner')) {
      throw invalidRequest(
        "role: operator sessions belong to the operator tenant only; a tenant's most powerful member is an owner",
      );
    }
  }

  /**
   * Revokes a session of `tenantId` (the panel): it is refused from the next request on.
   *
   * @throws ApiError 404 when there is no such session of that tenant, also when it was revoked
   *   already: of two revokes at once, one wins and the other is told so.
   */
  async revoke(caller: AuthorizerContext, tenantId: string, id: string): Promise<void> {
    await this.end(tenantId, id, actorOf(caller));
  }

  /** Ends the calling session itself (sign out); only a session may. */
  async signOut(caller: AuthorizerContext): Promise<void> {
    if (caller.session === undefined) throw forbidden('only a session signs out; a key is revoked instead');
    await this.end(caller.tenantId, caller.session, actorOf(caller));
  }

  private async end(tenantId: string, id: string, actor: Actor): Promise<void> {
    if (!SESSION_ID_PATTERN.test(id)) throw notFound('session');
    const session = await this.deps.sessions.getSession(id);
    if (session === undefined || session.tenantId !== tenantId) throw notFound('session');
    const now = this.deps.clock();
    const deleted = await this.deps.sessions.deleteSession(
      tenantId,
      id,
      sessionEvent('session.revoked', actor, session, now),
    );
    if (!deleted) throw notFound('session');
    // as a key's revocation: a cached Allow for the token must not outlive it.
    await flushAfterWrite(this.deps.cache, this.deps.logger);
  }
}

/** The event of a change to a session: about its member, in its environment, never its token or hash. */
function sessionEvent(
  type: 'session.created' | 'session.revoked',
  actor: Actor,
  session: SessionItem,
  at: Date,
  extra: Record<string, unknown> = {},
) {
  return newEvent({
    type,
    tenantId: session.tenantId,
    environment: session.environment,
    actor,
    at,
    details: { sessionId: session.id, user: { ...session.user }, role: session.role, ...extra },
  });
}
