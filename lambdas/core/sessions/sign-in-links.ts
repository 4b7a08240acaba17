import { ApiError, conflict, forbidden } from '../http/errors';
import { hashesEqual, type Environment } from '../keys/format';
import { OPERATOR_TENANT_ID } from '../keys/owner-guard';
import { newEvent, type Actor } from '../events/model';
import type { AuthorizerContext, KeyItem, Tenant } from '../model';
import { isExpired } from '../keys/expiry';
import type { Clock } from '../support/clock';
import { sessionExpired, toSessionRecord, type SessionItem, type SessionUser, type SessionWithToken } from './model';
import type { SignInCodeStore } from './dynamodb-sign-in-codes';
import {
  hashSignInCode,
  isSignInCode,
  mintSignInCode,
  SIGN_IN_CODE_TTL_SECONDS,
  SIGN_IN_SESSION_TTL_SECONDS,
  signInCodeIdFromHash,
  type SignInCodeItem,
} from './sign-in-code';
import { mintSessionToken } from './token';

/** What sign-in links need, passed in so Lambdas, the local gateway and tests share it. */
export interface SignInLinkDeps {
  readonly codes: SignInCodeStore;
  /** The operator tenant, read at the exchange: a suspended one signs nobody in. */
  readonly tenants: { getTenant(tenantId: string): Promise<Tenant | undefined> };
  /**
   * The keys, to refuse a code whose minting key was revoked, deleted or expired since.
   * @default - not checked
   */
  readonly keys?: { getKey(id: string): Promise<KeyItem | undefined> };
  /** Gives the tenant a usage identifier where it has none, as a session's creation does. @default - none */
  readonly usage?: { ensureUsageKey(tenant: Tenant, environment: Environment): Promise<Tenant> };
  readonly clock: Clock;
  /** @default - `crypto.randomBytes` */
  readonly random?: (size: number) => Buffer;
}

/** A minted code, answered once to the operator key that asked. */
export interface MintedSignInLink {
  readonly id: string;
  readonly code: string;
  readonly expiresAt: string;
}

/** One answer for every code that cannot be exchanged: unknown, used or made up look alike. */
const NOT_VALID = 'this sign-in link is not valid: it was used already or never existed; print a new one';

/**
 * One-time sign-in links for the console: an operator key mints a short-lived code (stored as its
 * hash), and whoever opens the link exchanges the code, once, for an operator session of the
 * operator tenant, as the pasted-key sign-in would give. The session's events name it as a
 * sign-in link's, and the key that minted the link.
 */
export class SignInLinks {
  constructor(private readonly deps: SignInLinkDeps) {}

  /** Mints a code for `user`; only a live operator key may (a session never mints what outlives it). */
  async mint(caller: AuthorizerContext, user: SessionUser): Promise<MintedSignInLink> {
    if (caller.session !== undefined) throw forbidden('a session cannot mint sign-in links; use an operator key');
    if (caller.role !== 'operator' || caller.environment !== 'live')
      throw forbidden('only live operator keys may mint sign-in links');
    const now = this.deps.clock();
    const minted = mintSignInCode(this.deps.random);
    const item: SignInCodeItem = {
      id: minted.id,
      hash: minted.hash,
      tenantId: OPERATOR_TENANT_ID,
      user: user.name === undefined ? { id: user.id } : { id: user.id, name: user.name },
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SIGN_IN_CODE_TTL_SECONDS * 1000).toISOString(),
      createdBy: caller.keyId,
    };
    await this.deps.codes.putSignInCode(item);
    return { id: item.id, code: minted.plaintext, expiresAt: item.expiresAt };
  }

  /**
   * Exchanges a code for an operator session, once: of two exchanges at once, one gets the
   * session and the other 401.
   *
   * @throws ApiError 401 for a code unknown, used or expired; 409 when the operator tenant is suspended.
   */
  async exchange(code: string): Promise<SessionWithToken> {
    // a made-up value costs no read.
    if (!isSignInCode(code)) throw new ApiError('unauthorized', NOT_VALID);
    const hash = hashSignInCode(code);
    const stored = await this.deps.codes.getSignInCode(signInCodeIdFromHash(hash));
    if (stored === undefined || !hashesEqual(stored.hash, hash)) throw new ApiError('unauthorized', NOT_VALID);
    const now = this.deps.clock();
    if (sessionExpired(stored.expiresAt, now))
      throw new ApiError('unauthorized', 'this sign-in link has expired: print a new one');
    // a link lives minutes, but must not outlive the key that printed it (a leak's revocation).
    if (this.deps.keys !== undefined) {
      const minter = await this.deps.keys.getKey(stored.createdBy);
      if (minter?.tenantId !== stored.tenantId || minter.status !== 'active' || isExpired(minter.expiresAt, now))
        throw new ApiError(
          'unauthorized',
          'the operator key that printed this sign-in link no longer works: print a new one with a working key',
        );
    }
    const tenant = await this.deps.tenants.getTenant(stored.tenantId);
    if (tenant === undefined || tenant.status !== 'active')
      throw conflict('the operator tenant is not active: nobody can sign in');
    if (this.deps.usage !== undefined) await this.deps.usage.ensureUsageKey(tenant, 'live');
    const minted = mintSessionToken(this.deps.random);
    const session: SessionItem = {
      id: minted.id,
      tenantId: stored.tenantId,
      hash: minted.hash,
      environment: 'live',
      role: 'operator',
      user: { ...stored.user },
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SIGN_IN_SESSION_TTL_SECONDS * 1000).toISOString(),
      createdBy: stored.createdBy,
      signInLink: stored.id,
    };
    const actor: Actor = {
      session: session.id,
      userId: session.user.id,
      role: 'operator',
      signInLink: { mintedBy: stored.createdBy },
    };
    const event = newEvent({
      type: 'session.created',
      tenantId: session.tenantId,
      environment: session.environment,
      actor,
      at: now,
      details: {
        sessionId: session.id,
        user: { ...session.user },
        role: session.role,
        expiresAt: session.expiresAt,
        signInLink: { id: stored.id, mintedBy: stored.createdBy },
      },
    });
    if (!(await this.deps.codes.redeemSignInCode(stored, session, event)))
      throw new ApiError('unauthorized', NOT_VALID);
    return { ...toSessionRecord(session), token: minted.plaintext };
  }
}
