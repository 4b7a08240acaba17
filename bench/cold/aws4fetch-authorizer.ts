/** The authorizer's entry with the aws4fetch reader it had before issue 13's cold-start work: a reference. */
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { ThrottledLastUse } from '../../lambdas/core/auth/authorize';
import { systemClock } from '../../lambdas/core/support/clock';
import { jsonLogger } from '../../lambdas/core/support/logger';
import { booleanFromEnv, jsonFromEnv, stringFromEnv } from '../../lambdas/runtime/env';
import { parseRouteRoles } from '../../lambdas/runtime/route-roles';
import { aws4fetchKeyReader } from './aws4fetch-key-reader';

const logger = jsonLogger({ function: 'authorizer' });
const keys = aws4fetchKeyReader({
  tableName: stringFromEnv('TABLE_NAME'),
  region: stringFromEnv('AWS_REGION'),
  accessKeyId: stringFromEnv('AWS_ACCESS_KEY_ID'),
  secretAccessKey: stringFromEnv('AWS_SECRET_ACCESS_KEY'),
  ...(process.env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: process.env.AWS_SESSION_TOKEN }),
  ...(process.env.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: process.env.DYNAMODB_ENDPOINT }),
});

export const handler = createAuthorizerHandler({
  store: keys,
  prefix: stringFromEnv('KEY_PREFIX'),
  acceptBareKeys: booleanFromEnv('ACCEPT_BARE_KEYS', true),
  clock: systemClock,
  logger,
  lastUse: new ThrottledLastUse(keys, logger),
  routeRoles: parseRouteRoles(jsonFromEnv<unknown>('ROUTE_ROLES')),
});
