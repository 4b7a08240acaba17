import { flushAfterWrite } from '../auth/cache';
import { ADMIN_CLI, tenantEvent } from '../events/changes';
import type { Actor } from '../events/model';
import type { Tenant } from '../model';
import { onLatestTenant, propagateChange, readTenant } from './latest-tenant';
import type { TenantServiceDeps } from './tenant-deps';

/** A tenant's workspaces as the panel shows them, sorted. */
export interface TenantWorkspaces {
  readonly tenantId: string;
  readonly workspaces: string[];
}

/** The workspaces of a tenant record. */
export function workspacesOf(tenant: Pick<Tenant, 'tenantId' | 'workspaces'>): TenantWorkspaces {
  return { tenantId: tenant.tenantId, workspaces: [...(tenant.workspaces ?? [])] };
}

/** A tenant's workspaces; `not_found` for an unknown tenant. */
export async function getWorkspaces(
  deps: Pick<TenantServiceDeps, 'store'>,
  tenantId: string,
): Promise<TenantWorkspaces> {
  return workspacesOf(await readTenant(deps.store, tenantId));
}

/**
 * Replaces a tenant's workspaces (ids checked by the request schema) and copies them onto its
 * keys, then flushes the authorizer cache, so a workspace added or removed counts from the next
 * request on. The write is conditioned on the tenant's version: of two replacements at once, the
 * later one re-reads and wins whole, never a mix. Sending the set it already has changes nothing
 * and writes no event (it finishes a copy an earlier call left unfinished).
 */
export async function setWorkspaces(
  deps: TenantServiceDeps,
  tenantId: string,
  workspaces: readonly string[],
  actor: Actor = ADMIN_CLI,
): Promise<TenantWorkspaces> {
  const wanted = [...new Set(workspaces)].sort();
  return onLatestTenant(deps, tenantId, async (tenant) => {
    const before = tenant.workspaces ?? [];
    if (before.length === wanted.length && before.every((id, index) => id === wanted[index])) {
      if ((await deps.store.propagateTenant(tenant)) > 0) await flushAfterWrite(deps.cache, deps.logger);
      return workspacesOf(tenant);
    }
    const event = tenantEvent('tenant.workspaces_changed', actor, tenantId, deps.clock(), {
      workspaces: wanted,
      added: wanted.filter((id) => !before.includes(id)),
      removed: before.filter((id) => !wanted.includes(id)),
    });
    const updated = await deps.store.updateTenant(tenantId, tenant.version, { workspaces: wanted }, event);
    await propagateChange(deps, updated);
    return workspacesOf(updated);
  });
}
