/**
 * The SDK baseline: the same authorizer reading through `@aws-sdk/lib-dynamodb`
 * (`DynamoKeyStore`, a `GetCommand` and the `lastUsedAt` `UpdateCommand`), as keygate's
 * authorizer would be without its own signed transport. `DYNAMODB_ENDPOINT` points it at
 * DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { ThrottledLastUse } from '../../lambdas/core/auth/authorize';
import { systemClock } from '../../lambdas/core/support/clock';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { jsonLogger } from '../../lambdas/core/support/logger';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { booleanFromEnv, stringFromEnv } from '../../lambdas/runtime/env';
import { keyFormatsFromEnv } from '../../lambdas/runtime/key-formats';

const logger = jsonLogger({ function: 'authorizer' });
const store = new DynamoKeyStore({
  client: documentClient(
    new DynamoDBClient(process.env.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: process.env.DYNAMODB_ENDPOINT }),
  ),
  tableName: stringFromEnv('TABLE_NAME'),
});

export const handler = createAuthorizerHandler({
  store,
  prefix: stringFromEnv('KEY_PREFIX'),
  formats: keyFormatsFromEnv('KEY_FORMATS'),
  acceptBareKeys: booleanFromEnv('ACCEPT_BARE_KEYS', true),
  clock: systemClock,
  logger,
  lastUse: new ThrottledLastUse(store, logger),
});
