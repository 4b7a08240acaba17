import type { Clock } from '../core/clock';
import { notFound } from '../core/errors';
import { jsonResponse, type ApiRequest } from '../core/http';
import type { Logger } from '../core/logger';
import { toKeyRecord, toTenantRecord } from '../core/model';
import type { KeyStore } from '../core/store';
import { proxyHandler, type RouteHandler } from '../runtime/proxy';

/** What the account routes need. */
export interface AccountDeps {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** `GET /v1/me`: the calling key's own record and its tenant. */
export function createAccountRoutes(deps: AccountDeps): Record<string, RouteHandler> {
  return {
    'GET /v1/me': async ({ caller }: ApiRequest) => {
      const [key, tenant] = await Promise.all([
        deps.store.getTenantKey(caller.tenantId, caller.keyId),
        deps.store.getTenant(caller.tenantId),
      ]);
      if (tenant === undefined) throw notFound('tenant');
      return jsonResponse(200, { key: toKeyRecord(key, deps.clock()), tenant: toTenantRecord(tenant) });
    },
  };
}

/** The account Lambda's handler over API Gateway proxy events. */
export const createAccountHandler = (deps: AccountDeps) => proxyHandler(createAccountRoutes(deps), deps.logger);
