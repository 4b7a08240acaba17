import { systemClock } from '../core/clock';
import { jsonLogger } from '../core/logger';
import { apiGatewayClient, StageCacheFlusher } from '../runtime/api-gateway';
import { keyStore } from '../runtime/dynamodb';
import { stringFromEnv } from '../runtime/env';
import { createKeysHandler } from './handler';

/** The Lambda entry for the `/v1/keys` routes. */
export const handler = createKeysHandler({
  store: keyStore,
  clock: systemClock,
  prefix: stringFromEnv('KEY_PREFIX'),
  cache: new StageCacheFlusher(apiGatewayClient, stringFromEnv('REST_API_ID'), stringFromEnv('STAGE_NAME')),
  logger: jsonLogger({ function: 'keys' }),
});
