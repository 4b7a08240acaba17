import type { PolicyDocument } from '../auth/policy';
import { hashesEqual } from '../keys/format';
import type { AuthorizerContext } from '../model';
import { describeError } from '../support/logger';
import { sessionExpired } from './model';
import { sessionPolicy } from './session-policy';
import type { SessionReader } from './store';
import { hashSessionToken, sessionIdFromHash } from './token';

/** A session's Allow, in the shape of a TOKEN authorizer's answer. */
export interface SessionAllow {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  readonly context: AuthorizerContext;
  readonly usageIdentifierKey?: string;
}

/** Why a session was refused, for the log (never the token). */
export interface SessionRefusal {
  readonly refusal: 'unknown' | 'expired' | 'suspended' | 'error';
  readonly fields: Record<string, unknown>;
}

/**
 * Authorizes a well-formed session token: two reads (the session by the id its hash gives, then
 * its tenant, whose status, plan and usage identifier are read fresh, so a suspension or a plan
 * change reaches sessions with nothing copied onto them). DynamoDB's TTL deletion lags, so the
 * expiry is checked here, to the millisecond; a store error refuses.
 *
 * The context's `keyId` is the session's id (what idempotency and `createdBy` scope by); `session`,
 * `userId` and `sessionExpiresAt` tell handlers that a member acts, who, and until when;
 * `signInLinkBy`, that the session came from a sign-in link, and which key minted it.
 */
export async function authorizeSession(
  reader: SessionReader,
  token: string,
  methodArn: string,
  now: Date,
): Promise<SessionAllow | SessionRefusal> {
  const hash = hashSessionToken(token);
  const id = sessionIdFromHash(hash);
  try {
    const session = await reader.getSession(id);
    if (session === undefined || !hashesEqual(session.hash, hash))
      return { refusal: 'unknown', fields: { sessionId: id } };
    if (sessionExpired(session.expiresAt, now)) return { refusal: 'expired', fields: { sessionId: id } };
    const tenant = await reader.getSessionTenant(session.tenantId);
    if (tenant?.status !== 'active')
      return { refusal: 'suspended', fields: { sessionId: id, tenantId: session.tenantId } };
    const usageKey = tenant.usageKeys[session.environment];
    return {
      principalId: id,
      policyDocument: sessionPolicy(methodArn, session.role, session.environment),
      context: {
        tenantId: session.tenantId,
        keyId: id,
        environment: session.environment,
        role: session.role,
        plan: tenant.plan as AuthorizerContext['plan'],
        session: id,
        userId: session.user.id,
        sessionExpiresAt: session.expiresAt,
        ...(session.signInLink === undefined ? {} : { signInLinkBy: session.createdBy }),
      },
      ...(usageKey === undefined ? {} : { usageIdentifierKey: usageKey }),
    };
  } catch (error) {
    return { refusal: 'error', fields: { sessionId: id, ...describeError(error) } };
  }
}
