import { SQSClient } from '@aws-sdk/client-sqs';
import { SettlingCacheFlusher } from '../core/cache';
import { systemClock } from '../core/clock';
import type { Logger } from '../core/logger';
import { TenantService } from '../core/tenant-service';
import { lazyCatalog } from '../core/usage-plans';
import { ApiGatewayUsagePlans, apiGatewayClient, controlPlaneClient, flushStagesFromEnv, StagesCacheFlusher } from './api-gateway';
import { keyStore } from './dynamodb';
import { jsonFromEnv, numberFromEnv, stringFromEnv } from './env';
import { SqsFlushQueue } from './flush-queue';
import { settings } from './settings';

// every stage the key authorizer protects, keygate's own first.
const stage = new StagesCacheFlusher(apiGatewayClient, flushStagesFromEnv(jsonFromEnv('FLUSH_STAGES')));

/**
 * The cache flusher for this deployment's stage: a flush now, and a second one through the
 * flush queue once every authorization in flight has ended.
 */
export const stageCache = new SettlingCacheFlusher({
  flushNow: () => stage.flush(),
  queue: new SqsFlushQueue(new SQSClient({}), stringFromEnv('FLUSH_QUEUE_URL')),
  settleMs: numberFromEnv('FLUSH_SETTLE_SECONDS') * 1000,
  clock: systemClock,
});

const usagePlans = new ApiGatewayUsagePlans(controlPlaneClient, { restApiId: settings.restApiId, stageName: settings.stageName });
const plans = lazyCatalog(settings.plans, (names) => usagePlans.findUsagePlanIds(names));

/** A tenant service over this deployment's table and usage plans. */
export function tenantService(logger: Logger): TenantService {
  return new TenantService({
    store: keyStore,
    usagePlans,
    plans,
    prefix: settings.keyPrefix,
    clock: systemClock,
    cache: stageCache,
    logger,
    namePrefix: settings.namePrefix,
  });
}
