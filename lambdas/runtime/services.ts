import { systemClock } from '../core/clock';
import type { Logger } from '../core/logger';
import { TenantService } from '../core/tenant-service';
import { lazyCatalog } from '../core/usage-plans';
import { ApiGatewayUsagePlans, apiGatewayClient, controlPlaneClient, StageCacheFlusher } from './api-gateway';
import { keyStore } from './dynamodb';
import { settings } from './settings';

/** The cache flusher for this deployment's stage. */
export const stageCache = new StageCacheFlusher(apiGatewayClient, settings.restApiId, settings.stageName);

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
