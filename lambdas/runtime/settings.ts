import type { NamedPlan, StandardPlan } from '../core/plans/usage-plans';
import { jsonFromEnv, stringFromEnv } from './env';
import { keyFormatsFromEnv } from './key-formats';
import { ENV } from './env-names';

/** Settings the management Lambdas share, read once when a module loads. */
export const settings = {
  keyPrefix: stringFromEnv(ENV.keyPrefix),
  /** The accepted key formats, new keys' first; the default format under `keyPrefix` when absent. */
  keyFormats: keyFormatsFromEnv(ENV.keyFormats),
  restApiId: stringFromEnv(ENV.restApiId),
  stageName: stringFromEnv(ENV.stageName),
  namePrefix: stringFromEnv(ENV.namePrefix),
  /** The shared plans by usage plan name; ids are looked up on first use. */
  plans: jsonFromEnv<Record<StandardPlan, NamedPlan>>(ENV.plans),
};
