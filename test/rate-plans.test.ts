import { Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { PlanLimits } from '../lambdas/core/model';
import { RatePlans } from '../lib/rate-plans';
import type { ConfiguredPlan } from '../lib/settings';
import { testApp } from './support/cdk';

const PLANS: Record<ConfiguredPlan, PlanLimits> = {
  starter: { rateLimit: 5, burstLimit: 10 },
  growth: { rateLimit: 50, burstLimit: 100, quota: { limit: 100_000, period: 'MONTH' } },
  scale: { rateLimit: 500, burstLimit: 1000 },
};

/** A RatePlans on an API of its own, as a team would attach it to an existing RestApi. */
function synth(plans = PLANS) {
  const stack = new Stack(testApp(), 'Other');
  const api = new apigateway.RestApi(stack, 'Api');
  api.root.addMethod('GET', new apigateway.MockIntegration(), { apiKeyRequired: true });
  const ratePlans = new RatePlans(stack, 'Plans', { api, plans, namePrefix: 'acme' });
  return { template: Template.fromStack(stack), ratePlans };
}

describe('RatePlans on any RestApi', () => {
  const { template, ratePlans } = synth();

  it('makes one usage plan per shared plan with its throttle, bound to the stage', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 3);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'acme-starter',
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'acme-growth',
      Quota: { Limit: 100_000, Period: 'MONTH' },
    });
  });

  it('makes the authorizer the source of usage identifiers', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it('names the plans for the functions to find', () => {
    expect(ratePlans.namedPlans.scale).toEqual({ usagePlanName: 'acme-scale', limits: PLANS.scale });
  });

  it('refuses a burst below the rate, naming the plan and the values', () => {
    expect(() => synth({ ...PLANS, growth: { rateLimit: 50, burstLimit: 10 } })).toThrow(
      /plan growth .*received 50\/10/,
    );
  });
});
