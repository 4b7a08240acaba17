import { isExpired } from './expiry';
import type { Role } from './format';
import type { KeyItem } from '../model';

/** The id of the tenant that holds `operator` keys. */
export const OPERATOR_TENANT_ID = 'operator';

/** What `createdBy` says for the first key of a tenant the operator creates. */
export const OPERATOR_ACTOR = 'operator';

/**
 * The role whose keys own a tenant, that is, can always manage all of its keys: `operator` in
 * the operator tenant, `owner` everywhere else. A tenant must keep at least one lasting key of
 * this role, or nobody could manage its keys any more.
 */
export function owningRole(tenantId: string): Role {
  return tenantId === OPERATOR_TENANT_ID ? 'operator' : 'owner';
}

/**
 * Whether a key is one of its tenant's lasting owners at `now`: of the owning role, active, not
 * expired, and not rotated out (a rotated-out key is on its way out: its successor is the owner
 * that counts, and counting both would let the successor go and leave the tenant ownerless
 * when the grace period ends).
 */
export function isLastingOwner(key: KeyItem, now: Date): boolean {
  return (
    key.role === owningRole(key.tenantId) &&
    key.status === 'active' &&
    key.rotatedTo === undefined &&
    !isExpired(key.expiresAt, now)
  );
}

/**
 * The condition a store puts on a write that revokes or deletes a key of the owning role, checked
 * when the write commits so that two owners removing each other at once cannot both succeed.
 */
export type OwnerGuard =
  /** The key is a lasting owner: commit only if `survivor`, another key, still is one at `now`. */
  | { readonly survivor: string; readonly now: Date }
  /** The key is not a lasting owner (revoked, expired, rotated out): commit only if that still holds at `now`. */
  | { readonly survivor?: undefined; readonly now: Date };

/** The 409 message for refusing to remove a tenant's last lasting owner key. */
export function lastOwnerMessage(tenantId: string): string {
  const role = owningRole(tenantId);
  const whose = role === 'operator' ? "the operator tenant's" : "the tenant's";
  return `this is ${whose} last active ${role} key: create or enable another ${role} key first`;
}
