import { planStatusOf, type PlanName, type PlanStatus, type Tenant, type TenantStatus } from '../model';

/** Filters of the operator's tenant listing; every one given must hold. */
export interface TenantFilter {
  /** A prefix of the tenant's id or of its name, either case ({@link searchKey}). */
  readonly search?: string;
  readonly plan?: PlanName;
  readonly status?: TenantStatus;
  readonly planStatus?: PlanStatus;
  /** Created on this UTC day (`YYYY-MM-DD`) or later. */
  readonly createdFrom?: string;
  /** Created on this UTC day (`YYYY-MM-DD`) or earlier. */
  readonly createdTo?: string;
}

/**
 * The form of a name (or a search) that name search compares: NFKC, then lower case, so that
 * `ACME`, `Acme` and `ａｃｍｅ` all find `Acme Inc`. Tenant ids are lower case already.
 */
export function searchKey(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * The stored attribute holding {@link searchKey} of a tenant's name, written with the name. A
 * tenant stored before it existed lacks it, and is then matched on its name as written.
 */
export const NAME_KEY_ATTRIBUTE = 'nameKey';

/** The `createdAt#tenantId` bounds of a created range: from the first instant of `from`, to before the day after `to`. */
export function createdBounds(filter: TenantFilter): { readonly from?: string; readonly before?: string } {
  return {
    ...(filter.createdFrom === undefined ? {} : { from: `${filter.createdFrom}T00:00:00.000Z` }),
    ...(filter.createdTo === undefined
      ? {}
      : { before: new Date(Date.parse(`${filter.createdTo}T00:00:00.000Z`) + 86_400_000).toISOString() }),
  };
}

/** Whether a tenant passes a filter: the very rules the DynamoDB expressions of {@link tenantFilterQuery} state. */
export function tenantMatches(tenant: Tenant, filter: TenantFilter): boolean {
  const { from, before } = createdBounds(filter);
  const search = filter.search === undefined ? undefined : searchKey(filter.search);
  return (
    (search === undefined || tenant.tenantId.startsWith(search) || searchKey(tenant.name).startsWith(search)) &&
    (filter.plan === undefined || tenant.plan === filter.plan) &&
    (filter.status === undefined || tenant.status === filter.status) &&
    (filter.planStatus === undefined || planStatusOf(tenant) === filter.planStatus) &&
    (from === undefined || tenant.createdAt >= from) &&
    (before === undefined || tenant.createdAt < before)
  );
}

/** The parts of a query of the tenant listing that a filter adds. */
export interface TenantFilterQuery {
  /** The condition on the listing's sort key (`gsi1sk`, `<createdAt>#<tenantId>`), if any. */
  readonly sortKeyCondition?: string;
  readonly filterExpression?: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * The filter as DynamoDB expressions: the created range is a key condition on the listing's sort
 * key, so it reads only that range; the others can only be a filter expression, applied after
 * the read (DynamoDB has no index on them, and one per filter is not worth its writes).
 * `pending` is what {@link planStatusOf} says: `planGeneration` above `appliedGeneration`, an
 * absent one counting as 0. A comparison with an absent attribute is false, and its `NOT` true.
 */
export function tenantFilterQuery(filter: TenantFilter): TenantFilterQuery {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const conditions: string[] = [];
  const { from, before } = createdBounds(filter);
  if (from !== undefined) values[':from'] = from;
  if (before !== undefined) values[':before'] = before;
  // no sort key equals a bare instant (each ends `#<tenantId>`), so BETWEEN's inclusive upper
  // bound still leaves out every tenant created at `before`.
  const sortKeyCondition =
    from !== undefined && before !== undefined
      ? 'gsi1sk BETWEEN :from AND :before'
      : from !== undefined
        ? 'gsi1sk >= :from'
        : before !== undefined
          ? 'gsi1sk < :before'
          : undefined;
  if (filter.search !== undefined) {
    names['#name'] = 'name';
    names['#nameKey'] = NAME_KEY_ATTRIBUTE;
    values[':search'] = searchKey(filter.search);
    values[':searchAsWritten'] = filter.search;
    conditions.push(
      '(begins_with(tenantId, :search) OR begins_with(#nameKey, :search) OR (attribute_not_exists(#nameKey) AND begins_with(#name, :searchAsWritten)))',
    );
  }
  if (filter.plan !== undefined) {
    names['#plan'] = 'plan';
    values[':plan'] = filter.plan;
    conditions.push('#plan = :plan');
  }
  if (filter.status !== undefined) {
    names['#status'] = 'status';
    values[':status'] = filter.status;
    conditions.push('#status = :status');
  }
  if (filter.planStatus !== undefined) {
    values[':zero'] = 0;
    const pending =
      '(planGeneration > appliedGeneration OR (attribute_not_exists(appliedGeneration) AND planGeneration > :zero))';
    conditions.push(filter.planStatus === 'pending' ? pending : `(NOT ${pending})`);
  }
  return {
    ...(sortKeyCondition === undefined ? {} : { sortKeyCondition }),
    ...(conditions.length === 0 ? {} : { filterExpression: conditions.join(' AND ') }),
    names,
    values,
  };
}
