import type { Idempotency } from './idempotency';
import {
  emptySchema,
  jsonResponse,
  parseBody,
  type ApiRequest,
  type PublicRouteHandler,
  type RouteHandler,
} from './http';
import { createSessionSchema, createSignInLinkSchema, signInWithCodeSchema } from './schemas/sessions';
import type { SessionService } from '../sessions/session-service';
import type { SignInLinks } from '../sessions/sign-in-links';

/**
 * The panel's session routes: an operator key mints a session for a member of a tenant
 * (`Idempotency-Key` honoured, as on the panel's other creates; a replay never carries the token)
 * and revokes one. The panel's own guard (live operator) wraps them.
 */
export function panelSessionRoutes(sessions: SessionService, idempotency?: Idempotency): Record<string, RouteHandler> {
  const tenantId = (request: ApiRequest): string => request.pathParameters.tenantId ?? '';
  return {
    'POST /v1/panel/tenants/{tenantId}/sessions': async (request) => {
      const input = parseBody(request, createSessionSchema);
      const create = async () => jsonResponse(201, await sessions.create(request.caller, tenantId(request), input));
      const authorize = async () => sessions.authorizeCreate(request.caller, tenantId(request), input);
      if (idempotency === undefined) return create();
      return idempotency.run(request, request.caller.tenantId, create, authorize);
    },
    'DELETE /v1/panel/tenants/{tenantId}/sessions/{sessionId}': async (request) => {
      await sessions.revoke(request.caller, tenantId(request), request.pathParameters.sessionId ?? '');
      return jsonResponse(204);
    },
  };
}

/** `DELETE /v1/session`: a session ends itself (sign out). */
export function signOutRoutes(sessions: SessionService): Record<string, RouteHandler> {
  return {
    'DELETE /v1/session': async (request) => {
      parseBody(request, emptySchema);
      await sessions.signOut(request.caller);
      return jsonResponse(204);
    },
  };
}

/**
 * `POST /v1/panel/sign-in-links`: a live operator key mints a one-time code for the console (the
 * panel's guard wraps it). No `Idempotency-Key` replay: a replay would have to hold the code, and
 * a retry that mints another costs nothing, as an unused code expires in minutes.
 */
export function signInLinkRoutes(links: () => SignInLinks): Record<string, RouteHandler> {
  return {
    'POST /v1/panel/sign-in-links': async (request) => {
      const { user } = parseBody(request, createSignInLinkSchema);
      return jsonResponse(201, await links().mint(request.caller, user));
    },
  };
}

/**
 * `POST /v1/console/sign-in {code}`, without a key: the code authenticates, once. Its answer is
 * the session, as the panel's session creation answers it.
 */
export function consoleSignInRoutes(links: () => SignInLinks): Record<string, PublicRouteHandler> {
  return {
    'POST /v1/console/sign-in': async (request) => {
      const { code } = parseBody(request, signInWithCodeSchema);
      return jsonResponse(201, await links().exchange(code));
    },
  };
}
