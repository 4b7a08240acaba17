import type { EventReader } from '../core/events/store';
import { jsonResponse, validate, type RouteHandler } from '../core/http/http';
import { panelQuerySchema, tenantQuerySchema } from '../core/http/schemas/events';
import type { Logger } from '../core/support/logger';
import type { Clock } from '../core/support/clock';
import { assertLiveOperator } from '../core/http/operator-only';
import { proxyHandler } from '../runtime/proxy';

/** What the event routes need. */
export interface EventsDeps {
  readonly events: EventReader;
  readonly logger: Logger;
  /** Tells a session that has ended. @default - the system clock */
  readonly clock?: Clock;
}

/**
 * `GET /v1/events`, a tenant's own audit trail (a test key sees test-environment events only),
 * and `GET /v1/panel/events`, every tenant's, for live operator keys. Newest first, paginated.
 */
export function createEventRoutes(deps: EventsDeps): Record<string, RouteHandler> {
  return {
    'GET /v1/events': async ({ caller, query }) => {
      const { limit, cursor, type, keyId } = validate(tenantQuerySchema, query, 'query');
      // the tenant comes from the authorizer only: no query field can name another one.
      const page = await deps.events.tenantEvents(caller.tenantId, limit ?? 20, cursor, {
        ...(type === undefined ? {} : { type }),
        ...(keyId === undefined ? {} : { keyId }),
        ...(caller.environment === 'test' ? { environment: 'test' as const } : {}),
      });
      return jsonResponse(200, page);
    },
    'GET /v1/panel/events': async ({ caller, query }) => {
      assertLiveOperator(caller);
      const { limit, cursor, tenantId, type, keyId } = validate(panelQuerySchema, query, 'query');
      const filter = { ...(type === undefined ? {} : { type }), ...(keyId === undefined ? {} : { keyId }) };
      const page =
        tenantId === undefined
          ? await deps.events.allEvents(limit ?? 20, cursor, filter)
          : await deps.events.tenantEvents(tenantId, limit ?? 20, cursor, filter);
      return jsonResponse(200, page);
    },
  };
}

/** The events Lambda's handler over API Gateway proxy events. */
export const createEventsHandler = (deps: EventsDeps) => proxyHandler(createEventRoutes(deps), deps.logger, deps.clock);
