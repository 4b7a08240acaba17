import { ApiError, forbidden, notFound } from '../core/http/errors';
import { emptySchema, jsonResponse, parseBody, validate, type ApiRequest, type RouteHandler } from '../core/http/http';
import { keyRoutes, type KeyRouteDeps } from '../core/http/key-routes';
import { tenantRankingRoute, tenantUsage, usageRouteDeps } from '../core/http/usage-routes';
import {
  createTenantSchema,
  renameTenantSchema,
  tenantListQuerySchema,
  tenantPlanSchema,
  tenantWorkspacesSchema,
} from '../core/http/schemas/tenants';
import { importBatchSchema, importKeyItemSchema, MAX_IMPORT_BODY_BYTES } from '../core/http/schemas/imports';
import { KeyImporter, type ImportKeyInput } from '../core/keys/key-import';
import { KeyService } from '../core/keys/key-service';
import { operatorActingFor } from '../core/keys/key-permissions';
import { actorOf } from '../core/events/model';
import type { Logger } from '../core/support/logger';
import { toTenantRecord } from '../core/model';
import type { TenantService } from '../core/tenants/tenant-service';
import { proxyHandler } from '../runtime/proxy';
import { panelSessionRoutes } from '../core/http/session-routes';
import { sessionServiceOf } from '../core/sessions/wiring';

/**
 * The operator panel's routes; only live `operator` keys get past the first lines of each. A
 * tenant's keys are managed under `/v1/panel/tenants/{tenantId}/keys` by the very routes of
 * `/v1/keys`, acting for the tenant as {@link operatorActingFor} says.
 */
export function createPanelRoutes(tenants: TenantService, keys: KeyRouteDeps): Record<string, RouteHandler> {
  const operatorOnly =
    (route: RouteHandler): RouteHandler =>
    async (request: ApiRequest) => {
      // the authorizer's policy denies the panel to other roles already; this is the second lock.
      if (request.caller.role !== 'operator') throw forbidden('only operator keys may use the panel');
      // the panel changes live tenants: a test key, even a legacy test operator key, never may.
      if (request.caller.environment !== 'live')
        throw forbidden('only live operator keys may use the panel; this is a test key');
      return route(request);
    };
  const tenantId = (request: ApiRequest): string => request.pathParameters.tenantId ?? '';
  // an unknown tenant, or one being deleted, is 404 before anything else; a key of another
  // tenant is 404 in the service.
  const callerOf = async (request: ApiRequest) => {
    const tenant = await tenants.get(tenantId(request));
    if (tenant.status === 'deleting') throw notFound('tenant');
    return operatorActingFor(tenant, request.caller);
  };
  const usage = usageRouteDeps(keys, keys.clock);
  const tenantKeys = keyRoutes(new KeyService(keys), {
    usage,
    base: '/v1/panel/tenants/{tenantId}/keys',
    idParameter: 'keyId',
    ...(keys.idempotency === undefined ? {} : { idempotency: keys.idempotency }),
    callerOf,
  });
  const importer = new KeyImporter(keys);
  const sessionRoutes = panelSessionRoutes(sessionServiceOf(keys), keys.idempotency);
  return {
    ...Object.fromEntries(Object.entries(sessionRoutes).map(([route, handler]) => [route, operatorOnly(handler)])),
    ...Object.fromEntries(Object.entries(tenantKeys).map(([route, handler]) => [route, operatorOnly(handler)])),
    // 200 whatever each item's outcome: the batch was handled, and each result says how its item went.
    'POST /v1/panel/tenants/{tenantId}/keys/import': operatorOnly(async (request) => {
      const batch = parseBody(request, importBatchSchema, MAX_IMPORT_BODY_BYTES);
      const items = batch.keys.map((item, index) => checkedItem(item, index));
      const caller = await callerOf(request);
      const run = async () => jsonResponse(200, { results: await importer.importKeys(caller, items) });
      return keys.idempotency === undefined ? run() : keys.idempotency.run(request, request.caller.tenantId, run);
    }),
    'POST /v1/panel/tenants': operatorOnly(async (request) => {
      const input = parseBody(request, createTenantSchema);
      const create = async () => jsonResponse(201, await tenants.create(input, 'owner', actorOf(request.caller)));
      return keys.idempotency === undefined ? create() : keys.idempotency.run(request, request.caller.tenantId, create);
    }),
    'GET /v1/panel/tenants': operatorOnly(async (request) => {
      // the same limit and cursor rules as a key listing; the cursor itself is the tenant listing's.
      const { limit, cursor, ...filter } = validate(tenantListQuerySchema, request.query, 'query');
      return jsonResponse(200, await tenants.list(limit ?? 20, cursor, filter));
    }),
    'PATCH /v1/panel/tenants/{tenantId}': operatorOnly(async (request) =>
      jsonResponse(200, await tenants.rename(tenantId(request), parseBody(request, renameTenantSchema).name)),
    ),
    'DELETE /v1/panel/tenants/{tenantId}': operatorOnly(async (request) => {
      await tenants.delete(tenantId(request), actorOf(request.caller));
      return jsonResponse(204);
    }),
    'GET /v1/panel/tenants/{tenantId}': operatorOnly(async (request) =>
      jsonResponse(200, toTenantRecord(await tenants.get(tenantId(request)))),
    ),
    'GET /v1/panel/tenants/{tenantId}/usage': operatorOnly(async (request) => {
      const tenant = await tenants.get(tenantId(request));
      return jsonResponse(200, await tenantUsage(request, tenant.tenantId, usage));
    }),
    'GET /v1/panel/usage': operatorOnly(tenantRankingRoute(usage)),
    'PUT /v1/panel/tenants/{tenantId}/plan': operatorOnly(async (request) =>
      jsonResponse(
        200,
        await tenants.changePlan(tenantId(request), parseBody(request, tenantPlanSchema), actorOf(request.caller)),
      ),
    ),
    'POST /v1/panel/tenants/{tenantId}/suspend': operatorOnly(async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await tenants.setStatus(tenantId(request), 'suspended', actorOf(request.caller)));
    }),
    'POST /v1/panel/tenants/{tenantId}/resume': operatorOnly(async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await tenants.setStatus(tenantId(request), 'active', actorOf(request.caller)));
    }),
    'GET /v1/panel/tenants/{tenantId}/workspaces': operatorOnly(async (request) =>
      jsonResponse(200, await tenants.workspaces(tenantId(request))),
    ),
    'PUT /v1/panel/tenants/{tenantId}/workspaces': operatorOnly(async (request) => {
      const { workspaces } = parseBody(request, tenantWorkspacesSchema);
      return jsonResponse(200, await tenants.setWorkspaces(tenantId(request), workspaces, actorOf(request.caller)));
    }),
  };
}

/** One item of an import as validated, or the 400 that refuses it alone. */
function checkedItem(item: unknown, index: number): ImportKeyInput | ApiError {
  try {
    return validate(importKeyItemSchema, item, `keys[${index}]`);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

/** The panel Lambda's handler over API Gateway proxy events. */
export const createPanelHandler = (tenants: TenantService, logger: Logger, keys: KeyRouteDeps) =>
  proxyHandler(createPanelRoutes(tenants, keys), logger, keys.clock);
