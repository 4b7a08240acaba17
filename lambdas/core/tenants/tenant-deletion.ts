import { randomBytes } from 'node:crypto';
import { flushAfterWrite, type AuthorizerCacheFlusher } from '../auth/cache';
import { ApiError, conflict, notFound } from '../http/errors';
import type { Clock } from '../support/clock';
import type { Logger } from '../support/logger';
import { sleep } from '../support/retry';
import { ADMIN_CLI, tenantEvent } from '../events/changes';
import type { Actor } from '../events/model';
import { TENANT_ID_PATTERN, type Tenant } from '../model';
import { OPERATOR_TENANT_ID } from '../keys/owner-guard';
import type { ReconcileRequests } from '../plans/plan-reconciler';
import type { KeyStore } from '../store/store';
import type { UsagePlanApi } from '../plans/usage-plans';

/** What deleting a tenant touches. */
export interface TenantDeletionDeps {
  readonly store: KeyStore;
  readonly usagePlans: UsagePlanApi;
  readonly cache: AuthorizerCacheFlusher;
  readonly logger: Logger;
  /** When the deletion is recorded (its `tenant.deleted` event). */
  readonly clock: Clock;
  /** Where the deleted tenant's usage plan goes to be unbound and deleted. */
  readonly reconcile: ReconcileRequests;
  /** Waits between tries of the marking write when it loses a race. @default - a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** How often marking the tenant re-reads it when other writes keep winning. */
const MARK_ATTEMPTS = 8;

/**
 * Deletes a tenant and everything it has, in steps that are each safe to repeat, so that a
 * retry after a failure at any step finishes the job:
 *
 * 1. mark the tenant `deleting` (one conditional write, with its `tenant.deleted` event in the
 *    same transaction: a retry finds it marked and writes no second one), copy that onto its keys and flush the
 *    authorizer cache: its keys are refused (401) from the next request on, and no new key,
 *    usage identifier or plan step can commit any more (each is conditional on the tenant's
 *    version, and the reconciler treats a `deleting` tenant as gone);
 * 2. delete its key items (each on condition that it is this tenant's);
 * 3. delete the usage identifiers it records on API Gateway: current, pending and retired;
 * 4. discard the usage plan of its own it records, for the reconciler to unbind and delete
 *    (unbinding takes an `UpdateUsagePlan`, which never runs on a request's path);
 * 5. delete the tenant item, on condition that it is still marked, and retire its id for good in
 *    the same transaction: tenant ids are never reused, so nothing of this tenant (its audit
 *    trail, its idempotency records, the names of its API Gateway resources) can reach a later
 *    one, and a duplicate deletion still running can only touch what was this tenant's;
 * 6. ask the reconciler to delete the discarded plan and anything a crash left under the
 *    retired id's names.
 *
 * Every step goes by what the tenant records, never by name.
 *
 * @throws ApiError `not_found` for no such tenant, `conflict` for the operator tenant.
 */
export async function deleteTenant(
  deps: TenantDeletionDeps,
  tenantId: string,
  actor: Actor = ADMIN_CLI,
): Promise<void> {
  if (tenantId === OPERATOR_TENANT_ID)
    throw conflict('the operator tenant cannot be deleted: its keys are the only way into the panel');
  const tenant = await mark(deps, tenantId, actor);
  // step 1's copy onto the keys may have failed last time: it is repeated on every attempt.
  await deps.store.propagateTenant(tenant);
  await flushAfterWrite(deps.cache, deps.logger);

  const keys = await deps.store.deleteTenantKeys(tenantId);

  const apiKeys = new Set<string>([
    ...Object.values(tenant.usageKeys).map((usage) => usage.id),
    ...Object.values(tenant.pendingUsageKeys ?? {}).map((usage) => usage.id),
    ...(tenant.retiredUsageKeys ?? []).map((entry) => entry.id),
  ]);
  for (const id of apiKeys) await deps.usagePlans.deleteApiKey(id);
  if (tenant.usagePlanId !== undefined) await deps.store.discardUsagePlan(tenantId, tenant.usagePlanId);

  await deps.store.deleteMarkedTenant(tenantId);
  deps.logger.info('tenant deleted', { tenantId, keys, apiKeys: apiKeys.size, usagePlan: tenant.usagePlanId });
  await requestCleanup(deps, tenantId);
}

/**
 * Asks the reconciler to clear what the deleted tenant left on API Gateway. Each request is its
 * own (never collapsed with an earlier one): a duplicate deletion may discard the plan again after
 * the first request was served, and its own request must then still run.
 */
async function requestCleanup(deps: TenantDeletionDeps, tenantId: string): Promise<void> {
  await deps.reconcile.request(tenantId, `deleted-${deps.clock().getTime()}-${randomBytes(4).toString('hex')}`);
}

/** The tenant, marked `deleting` (by this call or an earlier one, which wrote the event). */
async function mark(deps: TenantDeletionDeps, tenantId: string, actor: Actor): Promise<Tenant> {
  for (let attempt = 1; ; attempt += 1) {
    const valid = TENANT_ID_PATTERN.test(tenantId);
    const tenant = valid ? await deps.store.getTenant(tenantId) : undefined;
    if (tenant === undefined) {
      // deleted already, with a plan still to delete: the deletion's own request may have been lost.
      if (valid && (await deps.store.discardedUsagePlans(tenantId)).length > 0) await requestCleanup(deps, tenantId);
      throw notFound('tenant');
    }
    if (tenant.status === 'deleting') return tenant;
    try {
      const event = tenantEvent('tenant.deleted', actor, tenantId, deps.clock(), {
        name: tenant.name,
        plan: tenant.plan,
      });
      return await deps.store.updateTenant(tenantId, tenant.version, { status: 'deleting' }, event);
    } catch (error) {
      // a plan change or the reconciler wrote first: mark what it wrote.
      if (!(error instanceof ApiError && error.code === 'conflict') || attempt >= MARK_ATTEMPTS) throw error;
      await (deps.sleep ?? sleep)(Math.random() * 10 * attempt);
    }
  }
}
