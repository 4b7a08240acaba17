import { ApiError } from '../lambdas/core/http/errors';
import { OPERATOR_TENANT_ID } from '../lambdas/core/keys/owner-guard';
import type { SessionService } from '../lambdas/core/sessions/session-service';
import type { KeyStore } from '../lambdas/core/store/store';
import type { TenantService } from '../lambdas/core/tenants/tenant-service';

/** The pretend SaaS customer whose dashboard `/demo` shows. */
export const DEMO_TENANT = { tenantId: 'demo', name: 'Acme Rockets (demo)', plan: 'starter' } as const;

/** The member signed in to the demo dashboard, and the role the page is minted for. */
export const DEMO_MEMBER = { role: 'admin', user: { id: 'u_demo', name: 'Ada (demo member)' } } as const;

/** What `/demo`'s backend answers the page: its member's session and role. */
export interface DemoSession {
  readonly token: string;
  readonly role: string;
  readonly expiresAt: string;
}

/**
 * The demo backend's one call: a session for the demo tenant's signed-in member, minted as a
 * team's backend mints one with its operator key (`POST /v1/panel/tenants/{tenantId}/sessions`),
 * here in process through the same service.
 */
export function demoSessions(deps: {
  readonly tenants: TenantService;
  readonly sessions: SessionService;
  readonly store: Pick<KeyStore, 'listKeys'>;
}): () => Promise<DemoSession> {
  let operator: Promise<string> | undefined;
  // the demo tenant, made on the first visit, and the operator key the backend acts as.
  const prepare = async (): Promise<string> => {
    try {
      await deps.tenants.get(DEMO_TENANT.tenantId);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
      await deps.tenants.create({ ...DEMO_TENANT });
    }
    const page = await deps.store.listKeys(OPERATOR_TENANT_ID, 100);
    const key = page.items.find((item) => item.role === 'operator' && item.environment === 'live');
    if (key === undefined) throw new Error('the operator tenant has no live operator key');
    return key.id;
  };
  return async () => {
    operator ??= prepare().catch((error: unknown) => {
      operator = undefined;
      throw error;
    });
    const keyId = await operator;
    const session = await deps.sessions.create(
      { tenantId: OPERATOR_TENANT_ID, keyId, environment: 'live', role: 'operator', plan: 'scale' },
      DEMO_TENANT.tenantId,
      { role: DEMO_MEMBER.role, user: DEMO_MEMBER.user },
    );
    return { token: session.token, role: session.role, expiresAt: session.expiresAt };
  };
}
