import * as z from 'zod/mini';
import { EVENT_TYPES } from '../../events/model';
import { KEY_ID_PATTERN } from '../../keys/key-service';
import { TENANT_ID_PATTERN } from '../../model';
import { cursorQuerySchema, limitQuerySchema } from '../http';

const filterShape = {
  type: z.optional(z.enum(EVENT_TYPES)),
  keyId: z.optional(z.string().check(z.regex(KEY_ID_PATTERN, 'must be a key id (key_ and 24 hex characters)'))),
};

/** The query of `GET /v1/events`. */
export const tenantQuerySchema = z.strictObject({
  limit: limitQuerySchema,
  cursor: cursorQuerySchema,
  ...filterShape,
});

/** The query of `GET /v1/panel/events`: one tenant's events or every tenant's, by type and key. */
export const panelQuerySchema = z.strictObject({
  limit: limitQuerySchema,
  cursor: cursorQuerySchema,
  tenantId: z.optional(z.string().check(z.regex(TENANT_ID_PATTERN, 'must be a tenant id'))),
  ...filterShape,
});
