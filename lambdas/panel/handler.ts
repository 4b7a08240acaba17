import { z } from 'zod';
import { forbidden } from '../core/errors';
import { emptySchema, jsonResponse, nameSchema, parseBody, type ApiRequest } from '../core/http';
import { actorOf } from '../core/events/model';
import type { Logger } from '../core/logger';
import { PLAN_NAMES, QUOTA_PERIODS, toTenantRecord } from '../core/model';
import type { TenantService } from '../core/tenant-service';
import { proxyHandler, type RouteHandler } from '../runtime/proxy';

const limit = (max: number) => z.number().int('must be a whole number').min(1).max(max);

const planFields = {
  plan: z.enum(PLAN_NAMES),
  rateLimit: limit(1_000_000).optional(),
  burstLimit: limit(5_000_000).optional(),
  quota: z.strictObject({ limit: limit(2_000_000_000), period: z.enum(QUOTA_PERIODS) }).optional(),
};

const createSchema = z.strictObject({
  tenantId: z.string().max(64).optional(),
  name: nameSchema,
  ...planFields,
});

const planSchema = z.strictObject(planFields);

/** The operator panel's routes; only live `operator` keys get past the first lines of each. */
export function createPanelRoutes(tenants: TenantService): Record<string, RouteHandler> {
  const operatorOnly =
    (route: RouteHandler): RouteHandler =>
    async (request: ApiRequest) => {
      // the authorizer's policy denies the panel to other roles already; this is the second lock.
      if (request.caller.role !== 'operator') throw forbidden('only operator keys may use the panel');
      // the panel changes live tenants: a test key, even a legacy test operator key, never may.
      if (request.caller.environment !== 'live') throw forbidden('only live operator keys may use the panel; this is a test key');
      return route(request);
    };
  const tenantId = (request: ApiRequest): string => request.pathParameters.tenantId ?? '';
  return {
    'POST /v1/panel/tenants': operatorOnly(async (request) =>
      jsonResponse(201, await tenants.create(parseBody(request, createSchema), 'owner', actorOf(request.caller))),
    ),
    'GET /v1/panel/tenants/{tenantId}': operatorOnly(async (request) => jsonResponse(200, toTenantRecord(await tenants.get(tenantId(request))))),
    'PUT /v1/panel/tenants/{tenantId}/plan': operatorOnly(async (request) =>
      jsonResponse(200, await tenants.changePlan(tenantId(request), parseBody(request, planSchema), actorOf(request.caller))),
    ),
    'POST /v1/panel/tenants/{tenantId}/suspend': operatorOnly(async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await tenants.setStatus(tenantId(request), 'suspended', actorOf(request.caller)));
    }),
    'POST /v1/panel/tenants/{tenantId}/resume': operatorOnly(async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await tenants.setStatus(tenantId(request), 'active', actorOf(request.caller)));
    }),
  };
}

/** The panel Lambda's handler over API Gateway proxy events. */
export const createPanelHandler = (tenants: TenantService, logger: Logger) => proxyHandler(createPanelRoutes(tenants), logger);
