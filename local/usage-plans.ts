import { randomBytes } from 'node:crypto';
import { conflict } from '../lambdas/core/http/errors';
import type { PlanLimits } from '../lambdas/core/model';
import { quotaPeriodBounds } from '../lambdas/core/plans/quota';
import type { UsagePlanApi } from '../lambdas/core/plans/usage-plans';
import type { UsageCheck } from './gateway';
import { RateLimiter } from './rate-limiter';

interface Plan {
  name: string;
  limits: PlanLimits;
  readonly keys: Set<string>;
}

/**
 * API Gateway's usage plans and API keys, in process: the same {@link UsagePlanApi} the panel
 * uses in AWS, plus the enforcement API Gateway does on each request (a token bucket per usage
 * identifier with its plan's rate and burst, and its quota), fed to the local gateway as its
 * {@link UsageCheck}.
 */
export class LocalUsagePlans implements UsagePlanApi {
  private readonly apiKeys = new Map<string, { name: string; value: string }>();
  private readonly idsByValue = new Map<string, string>();
  private readonly plans = new Map<string, Plan>();
  readonly limiter: RateLimiter;

  constructor(private readonly now: () => number = Date.now) {
    this.limiter = new RateLimiter(now);
  }

  /** Declares a shared plan, as the CDK's `RatePlans` deploys one. */
  definePlan(usagePlanId: string, name: string, limits: PlanLimits): void {
    this.plans.set(usagePlanId, { name, limits, keys: new Set() });
  }

  /** Re-registers a usage identifier kept in DynamoDB across a restart. */
  restoreApiKey(apiKeyId: string, value: string, usagePlanId: string): void {
    this.apiKeys.set(apiKeyId, { name: apiKeyId, value });
    this.idsByValue.set(value, apiKeyId);
    this.plans.get(usagePlanId)?.keys.add(apiKeyId);
  }

  async createApiKey(name: string, value: string): Promise<string> {
    if (this.idsByValue.has(value)) throw conflict('an API key with this value exists');
    const id = `local-key-${randomBytes(5).toString('hex')}`;
    this.apiKeys.set(id, { name, value });
    this.idsByValue.set(value, id);
    return id;
  }

  async deleteApiKey(apiKeyId: string): Promise<void> {
    const key = this.apiKeys.get(apiKeyId);
    if (key === undefined) return;
    // as in api gateway, a deleted key leaves every usage plan.
    for (const plan of this.plans.values()) plan.keys.delete(apiKeyId);
    this.apiKeys.delete(apiKeyId);
    this.idsByValue.delete(key.value);
    this.limiter.reset(key.value);
  }

  async attachKey(usagePlanId: string, apiKeyId: string): Promise<void> {
    const plan = this.plan(usagePlanId);
    const key = this.apiKeys.get(apiKeyId);
    if (key === undefined) throw new Error(`no API key ${apiKeyId}`);
    if (plan.keys.has(apiKeyId)) return;
    // every plan here covers the one stage, and api gateway allows a key in one plan per stage.
    for (const other of this.plans.values()) {
      if (other.keys.has(apiKeyId)) throw conflict(`API key ${apiKeyId} is already in usage plan ${other.name} of this stage`);
    }
    plan.keys.add(apiKeyId);
    // usage is counted per plan: a key that joins one starts with a full bucket and a fresh count.
    this.limiter.reset(key.value);
  }

  async detachKey(usagePlanId: string, apiKeyId: string): Promise<void> {
    this.plans.get(usagePlanId)?.keys.delete(apiKeyId);
  }

  async createUsagePlan(name: string, limits: PlanLimits): Promise<string> {
    const id = `local-plan-${randomBytes(5).toString('hex')}`;
    this.definePlan(id, name, limits);
    return id;
  }

  async updateUsagePlan(usagePlanId: string, limits: PlanLimits): Promise<void> {
    this.plan(usagePlanId).limits = limits;
  }

  async deleteUsagePlan(usagePlanId: string): Promise<void> {
    this.plans.delete(usagePlanId);
  }

  async getUsage(usagePlanId: string, apiKeyId: string, from: string, to: string): Promise<number> {
    const key = this.apiKeys.get(apiKeyId);
    const plan = this.plans.get(usagePlanId);
    if (key === undefined || plan === undefined || plan.limits.quota === undefined) return 0;
    // the limiter counts the current period only; a range outside it has no local history.
    const { start } = quotaPeriodBounds(plan.limits.quota.period, this.now());
    const inRange = Date.parse(`${from}T00:00:00Z`) <= start && start <= Date.parse(`${to}T00:00:00Z`);
    return inRange ? this.limiter.usedInPeriod(key.value) : 0;
  }

  async findApiKeys(namePrefix: string): Promise<{ id: string; name: string }[]> {
    return [...this.apiKeys].filter(([, key]) => key.name.startsWith(namePrefix)).map(([id, key]) => ({ id, name: key.name }));
  }

  async findUsagePlan(name: string): Promise<string | undefined> {
    return [...this.plans].find(([, plan]) => plan.name === name)?.[0];
  }

  /** The usage plan an API key is attached to, for tests that check what is enforced. */
  planOf(apiKeyId: string): { id: string; limits: PlanLimits } | undefined {
    const found = [...this.plans].find(([, plan]) => plan.keys.has(apiKeyId));
    return found === undefined ? undefined : { id: found[0], limits: found[1].limits };
  }

  /** Every API key, for tests that look for orphans. */
  get apiKeyIds(): string[] {
    return [...this.apiKeys.keys()];
  }

  /** Every usage plan id, for tests that look for orphans. */
  get usagePlanIds(): string[] {
    return [...this.plans.keys()];
  }

  /** What API Gateway does with the authorizer's `usageIdentifierKey` on a method that requires one. */
  readonly check: UsageCheck = (usageIdentifierKey) => {
    const id = usageIdentifierKey === undefined ? undefined : this.idsByValue.get(usageIdentifierKey);
    const plan = id === undefined ? undefined : [...this.plans.values()].find((candidate) => candidate.keys.has(id));
    if (usageIdentifierKey === undefined || plan === undefined) return { type: 'INVALID_API_KEY' };
    const taken = this.limiter.take(usageIdentifierKey, plan.limits);
    if (taken.allowed) return undefined;
    return { type: taken.reason === 'rate_limited' ? 'THROTTLED' : 'QUOTA_EXCEEDED', retryAfterSeconds: taken.retryAfterSeconds };
  };

  private plan(usagePlanId: string): Plan {
    const plan = this.plans.get(usagePlanId);
    if (plan === undefined) throw new Error(`no usage plan ${usagePlanId}`);
    return plan;
  }
}
