import type { Clock } from '../core/support/clock';
import { notFound } from '../core/http/errors';
import { emptySchema, jsonResponse, validate, type ApiRequest, type RouteHandler } from '../core/http/http';
import type { Logger } from '../core/support/logger';
import { toKeyRecord, toTenantRecord } from '../core/model';
import type { KeyStore } from '../core/store/store';
import type { TenantService } from '../core/tenants/tenant-service';
import { proxyHandler } from '../runtime/proxy';

/** What the account routes need. */
export interface AccountDeps {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reports plans and quota use. */
  readonly tenants: Pick<TenantService, 'usage'>;
}

/** `GET /v1/me` (the calling key and its tenant) and `GET /v1/usage` (its plan and use). */
export function createAccountRoutes(deps: AccountDeps): Record<string, RouteHandler> {
  return {
    'GET /v1/me': async ({ caller, query }: ApiRequest) => {
      validate(emptySchema, query, 'query');
      const [key, tenant] = await Promise.all([
        deps.store.getTenantKey(caller.tenantId, caller.keyId),
        deps.store.getTenant(caller.tenantId),
      ]);
      if (tenant === undefined) throw notFound('tenant');
      return jsonResponse(200, { key: toKeyRecord(key, deps.clock()), tenant: toTenantRecord(tenant) });
    },
    'GET /v1/usage': async ({ caller, query }: ApiRequest) => {
      validate(emptySchema, query, 'query');
      return jsonResponse(200, {
        environment: caller.environment,
        ...(await deps.tenants.usage(caller.tenantId, caller.environment)),
      });
    },
  };
}

/** The account Lambda's handler over API Gateway proxy events. */
export const createAccountHandler = (deps: AccountDeps) =>
  proxyHandler(createAccountRoutes(deps), deps.logger, deps.clock);
