import type { Environment } from '../keys/format';
import type { PlanLimits, PlanName } from '../model';
import { legacyUsagePlanOf } from '../plans/plan-reconciler';
import { quotaPeriodBounds, type QuotaPeriod } from '../plans/quota';
import { readTenant } from './latest-tenant';
import { planCatalog, type TenantServiceDeps } from './tenant-deps';

/** The tenant's plan, its limits and, where a quota applies, what is used of it. */
export interface UsageReport {
  readonly plan: PlanName;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly quota: {
    readonly limit: number;
    readonly period: NonNullable<PlanLimits['quota']>['period'];
    readonly used: number;
    readonly remaining: number;
    readonly resetsAt: string;
  } | null;
}

/** The tenant's plan and limits, and its quota use for the caller's environment. */
export async function usageReport(
  deps: TenantServiceDeps,
  tenantId: string,
  environment: Environment,
): Promise<UsageReport> {
  const tenant = await readTenant(deps.store, tenantId);
  const { rateLimit, burstLimit, quota } = tenant.limits;
  const usageKey = tenant.usageKeys[environment];
  if (quota === undefined) return { plan: tenant.plan, rateLimit, burstLimit, quota: null };
  const { from, to, resetsAt } = quotaPeriod(quota.period, deps.clock());
  const usagePlanId = usageKey?.usagePlanId ?? legacyUsagePlanOf(tenant, await planCatalog(deps));
  const used = usageKey === undefined ? 0 : await deps.usagePlans.getUsage(usagePlanId, usageKey.id, from, to);
  return {
    plan: tenant.plan,
    rateLimit,
    burstLimit,
    quota: { limit: quota.limit, period: quota.period, used, remaining: Math.max(0, quota.limit - used), resetsAt },
  };
}

/** The current quota period as `GetUsage` dates (first and last day, inclusive) and its end. */
export function quotaPeriod(period: QuotaPeriod, now: Date): { from: string; to: string; resetsAt: string } {
  const { start, end } = quotaPeriodBounds(period, now.getTime());
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  return { from: day(start), to: day(end - 86_400_000), resetsAt: new Date(end).toISOString() };
}
