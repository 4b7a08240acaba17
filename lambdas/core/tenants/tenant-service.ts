import { randomBytes } from 'node:crypto';
import { flushAfterWrite, type AuthorizerCacheFlusher } from '../auth/cache';
import type { Clock } from '../support/clock';
import { ApiError, conflict, invalidRequest, notFound } from '../http/errors';
import { ADMIN_CLI, keyDetails, planDetails, tenantEvent } from '../events/changes';
import type { Actor } from '../events/model';
import { expiryAt } from '../keys/expiry';
import type { Environment, Role } from '../keys/format';
import { describeError, type Logger } from '../support/logger';
import { planStatusOf, TENANT_ID_PATTERN, toKeyRecord, toTenantRecord, type KeyRecord, type PlanLimits, type PlanName, type Tenant, type TenantRecord, type UsageIdentifier } from '../model';
import { buildKey } from '../keys/new-key';
import { OPERATOR_ACTOR, OPERATOR_TENANT_ID } from '../keys/owner-guard';
import { quotaPeriodBounds, type QuotaPeriod } from '../plans/quota';
import { legacyUsagePlanOf, type ReconcileRequests } from '../plans/plan-reconciler';
import type { KeyStore } from '../store/store';
import { deleteTenant } from './tenant-deletion';
import { newUsageKeyValue, type PlanCatalog, type StandardPlan, type UsagePlanApi } from '../plans/usage-plans';

// defined next to the owner rule, which the store needs without the rest of this module.
export { OPERATOR_TENANT_ID } from '../keys/owner-guard';
/** How often a tenant change re-reads and tries again when other writes keep winning. */
const MAX_TENANT_WRITE_ATTEMPTS = 12;

/** A conditional tenant write that lost to another change: the change is decided again. */
class TenantVersionConflict extends Error {
  constructor(readonly lost: ApiError) {
    super(lost.message);
  }
}
// defined with the model, which the store's cursors need without the rest of this module.
export { TENANT_ID_PATTERN } from '../model';

/** What tenants and plans need. */
export interface TenantServiceDeps {
  readonly store: KeyStore;
  readonly usagePlans: UsagePlanApi;
  /** The shared plans, or how to find them (the Lambdas look them up by name on first use). */
  readonly plans: PlanCatalog | (() => Promise<PlanCatalog>);
  readonly prefix: string;
  readonly clock: Clock;
  readonly cache: AuthorizerCacheFlusher;
  readonly logger: Logger;
  /** Names usage plans and API keys, so several deployments can share an account. */
  readonly namePrefix: string;
  /** Where plan changes go to be applied to API Gateway. */
  readonly reconcile: ReconcileRequests;
}

/** A plan request: a shared plan by name, or `enterprise` with limits of its own. */
export interface PlanRequest {
  readonly plan: PlanName;
  readonly rateLimit?: number;
  readonly burstLimit?: number;
  readonly quota?: PlanLimits['quota'];
}

/** A new tenant: the record and its first key, with the plaintext shown once. */
export interface CreatedTenant {
  readonly tenant: TenantRecord;
  readonly key: KeyRecord & { readonly key: string };
}

/** The tenant's plan, its limits and, where a quota applies, what is used of it. */
export interface UsageReport {
  readonly plan: PlanName;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly quota: { readonly limit: number; readonly period: NonNullable<PlanLimits['quota']>['period']; readonly used: number; readonly remaining: number; readonly resetsAt: string } | null;
}

/**
 * Tenants, their plans and their usage identifiers. Every step that touches API Gateway is
 * undone when a later step fails, so nothing is left half made and a retry succeeds.
 */
export class TenantService {
  constructor(private readonly deps: TenantServiceDeps) {}

  /**
   * Creates a tenant, its live usage identifier in its plan's usage plan, and its first key
   * (`owner`, or `operator` for the operator tenant). `actor` is who asked, for the event.
   */
  async create(input: { tenantId?: string; name: string } & PlanRequest, firstRole: Role = 'owner', actor: Actor = ADMIN_CLI): Promise<CreatedTenant> {
    const tenantId = input.tenantId ?? `t-${randomBytes(6).toString('hex')}`;
    if (!TENANT_ID_PATTERN.test(tenantId)) {
      throw invalidRequest(`tenantId: must be 3 to 64 lowercase letters, digits or dashes, received ${JSON.stringify(tenantId)}`);
    }
    const plans = await this.plans();
    const limits = this.limitsFor(input, plans);
    if ((await this.deps.store.getTenant(tenantId)) !== undefined) throw conflict(`a tenant with id ${tenantId} already exists`);

    const undo: (() => Promise<void>)[] = [];
    try {
      const usagePlanId = input.plan === 'enterprise' ? await this.deps.usagePlans.createUsagePlan(this.planName(tenantId), limits) : undefined;
      if (usagePlanId !== undefined) undo.push(() => this.deps.usagePlans.deleteUsagePlan(usagePlanId));
      const live = await this.newUsageKey(tenantId, 'live', usagePlanId ?? plans[input.plan as StandardPlan].usagePlanId, undo);
      const now = this.deps.clock();
      const tenant: Tenant = {
        tenantId,
        name: input.name,
        plan: input.plan,
        limits,
        status: 'active',
        createdAt: now.toISOString(),
        version: 1,
        usageKeys: { live },
        ...(usagePlanId === undefined ? {} : { usagePlanId }),
      };
      const { item, plaintext } = buildKey({
        prefix: this.deps.prefix,
        tenant,
        name: firstRole === 'operator' ? 'operator' : 'owner',
        environment: 'live',
        role: firstRole,
        expiry: expiryAt(null),
        now,
        // made through the panel (or the bootstrap, which holds the operator's powers).
        createdBy: OPERATOR_ACTOR,
      });
      const event = tenantEvent('tenant.created', actor, tenantId, now, { name: tenant.name, ...planDetails(tenant), firstKey: { id: item.id, ...keyDetails(item) } }, item.id);
      await this.deps.store.createTenant(tenant, item, event);
      return { tenant: toTenantRecord(tenant), key: { ...toKeyRecord(item, now), key: plaintext } };
    } catch (error) {
      await this.compensate(undo, tenantId);
      throw error;
    }
  }

  /** Reads a tenant; `not_found` when there is none. */
  async get(tenantId: string): Promise<Tenant> {
    const tenant = TENANT_ID_PATTERN.test(tenantId) ? await this.deps.store.getTenant(tenantId) : undefined;
    if (tenant === undefined) throw notFound('tenant');
    return tenant;
  }

  /** One page of every tenant, newest first. */
  async list(limit: number, cursor?: string): Promise<{ items: TenantRecord[]; cursor?: string }> {
    const page = await this.deps.store.listTenants(limit, cursor);
    return { items: page.items.map(toTenantRecord), ...(page.cursor === undefined ? {} : { cursor: page.cursor }) };
  }

  /** Renames a tenant; keys do not carry the name, so nothing else changes. */
  async rename(tenantId: string, name: string): Promise<TenantRecord> {
    if (!TENANT_ID_PATTERN.test(tenantId)) throw notFound('tenant');
    return toTenantRecord(await this.deps.store.renameTenant(tenantId, name));
  }

  /**
   * Deletes a tenant, its keys, its usage identifiers and its own usage plan; a retry after a
   * failure finishes the job (see {@link deleteTenant}). `actor` is who asked, for the event.
   */
  async delete(tenantId: string, actor: Actor = ADMIN_CLI): Promise<void> {
    await deleteTenant(this.deps, tenantId, actor);
  }

  /**
   * Changes a tenant's plan. The plan is desired state: it is written once, conditionally, on
   * the tenant item, copied onto its keys (the authorizer's context names it), and the plan
   * reconciler is asked to make API Gateway match; the answer says `planStatus: "pending"`
   * until it has. The same change sent twice (or at once) is written once.
   */
  async changePlan(tenantId: string, request: PlanRequest, actor: Actor = ADMIN_CLI): Promise<TenantRecord> {
    const plans = await this.plans();
    if (tenantId === OPERATOR_TENANT_ID && request.quota !== undefined) {
      throw invalidRequest('quota: the operator tenant cannot have a quota: using it up would lock the panel out until the period ends');
    }
    const limits = this.limitsFor(request, plans);
    return this.onLatestTenant(tenantId, async (tenant) => {
      if (tenant.plan === request.plan && sameLimits(tenant.limits, limits)) {
        // nothing to write; a change still pending is asked for again, in case its request was lost.
        if (planStatusOf(tenant) === 'pending') await this.deps.reconcile.request(tenantId, tenant.planGeneration ?? 0);
        return toTenantRecord(tenant);
      }
      const event = tenantEvent('tenant.plan_changed', actor, tenantId, this.deps.clock(), { from: planDetails(tenant), to: planDetails({ plan: request.plan, limits }) });
      const updated = await this.updateLatest(
        tenantId,
        tenant.version,
        { plan: request.plan, limits, planGeneration: (tenant.planGeneration ?? 0) + 1, usageKeys: withUsagePlanIds(tenant, plans) },
        event,
      );
      await this.afterChange(updated);
      await this.deps.reconcile.request(tenantId, updated.planGeneration ?? 0);
      return toTenantRecord(updated);
    });
  }

  /** The store's conditional tenant write, its lost race marked for {@link onLatestTenant}. */
  private async updateLatest(...args: Parameters<KeyStore['updateTenant']>): Promise<Tenant> {
    try {
      return await this.deps.store.updateTenant(...args);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'conflict') throw new TenantVersionConflict(error);
      throw error;
    }
  }

  /**
   * Reads the tenant and makes a conditional change to it; when another change (a plan move,
   * the reconciler recording what it applied, a rename) wrote first, decides again against
   * what that wrote instead of answering 409, after a short random pause so that writers
   * racing each other spread out. A real conflict (already suspended) still reaches the caller.
   */
  private async onLatestTenant<T>(tenantId: string, change: (tenant: Tenant) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await change(await this.changeable(tenantId));
      } catch (error) {
        if (error instanceof TenantVersionConflict && attempt < MAX_TENANT_WRITE_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        throw error instanceof TenantVersionConflict ? error.lost : error;
      }
    }
  }

  /** Suspends or resumes a tenant; its keys are refused (401) from the next request on. */
  async setStatus(tenantId: string, status: 'active' | 'suspended', actor: Actor = ADMIN_CLI): Promise<TenantRecord> {
    if (tenantId === OPERATOR_TENANT_ID && status === 'suspended') throw conflict('the operator tenant cannot be suspended');
    return this.onLatestTenant(tenantId, async (tenant) => {
      if (tenant.status === status) {
        // an earlier change may have been saved but not reached every key (its propagation failed):
        // finish it, or a retried suspension would answer 409 while the keys still work.
        if ((await this.deps.store.propagateTenant(tenant)) > 0) await flushAfterWrite(this.deps.cache, this.deps.logger);
        throw conflict(`the tenant is already ${status}`);
      }
      const event = tenantEvent(status === 'suspended' ? 'tenant.suspended' : 'tenant.resumed', actor, tenantId, this.deps.clock());
      const updated = await this.updateLatest(tenantId, tenant.version, { status }, event);
      await this.afterChange(updated);
      return toTenantRecord(updated);
    });
  }

  /**
   * Gives a tenant a usage identifier for an environment if it has none (test traffic is metered
   * apart from live), and returns the tenant as it is now.
   */
  async ensureUsageKey(tenant: Tenant, environment: Environment): Promise<Tenant> {
    if (tenant.usageKeys[environment] !== undefined) return tenant;
    const undo: (() => Promise<void>)[] = [];
    let updated: Tenant;
    try {
      // next to the live identifier: if a plan change is under way, the reconciler moves both.
      const usagePlanId = tenant.usageKeys.live?.usagePlanId ?? legacyUsagePlanOf(tenant, await this.plans());
      const usage = await this.newUsageKey(tenant.tenantId, environment, usagePlanId, undo);
      updated = await this.deps.store.updateTenant(tenant.tenantId, tenant.version, { usageKeys: { [environment]: usage } });
    } catch (error) {
      await this.compensate(undo, tenant.tenantId);
      // another request gave it one first: use that.
      const now = await this.deps.store.getTenant(tenant.tenantId);
      if (now?.usageKeys[environment] !== undefined) return now;
      throw error;
    }
    // the tenant now records the new usage identifier: it must not be deleted from here on.
    await this.deps.store.propagateTenant(updated);
    return updated;
  }

  /** The tenant's plan and limits, and its quota use for the caller's environment. */
  async usage(tenantId: string, environment: Environment): Promise<UsageReport> {
    const tenant = await this.get(tenantId);
    const { rateLimit, burstLimit, quota } = tenant.limits;
    const usageKey = tenant.usageKeys[environment];
    if (quota === undefined) return { plan: tenant.plan, rateLimit, burstLimit, quota: null };
    const { from, to, resetsAt } = quotaPeriod(quota.period, this.deps.clock());
    const usagePlanId = usageKey?.usagePlanId ?? legacyUsagePlanOf(tenant, await this.plans());
    const used = usageKey === undefined ? 0 : await this.deps.usagePlans.getUsage(usagePlanId, usageKey.id, from, to);
    return {
      plan: tenant.plan,
      rateLimit,
      burstLimit,
      quota: { limit: quota.limit, period: quota.period, used, remaining: Math.max(0, quota.limit - used), resetsAt },
    };
  }

  /** A tenant that may still change: `conflict` once its deletion has begun (only finishing it is left). */
  private async changeable(tenantId: string): Promise<Tenant> {
    const tenant = await this.get(tenantId);
    if (tenant.status === 'deleting') throw conflict('the tenant is being deleted: send DELETE again to finish');
    return tenant;
  }

  private async plans(): Promise<PlanCatalog> {
    return typeof this.deps.plans === 'function' ? this.deps.plans() : this.deps.plans;
  }

  private limitsFor(request: PlanRequest, plans: PlanCatalog): PlanLimits {
    const custom = request.rateLimit !== undefined || request.burstLimit !== undefined || request.quota !== undefined;
    if (request.plan !== 'enterprise') {
      if (custom) throw invalidRequest(`plan: only the enterprise plan takes rateLimit, burstLimit or quota; ${request.plan} has fixed limits`);
      return plans[request.plan].limits;
    }
    if (request.rateLimit === undefined || request.burstLimit === undefined) {
      throw invalidRequest('rateLimit: the enterprise plan needs rateLimit and burstLimit');
    }
    if (request.burstLimit < request.rateLimit) throw invalidRequest('burstLimit: must be at least rateLimit');
    return { rateLimit: request.rateLimit, burstLimit: request.burstLimit, ...(request.quota === undefined ? {} : { quota: request.quota }) };
  }

  private planName(tenantId: string): string {
    return `${this.deps.namePrefix}-enterprise-${tenantId}`;
  }

  private async newUsageKey(tenantId: string, environment: Environment, usagePlanId: string, undo: (() => Promise<void>)[]): Promise<UsageIdentifier> {
    const value = newUsageKeyValue();
    const id = await this.deps.usagePlans.createApiKey(`${this.deps.namePrefix}-${tenantId}-${environment}`, value);
    undo.push(() => this.deps.usagePlans.deleteApiKey(id));
    await this.deps.usagePlans.attachKey(usagePlanId, id);
    return { id, value, usagePlanId };
  }

  private async afterChange(tenant: Tenant): Promise<void> {
    await this.deps.store.propagateTenant(tenant);
    await flushAfterWrite(this.deps.cache, this.deps.logger);
  }


  /** Undoes what was made, newest first; an undo that fails is logged, the others still run. */
  private async compensate(undo: (() => Promise<void>)[], tenantId: string): Promise<void> {
    for (const step of [...undo].reverse()) {
      try {
        await step();
      } catch (error) {
        this.deps.logger.error('compensation step failed: an API Gateway resource may be left over', { tenantId, ...describeError(error) });
      }
    }
  }
}

/** Equal limits: same rate, burst and quota (or none). */
function sameLimits(a: PlanLimits, b: PlanLimits): boolean {
  return a.rateLimit === b.rateLimit && a.burstLimit === b.burstLimit && a.quota?.limit === b.quota?.limit && a.quota?.period === b.quota?.period;
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

/** The current quota period as `GetUsage` dates (first and last day, inclusive) and its end. */
export function quotaPeriod(period: QuotaPeriod, now: Date): { from: string; to: string; resetsAt: string } {
  const { start, end } = quotaPeriodBounds(period, now.getTime());
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  return { from: day(start), to: day(end - 86_400_000), resetsAt: new Date(end).toISOString() };
}
