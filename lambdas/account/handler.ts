import type { Clock } from '../core/support/clock';
import { notFound } from '../core/http/errors';
import { emptySchema, jsonResponse, validate, type ApiRequest, type RouteHandler } from '../core/http/http';
import type { Logger } from '../core/support/logger';
import { toKeyRecord, toTenantRecord } from '../core/model';
import type { KeyStore } from '../core/store/store';
import type { TenantService } from '../core/tenants/tenant-service';
import { requestedWindow, usageRouteDeps, type UsageOptions } from '../core/http/usage-routes';
import { readUsage } from '../core/usage/usage-query';
import { proxyHandler } from '../runtime/proxy';

/** What the account routes need. */
export interface AccountDeps extends UsageOptions {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reports plans and quota use. */
  readonly tenants: Pick<TenantService, 'usage'>;
}

/**
 * `GET /v1/me` (the calling key and its tenant) and `GET /v1/usage` (its plan, quota use, and its
 * requests over a window from the access log).
 */
export function createAccountRoutes(deps: AccountDeps): Record<string, RouteHandler> {
  const usage = usageRouteDeps(deps, deps.clock);
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
    'GET /v1/usage': async (request: ApiRequest) => {
      const { caller } = request;
      // the window is checked first: a bad query costs no read.
      const window = requestedWindow(request, usage);
      const [plan, counted] = await Promise.all([
        deps.tenants.usage(caller.tenantId, caller.environment),
        readUsage(usage.store, 'tenant', caller.tenantId, window),
      ]);
      return jsonResponse(200, { environment: caller.environment, ...plan, ...counted });
    },
  };
}

/** The account Lambda's handler over API Gateway proxy events. */
export const createAccountHandler = (deps: AccountDeps) =>
  proxyHandler(createAccountRoutes(deps), deps.logger, deps.clock);
