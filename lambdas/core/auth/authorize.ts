import type { Clock } from '../support/clock';
import { isExpired } from '../keys/expiry';
import {
  hashKey,
  hashesEqual,
  keyIdFromHash,
  parseAuthorization,
  parseAuthorizationIn,
  type KeyFormat,
} from '../keys/format';
import { describeError, type Logger } from '../support/logger';
import type { AuthorizerContext } from '../model';
import { PolicyCache, policyFor, stageArn, type PolicyDocument } from './policy';
import { parseScopes, type Scope } from './scopes';
import type { RouteRoles } from './route-policy';
import { workspaceResources, type WorkspaceResources } from './workspaces';
import type { KeyStore } from '../store/store';
import { authorizeSession } from '../sessions/authorize-session';
import type { SessionReader } from '../sessions/store';
import { parseSessionAuthorization } from '../sessions/token';
import type { LastUseRecorder } from './last-use';

export { DEFAULT_LAST_USED_INTERVAL_SECONDS, ThrottledLastUse, type LastUseRecorder } from './last-use';

/** A TOKEN authorizer's answer for an authorized key. */
export interface AuthorizationResult {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  /** The key's context; a suspended tenant's Deny carries `refusal` instead ({@link AuthorizeDeps.denySuspended}). */
  readonly context: AuthorizerContext | SuspendedContext;
  readonly usageIdentifierKey?: string;
}

/** The context of a suspended tenant's Deny: who was refused, and why, for the gateway's answer. */
export interface SuspendedContext {
  readonly tenantId: string;
  readonly keyId: string;
  readonly refusal: 'suspended';
  readonly [field: string]: string;
}

/** The refusal API Gateway turns into 401: the message must be exactly `Unauthorized`. */
export class Unauthorized extends Error {
  constructor() {
    super('Unauthorized');
    this.name = 'Unauthorized';
  }
}

/** Why a token was refused, for logs and metrics: never the token itself. */
export type RefusalReason = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'suspended' | 'error' | 'session';

/** What {@link authorize} needs, passed in so the local gateway and tests share every line. */
export interface AuthorizeDeps {
  /** Only the one read: the authorizer's bundle carries no more of the store than that. */
  readonly store: Pick<KeyStore, 'getKey'>;
  readonly prefix: string;
  /**
   * The formats a key may have (the deployment's and the older ones still accepted); a key's
   * environment is read from its item, whatever the key spells. @default - the default format under `prefix`
   */
  readonly formats?: readonly KeyFormat[];
  readonly acceptBareKeys: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lastUse: LastUseRecorder;
  /** Routes only some roles may call; denied to the others in the policy. @default - none */
  readonly routeRoles?: readonly RouteRoles[];
  /**
   * Whether a suspended tenant's key gets a Deny on every route, with `refusal: suspended` in its
   * context, rather than a 401: the gateway then answers it with the configured `suspended`
   * answer on the routes it guards, and with its own 401 on keygate's. A function decides per
   * method ARN: on AWS the guarded routes are an API of their own, and the one function serves
   * both. @default false
   */
  readonly denySuspended?: boolean | ((methodArn: string) => boolean);
  /**
   * The 1-based index of the path segment that names a workspace (`keygate:workspacePathSegment`):
   * a key then reaches only its tenant's workspaces there (`./workspaces.ts`), and its context
   * carries them as `workspaces`. @default - no workspaces: the whole API
   */
  readonly workspaceSegment?: number;
  /**
   * Where sessions are read: with it, a session token (`kgs_…`) is authorized for keygate's own
   * tenant routes (see `sessions/authorize-session.ts`). Without it the authorizer takes keys only,
   * as the front door's and `addRoute`'s does: a session token is refused with no read, whatever
   * its role. @default - keys only
   */
  readonly sessions?: SessionReader;
}

/**
 * Authorizes an `Authorization` value for a method ARN. A wrong shape or checksum is refused
 * without any I/O; otherwise exactly one read, by the id derived from the key's hash. Fails
 * closed: a store error is a refusal, never an Allow.
 *
 * @throws Unauthorized for every refusal.
 */
export async function authorize(
  deps: AuthorizeDeps,
  token: string | undefined,
  methodArn: string,
): Promise<AuthorizationResult> {
  // a session token can never parse as a key: it is told apart before any key parsing.
  const session = parseSessionAuthorization(token, deps.acceptBareKeys);
  if (session !== undefined) {
    // a keys-only authorizer's cached answer serves the routes of your own, where no session goes.
    if (deps.sessions === undefined) return refuse(deps.logger, 'session');
    const outcome = await authorizeSession(deps.sessions, session, methodArn, deps.clock());
    if ('refusal' in outcome) return refuse(deps.logger, outcome.refusal, outcome.fields);
    return outcome;
  }
  const parsed =
    deps.formats === undefined
      ? parseAuthorization(token, deps.prefix, deps.acceptBareKeys)
      : parseAuthorizationIn(token, deps.formats, deps.acceptBareKeys);
  if (parsed === undefined) return refuse(deps.logger, 'malformed');
  const hash = hashKey(parsed.key);
  const keyId = keyIdFromHash(hash);
  const now = deps.clock();
  // a key that matched in this process before may have its use written alongside the read (one
  // round trip); any other waits for its hash to match, so a made-up key costs the read alone.
  const ahead = deps.lastUse.recordAhead?.(keyId, now);
  let item;
  try {
    item = await deps.store.getKey(keyId);
  } catch (error) {
    if (ahead !== undefined) await ahead;
    return refuse(deps.logger, 'error', { keyId, ...describeError(error) });
  }
  if (item === undefined || !hashesEqual(item.hash, hash)) {
    if (ahead !== undefined) await ahead;
    return refuse(deps.logger, 'unknown', { keyId });
  }
  // the write is done before the answer leaves (Lambda freezes whatever is still running after
  // that); awaiting undefined would still cost a turn of the microtask queue.
  const recording = ahead ?? deps.lastUse.record(keyId, now);
  if (recording !== undefined) await recording;
  if (item.status !== 'active') return refuse(deps.logger, 'revoked', { keyId });
  if (isExpired(item.expiresAt, now)) return refuse(deps.logger, 'expired', { keyId });
  if (item.tenantStatus !== 'active') {
    const deny = typeof deps.denySuspended === 'function' ? deps.denySuspended(methodArn) : deps.denySuspended;
    if (deny !== true) return refuse(deps.logger, 'suspended', { keyId, tenantId: item.tenantId });
    deps.logger.info('refused', { reason: 'suspended', keyId, tenantId: item.tenantId });
    return {
      principalId: keyId,
      policyDocument: denyAll(methodArn),
      context: { tenantId: item.tenantId, keyId, refusal: 'suspended' },
    };
  }
  let scopes: Scope[] = [];
  try {
    if (item.scopes !== undefined) scopes = parseScopes(item.scopes);
  } catch (error) {
    // scopes that cannot be read must not widen to the whole API.
    return refuse(deps.logger, 'error', { keyId, ...describeError(error) });
  }
  let workspaces: WorkspaceResources | undefined;
  if (deps.workspaceSegment !== undefined) {
    try {
      const rule = { segment: deps.workspaceSegment, workspaces: item.tenantWorkspaces ?? [] };
      workspaces = workspaceResources(rule, deps.routeRoles ?? [], scopes);
    } catch (error) {
      return refuse(deps.logger, 'error', { keyId, ...describeError(error) });
    }
  }
  const result: { -readonly [field in keyof AuthorizationResult]: AuthorizationResult[field] } = {
    principalId: keyId,
    // a scoped key's policy, and one with workspaces, is its own: built for it, not shared.
    policyDocument:
      scopes.length === 0 && workspaces === undefined
        ? policiesFor(deps.routeRoles).policyFor(methodArn, item.role, item.environment)
        : policyFor(methodArn, item.role, item.environment, deps.routeRoles, scopes, workspaces),
    context: {
      tenantId: item.tenantId,
      keyId,
      environment: item.environment,
      role: item.role,
      plan: item.plan,
      // the key service reads a scoped caller's scopes when it creates or changes keys.
      ...(scopes.length === 0 ? {} : { scoped: 'true' }),
      // the front door passes them on as x-keygate-workspaces.
      ...(workspaces === undefined ? {} : { workspaces: workspaces.workspaces.join(',') }),
    },
  };
  if (item.usageKey !== undefined) result.usageIdentifierKey = item.usageKey;
  return result;
}

/** A policy that refuses every route of the stage; cached like any answer, flushed on resume. */
function denyAll(methodArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${stageArn(methodArn)}/*/*`] }],
  };
}

/** Logs a refusal (never the token) and throws what API Gateway turns into 401. */
function refuse(logger: Logger, reason: RefusalReason, fields?: Record<string, unknown>): never {
  logger.info('refused', { reason, ...fields });
  throw new Unauthorized();
}

/**
 * One policy cache per list of route rules (the deployed authorizer has one list for its whole
 * life): a policy depends only on the stage, the role, the environment and those rules.
 */
const policyCaches = new WeakMap<readonly RouteRoles[], PolicyCache>();
const NO_RULES: readonly RouteRoles[] = Object.freeze([]);

function policiesFor(rules: readonly RouteRoles[] = NO_RULES): PolicyCache {
  let cache = policyCaches.get(rules);
  if (cache === undefined) {
    cache = new PolicyCache(rules);
    policyCaches.set(rules, cache);
  }
  return cache;
}
