import { keyRoutes, type KeyRouteDeps } from '../core/http/key-routes';
import type { RouteHandler } from '../core/http/http';
import { usageRouteDeps } from '../core/http/usage-routes';
import { KeyService } from '../core/keys/key-service';
import { proxyHandler } from '../runtime/proxy';
import { signOutRoutes } from '../core/http/session-routes';
import { sessionServiceOf } from '../core/sessions/wiring';

/**
 * The tenant key-management routes over a {@link KeyService}: the caller is the authorizer's; and a
 * session's sign-out (`DELETE /v1/session`).
 */
export function createKeyRoutes(deps: KeyRouteDeps): Record<string, RouteHandler> {
  return { ...keys(deps), ...signOutRoutes(sessionServiceOf(deps)) };
}

function keys(deps: KeyRouteDeps): Record<string, RouteHandler> {
  return keyRoutes(new KeyService(deps), {
    base: '/v1/keys',
    idParameter: 'id',
    callerOf: async (request) => request.caller,
    usage: usageRouteDeps(deps, deps.clock),
    ...(deps.idempotency === undefined ? {} : { idempotency: deps.idempotency }),
  });
}

/** The keys Lambda's handler over API Gateway proxy events. */
export const createKeysHandler = (deps: KeyRouteDeps) => proxyHandler(createKeyRoutes(deps), deps.logger, deps.clock);
