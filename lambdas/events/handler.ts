import { z } from 'zod';
import { EVENT_TYPES } from '../core/events/model';
import type { EventReader } from '../core/events/store';
import { jsonResponse, validate } from '../core/http/http';
import { KEY_ID_PATTERN } from '../core/keys/key-service';
import type { Logger } from '../core/support/logger';
import { assertLiveOperator } from '../core/http/operator-only';
import { TENANT_ID_PATTERN } from '../core/tenants/tenant-service';
import { proxyHandler, type RouteHandler } from '../runtime/proxy';

const limitSchema = z
  .string()
  .regex(/^\d+$/, 'must be a whole number from 1 to 100')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be from 1 to 100').max(100, 'must be from 1 to 100'))
  .optional();

const tenantQuerySchema = z.strictObject({
  limit: limitSchema,
  cursor: z.string().min(1).max(1024).optional(),
  type: z.enum(EVENT_TYPES).optional(),
  keyId: z.string().regex(KEY_ID_PATTERN, 'must be a key id (key_ and 24 hex characters)').optional(),
});

const panelQuerySchema = z.strictObject({
  limit: limitSchema,
  cursor: z.string().min(1).max(1024).optional(),
  tenantId: z.string().regex(TENANT_ID_PATTERN, 'must be a tenant id').optional(),
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
