import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { keyStore, usageStore } from '../runtime/dynamodb';
import { tenantService } from '../runtime/services';
import { corsOriginsFromEnv, withCors } from '../runtime/cors';
import { createAccountHandler } from './handler';

const logger = jsonLogger({ function: 'account' });

/** The Lambda entry for `GET /v1/me` and `GET /v1/usage`. */
export const handler = withCors(
  createAccountHandler({
    store: keyStore,
    clock: systemClock,
    logger,
    tenants: tenantService(logger),
    usageStore,
  }),
  corsOriginsFromEnv(),
);
