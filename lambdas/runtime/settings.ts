import type { PlanCatalog } from '../core/usage-plans';
import { jsonFromEnv, stringFromEnv } from './env';

/** Settings the management Lambdas share, read once when a module loads. */
export const settings = {
  keyPrefix: stringFromEnv('KEY_PREFIX'),
  restApiId: stringFromEnv('REST_API_ID'),
  stageName: stringFromEnv('STAGE_NAME'),
  namePrefix: stringFromEnv('NAME_PREFIX'),
  plans: jsonFromEnv<PlanCatalog>('PLAN_CATALOG'),
};
