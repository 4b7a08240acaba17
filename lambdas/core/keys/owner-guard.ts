import { ApiError } from '../http/errors';
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
 * Whether a key lasts at least until `until` (an ISO instant), or for good when `until` is `null`:
 * a key that never expires lasts until anything, and one that expires lasts until its own expiry.
 */
export function lastsUntil(key: Pick<KeyItem, 'expiresAt'>, until: string | null): boolean {
  if (key.expiresAt === null) return true;
  return until !== null && Date.parse(key.expiresAt) >= Date.parse(until);
}

/**
 * The condition a store puts on a write that revokes or deletes a key of the owning role, checked
 * when the write commits so that two owners removing each other at once cannot both succeed.
 */
export type OwnerGuard =
  /**
   * The key is a lasting owner: commit only if `survivor`, another key, still is one at `now` and
   * lasts until `until`, the removed key's own expiry (`null`: it never expires, so neither may
   * the survivor). A survivor that expires sooner would leave the tenant ownerless before the
   * removed key would have.
   */
  | { readonly survivor: string; readonly now: Date; readonly until: string | null }
  /** The key is not a lasting owner (revoked, expired, rotated out): commit only if that still holds at `now`. */
  | { readonly survivor?: undefined; readonly now: Date; readonly until?: undefined };

/**
 * A refusal to revoke or delete a key because the tenant would be left without a lasting owner
 * key, now or before the key itself would have expired: a 409 `conflict` whose message says which.
 */
export class OwnerKeyRefusal extends ApiError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'OwnerKeyRefusal';
  }
}

/** What deciding a guard reads: the tenant's owner key ids and each key, read consistently. */
export interface OwnerReader {
  ownerKeyIds(tenantId: string): Promise<string[]>;
  getKey(id: string): Promise<KeyItem | undefined>;
}

/**
 * The guard for revoking or deleting `key` at `now`: none needed beyond "still not a lasting
 * owner" for a key that is not one; otherwise another lasting owner that lasts as long as `key`
 * would, named as the survivor the write checks when it commits.
 *
 * @throws OwnerKeyRefusal when no other lasting owner lasts as long as `key`.
 */
export async function ownerGuardFor(owners: OwnerReader, key: KeyItem, now: Date): Promise<OwnerGuard> {
  if (!isLastingOwner(key, now)) return { now };
  const shorter: KeyItem[] = [];
  for (const id of await owners.ownerKeyIds(key.tenantId)) {
    if (id === key.id) continue;
    const other = await owners.getKey(id);
    if (other === undefined || other.tenantId !== key.tenantId || !isLastingOwner(other, now)) continue;
    if (lastsUntil(other, key.expiresAt)) return { survivor: id, now, until: key.expiresAt };
    shorter.push(other);
  }
  if (shorter.length === 0) throw new OwnerKeyRefusal(lastOwnerMessage(key.tenantId));
  // every one of them expires: the latest says how long the tenant would keep an owner.
  const last = shorter
    .map((other) => String(other.expiresAt))
    .sort()
    .at(-1) as string;
  throw new OwnerKeyRefusal(expiresSoonerMessage(key, last));
}

/** The 409 message for refusing to remove a tenant's last lasting owner key. */
export function lastOwnerMessage(tenantId: string): string {
  const role = owningRole(tenantId);
  return `this is ${whoseKeys(tenantId)} last active ${role} key: create or enable another ${role} key first`;
}

/** The 409 message for refusing to remove `key` while every other lasting owner expires sooner, the last at `last`. */
function expiresSoonerMessage(key: KeyItem, last: string): string {
  const role = owningRole(key.tenantId);
  const others = `${whoseKeys(key.tenantId)} other active ${role} keys all expire`;
  return key.expiresAt === null
    ? `${others}, the last at ${last}, and this one never does: create or enable an ${role} key that never expires first`
    : `${others} before this one would (at ${key.expiresAt}), the last at ${last}: ` +
        `create or enable an ${role} key that lasts as long first`;
}

function whoseKeys(tenantId: string): string {
  return owningRole(tenantId) === 'operator' ? "the operator tenant's" : "the tenant's";
}
