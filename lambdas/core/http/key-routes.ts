import type { Idempotency } from './idempotency';
import {
  emptySchema,
  jsonResponse,
  parseBody,
  validate,
  type ApiRequest,
  type HttpResponse,
  type RouteHandler,
} from './http';
import { createKeySchema, listKeysQuerySchema, rotateKeySchema, updateKeySchema } from './schemas/keys';
import { keyUsageRoute, type UsageOptions, type UsageRouteDeps } from './usage-routes';
import type { KeyService, KeyServiceDeps } from '../keys/key-service';
import type { AuthorizerContext } from '../model';
import type { SessionStore } from '../sessions/store';
import type { SignInCodeStore } from '../sessions/dynamodb-sign-in-codes';

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
   * key that calls. @default - the header is ignored.
   */
  readonly idempotency?: Idempotency;
  /** Where `GET .../{id}/usage` reads a key's counters. */
  readonly usage: UsageRouteDeps;
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
    [`GET ${one}/usage`]: keyUsageRoute(keys, mount.usage, callerOf, id),
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

/**
 * What the key routes need: the key service's dependencies, idempotency if wanted, where
 * sessions live (sign-out on `/v1/session`, minting and revoking on the panel), and the usage
 * counters.
 */
export type KeyRouteDeps = KeyServiceDeps & {
  readonly idempotency?: Idempotency;
  readonly sessions?: SessionStore;
  /** Where the console's one-time sign-in codes live. @default - none: their routes fail loudly */
  readonly signInCodes?: SignInCodeStore;
} & UsageOptions;
