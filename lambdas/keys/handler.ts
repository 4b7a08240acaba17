import * as z from 'zod/mini';
import type { AuthorizerContext } from '../core/auth/authorize';
import { EXPIRY_DAYS } from '../core/keys/expiry';
import type { Idempotency } from '../core/http/idempotency';
import {
  cursorQuerySchema,
  emptySchema,
  jsonResponse,
  limitQuerySchema,
  nameSchema,
  parseBody,
  validate,
  type ApiRequest,
  type HttpResponse,
} from '../core/http/http';
import { metaSchema } from '../core/keys/key-meta';
import { ENVIRONMENTS, ROLES } from '../core/keys/format';
import { KeyService, MAX_GRACE_HOURS, type KeyServiceDeps } from '../core/keys/key-service';
import { proxyHandler, type RouteHandler } from '../runtime/proxy';

/** The body of a key creation, for the tenant's own routes and the operator's alike. */
export const createKeySchema = z.strictObject({
  name: nameSchema,
  environment: z.optional(z.enum(ENVIRONMENTS)),
  role: z.optional(z.enum(ROLES)),
  expiresInDays: z.optional(
    z
      .number()
      .check(
        z.refine(
          (days: number) => (EXPIRY_DAYS as readonly number[]).includes(days),
          `must be one of ${EXPIRY_DAYS.join(', ')}`,
        ),
      ),
  ),
  expiresOn: z.optional(z.string()),
  meta: z.optional(metaSchema),
});

/** The body of a key change: a new name, new metadata (`{}` clears it), or both. */
export const updateKeySchema = z.strictObject({ name: z.optional(nameSchema), meta: z.optional(metaSchema) }).check(
  z.refine((body: { name?: string; meta?: unknown }) => body.name !== undefined || body.meta !== undefined, {
    message: 'name: give a name, meta or both',
    path: ['name'],
  }),
);

/** The body of a rotation. */
export const rotateKeySchema = z.strictObject({
  gracePeriodHours: z.optional(
    z.number().check(z.int('must be a whole number of hours'), z.minimum(0), z.maximum(MAX_GRACE_HOURS)),
  ),
});

/** The query of a listing: `limit` 1–100 and an opaque `cursor`. */
export const listKeysQuerySchema = z.strictObject({
  limit: limitQuerySchema,
  cursor: cursorQuerySchema,
  /** A name prefix, case-sensitive. */
  name: z.optional(
    z.string().check(z.minLength(1, 'must be 1 to 100 characters'), z.maxLength(100, 'must be 1 to 100 characters')),
  ),
});

/** Where a set of key routes lives and whom it acts for. */
export interface KeyRouteMount {
  /** The collection's path, e.g. `/v1/keys` or `/v1/panel/tenants/{tenantId}/keys`. */
  readonly base: string;
  /** The path parameter that names one key under {@link base}. */
  readonly idParameter: string;
  /** The caller the key service acts for: the authorizer's, or the operator acting for a tenant. */
  readonly callerOf: (request: ApiRequest) => Promise<AuthorizerContext>;
  /**
   * Honours `Idempotency-Key` on the routes that mint a key (create, rotate), scoped to the
   * tenant of the key that calls. @default - the header is ignored.
   */
  readonly idempotency?: Idempotency;
}

/**
 * The key-management routes over a {@link KeyService}, mounted at `mount.base`: the tenant's own
 * `/v1/keys` and the operator's `/v1/panel/tenants/{tenantId}/keys` are built here, so both have
 * the same validation, rules, status codes and errors.
 */
export function keyRoutes(keys: KeyService, mount: KeyRouteMount): Record<string, RouteHandler> {
  const { base, callerOf } = mount;
  // the scope is the calling key (of the operator's tenant for the panel): the path and body are
  // in the request's fingerprint, so one key reused for another tenant's create is a conflict.
  const once = (
    request: ApiRequest,
    create: () => Promise<HttpResponse>,
    authorize: () => Promise<void>,
  ): Promise<HttpResponse> =>
    mount.idempotency === undefined
      ? create()
      : mount.idempotency.run(request, request.caller.tenantId, create, authorize);
  const one = `${base}/{${mount.idParameter}}`;
  const id = (request: ApiRequest): string => request.pathParameters[mount.idParameter] ?? '';
  return {
    [`POST ${base}`]: async (request) => {
      const input = parseBody(request, createKeySchema);
      const caller = await callerOf(request);
      return once(
        request,
        async () => jsonResponse(201, await keys.create(caller, input as Parameters<KeyService['create']>[1])),
        async () => keys.authorizeCreate(caller, input),
      );
    },
    [`GET ${base}`]: async (request) => {
      const query = validate(listKeysQuerySchema, request.query, 'query');
      return jsonResponse(200, await keys.list(await callerOf(request), query.limit ?? 20, query.cursor, query.name));
    },
    [`GET ${one}`]: async (request) => jsonResponse(200, await keys.get(await callerOf(request), id(request))),
    [`PATCH ${one}`]: async (request) => {
      const changes = parseBody(request, updateKeySchema);
      return jsonResponse(200, await keys.update(await callerOf(request), id(request), changes));
    },
    [`DELETE ${one}`]: async (request) => {
      await keys.delete(await callerOf(request), id(request));
      return jsonResponse(204);
    },
    [`POST ${one}/revoke`]: async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await keys.revoke(await callerOf(request), id(request)));
    },
    [`POST ${one}/enable`]: async (request) => {
      parseBody(request, emptySchema);
      return jsonResponse(200, await keys.enable(await callerOf(request), id(request)));
    },
    [`POST ${one}/rotate`]: async (request) => {
      const { gracePeriodHours } = parseBody(request, rotateKeySchema);
      const caller = await callerOf(request);
      return once(
        request,
        async () => jsonResponse(201, await keys.rotate(caller, id(request), gracePeriodHours ?? 0)),
        () => keys.authorizeRotate(caller, id(request)),
      );
    },
  };
}

/** What the key routes need: the key service's dependencies, and idempotency if wanted. */
export type KeyRouteDeps = KeyServiceDeps & { readonly idempotency?: Idempotency };

/** The tenant key-management routes over a {@link KeyService}: the caller is the authorizer's. */
export function createKeyRoutes(deps: KeyRouteDeps): Record<string, RouteHandler> {
  return keyRoutes(new KeyService(deps), {
    base: '/v1/keys',
    idParameter: 'id',
    callerOf: async (request) => request.caller,
    ...(deps.idempotency === undefined ? {} : { idempotency: deps.idempotency }),
  });
}

/** The keys Lambda's handler over API Gateway proxy events. */
export const createKeysHandler = (deps: KeyRouteDeps) => proxyHandler(createKeyRoutes(deps), deps.logger);
