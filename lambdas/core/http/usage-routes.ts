import { jsonResponse, validate, type ApiRequest, type RouteHandler } from './http';
import { usageQuerySchema, usageRankingQuerySchema } from './schemas/usage';
import type { KeyService } from '../keys/key-service';
import type { AuthorizerContext } from '../model';
import type { Clock } from '../support/clock';
import type { UsageRetention } from '../usage/counters';
import {
  rankTenants,
  readKeyUsage,
  readUsage,
  usageWindow,
  type UsageAnswer,
  type UsageWindow,
} from '../usage/usage-query';
import { NO_USAGE, type UsageStore } from '../usage/usage-store';

/** What the usage routes read. */
export interface UsageRouteDeps {
  readonly store: UsageStore;
  readonly clock: Clock;
  /** How long buckets are kept: a window may not be longer. @default - 35 days of hours, 400 of days */
  readonly retention?: UsageRetention;
}

/** Where a handler's usage counters are, if it has any. */
export interface UsageOptions {
  /** The counters. @default - none are kept ({@link NO_USAGE}): every count is 0 */
  readonly usageStore?: UsageStore;
  /** How long buckets are kept. @default - 35 days of hours, 400 of days */
  readonly usageRetention?: UsageRetention;
}

/** The usage routes' dependencies from a handler's options and clock. */
export function usageRouteDeps(options: UsageOptions, clock: Clock): UsageRouteDeps {
  return {
    store: options.usageStore ?? NO_USAGE,
    clock,
    ...(options.usageRetention === undefined ? {} : { retention: options.usageRetention }),
  };
}

/** The window a request's query asks for (400 for a malformed or too long one). */
export function requestedWindow(request: ApiRequest, deps: UsageRouteDeps): UsageWindow {
  const query = validate(usageQuerySchema, request.query, 'query');
  return usageWindow(query, deps.clock(), deps.retention);
}

/** A tenant's counts over the requested window (both environments' keys together). */
export async function tenantUsage(request: ApiRequest, tenantId: string, deps: UsageRouteDeps): Promise<UsageAnswer> {
  return readUsage(deps.store, 'tenant', tenantId, requestedWindow(request, deps));
}

/**
 * `GET <keys>/{id}/usage`: one key's counts and sources. The key is read first as the caller may
 * see it, so another tenant's key (or one outside a workspace) is 404 like everywhere else.
 */
export function keyUsageRoute(
  keys: KeyService,
  deps: UsageRouteDeps,
  callerOf: (request: ApiRequest) => Promise<AuthorizerContext>,
  idOf: (request: ApiRequest) => string,
): RouteHandler {
  return async (request) => {
    const window = requestedWindow(request, deps);
    const key = await keys.get(await callerOf(request), idOf(request));
    return jsonResponse(200, await readKeyUsage(deps.store, key.id, window));
  };
}

/** `GET /v1/panel/usage`: tenants ranked over whole days, for finding the noisy ones. */
export function tenantRankingRoute(deps: UsageRouteDeps): RouteHandler {
  return async (request) => {
    const query = validate(usageRankingQuerySchema, request.query, 'query');
    const window = usageWindow({ from: query.from, to: query.to, granularity: 'day' }, deps.clock(), deps.retention);
    return jsonResponse(200, await rankTenants(deps.store, window, query.sort ?? 'requests', query.limit ?? 10));
  };
}
