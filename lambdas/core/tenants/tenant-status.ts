import { flushAfterWrite } from '../auth/cache';
import { ADMIN_CLI, tenantEvent } from '../events/changes';
import type { Actor } from '../events/model';
import { conflict } from '../http/errors';
import { OPERATOR_TENANT_ID } from '../keys/owner-guard';
import { toTenantRecord, type TenantRecord } from '../model';
import { onLatestTenant, propagateChange } from './latest-tenant';
import type { TenantServiceDeps } from './tenant-deps';

/** Suspends or resumes a tenant; its keys are refused (401) from the next request on. */
export async function setTenantStatus(
  deps: TenantServiceDeps,
  tenantId: string,
  status: 'active' | 'suspended',
  actor: Actor = ADMIN_CLI,
): Promise<TenantRecord> {
  if (tenantId === OPERATOR_TENANT_ID && status === 'suspended')
    throw conflict('the operator tenant cannot be suspended');
  return onLatestTenant(deps, tenantId, async (tenant) => {
    if (tenant.status === status) {
      // an earlier change may have been saved but not reached every key (its propagation failed):
      // finish it, or a retried suspension would answer 409 while the keys still work.
      if ((await deps.store.propagateTenant(tenant)) > 0) await flushAfterWrite(deps.cache, deps.logger);
      throw conflict(`the tenant is already ${status}`);
    }
    const event = tenantEvent(
      status === 'suspended' ? 'tenant.suspended' : 'tenant.resumed',
      actor,
      tenantId,
      deps.clock(),
    );
    const updated = await deps.store.updateTenant(tenantId, tenant.version, { status }, event);
    await propagateChange(deps, updated);
    return toTenantRecord(updated);
  });
}
