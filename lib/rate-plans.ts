import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { PlanLimits } from '../lambdas/core/model';
import type { NamedPlan } from '../lambdas/core/plans/usage-plans';
import { CONFIGURED_PLANS, type ConfiguredPlan } from './settings';

/** Properties of {@link RatePlans}. */
export interface RatePlansProps {
  /** The API whose stage the plans throttle. Its API key source is set to `AUTHORIZER`. */
  readonly api: apigateway.RestApi;
  /** Each shared plan's limits. */
  readonly plans: Readonly<Record<ConfiguredPlan, PlanLimits>>;
  /**
   * Prefix of the usage plans' names; the functions find the plans by these names.
   *
   * @default - the stack name
   */
  readonly namePrefix?: string;
}

/**
 * One API Gateway usage plan per shared plan, bound to the API's stage, and the API's key source
 * set to `AUTHORIZER`: the authorizer returns each tenant's usage identifier, so API Gateway
 * itself throttles each tenant by its plan and answers 429 over the limit. Methods still have to
 * require an API key (`apiKeyRequired: true`) to be metered. Enterprise tenants get usage plans
 * of their own at run time.
 */
export class RatePlans extends Construct {
  /** The usage plan of each shared plan. */
  public readonly usagePlans: Readonly<Record<ConfiguredPlan, apigateway.UsagePlan>>;
  /** The shared plans by usage plan name and limits, as the functions receive them. */
  public readonly namedPlans: Readonly<Record<ConfiguredPlan, NamedPlan>>;

  constructor(scope: Construct, id: string, props: RatePlansProps) {
    super(scope, id);
    for (const name of CONFIGURED_PLANS) {
      const { rateLimit, burstLimit } = props.plans[name];
      if (!(rateLimit > 0) || !(burstLimit >= rateLimit)) {
        throw new Error(
          `plan ${name} needs rateLimit > 0 and burstLimit >= rateLimit, received ${rateLimit}/${burstLimit}`,
        );
      }
    }
    // the usage identifier comes from the authorizer, never from an x-api-key header.
    (props.api.node.defaultChild as apigateway.CfnRestApi).apiKeySourceType = apigateway.ApiKeySourceType.AUTHORIZER;
    const prefix = props.namePrefix ?? props.api.stack.stackName;
    const usagePlans = {} as Record<ConfiguredPlan, apigateway.UsagePlan>;
    const namedPlans = {} as Record<ConfiguredPlan, NamedPlan>;
    for (const name of CONFIGURED_PLANS) {
      const limits = props.plans[name];
      const usagePlanName = `${prefix}-${name}`;
      usagePlans[name] = props.api.addUsagePlan(`${name.charAt(0).toUpperCase()}${name.slice(1)}Plan`, {
        name: usagePlanName,
        description: `keygate: the ${name} plan, shared by its tenants`,
        throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
        ...(limits.quota === undefined
          ? {}
          : { quota: { limit: limits.quota.limit, period: apigateway.Period[limits.quota.period] } }),
        apiStages: [{ api: props.api, stage: props.api.deploymentStage }],
      });
      namedPlans[name] = { usagePlanName, limits };
    }
    this.usagePlans = usagePlans;
    this.namedPlans = namedPlans;
  }
}
