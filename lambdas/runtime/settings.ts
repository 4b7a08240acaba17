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
  /** The guarded API's stage, which usage plans made at run time are bound to as well; none without it. */
  usagePlanStages: process.env[ENV.usagePlanStages] === undefined ? [] : stagesOf(jsonFromEnv(ENV.usagePlanStages)),
  namePrefix: stringFromEnv(ENV.namePrefix),
  /** The shared plans by usage plan name; ids are looked up on first use. */
  plans: jsonFromEnv<Record<StandardPlan, NamedPlan>>(ENV.plans),
};

/** `USAGE_PLAN_STAGES`, checked when a module loads: a malformed list fails loudly, not at the first plan. */
function stagesOf(value: unknown): { restApiId: string; stageName: string }[] {
  const valid = (stage: unknown): stage is { restApiId: string; stageName: string } =>
    typeof stage === 'object' &&
    stage !== null &&
    typeof (stage as { restApiId: unknown }).restApiId === 'string' &&
    typeof (stage as { stageName: unknown }).stageName === 'string';
  if (!Array.isArray(value) || !value.every(valid)) {
    throw new Error(`${ENV.usagePlanStages} must be a JSON list of {restApiId, stageName}`);
  }
  return value.map(({ restApiId, stageName }) => ({ restApiId, stageName }));
}
