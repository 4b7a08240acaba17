import type { Tenant } from '../model';
import { OWNER_ATTRIBUTES } from './dynamodb-owners';
import { tenantIndexAttributes } from './table';
import { NAME_KEY_ATTRIBUTE, searchKey } from './tenant-filter';

/** The sort key of every tenant item. */
export const TENANT_SK = 'TENANT';

/** The partition key of a tenant item; also the tenant's key partition of `byTenant`. */
export const tenantPk = (tenantId: string): string => `TENANT#${tenantId}`;

/** A tenant item's primary key. */
export const tenantItemKey = (tenantId: string): { pk: string; sk: string } => ({
  pk: tenantPk(tenantId),
  sk: TENANT_SK,
});

/**
 * The primary key of a retired tenant id's tombstone: written in the transaction that deletes the
 * tenant item and never deleted, so that no later tenant can take the id (and with it the old
 * tenant's audit trail, idempotency records or usage identifier names).
 */
export const retiredItemKey = (tenantId: string): { pk: string; sk: string } => ({
  pk: tenantPk(tenantId),
  sk: 'RETIRED',
});

/** The sort key prefix of the usage plans discarded for a tenant id, each waiting for the reconciler. */
export const DISCARDED_PLAN_SK = 'DISCARDED_PLAN#';

/**
 * A tenant as an item, in the tenant listing, with its name's search form and the owner
 * attributes it starts with.
 */
export function toTenantItem(tenant: Tenant, ownerAttributes: Record<string, unknown>): Record<string, unknown> {
  return {
    ...tenantItemKey(tenant.tenantId),
    ...tenantIndexAttributes(tenant),
    ...tenant,
    [NAME_KEY_ATTRIBUTE]: searchKey(tenant.name),
    ...ownerAttributes,
  };
}

/** A stored tenant item as the domain sees it: storage and owner-guard attributes left out. */
export function fromTenantItem(raw: Record<string, unknown>): Tenant {
  const { pk: _pk, sk: _sk, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, [NAME_KEY_ATTRIBUTE]: _nameKey, ...tenant } = raw;
  for (const attribute of OWNER_ATTRIBUTES) delete tenant[attribute];
  return tenant as unknown as Tenant;
}
