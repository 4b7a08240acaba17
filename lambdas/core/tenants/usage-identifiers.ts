import type { Environment } from '../keys/format';
import type { Tenant, UsageIdentifier } from '../model';
import { legacyUsagePlanOf } from '../plans/plan-reconciler';
import { newUsageKeyValue } from '../plans/usage-plans';
import { describeError } from '../support/logger';
import { planCatalog, type TenantServiceDeps } from './tenant-deps';

/** Steps that undo what was made on API Gateway, run newest first by {@link compensate}. */
export type UndoSteps = (() => Promise<void>)[];

/**
 * Makes a usage identifier (an API Gateway API key named for the tenant and environment) and
 * attaches it to `usagePlanId`; pushes its deletion onto `undo` first, so a failed attach or
 * a later failed step leaves no orphan key.
 */
export async function newUsageKey(
  deps: Pick<TenantServiceDeps, 'usagePlans' | 'namePrefix'>,
  tenantId: string,
  environment: Environment,
  usagePlanId: string,
  undo: UndoSteps,
): Promise<UsageIdentifier> {
  const value = newUsageKeyValue();
  const id = await deps.usagePlans.createApiKey(`${deps.namePrefix}-${tenantId}-${environment}`, value);
  undo.push(() => deps.usagePlans.deleteApiKey(id));
  await deps.usagePlans.attachKey(usagePlanId, id);
  return { id, value, usagePlanId };
}

/** Undoes what was made, newest first; an undo that fails is logged, the others still run. */
export async function compensate(
  deps: Pick<TenantServiceDeps, 'logger'>,
  undo: UndoSteps,
  tenantId: string,
): Promise<void> {
  for (const step of [...undo].reverse()) {
    try {
      await step();
    } catch (error) {
      deps.logger.error('compensation step failed: an API Gateway resource may be left over', {
        tenantId,
        ...describeError(error),
      });
    }
  }
}

/**
 * Gives a tenant a usage identifier for an environment if it has none (test traffic is metered
 * apart from live), and returns the tenant as it is now.
 */
export async function ensureUsageKey(
  deps: TenantServiceDeps,
  tenant: Tenant,
  environment: Environment,
): Promise<Tenant> {
  if (tenant.usageKeys[environment] !== undefined) return tenant;
  const undo: UndoSteps = [];
  let updated: Tenant;
  try {
    // next to the live identifier: if a plan change is under way, the reconciler moves both.
    const usagePlanId = tenant.usageKeys.live?.usagePlanId ?? legacyUsagePlanOf(tenant, await planCatalog(deps));
    const usage = await newUsageKey(deps, tenant.tenantId, environment, usagePlanId, undo);
    updated = await deps.store.updateTenant(tenant.tenantId, tenant.version, { usageKeys: { [environment]: usage } });
  } catch (error) {
    await compensate(deps, undo, tenant.tenantId);
    // another request gave it one first: use that.
    const now = await deps.store.getTenant(tenant.tenantId);
    if (now?.usageKeys[environment] !== undefined) return now;
    throw error;
  }
  // the tenant now records the new usage identifier: it must not be deleted from here on.
  await deps.store.propagateTenant(updated);
  return updated;
}
