import { ThrottledLastUse } from '../core/authorize';
import { systemClock } from '../core/clock';
import { jsonLogger } from '../core/logger';
import { booleanFromEnv, jsonFromEnv, stringFromEnv } from '../runtime/env';
import { parseRouteRoles } from '../runtime/route-roles';
import { keyStore } from '../runtime/dynamodb';
import { createAuthorizerHandler } from './handler';

const logger = jsonLogger({ function: 'authorizer' });

/** The Lambda entry: settings and clients are built once per container. */
export const handler = createAuthorizerHandler({
  store: keyStore,
  prefix: stringFromEnv('KEY_PREFIX'),
  acceptBareKeys: booleanFromEnv('ACCEPT_BARE_KEYS', true),
  clock: systemClock,
  logger,
  lastUse: new ThrottledLastUse(keyStore, logger),
  routeRoles: parseRouteRoles(jsonFromEnv<unknown>('ROUTE_ROLES')),
});
