import { flushAfterWrite } from '../auth/cache';
import { conflict, notFound } from '../http/errors';
import { TENANT_ID_PATTERN, type Tenant } from '../model';
import { TenantChangedError, type KeyStore } from '../store/store';
import { sleep } from '../support/retry';
import type { TenantServiceDeps } from './tenant-deps';

/** How often a tenant-guarded write re-reads and tries again when other writes keep winning. */
const MAX_TENANT_WRITE_ATTEMPTS = 12;

/** Reads a tenant; `not_found` when there is none (or the id cannot be one). */
export async function readTenant(store: KeyStore, tenantId: string): Promise<Tenant> {
  const tenant = TENANT_ID_PATTERN.test(tenantId) ? await store.getTenant(tenantId) : undefined;
  if (tenant === undefined) throw notFound('tenant');
  return tenant;
}

/** A tenant that may still change: `conflict` once its deletion has begun (only finishing it is left). */
async function changeable(store: KeyStore, tenantId: string): Promise<Tenant> {
  const tenant = await readTenant(store, tenantId);
  if (tenant.status === 'deleting') throw conflict('the tenant is being deleted: send DELETE again to finish');
  return tenant;
}

/** The caller's tenant, if it can still take a new key: a tenant gone or being deleted is `not_found`. */
export async function tenantTakingKeys(store: KeyStore, tenantId: string): Promise<Tenant> {
  const tenant = await store.getTenant(tenantId);
  // the key write's version check enforces it too, should the deletion begin after this read.
  if (tenant === undefined || tenant.status === 'deleting') throw notFound('tenant');
  return tenant;
}

/**
 * Reads the tenant and makes a write conditioned on its version (a change to the tenant, or a
 * key that copies it); when another change (a plan move, the reconciler recording what it
 * applied, a rename) wrote first and the store answers {@link TenantChangedError}, decides
 * again against what that wrote instead of answering 409, after a short random pause so that
 * writers racing each other spread out. A real conflict (already suspended) still reaches the
 * caller, and so does the answer for the state the tenant reached meanwhile: `read` refuses a
 * tenant that cannot take the write (by default, one being deleted).
 */
export async function onLatestTenant<T>(
  deps: { readonly store: KeyStore; readonly sleep?: (ms: number) => Promise<void> },
  tenantId: string,
  change: (tenant: Tenant) => Promise<T>,
  read: (store: KeyStore, tenantId: string) => Promise<Tenant> = changeable,
): Promise<T> {
  const wait = deps.sleep ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await change(await read(deps.store, tenantId));
    } catch (error) {
      if (!(error instanceof TenantChangedError) || attempt >= MAX_TENANT_WRITE_ATTEMPTS) throw error;
      await wait(Math.random() * 10 * attempt);
    }
  }
}

/** Copies a changed tenant onto its keys and flushes the authorizer cache, so the change applies from the next request on. */
export async function propagateChange(
  deps: Pick<TenantServiceDeps, 'store' | 'cache' | 'logger'>,
  tenant: Tenant,
): Promise<void> {
  await deps.store.propagateTenant(tenant);
  await flushAfterWrite(deps.cache, deps.logger);
}
