import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock } from '../../lambdas/core/support/clock';
import { jsonLogger } from '../../lambdas/core/support/logger';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { stringFromEnv } from '../../lambdas/runtime/env';
import { createReturnOrdersHandler } from './handler';

/** The Lambda entry: clients and settings built once per container. */
export const handler = createReturnOrdersHandler({
  client: documentClient(new DynamoDBClient({})),
  tableName: stringFromEnv('TABLE_NAME'),
  clock: systemClock,
  logger: jsonLogger({ function: 'return-orders' }),
});
