import type { Idempotency } from './idempotency';
import { emptySchema, jsonResponse, parseBody, type ApiRequest, type RouteHandler } from './http';
import { createSessionSchema } from './schemas/sessions';
import type { SessionService } from '../sessions/session-service';

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
