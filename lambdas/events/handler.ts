import * as z from 'zod/mini';
import { EVENT_TYPES } from '../core/events/model';
import type { EventReader } from '../core/events/store';
import { cursorQuerySchema, jsonResponse, limitQuerySchema, validate } from '../core/http/http';
import { KEY_ID_PATTERN } from '../core/keys/key-service';
import type { Logger } from '../core/support/logger';
import { assertLiveOperator } from '../core/http/operator-only';
import { TENANT_ID_PATTERN } from '../core/tenants/tenant-service';
import { proxyHandler, type RouteHandler } from '../runtime/proxy';

/** The query of `GET /v1/events`. */
export const tenantQuerySchema = z.strictObject({
  limit: limitQuerySchema,
  cursor: cursorQuerySchema,
  type: z.optional(z.enum(EVENT_TYPES)),
  keyId: z.optional(z.string().check(z.regex(KEY_ID_PATTERN, 'must be a key id (key_ and 24 hex characters)'))),
});

/** The query of `GET /v1/panel/events`. */
export const panelQuerySchema = z.strictObject({
  limit: limitQuerySchema,
  cursor: cursorQuerySchema,
  tenantId: z.optional(z.string().check(z.regex(TENANT_ID_PATTERN, 'must be a tenant id'))),
});

/** What the event routes need. */
export interface EventsDeps {
  readonly events: EventReader;
  readonly logger: Logger;
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
      const { limit, cursor, tenantId } = validate(panelQuerySchema, query, 'query');
      const page =
        tenantId === undefined ? await deps.events.allEvents(limit ?? 20, cursor) : await deps.events.tenantEvents(tenantId, limit ?? 20, cursor);
      return jsonResponse(200, page);
    },
  };
}

/** The events Lambda's handler over API Gateway proxy events. */
export const createEventsHandler = (deps: EventsDeps) => proxyHandler(createEventRoutes(deps), deps.logger);
