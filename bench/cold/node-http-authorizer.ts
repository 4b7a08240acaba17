/** The authorizer's entry with {@link NodeHttpKeyReader} in place of aws4fetch: a measured what-if. */
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { ThrottledLastUse } from '../../lambdas/core/auth/authorize';
import { systemClock } from '../../lambdas/core/support/clock';
import { jsonLogger } from '../../lambdas/core/support/logger';
import { booleanFromEnv, stringFromEnv } from '../../lambdas/runtime/env';
import { NodeHttpKeyReader } from './node-http-key-reader';

const logger = jsonLogger({ function: 'authorizer' });
const keys = new NodeHttpKeyReader({
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
});
