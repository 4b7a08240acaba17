import { randomBytes } from 'node:crypto';
import { ADMIN_CLI, keyDetails, planDetails, tenantEvent } from '../events/changes';
import type { Actor } from '../events/model';
import { conflict, invalidRequest, tenantIdRetired } from '../http/errors';
import { expiryAt } from '../keys/expiry';
import type { Role } from '../keys/format';
import { buildKey } from '../keys/new-key';
import { OPERATOR_ACTOR } from '../keys/owner-guard';
import {
  TENANT_ID_PATTERN,
  toKeyRecord,
  toTenantRecord,
  type KeyRecord,
  type Tenant,
  type TenantRecord,
} from '../model';
import type { StandardPlan } from '../plans/usage-plans';
import { limitsFor, type PlanRequest } from './plan-change';
import { planCatalog, type TenantServiceDeps } from './tenant-deps';
import { compensate, newUsageKey, type UndoSteps } from './usage-identifiers';

/** A new tenant: the record and its first key, with the plaintext shown once. */
export interface CreatedTenant {
  readonly tenant: TenantRecord;
  readonly key: KeyRecord & { readonly key: string };
}

/** Leaves a usage plan nothing uses to the reconciler, which unbinds and deletes it. */
async function discardUsagePlan(deps: TenantServiceDeps, tenantId: string, usagePlanId: string): Promise<void> {
  await deps.store.discardUsagePlan(tenantId, usagePlanId);
  await deps.reconcile.request(tenantId, `discarded-${usagePlanId}`);
}

/**
 * Creates a tenant, its live usage identifier in its plan's usage plan, and its first key
 * (`owner`, or `operator` for the operator tenant). `actor` is who asked, for the event. Every
 * step on API Gateway is undone when a later step fails, so a retry starts from nothing (a usage
 * plan made for it is left to the reconciler to delete). A deleted tenant's id is refused with
 * `tenant_id_retired`: tenant ids are never reused.
 */
export async function createTenant(
  deps: TenantServiceDeps,
  input: { tenantId?: string; name: string } & PlanRequest,
  firstRole: Role = 'owner',
  actor: Actor = ADMIN_CLI,
): Promise<CreatedTenant> {
  const tenantId = input.tenantId ?? `t-${randomBytes(6).toString('hex')}`;
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw invalidRequest(
      `tenantId: must be 3 to 64 lowercase letters, digits or dashes, received ${JSON.stringify(tenantId)}`,
    );
  }
  const plans = await planCatalog(deps);
  const limits = limitsFor(input, plans);
  const existing = await deps.store.getTenant(tenantId);
  // tenant ids are never reused: one being deleted or deleted is refused for good.
  if (existing?.status === 'deleting' || (existing === undefined && (await deps.store.tenantIdRetired(tenantId))))
    throw tenantIdRetired(tenantId);
  if (existing !== undefined) throw conflict(`a tenant with id ${tenantId} already exists`);

  const undo: UndoSteps = [];
  try {
    const usagePlanId =
      input.plan === 'enterprise'
        ? await deps.usagePlans.createUsagePlan(`${deps.namePrefix}-enterprise-${tenantId}`, limits)
        : undefined;
    // unbinding a plan takes an UpdateUsagePlan: the reconciler deletes it, off the request's path.
    if (usagePlanId !== undefined) undo.push(() => discardUsagePlan(deps, tenantId, usagePlanId));
    const live = await newUsageKey(
      deps,
      tenantId,
      'live',
      usagePlanId ?? plans[input.plan as StandardPlan].usagePlanId,
      undo,
    );
    const now = deps.clock();
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
      prefix: deps.prefix,
      keyFormat: deps.keyFormat,
      tenant,
      name: firstRole === 'operator' ? 'operator' : 'owner',
      environment: 'live',
      role: firstRole,
      expiry: expiryAt(null),
      now,
      // made through the panel (or the bootstrap, which holds the operator's powers).
      createdBy: OPERATOR_ACTOR,
    });
    const event = tenantEvent(
      'tenant.created',
      actor,
      tenantId,
      now,
      { name: tenant.name, ...planDetails(tenant), firstKey: { id: item.id, ...keyDetails(item) } },
      item.id,
    );
    await deps.store.createTenant(tenant, item, event);
    return { tenant: toTenantRecord(tenant), key: { ...toKeyRecord(item, now), key: plaintext } };
  } catch (error) {
    await compensate(deps, undo, tenantId);
    throw error;
  }
}
