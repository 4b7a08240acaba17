import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { Idempotency } from '../core/http/idempotency';
import { idempotencyStore, keyStore } from '../runtime/dynamodb';
import { stageCache, tenantService } from '../runtime/services';
import { settings } from '../runtime/settings';
import { corsOriginsFromEnv, withCors } from '../runtime/cors';
import { createPanelHandler } from './handler';

const logger = jsonLogger({ function: 'panel' });
const tenants = tenantService(logger);

/** The Lambda entry for the `/v1/panel` routes, a tenant's keys among them. */
export const handler = withCors(
  createPanelHandler(tenants, logger, {
    store: keyStore,
    clock: systemClock,
    prefix: settings.keyPrefix,
    keyFormat: settings.keyFormats?.[0],
    acceptedFormats: settings.keyFormats,
    cache: stageCache,
    logger,
    idempotency: new Idempotency({ store: idempotencyStore, clock: systemClock, logger }),
    usage: tenants,
  }),
  corsOriginsFromEnv(),
);
