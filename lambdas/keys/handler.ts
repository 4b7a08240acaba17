import { z } from 'zod';
import { EXPIRY_DAYS } from '../core/expiry';
import { emptySchema, jsonResponse, nameSchema, parseBody, validate, type ApiRequest } from '../core/http';
import { ENVIRONMENTS, ROLES } from '../core/keys';
import { KeyService, MAX_GRACE_HOURS, type KeyServiceDeps } from '../core/key-service';
import { proxyHandler, type RouteHandler } from '../runtime/proxy';

const createSchema = z.strictObject({
  name: nameSchema,
  environment: z.enum(ENVIRONMENTS).optional(),
  role: z.enum(ROLES).optional(),
  expiresInDays: z
    .number()
    .refine((days) => (EXPIRY_DAYS as readonly number[]).includes(days), `must be one of ${EXPIRY_DAYS.join(', ')}`)
    .optional(),
  expiresOn: z.string().optional(),
});

const renameSchema = z.strictObject({ name: nameSchema });

const rotateSchema = z.strictObject({
  gracePeriodHours: z.number().int('must be a whole number of hours').min(0).max(MAX_GRACE_HOURS).optional(),
});

const listQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be from 1 to 100').max(100, 'must be from 1 to 100'))
    .optional(),
  cursor: z.string().min(1).max(1024).optional(),
});

/** The tenant key-management routes over a {@link KeyService}. */
export function createKeyRoutes(deps: KeyServiceDeps): Record<string, RouteHandler> {
  const keys = new KeyService(deps);
  const id = (request: ApiRequest): string => request.pathParameters.id ?? '';
  return {
    'POST /v1/keys': async (request) => {
      const input = parseBody(request, createSchema);
      return jsonResponse(201, await keys.create(request.caller, input as Parameters<KeyService['create']>[1]));
    },
    'GET /v1/keys': async (request) => {
      const query = validate(listQuerySchema, request.query, 'query');
      return jsonResponse(200, await keys.list(request.caller, query.limit ?? 20, query.cursor));
    },
    'GET /v1/keys/{id}': async (request) => jsonResponse(200, await keys.get(request.caller, id(request))),
    'PATCH /v1/keys/{id}': async (request) => {
      const { name } = parseBody(request, renameSchema);
      return jsonResponse(200, await keys.rename(request.caller, id(request), name));
    },
    'DELETE /v1/keys/{id}': async (request) => {
      await keys.delete(request.caller, id(request));
      return jsonResponse(204);
    },
    'POST /v1/keys/{id}/revoke': async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await keys.revoke(request.caller, id(request)));
    },
    'POST /v1/keys/{id}/enable': async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await keys.enable(request.caller, id(request)));
    },
    'POST /v1/keys/{id}/rotate': async (request) => {
      const { gracePeriodHours } = parseBody(request, rotateSchema);
      return jsonResponse(201, await keys.rotate(request.caller, id(request), gracePeriodHours ?? 0));
    },
  };
}

/** The keys Lambda's handler over API Gateway proxy events. */
export const createKeysHandler = (deps: KeyServiceDeps) => proxyHandler(createKeyRoutes(deps), deps.logger);
