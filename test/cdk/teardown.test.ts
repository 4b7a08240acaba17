import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { AwsSolutionsChecks } from 'cdk-nag';
import { RatePlans } from '../../lib/rate-plans';
import { KeygateTeardown } from '../../lib/teardown';
import { testApp } from '../support/cdk';

/** A KeygateTeardown over an API of its own and its shared plans. */
function synth(totalTimeout?: Duration) {
  const app = testApp();
  const stack = new Stack(app, 'Teardown');
  const api = new apigateway.RestApi(stack, 'Api');
  api.root.addMethod('GET', new apigateway.MockIntegration(), { apiKeyRequired: true });
  const plans = new RatePlans(stack, 'Plans', {
    api,
    namePrefix: 'acme',
    plans: {
      starter: { rateLimit: 5, burstLimit: 10 },
      growth: { rateLimit: 50, burstLimit: 100 },
      scale: { rateLimit: 500, burstLimit: 1000 },
    },
  });
  new KeygateTeardown(stack, 'Teardown', {
    api,
    namePrefix: 'acme',
    sharedPlans: Object.values(plans.usagePlans),
    totalTimeout,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Every string of a CloudFormation value, `Fn::Join`s joined (tokens left out). */
const text = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : Array.isArray(value)
      ? value.map(text).join('')
      : typeof value === 'object' && value !== null && 'Fn::Join' in value
        ? text((value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1])
        : '';

describe("KeygateTeardown within CloudFormation's hour", () => {
  const { app, template } = synth();

  it('asks CloudFormation for the longest custom resource timeout, 1 hour, and sweeps for 50 minutes of it', () => {
    template.hasResourceProperties('Custom::KeygateTeardown', { ServiceTimeout: '3600', SweepSeconds: 3000 });
  });

  it("caps the Provider's waiter within the hour (the sweep's own deadline bounds its calls' run time)", () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
      Properties: { DefinitionString: unknown };
    }[];
    const retry = /"Retry":\[\{"ErrorEquals":\["States.ALL"\],"IntervalSeconds":(\d+),"MaxAttempts":(\d+)/.exec(
      text(machine.Properties.DefinitionString),
    );
    expect(retry).not.toBeNull();
    expect(Number(retry![1]) * Number(retry![2])).toBeLessThanOrEqual(3600);
  });

  it('sweeps in calls of up to 15 minutes, so one deletion with its backoff always fits before the next check', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.isComplete', Timeout: 900 });
  });

  it("refuses a total timeout past CloudFormation's hour", () => {
    expect(() => synth(Duration.minutes(61))).toThrow(
      /totalTimeout must be from 10 to 60 minutes.*received 1 hour 1 minute/,
    );
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId)}`),
    ).toEqual(expect.not.arrayContaining([expect.stringMatching(/Teardown/)]));
  });
});
