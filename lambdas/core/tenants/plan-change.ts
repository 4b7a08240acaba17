import { ADMIN_CLI, planDetails, tenantEvent } from '../events/changes';
import type { Actor } from '../events/model';
import { invalidRequest } from '../http/errors';
import type { Environment } from '../keys/format';
import { OPERATOR_TENANT_ID } from '../keys/owner-guard';
import {
  planStatusOf,
  toTenantRecord,
  type PlanLimits,
  type PlanName,
  type Tenant,
  type TenantRecord,
  type UsageIdentifier,
} from '../model';
import { legacyUsagePlanOf } from '../plans/plan-reconciler';
import type { PlanCatalog } from '../plans/usage-plans';
import { onLatestTenant, propagateChange } from './latest-tenant';
import { planCatalog, type TenantServiceDeps } from './tenant-deps';

/** A plan request: a shared plan by name, or `enterprise` with limits of its own. */
export interface PlanRequest {
  readonly plan: PlanName;
  readonly rateLimit?: number;
  readonly burstLimit?: number;
  readonly quota?: PlanLimits['quota'];
}

/**
 * The limits a plan request asks for: a shared plan's own, or the enterprise limits given.
 *
 * @throws ApiError `invalid_request` when a shared plan is given limits or enterprise lacks them.
 */
export function limitsFor(request: PlanRequest, plans: PlanCatalog): PlanLimits {
  const custom = request.rateLimit !== undefined || request.burstLimit !== undefined || request.quota !== undefined;
  if (request.plan !== 'enterprise') {
    if (custom)
      throw invalidRequest(
        `plan: only the enterprise plan takes rateLimit, burstLimit or quota; ${request.plan} has fixed limits`,
      );
    return plans[request.plan].limits;
  }
  if (request.rateLimit === undefined || request.burstLimit === undefined) {
    throw invalidRequest('rateLimit: the enterprise plan needs rateLimit and burstLimit');
  }
  if (request.burstLimit < request.rateLimit) throw invalidRequest('burstLimit: must be at least rateLimit');
  return {
    rateLimit: request.rateLimit,
    burstLimit: request.burstLimit,
    ...(request.quota === undefined ? {} : { quota: request.quota }),
  };
}

/**
 * Changes a tenant's plan. The plan is desired state: it is written once, conditionally, on
 * the tenant item, copied onto its keys (the authorizer's context names it), and the plan
 * reconciler is asked to make API Gateway match; the answer says `planStatus: "pending"`
 * until it has. The same change sent twice (or at once) is written once.
 */
export async function changePlan(
  deps: TenantServiceDeps,
  tenantId: string,
  request: PlanRequest,
  actor: Actor = ADMIN_CLI,
): Promise<TenantRecord> {
  const plans = await planCatalog(deps);
  if (tenantId === OPERATOR_TENANT_ID && request.quota !== undefined) {
    throw invalidRequest(
      'quota: the operator tenant cannot have a quota: using it up would lock the panel out until the period ends',
    );
  }
  const limits = limitsFor(request, plans);
  return onLatestTenant(deps, tenantId, async (tenant) => {
    if (tenant.plan === request.plan && sameLimits(tenant.limits, limits)) {
      // nothing to write; a change still pending is asked for again, in case its request was lost.
      if (planStatusOf(tenant) === 'pending') await deps.reconcile.request(tenantId, tenant.planGeneration ?? 0);
      return toTenantRecord(tenant);
    }
    const event = tenantEvent('tenant.plan_changed', actor, tenantId, deps.clock(), {
      from: planDetails(tenant),
      to: planDetails({ plan: request.plan, limits }),
    });
    const updated = await deps.store.updateTenant(
      tenantId,
      tenant.version,
      {
        plan: request.plan,
        limits,
        planGeneration: (tenant.planGeneration ?? 0) + 1,
        usageKeys: withUsagePlanIds(tenant, plans),
      },
      event,
    );
    await propagateChange(deps, updated);
    await deps.reconcile.request(tenantId, updated.planGeneration ?? 0);
    return toTenantRecord(updated);
  });
}

/** Equal limits: same rate, burst and quota (or none). */
function sameLimits(a: PlanLimits, b: PlanLimits): boolean {
  return (
    a.rateLimit === b.rateLimit &&
    a.burstLimit === b.burstLimit &&
    a.quota?.limit === b.quota?.limit &&
    a.quota?.period === b.quota?.period
  );
}

/**
 * The tenant's identifiers, each naming the usage plan it is in: a tenant stored before the
 * reconciler has none named, and once its record names a new plan, that could not be told.
 */
function withUsagePlanIds(tenant: Tenant, plans: PlanCatalog): Partial<Record<Environment, UsageIdentifier>> {
  const out: Partial<Record<Environment, UsageIdentifier>> = {};
  for (const [environment, usage] of Object.entries(tenant.usageKeys) as [Environment, UsageIdentifier][]) {
    if (usage.usagePlanId === undefined) out[environment] = { ...usage, usagePlanId: legacyUsagePlanOf(tenant, plans) };
  }
  return out;
}
