import type { Actor } from '../events/model';
import type { TenantFilter } from '../store/tenant-filter';
import { notFound } from '../http/errors';
import type { Environment, Role } from '../keys/format';
import { TENANT_ID_PATTERN, toTenantRecord, type Tenant, type TenantRecord } from '../model';
import { readTenant } from './latest-tenant';
import { changePlan, type PlanRequest } from './plan-change';
import { createTenant, type CreatedTenant } from './tenant-creation';
import { deleteTenant } from './tenant-deletion';
import type { TenantServiceDeps } from './tenant-deps';
import { setTenantStatus } from './tenant-status';
import { ensureUsageKey } from './usage-identifiers';
import { usageReport, type UsageReport } from './usage-report';
import { getWorkspaces, setWorkspaces, type TenantWorkspaces } from './workspaces';

// defined next to the owner rule, which the store needs without the rest of this module.
export { OPERATOR_TENANT_ID } from '../keys/owner-guard';
// defined with the model, which the store's cursors need without the rest of this module.
export { TENANT_ID_PATTERN } from '../model';
export type { CreatedTenant } from './tenant-creation';
export type { PlanRequest } from './plan-change';
export type { TenantServiceDeps } from './tenant-deps';
export type { TenantWorkspaces } from './workspaces';
export { quotaPeriod, type UsageReport } from './usage-report';

/**
 * Tenants, their plans and their usage identifiers: one object over the functions that do each
 * job, so handlers hold one dependency. Every step that touches API Gateway is undone when a
 * later step fails, so nothing is left half made and a retry succeeds.
 */
export class TenantService {
  constructor(private readonly deps: TenantServiceDeps) {}

  /** See {@link createTenant}. */
  create(
    input: { tenantId?: string; name: string } & PlanRequest,
    firstRole?: Role,
    actor?: Actor,
  ): Promise<CreatedTenant> {
    return createTenant(this.deps, input, firstRole, actor);
  }

  /** Reads a tenant; `not_found` when there is none. */
  get(tenantId: string): Promise<Tenant> {
    return readTenant(this.deps.store, tenantId);
  }

  /** One page of every tenant, or of those `filter` selects, newest first. */
  async list(
    limit: number,
    cursor?: string,
    filter: TenantFilter = {},
  ): Promise<{ items: TenantRecord[]; cursor?: string }> {
    const page = await this.deps.store.listTenants(limit, cursor, filter);
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
  delete(tenantId: string, actor?: Actor): Promise<void> {
    return deleteTenant(this.deps, tenantId, actor);
  }

  /** See {@link changePlan}. */
  changePlan(tenantId: string, request: PlanRequest, actor?: Actor): Promise<TenantRecord> {
    return changePlan(this.deps, tenantId, request, actor);
  }

  /** See {@link setTenantStatus}. */
  setStatus(tenantId: string, status: 'active' | 'suspended', actor?: Actor): Promise<TenantRecord> {
    return setTenantStatus(this.deps, tenantId, status, actor);
  }

  /** See {@link getWorkspaces}. */
  workspaces(tenantId: string): Promise<TenantWorkspaces> {
    return getWorkspaces(this.deps, tenantId);
  }

  /** See {@link setWorkspaces}. */
  setWorkspaces(tenantId: string, workspaces: readonly string[], actor?: Actor): Promise<TenantWorkspaces> {
    return setWorkspaces(this.deps, tenantId, workspaces, actor);
  }

  /** See {@link ensureUsageKey}. */
  ensureUsageKey(tenant: Tenant, environment: Environment): Promise<Tenant> {
    return ensureUsageKey(this.deps, tenant, environment);
  }

  /** See {@link usageReport}. */
  usage(tenantId: string, environment: Environment): Promise<UsageReport> {
    return usageReport(this.deps, tenantId, environment);
  }
}
