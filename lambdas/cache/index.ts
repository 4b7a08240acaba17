import { SQSClient } from '@aws-sdk/client-sqs';
import { FLUSH_PACE_MS } from '../core/auth/flush-batch';
import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { sleep } from '../core/support/retry';
import { apiGatewayClient } from '../runtime/api-gateway';
import { flushStagesFromEnv, StagesCacheFlusher } from '../runtime/stage-cache-flusher';
import { jsonFromEnv, numberFromEnv, stringFromEnv } from '../runtime/env';
import { ENV } from '../runtime/env-names';
import { SqsFlushQueue } from '../runtime/flush-queue';
import { createCacheFlushHandler } from './handler';

const logger = jsonLogger({ function: 'cache-flush' });
const stage = new StagesCacheFlusher(apiGatewayClient, flushStagesFromEnv(jsonFromEnv(ENV.flushStages)));

/** The Lambda entry for the flush queue. */
export const handler = createCacheFlushHandler({
  flushNow: () => stage.flush(),
  queue: new SqsFlushQueue(new SQSClient({}), stringFromEnv(ENV.flushQueueUrl)),
  settleMs: numberFromEnv(ENV.flushSettleSeconds) * 1000,
  clock: systemClock,
  paceMs: FLUSH_PACE_MS,
  sleep,
  logger,
});
