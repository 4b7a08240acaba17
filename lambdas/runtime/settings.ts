import type { NamedPlan, StandardPlan } from '../core/plans/usage-plans';
import { jsonFromEnv, stringFromEnv } from './env';

/** Settings the management Lambdas share, read once when a module loads. */
export const settings = {
  keyPrefix: stringFromEnv('KEY_PREFIX'),
  restApiId: stringFromEnv('REST_API_ID'),
  stageName: stringFromEnv('STAGE_NAME'),
  namePrefix: stringFromEnv('NAME_PREFIX'),
  /** The shared plans by usage plan name; ids are looked up on first use. */
  plans: jsonFromEnv<Record<StandardPlan, NamedPlan>>('PLANS'),
};
