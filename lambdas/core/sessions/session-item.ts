import type { SessionItem } from './model';

/**
 * How a session is laid out in the key table, apart from any DynamoDB client: the store and the
 * authorizer's signed reader share it.
 */

/** The sort key of every session item. */
export const SESSION_SK = 'SESSION';

/** A session item's primary key: one item per session, found by id without an index. */
export const sessionItemKey = (id: string): { pk: string; sk: string } => ({ pk: `SESSION#${id}`, sk: SESSION_SK });

/** A session as an item, with `ttl` at its expiry so DynamoDB removes it (late: the readers check `expiresAt`). */
export function toSessionItem(session: SessionItem): Record<string, unknown> {
  return { ...sessionItemKey(session.id), ...session, ttl: Math.ceil(Date.parse(session.expiresAt) / 1000) };
}

/** A stored session item as the domain sees it. */
export function fromSessionItem(raw: Record<string, unknown>): SessionItem {
  const { pk: _pk, sk: _sk, ttl: _ttl, ...session } = raw;
  return session as unknown as SessionItem;
}

/**
 * The tenant item's primary key, as `store/tenant-item.ts` lays it out (a test holds the two
 * equal): that module brings the SDK along, which the authorizer's bundle must not.
 */
export const sessionTenantItemKey = (tenantId: string): { pk: string; sk: string } => ({
  pk: `TENANT#${tenantId}`,
  sk: 'TENANT',
});

/** What the authorizer needs of a session's tenant, read from the tenant item. */
export interface SessionTenant {
  readonly status: string;
  readonly plan: string;
  /** The usage identifier value of each environment, where one exists. */
  readonly usageKeys: Partial<Record<string, string>>;
}

/** The {@link SessionTenant} of a raw tenant item; `undefined` when it lacks what is needed. */
export function sessionTenantOf(raw: Record<string, unknown> | undefined): SessionTenant | undefined {
  if (raw === undefined || typeof raw.status !== 'string' || typeof raw.plan !== 'string') return undefined;
  const usageKeys: Record<string, string> = {};
  const stored = raw.usageKeys;
  if (typeof stored === 'object' && stored !== null) {
    for (const [environment, usage] of Object.entries(stored as Record<string, unknown>)) {
      const value = (usage as { value?: unknown } | null)?.value;
      if (typeof value === 'string') usageKeys[environment] = value;
    }
  }
  return { status: raw.status, plan: raw.plan, usageKeys };
}
