import { flushAfterWrite } from '../auth/cache';
import { ApiError, conflict, notFound } from '../http/errors';
import { TENANT_ID_PATTERN, type Tenant } from '../model';
import type { KeyStore } from '../store/store';
import { sleep } from '../support/retry';
import type { TenantServiceDeps } from './tenant-deps';

/** How often a tenant change re-reads and tries again when other writes keep winning. */
const MAX_TENANT_WRITE_ATTEMPTS = 12;

/** A conditional tenant write that lost to another change: the change is decided again. */
class TenantVersionConflict extends Error {
  constructor(readonly lost: ApiError) {
    super(lost.message);
  }
}

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

/**
 * Reads the tenant and makes a conditional change to it; when another change (a plan move,
 * the reconciler recording what it applied, a rename) wrote first, decides again against
 * what that wrote instead of answering 409, after a short random pause so that writers
 * racing each other spread out. A real conflict (already suspended) still reaches the caller.
 * The change writes through {@link updateLatest}, which marks a lost race.
 */
export async function onLatestTenant<T>(
  deps: Pick<TenantServiceDeps, 'store' | 'sleep'>,
  tenantId: string,
  change: (tenant: Tenant) => Promise<T>,
): Promise<T> {
  const wait = deps.sleep ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await change(await changeable(deps.store, tenantId));
    } catch (error) {
      if (error instanceof TenantVersionConflict && attempt < MAX_TENANT_WRITE_ATTEMPTS) {
        await wait(Math.random() * 10 * attempt);
        continue;
      }
      throw error instanceof TenantVersionConflict ? error.lost : error;
    }
  }
}

/** The store's conditional tenant write, its lost race marked for {@link onLatestTenant}. */
export async function updateLatest(store: KeyStore, ...args: Parameters<KeyStore['updateTenant']>): Promise<Tenant> {
  try {
    return await store.updateTenant(...args);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'conflict') throw new TenantVersionConflict(error);
    throw error;
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
