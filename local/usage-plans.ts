import type { PlanLimits } from '../lambdas/core/model';
import { quotaPeriodBounds } from '../lambdas/core/plans/quota';
import { ApiGatewayUsagePlans } from '../lambdas/runtime/api-gateway-usage-plans';
import { FakeApiGateway } from './fake-api-gateway';
import type { UsageCheck } from './gateway';
import { RateLimiter } from './rate-limiter';

/**
 * The stage every local usage plan is bound to, as `apiId:stage`, and the `keygate:stack` tag
 * the create calls carry, as the Lambdas' do in AWS.
 */
const LOCAL_API = { restApiId: 'local', stageName: 'local', stackTag: 'local' };
const LOCAL_STAGE = `${LOCAL_API.restApiId}:${LOCAL_API.stageName}`;

/**
 * API Gateway's usage plans and API keys, in process: the adapter the Lambdas use in AWS
 * ({@link ApiGatewayUsagePlans}), unchanged, over {@link FakeApiGateway}, plus the enforcement
 * API Gateway does on each request (a token bucket per API key and usage plan with the plan's
 * rate and burst, and its quota), fed to the local gateway as its {@link UsageCheck}.
 */
export class LocalUsagePlans extends ApiGatewayUsagePlans {
  readonly limiter: RateLimiter;
  /** The in-process API Gateway, for tests that look at what it holds. */
  readonly api: FakeApiGateway;

  constructor(now: () => number = Date.now) {
    // GetUsage reads the limiter's counts, which exist only once this object does.
    const counts: { usedInRange?: (usagePlanId: string, apiKeyId: string, from: string, to: string) => number } = {};
    const api = new FakeApiGateway({ usage: (...range) => counts.usedInRange?.(...range) ?? 0 });
    super(api, LOCAL_API);
    this.api = api;
    this.limiter = new RateLimiter(now);
    counts.usedInRange = (usagePlanId, apiKeyId, from, to) => {
      const quota = api.limitsOf(usagePlanId)?.quota;
      if (quota === undefined) return 0;
      // the limiter counts the current period only; a range outside it has no local history.
      const { start } = quotaPeriodBounds(quota.period, now());
      const inRange = Date.parse(`${from}T00:00:00Z`) <= start && start <= Date.parse(`${to}T00:00:00Z`);
      return inRange ? this.limiter.usedInPeriod(bucket(usagePlanId, apiKeyId)) : 0;
    };
  }

  /** Declares a shared plan, as the CDK's `RatePlans` deploys one. */
  definePlan(usagePlanId: string, name: string, limits: PlanLimits): void {
    this.api.definePlan(usagePlanId, name, limits, LOCAL_STAGE);
  }

  /** Re-registers a usage identifier kept in DynamoDB across a restart. */
  restoreApiKey(apiKeyId: string, value: string, usagePlanId: string): void {
    this.api.restoreApiKey(apiKeyId, apiKeyId, value, usagePlanId);
  }

  /** The usage plan an API key is attached to, for tests that check what is enforced. */
  planOf(apiKeyId: string): { id: string; limits: PlanLimits } | undefined {
    return this.api.planOf(apiKeyId);
  }

  /** Every API key, for tests that look for orphans. */
  get apiKeyIds(): string[] {
    return this.api.apiKeyIds;
  }

  /** Every usage plan id, for tests that look for orphans. */
  get usagePlanIds(): string[] {
    return this.api.usagePlanIds;
  }

  /** What API Gateway does with the authorizer's `usageIdentifierKey` on a method that requires one. */
  readonly check: UsageCheck = (usageIdentifierKey) => {
    const apiKeyId = usageIdentifierKey === undefined ? undefined : this.api.apiKeyIdOf(usageIdentifierKey);
    const plan = apiKeyId === undefined ? undefined : this.api.planOf(apiKeyId);
    if (apiKeyId === undefined || plan === undefined) return { type: 'INVALID_API_KEY' };
    const taken = this.limiter.take(bucket(plan.id, apiKeyId), plan.limits);
    if (taken.allowed) return undefined;
    return {
      type: taken.reason === 'rate_limited' ? 'THROTTLED' : 'QUOTA_EXCEEDED',
      retryAfterSeconds: taken.retryAfterSeconds,
    };
  };
}

/** The limiter's bucket for an API key in a usage plan. */
function bucket(usagePlanId: string, apiKeyId: string): string {
  return `${usagePlanId}/${apiKeyId}`;
}
