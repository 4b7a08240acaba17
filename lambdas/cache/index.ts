import { SQSClient } from '@aws-sdk/client-sqs';
import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { apiGatewayClient } from '../runtime/api-gateway';
import { flushStagesFromEnv, StagesCacheFlusher } from '../runtime/stage-cache-flusher';
import { jsonFromEnv, numberFromEnv, stringFromEnv } from '../runtime/env';
import { SqsFlushQueue } from '../runtime/flush-queue';
import { createCacheFlushHandler } from './handler';

const logger = jsonLogger({ function: 'cache-flush' });
const stage = new StagesCacheFlusher(apiGatewayClient, flushStagesFromEnv(jsonFromEnv('FLUSH_STAGES')));

/** The Lambda entry for the flush queue. */
export const handler = createCacheFlushHandler({
  flushNow: () => stage.flush(),
  queue: new SqsFlushQueue(new SQSClient({}), stringFromEnv('FLUSH_QUEUE_URL')),
  settleMs: numberFromEnv('FLUSH_SETTLE_SECONDS') * 1000,
  clock: systemClock,
  logger,
});
