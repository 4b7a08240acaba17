import { randomBytes } from 'node:crypto';
import type { PlanLimits, PlanName } from '../model';

/** The plans with a shared usage plan; `enterprise` tenants get one of their own. */
export type StandardPlan = Exclude<PlanName, 'enterprise'>;

/** A shared plan as deployed: its API Gateway usage plan and its limits. */
export interface DeployedPlan {
  readonly usagePlanId: string;
  readonly limits: PlanLimits;
}

/** The deployment's shared plans, by name. */
export type PlanCatalog = Readonly<Record<StandardPlan, DeployedPlan>>;

/** A shared plan as the stack describes it to its functions: by usage plan name. */
export interface NamedPlan {
  readonly usagePlanName: string;
  readonly limits: PlanLimits;
}

/**
 * Resolves the stack's named plans to a {@link PlanCatalog} once, on first use, and again
 * after a failure (a cold start must not keep a failed lookup forever).
 */
export function lazyCatalog(
  named: Readonly<Record<StandardPlan, NamedPlan>>,
  findIds: (names: readonly string[]) => Promise<Record<string, string>>,
): () => Promise<PlanCatalog> {
  let pending: Promise<PlanCatalog> | undefined;
  const resolve = async (): Promise<PlanCatalog> => {
    const ids = await findIds(Object.values(named).map((plan) => plan.usagePlanName));
    const entry = (plan: StandardPlan): DeployedPlan => ({
      usagePlanId: ids[named[plan].usagePlanName],
      limits: named[plan].limits,
    });
    return { starter: entry('starter'), growth: entry('growth'), scale: entry('scale') };
  };
  return () => {
    pending ??= resolve().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/**
 * API Gateway's control plane as keygate uses it: API keys as usage identifiers, usage plans
 * that throttle them. In AWS: `@aws-sdk/client-api-gateway`; locally: an in-process twin that
 * feeds the local gateway's rate limiter. Calls that find the work already done succeed, so
 * retries and compensations can repeat them.
 */
export interface UsagePlanApi {
  /** Creates an enabled API key with the given value; returns its id. */
  createApiKey(name: string, value: string): Promise<string>;
  /** Deletes an API key; succeeds when it is already gone. */
  deleteApiKey(apiKeyId: string): Promise<void>;
  /** Attaches an API key to a usage plan (`CreateUsagePlanKey`); succeeds when already attached. */
  attachKey(usagePlanId: string, apiKeyId: string): Promise<void>;
  /** Detaches an API key from a usage plan; succeeds when not attached. */
  detachKey(usagePlanId: string, apiKeyId: string): Promise<void>;
  /** Creates a usage plan with the given limits, bound to the API's stage; returns its id. */
  createUsagePlan(name: string, limits: PlanLimits): Promise<string>;
  /** Changes a usage plan's limits; makes no change (and no `UpdateUsagePlan`) when they are equal. */
  updateUsagePlan(usagePlanId: string, limits: PlanLimits): Promise<void>;
  /** Deletes a usage plan; succeeds when it is already gone. */
  deleteUsagePlan(usagePlanId: string): Promise<void>;
  /** Requests counted against the quota for one API key in `[from, to]` (UTC dates, `YYYY-MM-DD`). */
  getUsage(usagePlanId: string, apiKeyId: string, from: string, to: string): Promise<number>;
  /**
   * API keys whose name starts with `namePrefix`, to find what a crashed step left behind.
   * The caller filters exact names: a prefix can match another tenant's keys.
   */
  findApiKeys(namePrefix: string): Promise<{ id: string; name: string }[]>;
  /** The id of the usage plan with this exact name, if there is one. */
  findUsagePlan(name: string): Promise<string | undefined>;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A usage identifier value: 40 random alphanumerics (API Gateway takes 20–128), about 238 bits.
 * It identifies a tenant to the usage plans only and is never shown to anyone.
 */
export function newUsageKeyValue(random: (size: number) => Buffer = randomBytes): string {
  let value = '';
  while (value.length < 40) {
    for (const byte of random(48)) {
      // rejection sampling keeps every character equally likely (248 = 4 * 62).
      if (byte < 248 && value.length < 40) value += ALPHANUMERIC[byte % 62];
    }
  }
  return value;
}
