import type { Clock } from './clock';
import { expiryAt } from './expiry';
import type { PlanLimits, PlanName, Tenant, UsageIdentifier } from './model';
import { buildKey } from './new-key';
import type { KeyStore } from './store';

/** The id of the tenant that holds `operator` keys. */
export const OPERATOR_TENANT_ID = 'operator';

/** What creating the operator tenant needs. */
export interface OperatorBootstrap {
  readonly store: KeyStore;
  readonly prefix: string;
  readonly clock: Clock;
  readonly plan: PlanName;
  readonly limits: PlanLimits;
  /** The operator's live usage identifier, where usage plans are enforced. */
  readonly usageKey?: UsageIdentifier;
}

/**
 * Creates the operator tenant and its first `operator` key, unless the tenant exists.
 *
 * @returns the plaintext key (to print once), or `undefined` when the operator already existed.
 */
export async function ensureOperator(deps: OperatorBootstrap): Promise<string | undefined> {
  if ((await deps.store.getTenant(OPERATOR_TENANT_ID)) !== undefined) return undefined;
  const now = deps.clock();
  const tenant: Tenant = {
    tenantId: OPERATOR_TENANT_ID,
    name: 'Operator',
    plan: deps.plan,
    limits: deps.limits,
    status: 'active',
    createdAt: now.toISOString(),
    version: 1,
    usageKeys: deps.usageKey === undefined ? {} : { live: deps.usageKey },
  };
  const { item, plaintext } = buildKey({
    prefix: deps.prefix,
    tenant,
    name: 'operator',
    environment: 'live',
    role: 'operator',
    expiry: expiryAt(null),
    now,
  });
  await deps.store.createTenant(tenant, item);
  return plaintext;
}
