import type { AuthorizerContext, Tenant } from '../model';
import { forbidden, invalidRequest } from '../http/errors';
import { ROLES, type Environment, type Role } from './format';
import { OPERATOR_TENANT_ID, owningRole } from './owner-guard';

/*
 * Who may do what to a tenant's keys: rules of the caller's role and environment alone, with no
 * I/O, so a replayed answer is refused exactly as the request itself would be.
 */

/** Lower is more powerful. */
const rank = (role: Role): number => ROLES.indexOf(role);

/** `an owner`, `a developer`: for messages people read. */
function withArticle(role: Role): string {
  return `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;
}

/** `read_only` keys may read, never change (the policy denies it too: defence in depth). */
export function assertCanWrite(caller: AuthorizerContext): void {
  if (caller.role === 'read_only') throw forbidden('a read_only key cannot change keys');
}

/**
 * Operator keys act on live tenants through the panel, so there is no such thing as a test one:
 * a `test` key must only ever reach test data.
 */
export function assertOperatorIsLive(role: Role, environment: Environment): void {
  if (role === 'operator' && environment !== 'live') {
    throw invalidRequest('environment: operator keys are live only; create a live operator key');
  }
}

/** Refuses a key of `role` in `environment` that the caller may not create. */
export function assertMayCreate(caller: AuthorizerContext, role: Role, environment: Environment): void {
  assertCanWrite(caller);
  if (caller.environment === 'test' && environment !== 'test') throw forbidden('a test key can only create test keys');
  // operator keys open the panel over every tenant: they belong to the operator tenant alone. Told
  // before the rank rule, which also refuses them but would blame the caller's role instead.
  if (role === 'operator' && caller.tenantId !== OPERATOR_TENANT_ID) {
    throw forbidden("operator keys belong to the operator tenant only; a tenant's most powerful key is an owner key");
  }
  if (rank(role) < rank(caller.role))
    throw forbidden(`${withArticle(caller.role)} key cannot create ${withArticle(role)} key`);
  assertOperatorIsLive(role, environment);
}

/** Refuses a change to a key of `role` that the caller may not make: no key changes one above its own. */
export function assertMayChange(caller: AuthorizerContext, role: Role): void {
  assertCanWrite(caller);
  if (rank(role) < rank(caller.role))
    throw forbidden(`${withArticle(caller.role)} key cannot change ${withArticle(role)} key`);
}

/**
 * The caller the operator acts as on a tenant's keys, through the same key service as the
 * tenant's own keys: the tenant's owning role (`owner`; `operator` in the operator tenant), so
 * the operator may do what the tenant's owner may, and recover a tenant left without an owner
 * key by creating one, but cannot create `operator` keys in another tenant (their rank is above
 * the owner's, and {@link assertMayCreate} refuses them outside the operator tenant anyway); and
 * a `live` environment, so every key of the tenant is visible.
 *
 * The key id stays the operator's own, with `onBehalfOf` naming the tenant: the role above is
 * what permissions check, but the audit trail must say which operator key acted, as an operator,
 * for whom (see `actorOf`).
 *
 * @param operator - the calling operator key's context, as its authorizer gave it.
 */
export function operatorActingFor(
  tenant: Tenant,
  operator: Pick<AuthorizerContext, 'keyId'> & {
    readonly session?: string;
    readonly userId?: string;
    readonly signInLinkBy?: string;
  },
): AuthorizerContext {
  return {
    tenantId: tenant.tenantId,
    keyId: operator.keyId,
    environment: 'live',
    role: owningRole(tenant.tenantId),
    plan: tenant.plan,
    onBehalfOf: tenant.tenantId,
    // an operator session acting for a tenant is still named by its member in the audit trail.
    ...(typeof operator.session === 'string' ? { session: operator.session } : {}),
    ...(typeof operator.userId === 'string' ? { userId: operator.userId } : {}),
    ...(typeof operator.signInLinkBy === 'string' ? { signInLinkBy: operator.signInLinkBy } : {}),
  };
}
