import { ThrottledLastUse } from '../core/auth/authorize';
import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { booleanFromEnv, jsonFromEnv, stringFromEnv } from '../runtime/env';
import { parseRouteRoles } from '../runtime/route-roles';
import { SignedKeyReader } from '../runtime/signed-key-reader';
import { createAuthorizerHandler } from './handler';

const logger = jsonLogger({ function: 'authorizer' });

/**
 * The authorizer's one read and one write are signed requests over `node:https` (SigV4 on
 * `node:crypto`), not the AWS SDK nor `fetch`: it is on every uncached request's path, and the
 * SDK's load, or Node's first `fetch` and WebCrypto, were most of its cold start. Lambda puts the
 * function's session credentials in the environment.
 */
const keys = new SignedKeyReader({
  tableName: stringFromEnv('TABLE_NAME'),
  region: stringFromEnv('AWS_REGION'),
  accessKeyId: stringFromEnv('AWS_ACCESS_KEY_ID'),
  secretAccessKey: stringFromEnv('AWS_SECRET_ACCESS_KEY'),
  ...(process.env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: process.env.AWS_SESSION_TOKEN }),
  ...(process.env.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: process.env.DYNAMODB_ENDPOINT }),
});

/** The Lambda entry: settings and clients are built once per container. */
export const handler = createAuthorizerHandler({
  store: keys,
  prefix: stringFromEnv('KEY_PREFIX'),
  acceptBareKeys: booleanFromEnv('ACCEPT_BARE_KEYS', true),
  clock: systemClock,
  logger,
  lastUse: new ThrottledLastUse(keys, logger),
  routeRoles: parseRouteRoles(jsonFromEnv<unknown>('ROUTE_ROLES')),
});
