import type { PlanName } from '../model';
import type { KeyStore } from '../store/store';
import { OPERATOR_TENANT_ID, type TenantService } from './tenant-service';

/**
 * Creates the operator tenant and its first `operator` key, unless the tenant exists; the same
 * path as any tenant, so the operator gets a usage identifier in its plan too.
 *
 * @returns the plaintext key (to show once), or `undefined` when the operator already existed.
 */
export async function ensureOperator(
  store: KeyStore,
  tenants: TenantService,
  plan: Exclude<PlanName, 'enterprise'>,
): Promise<string | undefined> {
  if ((await store.getTenant(OPERATOR_TENANT_ID)) !== undefined) return undefined;
  const created = await tenants.create({ tenantId: OPERATOR_TENANT_ID, name: 'Operator', plan }, 'operator');
  return created.key.key;
}
