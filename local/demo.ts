import { ApiError } from '../lambdas/core/http/errors';
import type { KeyService } from '../lambdas/core/keys/key-service';
import type { KeyStore } from '../lambdas/core/store/store';
import type { TenantService } from '../lambdas/core/tenants/tenant-service';

/** The pretend SaaS customer whose dashboard `/demo` shows. */
export const DEMO_TENANT = { tenantId: 'demo', name: 'Acme Rockets (demo)', plan: 'starter' } as const;

/** What `/demo`'s backend answers the page: a credential for its signed-in member. */
export interface DemoSession {
  readonly token: string;
  readonly expiresAt: string | null;
}

/**
 * The demo backend's one call: a credential for the demo tenant's signed-in member, minted
 * server-side, as a team's backend does for its own members.
 *
 * TODO: mint a session (`POST /v1/panel/tenants/{tenantId}/sessions`) once sessions exist; until
 * then each call mints a short-lived `admin` key of the demo tenant, which the list shows.
 */
export function demoSessions(deps: {
  readonly tenants: TenantService;
  readonly keys: KeyService;
  readonly store: Pick<KeyStore, 'listKeys'>;
}): () => Promise<DemoSession> {
  let owner: Promise<{ keyId: string }> | undefined;
  // the demo tenant and the owner key the backend acts through, made on the first visit.
  const demoOwner = async (): Promise<{ keyId: string }> => {
    try {
      await deps.tenants.get(DEMO_TENANT.tenantId);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
      const created = await deps.tenants.create({ ...DEMO_TENANT });
      return { keyId: created.key.id };
    }
    const page = await deps.store.listKeys(DEMO_TENANT.tenantId, 100);
    const first = page.items.findLast((key) => key.role === 'owner');
    if (first === undefined) throw new Error('the demo tenant has no owner key');
    return { keyId: first.id };
  };
  return async () => {
    owner ??= demoOwner().catch((error: unknown) => {
      owner = undefined;
      throw error;
    });
    const { keyId } = await owner;
    const tenant = await deps.tenants.get(DEMO_TENANT.tenantId);
    const key = await deps.keys.create(
      { tenantId: tenant.tenantId, keyId, environment: 'live', role: 'owner', plan: tenant.plan },
      { name: 'Demo member (sign-in stand-in)', role: 'admin', expiresInDays: 7 },
    );
    return { token: key.key, expiresAt: key.expiresAt };
  };
}
