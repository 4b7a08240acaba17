import { ENVIRONMENTS, type Environment } from '../keys/format';
import type { KeyStore } from '../store/store';
import type { Logger } from '../support/logger';
import type { UsagePlanApi } from './usage-plans';

/** What clearing a tenant id's leftovers on API Gateway needs. */
export interface LeftoverDeps {
  readonly store: KeyStore;
  readonly usagePlans: UsagePlanApi;
  readonly logger: Logger;
  /** Names usage plans and API keys, as the tenant service does. */
  readonly namePrefix: string;
}

/**
 * Unbinds and deletes the usage plans discarded for a tenant id (a deleted enterprise tenant's,
 * a failed creation's), forgetting each once it is gone. This is the reconciler's part of a
 * deletion or a rollback: unbinding a plan takes an `UpdateUsagePlan`, which API Gateway allows
 * once every 20 s per account, so no request waits for it.
 */
export async function deleteDiscardedPlans(deps: LeftoverDeps, tenantId: string): Promise<void> {
  for (const usagePlanId of await deps.store.discardedUsagePlans(tenantId)) {
    await deps.usagePlans.deleteUsagePlan(usagePlanId);
    await deps.store.forgetDiscardedUsagePlan(tenantId, usagePlanId);
    deps.logger.info('discarded usage plan deleted', { tenantId, usagePlanId });
  }
}

/**
 * Deletes what a crash left on API Gateway under a retired tenant id's names: API keys named as
 * its usage identifiers and a usage plan named as its own, made and never recorded. Only a
 * retired id is swept by name: no tenant can ever have it again, so nothing named for it belongs
 * to anyone; for an id in use, only the ids a tenant records are its own.
 */
export async function sweepRetiredNames(deps: LeftoverDeps, tenantId: string): Promise<void> {
  if (!(await deps.store.tenantIdRetired(tenantId))) return;
  for (const environment of ENVIRONMENTS) {
    for (const key of await deps.usagePlans.findApiKeys(`${deps.namePrefix}-${tenantId}-${environment}`)) {
      if (!isUsageKeyName(key.name, deps.namePrefix, tenantId, environment)) continue;
      deps.logger.warn('deleting a usage identifier left under a retired tenant id', { tenantId, apiKeyId: key.id });
      await deps.usagePlans.deleteApiKey(key.id);
    }
  }
  const plan = await deps.usagePlans.findUsagePlan(`${deps.namePrefix}-enterprise-${tenantId}`);
  if (plan !== undefined) {
    deps.logger.warn('deleting a usage plan left under a retired tenant id', { tenantId, usagePlanId: plan });
    await deps.usagePlans.deleteUsagePlan(plan);
  }
}

/**
 * Whether an API key's name is one keygate gives a usage identifier of this tenant and
 * environment (`<namePrefix>-<tenantId>-<environment>`, `-g<generation>` for the reconciler's):
 * a name prefix alone can match another tenant's (`acme` and `acme-live`).
 */
export function isUsageKeyName(name: string, namePrefix: string, tenantId: string, environment: Environment): boolean {
  return new RegExp(`^${escapeRegExp(`${namePrefix}-${tenantId}-${environment}`)}(-g\\d+)?$`).test(name);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
