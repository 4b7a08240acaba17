import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { Idempotency } from '../core/http/idempotency';
import { idempotencyStore, sessionStore, usageStore } from '../runtime/dynamodb';
import { keyServiceDeps, tenantService } from '../runtime/services';
import { corsOriginsFromEnv, withCors } from '../runtime/cors';
import { createKeysHandler } from './handler';

const logger = jsonLogger({ function: 'keys' });

/** The Lambda entry for the `/v1/keys` routes. */
export const handler = withCors(
  createKeysHandler({
    ...keyServiceDeps(logger),
    idempotency: new Idempotency({ store: idempotencyStore, clock: systemClock, logger }),
    usageStore,
    sessions: sessionStore,
    usage: tenantService(logger),
  }),
  corsOriginsFromEnv(),
);
