import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { Idempotency } from '../core/http/idempotency';
import { idempotencyStore, keyStore } from '../runtime/dynamodb';
import { stageCache, tenantService } from '../runtime/services';
import { settings } from '../runtime/settings';
import { corsOriginsFromEnv, withCors } from '../runtime/cors';
import { createKeysHandler } from './handler';

const logger = jsonLogger({ function: 'keys' });

/** The Lambda entry for the `/v1/keys` routes. */
export const handler = withCors(
  createKeysHandler({
    store: keyStore,
    clock: systemClock,
    prefix: settings.keyPrefix,
    keyFormat: settings.keyFormats?.[0],
    acceptedFormats: settings.keyFormats,
    cache: stageCache,
    logger,
    idempotency: new Idempotency({ store: idempotencyStore, clock: systemClock, logger }),
    usage: tenantService(logger),
  }),
  corsOriginsFromEnv(),
);
