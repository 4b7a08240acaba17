import type { AuthorizerCacheFlusher } from '../auth/cache';
import { flushAfterWrite } from '../auth/cache';
import type { Clock } from '../support/clock';
import { ApiError } from '../http/errors';
import type { Environment } from '../keys/format';
import type { Logger } from '../support/logger';
import type { RetiredUsageKey, Tenant, UsageIdentifier } from '../model';
import type { KeyStore, TenantChanges } from '../store/store';
import { planDetails, RECONCILER, tenantEvent } from '../events/changes';
import type { KeygateEvent } from '../events/model';
import { deleteDiscardedPlans, isUsageKeyName, sweepRetiredNames } from './leftovers';
import { newUsageKeyValue, type PlanCatalog, type StandardPlan, type UsagePlanApi } from './usage-plans';

/** Asks for a tenant's plan to be reconciled: an SQS FIFO queue in AWS, an in-process queue locally. */
export interface ReconcileRequests {
  /**
   * Queues a reconciliation of the tenant; `generation` (a plan generation, or what else the
   * request is for, such as `deleted`) makes duplicate requests collapse.
   */
  request(tenantId: string, generation: number | string): Promise<void>;
}

/** What the reconciler needs. */
export interface PlanReconcilerDeps {
  readonly store: KeyStore;
  readonly usagePlans: UsagePlanApi;
  readonly plans: PlanCatalog | (() => Promise<PlanCatalog>);
  readonly cache: AuthorizerCacheFlusher;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Names usage plans and API keys, as the tenant service does. */
  readonly namePrefix: string;
  /**
   * How long a replaced usage identifier is kept after the swap: until no authorization in
   * flight can still return it (the authorizer's timeout and a margin in AWS; 0 locally, where
   * the cache refuses stale answers).
   */
  readonly retireAfterMs: number;
  /** @default - a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The most steps one reconciliation takes before it gives up (and is retried by its queue). */
const MAX_STEPS = 40;

/**
 * Makes API Gateway match the plan a tenant record names: the desired state is the tenant item
 * (`plan`, `limits`, `planGeneration`); this is the loop that converges on it, one idempotent
 * step at a time, re-reading the tenant after each write, so that it can stop (crash, throttle,
 * timeout) after any step and a later run finishes the job.
 *
 * Moving to another usage plan is make-before-break: API Gateway allows an API key in one usage
 * plan per stage, so instead of detaching and re-attaching (a moment with no plan: every
 * request 403), the tenant gets a new usage identifier in the new plan, its keys switch to it,
 * and the old identifier is deleted once no cached authorization can carry it.
 *
 * Runs must be serialized (one at a time per account: `UpdateUsagePlan` is limited to one call
 * every 20 s per account); the queue that calls it does that.
 */
export class PlanReconciler {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: PlanReconcilerDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Reconciles one tenant until API Gateway matches its record and the record says so; first
   * deletes the usage plans discarded for its id, and for a deleted tenant, what a crash left
   * under its retired id's names.
   *
   * @returns `applied`, or `gone` when the tenant no longer exists.
   * @throws whatever API Gateway or DynamoDB throws (its queue retries later).
   */
  async reconcile(tenantId: string): Promise<'applied' | 'gone'> {
    await deleteDiscardedPlans(this.deps, tenantId);
    for (let step = 0; step < MAX_STEPS; step += 1) {
      const tenant = await this.deps.store.getTenant(tenantId);
      if (tenant === undefined) {
        await sweepRetiredNames(this.deps, tenantId);
        return 'gone';
      }
      // a tenant being deleted is gone: its deletion removes what the reconciler would manage.
      if (tenant.status === 'deleting') return 'gone';
      try {
        const done = await this.step(tenant);
        if (done) return 'applied';
      } catch (error) {
        // another writer changed the tenant between our read and our write: read it again.
        if (!(error instanceof ApiError && error.code === 'conflict')) throw error;
      }
    }
    throw new Error(`the plan of tenant ${tenantId} did not converge in ${MAX_STEPS} steps`);
  }

  /** One step towards the desired state; `true` when there is nothing left to do. */
  private async step(tenant: Tenant): Promise<boolean> {
    const plans = typeof this.deps.plans === 'function' ? await this.deps.plans() : this.deps.plans;
    const target = await this.targetPlan(tenant, plans);
    if (target === 'recorded') return false;

    for (const environment of Object.keys(tenant.usageKeys) as Environment[]) {
      const usage = tenant.usageKeys[environment] as UsageIdentifier;
      const at = usage.usagePlanId ?? legacyUsagePlanOf(tenant, plans);
      if (at === target) {
        // idempotent: repairs an identifier recorded here but detached by hand or by a crash.
        await this.deps.usagePlans.attachKey(target, usage.id);
        if (usage.usagePlanId === undefined)
          return this.write(tenant, { usageKeys: { [environment]: { ...usage, usagePlanId: target } } });
        continue;
      }
      return this.moveIdentifier(tenant, environment, usage, target);
    }

    // a move that was overtaken (A to B, then back to A before the swap) leaves a pending
    // identifier nobody will swap in: it never reached a key or a cache, so it can go at once.
    const abandoned = Object.values(tenant.pendingUsageKeys ?? {});
    if (abandoned.length > 0) {
      const now = this.deps.clock().toISOString();
      return this.write(tenant, {
        pendingUsageKeys: {},
        retiredUsageKeys: [
          ...(tenant.retiredUsageKeys ?? []),
          ...abandoned.map((usage) => ({ id: usage.id, retireAfter: now })),
        ],
      });
    }
    if (await this.retire(tenant)) return false;
    if (tenant.plan !== 'enterprise' && tenant.usagePlanId !== undefined) {
      // every identifier has left the tenant's own plan: it can go.
      await this.deps.usagePlans.deleteUsagePlan(tenant.usagePlanId);
      return this.write(tenant, { usagePlanId: null });
    }
    const generation = tenant.planGeneration ?? 0;
    if ((tenant.appliedGeneration ?? 0) < generation) {
      // the plan is now what API Gateway enforces: recorded with its event, in one transaction.
      const event = tenantEvent('tenant.plan_applied', RECONCILER, tenant.tenantId, this.deps.clock(), {
        ...planDetails(tenant),
        generation,
      });
      return this.write(tenant, { appliedGeneration: generation }, event);
    }
    return true;
  }

  /**
   * The usage plan the tenant's identifiers belong in. For enterprise, its own plan: found by
   * name if a crashed run created it without recording it, else created, then recorded
   * (`recorded`: read the tenant again); its limits are set when they differ.
   */
  private async targetPlan(tenant: Tenant, plans: PlanCatalog): Promise<string | 'recorded'> {
    if (tenant.plan !== 'enterprise') return plans[tenant.plan].usagePlanId;
    if (tenant.usagePlanId === undefined) {
      const found = await this.deps.usagePlans.findUsagePlan(this.enterprisePlanName(tenant.tenantId));
      const id =
        found ?? (await this.deps.usagePlans.createUsagePlan(this.enterprisePlanName(tenant.tenantId), tenant.limits));
      try {
        await this.write(tenant, { usagePlanId: id });
      } catch (error) {
        // made here and not recorded (the tenant changed, or is being deleted): nobody would
        // ever delete it; a later run finds or makes it again.
        if (found === undefined) await this.deps.usagePlans.deleteUsagePlan(id);
        throw error;
      }
      return 'recorded';
    }
    try {
      await this.deps.usagePlans.updateUsagePlan(tenant.usagePlanId, tenant.limits);
    } catch (error) {
      // a step that left enterprise deleted this plan, then lost the write recording that to a
      // change back to enterprise: the record names a plan that is gone, and every run would
      // fail on it. Forget it; the next step finds the plan by name or makes a new one.
      if ((await this.deps.usagePlans.findUsagePlan(this.enterprisePlanName(tenant.tenantId))) === tenant.usagePlanId)
        throw error;
      await this.write(tenant, { usagePlanId: null });
      return 'recorded';
    }
    return tenant.usagePlanId;
  }

  /**
   * Moves one environment's identifier to `target`, make-before-break: a new API key is made
   * and recorded as pending, attached to `target`, then swapped in (the keys carry it from then
   * on, and the cache is flushed), and the old one retired.
   */
  private async moveIdentifier(
    tenant: Tenant,
    environment: Environment,
    usage: UsageIdentifier,
    target: string,
  ): Promise<false> {
    const pending = tenant.pendingUsageKeys?.[environment];
    if (pending === undefined || pending.usagePlanId !== target) {
      await this.sweepStrays(tenant, environment);
      const value = newUsageKeyValue();
      const generation = tenant.planGeneration ?? 0;
      const id = await this.deps.usagePlans.createApiKey(
        `${this.baseName(tenant.tenantId, environment)}-g${generation}`,
        value,
      );
      const others = { ...tenant.pendingUsageKeys };
      delete others[environment];
      const retired = pending === undefined ? [] : [{ id: pending.id, retireAfter: this.deps.clock().toISOString() }];
      try {
        await this.write(tenant, {
          pendingUsageKeys: { ...others, [environment]: { id, value, usagePlanId: target } },
          retiredUsageKeys: [...(tenant.retiredUsageKeys ?? []), ...retired],
        });
      } catch (error) {
        // not recorded: nobody will ever use it.
        await this.deps.usagePlans.deleteApiKey(id);
        throw error;
      }
      return false;
    }
    await this.deps.usagePlans.attachKey(target, pending.id);
    const rest = { ...tenant.pendingUsageKeys };
    delete rest[environment];
    const retireAfter = new Date(this.deps.clock().getTime() + this.deps.retireAfterMs).toISOString();
    const swapped = await this.deps.store.updateTenant(tenant.tenantId, tenant.version, {
      usageKeys: { [environment]: pending },
      pendingUsageKeys: rest,
      retiredUsageKeys: [...(tenant.retiredUsageKeys ?? []), { id: usage.id, retireAfter }],
    });
    await this.deps.store.propagateTenant(swapped);
    // cached answers carry the old identifier: drop them, so requests count in the new plan.
    await flushAfterWrite(this.deps.cache, this.deps.logger);
    this.deps.logger.info('usage identifier moved', { tenantId: tenant.tenantId, environment, usagePlanId: target });
    return false;
  }

  /** Deletes retired identifiers once due (waiting for the earliest); `true` if it wrote. */
  private async retire(tenant: Tenant): Promise<boolean> {
    const retired = tenant.retiredUsageKeys ?? [];
    if (retired.length === 0) return false;
    const wait = Math.min(...retired.map((entry) => Date.parse(entry.retireAfter))) - this.deps.clock().getTime();
    if (wait > 0) await this.sleep(wait);
    const now = this.deps.clock().getTime();
    const due = retired.filter((entry) => Date.parse(entry.retireAfter) <= now);
    for (const entry of due) await this.deps.usagePlans.deleteApiKey(entry.id);
    const kept: RetiredUsageKey[] = retired.filter((entry) => !due.includes(entry));
    await this.write(tenant, { retiredUsageKeys: kept });
    return true;
  }

  /**
   * Deletes API keys of this tenant and environment that the tenant does not record: what a run
   * left when it crashed between `CreateApiKey` and recording the key.
   */
  private async sweepStrays(tenant: Tenant, environment: Environment): Promise<void> {
    const base = this.baseName(tenant.tenantId, environment);
    const known = new Set<string>([
      ...Object.values(tenant.usageKeys).map((usage) => usage.id),
      ...Object.values(tenant.pendingUsageKeys ?? {}).map((usage) => usage.id),
      ...(tenant.retiredUsageKeys ?? []).map((entry) => entry.id),
    ]);
    for (const key of await this.deps.usagePlans.findApiKeys(base)) {
      if (isUsageKeyName(key.name, this.deps.namePrefix, tenant.tenantId, environment) && !known.has(key.id)) {
        this.deps.logger.warn('deleting an unrecorded usage identifier', {
          tenantId: tenant.tenantId,
          apiKeyId: key.id,
        });
        await this.deps.usagePlans.deleteApiKey(key.id);
      }
    }
  }

  /** The name of an enterprise tenant's own usage plan, by which a run finds one it made. */
  private enterprisePlanName(tenantId: string): string {
    return `${this.deps.namePrefix}-enterprise-${tenantId}`;
  }

  private baseName(tenantId: string, environment: Environment): string {
    return `${this.deps.namePrefix}-${tenantId}-${environment}`;
  }

  private async write(tenant: Tenant, changes: TenantChanges, event?: KeygateEvent): Promise<false> {
    await this.deps.store.updateTenant(tenant.tenantId, tenant.version, changes, event);
    return false;
  }
}

/**
 * Where a tenant stored before the reconciler keeps its identifiers: plan changes were applied
 * at once then, so its record names the plan they are in.
 */
export function legacyUsagePlanOf(tenant: Tenant, plans: PlanCatalog): string {
  return tenant.usagePlanId ?? plans[tenant.plan as StandardPlan].usagePlanId;
}
