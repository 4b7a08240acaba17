import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SettlingCacheFlusher, type AuthorizerCacheFlusher } from '../core/auth/cache';
import { systemClock } from '../core/support/clock';
import type { Logger } from '../core/support/logger';
import { PlanReconciler, type ReconcileRequests } from '../core/plans/plan-reconciler';
import type { KeyServiceDeps } from '../core/keys/key-service';
import { TenantService } from '../core/tenants/tenant-service';
import { lazyCatalog } from '../core/plans/usage-plans';
import { apiGatewayClient, controlPlaneClient } from './api-gateway';
import { ApiGatewayUsagePlans } from './api-gateway-usage-plans';
import { flushStagesFromEnv, StagesCacheFlusher } from './stage-cache-flusher';
import { keyStore } from './dynamodb';
import { jsonFromEnv, numberFromEnv, stringFromEnv } from './env';
import { ENV } from './env-names';
import { SqsFlushQueue } from './flush-queue';
import { SchedulerFlushScheduler } from './flush-scheduler';
import { reconcilerBackoff, SqsReconcileQueue } from './reconcile-queue';
import { settings } from './settings';

const sqs = new SQSClient({});

/**
 * Built on first use, not at load: only the functions that change keys or tenants flush the
 * authorizer cache, and only they get the flush settings (`FLUSH_*`) from the stack. The account
 * function reads usage through the same tenant service and must load without them.
 */
function settlingFlusher(): AuthorizerCacheFlusher {
  let flusher: SettlingCacheFlusher | undefined;
  const built = (): SettlingCacheFlusher => {
    if (flusher !== undefined) return flusher;
    // every stage the key authorizer protects, keygate's own first.
    const stages = new StagesCacheFlusher(apiGatewayClient, flushStagesFromEnv(jsonFromEnv(ENV.flushStages)));
    flusher = new SettlingCacheFlusher({
      flushNow: () => stages.flush(),
      queue: new SqsFlushQueue(sqs, stringFromEnv(ENV.flushQueueUrl)),
      // read when a grace end is scheduled: only the functions that rotate keys have them.
      scheduler: new SchedulerFlushScheduler(new SchedulerClient({}), () => ({
        groupName: stringFromEnv(ENV.flushScheduleGroup),
        queueArn: stringFromEnv(ENV.flushQueueArn),
        roleArn: stringFromEnv(ENV.flushScheduleRoleArn),
        deadLetterArn: stringFromEnv(ENV.flushDeadLetterArn),
      })),
      settleMs: numberFromEnv(ENV.flushSettleSeconds) * 1000,
      clock: systemClock,
    });
    return flusher;
  };
  return { flush: () => built().flush(), flushAt: (at, key) => built().flushAt(at, key) };
}

/**
 * The cache flusher for this deployment's stages: a flush now, and a second one through the
 * flush queue once every authorization in flight has ended.
 */
export const stageCache: AuthorizerCacheFlusher = settlingFlusher();

const usagePlans = new ApiGatewayUsagePlans(controlPlaneClient, {
  restApiId: settings.restApiId,
  stageName: settings.stageName,
  otherStages: settings.usagePlanStages,
  stackTag: settings.namePrefix,
});
const plans = lazyCatalog(settings.plans, (names) => usagePlans.findUsagePlanIds(names));
/**
 * Plan changes go to the reconcile queue. Only the panel changes plans, so only its function
 * has the queue's URL (and may send); another function that tried would fail loudly here.
 */
const reconcileRequests: ReconcileRequests = {
  request: (tenantId, generation) =>
    new SqsReconcileQueue(sqs, stringFromEnv(ENV.reconcileQueueUrl)).request(tenantId, generation),
};

/** What every key service of this deployment shares: its table, its stage's cache and its key formats. */
export function keyServiceDeps(logger: Logger): KeyServiceDeps {
  return {
    store: keyStore,
    clock: systemClock,
    prefix: settings.keyPrefix,
    keyFormat: settings.keyFormats?.[0],
    acceptedFormats: settings.keyFormats,
    cache: stageCache,
    logger,
  };
}

/** A tenant service over this deployment's table and usage plans. */
export function tenantService(logger: Logger): TenantService {
  return new TenantService({
    store: keyStore,
    usagePlans,
    plans,
    prefix: settings.keyPrefix,
    keyFormat: settings.keyFormats?.[0],
    clock: systemClock,
    cache: stageCache,
    logger,
    namePrefix: settings.namePrefix,
    reconcile: reconcileRequests,
  });
}

/**
 * The plan reconciler of this deployment. Its own API Gateway retries are patient (a throttled
 * `UpdateUsagePlan` frees up after 20 s); past them, the queue redelivers the request later.
 */
export function planReconciler(logger: Logger): PlanReconciler {
  return new PlanReconciler({
    store: keyStore,
    usagePlans: new ApiGatewayUsagePlans(controlPlaneClient, {
      restApiId: settings.restApiId,
      stageName: settings.stageName,
      otherStages: settings.usagePlanStages,
      stackTag: settings.namePrefix,
      backoff: reconcilerBackoff(),
    }),
    plans,
    cache: stageCache,
    clock: systemClock,
    logger,
    namePrefix: settings.namePrefix,
    retireAfterMs: numberFromEnv(ENV.flushSettleSeconds) * 1000,
  });
}
