import { BadRequestException } from '@aws-sdk/client-api-gateway';
import type { QuotaPeriod } from '../lambdas/core/plans/quota';

/** A usage plan as `FakeApiGateway` holds it. */
export interface StoredPlan {
  readonly name: string;
  /** The tags given at creation. */
  readonly tags?: Record<string, string>;
  throttle: { rateLimit: number; burstLimit: number };
  quota?: { limit: number; period: QuotaPeriod };
  /** `apiId:stage`, the form `UpdateUsagePlan` names a stage in. */
  stages: string[];
  readonly keys: Set<string>;
}

/** API Gateway's answer to a request it cannot take as given. */
export function badRequest(message: string): BadRequestException {
  return new BadRequestException({ message, $metadata: {} });
}

const QUOTA_PERIODS: readonly string[] = ['DAY', 'WEEK', 'MONTH'];

/**
 * One `UpdateUsagePlan` patch operation on the plan being built, on the paths keygate uses; any
 * other path is refused as API Gateway refuses an invalid one.
 *
 * @throws BadRequestException for an invalid path, value, stage, or a quota the plan lacks.
 */
export function applyPatch(plan: StoredPlan, op: string, path: string, value: string | undefined): void {
  const number = (): number => {
    const parsed = Number(value);
    if (value === undefined || value === '' || !Number.isFinite(parsed))
      throw badRequest(`Invalid value for ${path}: ${String(value)}`);
    return parsed;
  };
  const on = `${op} ${path}`;
  if (on === 'replace /throttle/rateLimit') plan.throttle.rateLimit = number();
  else if (on === 'replace /throttle/burstLimit') plan.throttle.burstLimit = number();
  else if ((op === 'add' || op === 'replace') && (path === '/quota/limit' || path === '/quota/period')) {
    if (op === 'replace' && plan.quota === undefined)
      throw badRequest(`Cannot replace ${path}: the usage plan has no quota`);
    if (path === '/quota/limit') plan.quota = { period: plan.quota?.period ?? 'DAY', limit: number() };
    else if (!QUOTA_PERIODS.includes(value ?? ''))
      throw badRequest(`Invalid quota period ${String(value)}: must be one of ${QUOTA_PERIODS.join(', ')}`);
    else plan.quota = { limit: plan.quota?.limit ?? 0, period: value as QuotaPeriod };
  } else if (on === 'remove /quota') {
    if (plan.quota === undefined) throw badRequest('Cannot remove /quota: the usage plan has no quota');
    delete plan.quota;
  } else if (on === 'remove /apiStages') {
    if (value === undefined || !plan.stages.includes(value)) throw badRequest('Invalid API Stage specified');
    plan.stages = plan.stages.filter((stage) => stage !== value);
  } else if (on === 'add /apiStages') {
    if (value === undefined || !/^[^:]+:[^:]+$/.test(value)) throw badRequest('Invalid API Stage specified');
    if (!plan.stages.includes(value)) plan.stages.push(value);
  } else {
    throw badRequest(`Invalid patch path '${path}' specified for op '${op}'`);
  }
}
