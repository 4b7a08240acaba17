import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { Idempotency } from '../core/http/idempotency';
import { idempotencyStore, sessionStore, signInCodes, usageStore } from '../runtime/dynamodb';
import { keyServiceDeps, tenantService } from '../runtime/services';
import { corsOriginsFromEnv, withCors } from '../runtime/cors';
import { createPanelHandler } from './handler';

const logger = jsonLogger({ function: 'panel' });
const tenants = tenantService(logger);

/** The Lambda entry for the `/v1/panel` routes, a tenant's keys among them. */
export const handler = withCors(
  createPanelHandler(tenants, logger, {
    ...keyServiceDeps(logger),
    idempotency: new Idempotency({ store: idempotencyStore, clock: systemClock, logger }),
    usageStore,
    sessions: sessionStore,
    signInCodes,
    usage: tenants,
  }),
  corsOriginsFromEnv(),
);
