import { Aws, CustomResource, Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { KeygateFunction } from './keygate-function';
import { otherStacksDeny } from './stack-tag';

/** Properties of a {@link KeygateTeardown}. */
export interface KeygateTeardownProps {
  /** The REST API whose run-time API keys and usage plans go with the stack. */
  readonly api: apigateway.RestApi;
  /** The prefix of the run-time API keys' and usage plans' names (`<namePrefix>-…`). */
  readonly namePrefix: string;
  /** The usage plans CloudFormation owns: left alone, and deleted after the sweep. */
  readonly sharedPlans: readonly apigateway.UsagePlan[];
  /**
   * How long one deletion may sweep, 10 to 60 minutes: CloudFormation fails a custom resource
   * after at most an hour. API Gateway allows one `UpdateUsagePlan` every 20 s per account, and
   * each enterprise plan needs one, so a large sweep takes more than one `cdk destroy`; each
   * continues where the last stopped.
   *
   * @default - 55 minutes (the sweep stops 5 minutes before, with a message to run it again)
   */
  readonly totalTimeout?: Duration;
}

/** The control-plane calls of a sweep: listings, and deleting keys and unbinding and deleting plans. */
const SWEEP_CALLS: readonly (readonly [string, string])[] = [
  ['GET', '/usageplans'],
  ['GET', '/usageplans/*'],
  ['GET', '/usageplans/*/keys'],
  ['GET', '/apikeys'],
  ['DELETE', '/apikeys/*'],
  ['PATCH', '/usageplans/*'],
  ['DELETE', '/usageplans/*'],
];

/**
 * On stack deletion, removes the API keys and enterprise usage plans keygate created at run time
 * (`lambdas/teardown`), before CloudFormation deletes the shared plans and the stage (a plan
 * still bound to the stage would keep it from being deleted). A custom resource of the Provider
 * framework: Create and Update do nothing; Delete sweeps in as many calls as it takes.
 * The key table is not touched: it is retained.
 */
export class KeygateTeardown extends Construct {
  /** The custom resource. */
  public readonly resource: CustomResource;
  /** The function that sweeps. */
  public readonly sweepFunction: KeygateFunction;

  constructor(scope: Construct, id: string, props: KeygateTeardownProps) {
    super(scope, id);
    const totalTimeout = props.totalTimeout ?? Duration.minutes(55);
    const minutes = totalTimeout.isUnresolved() ? Number.NaN : totalTimeout.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 10 || minutes > 60) {
      throw new Error(
        `KeygateTeardown totalTimeout must be from 10 to 60 minutes, whole, since CloudFormation fails a custom resource ` +
          `after an hour; received ${totalTimeout.isUnresolved() ? 'an unresolved token' : totalTimeout.toHumanString()}`,
      );
    }
    const onEvent = new KeygateFunction(this, 'OnEvent', {
      entry: 'teardown/index.ts',
      handler: 'onEvent',
      description: 'keygate: accepts the teardown custom resource',
    });
    this.sweepFunction = new KeygateFunction(this, 'Sweep', {
      entry: 'teardown/index.ts',
      handler: 'isComplete',
      description: "keygate: deletes the stack's run-time API keys and enterprise usage plans on stack deletion",
      // long enough that a deletion with all its backoff (the handler's margin) fits many times in each call.
      timeout: Duration.minutes(15),
    });
    const arn = (path: string): string => `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${path}`;
    for (const [verb, path] of SWEEP_CALLS) {
      this.sweepFunction.addToRolePolicy(
        new iam.PolicyStatement({ actions: [`apigateway:${verb}`], resources: [arn(path)] }),
      );
    }
    this.sweepFunction.addToRolePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['apigateway:PATCH', 'apigateway:DELETE'],
        resources: props.sharedPlans.map((plan) => arn(`/usageplans/${plan.usagePlanId}`)),
      }),
    );
    // what lacks this stack's tag is never this sweep's, whatever its name.
    this.sweepFunction.addToRolePolicy(otherStacksDeny(props.namePrefix));
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: this.sweepFunction,
      queryInterval: Duration.seconds(15),
      // the waiter's attempts × interval; each call's own run time comes on top, which the
      // sweep's deadline (SweepSeconds) bounds: it stops 5 minutes before this.
      totalTimeout,
      // the provider's log is read while a teardown runs or fails (the stack stays then); once
      // the stack is gone there is nothing left to debug, so it goes too.
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KeygateTeardown',
      // CloudFormation's longest wait on a custom resource, stated rather than implied.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html
      serviceTimeout: Duration.hours(1),
      properties: {
        SweepSeconds: totalTimeout.toSeconds() - 5 * 60,
        RestApiId: props.api.restApiId,
        NamePrefix: props.namePrefix,
        SharedPlanIds: props.sharedPlans.map((plan) => plan.usagePlanId),
      },
    });
    // deleted before the stage: the sweep must unbind enterprise plans while the stage exists.
    this.resource.node.addDependency(props.api.deploymentStage);

    // the Provider framework's own functions and state machine, and its grants to invoke ours.
    const invokeAnyVersion = (fn: IConstruct) =>
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`;
    Validations.of(provider).acknowledge(
      ...[
        onEvent,
        this.sweepFunction,
        provider.node.findChild('framework-isComplete'),
        provider.node.findChild('framework-onTimeout'),
      ].map((fn) => ({
        id: invokeAnyVersion(fn),
        reason:
          "the Provider framework invokes the handler functions by ARN with any version or alias qualifier; it is the CDK's own construct",
      })),
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "the Provider framework's own functions use the AWS-maintained basic execution role; they only log and invoke ours",
      },
      { id: 'AwsSolutions-L1', reason: "the Provider framework's functions run the runtime the CDK version pins" },
      {
        id: 'AwsSolutions-SF1',
        reason: 'a state machine run only on stack deletion; its steps log through the functions themselves',
      },
      {
        id: 'AwsSolutions-SF2',
        reason: 'a state machine run only on stack deletion: tracing adds cost and nothing to diagnose',
      },
    );
    Validations.of(this.sweepFunction.role ?? this.sweepFunction).acknowledge(
      ...SWEEP_CALLS.filter(([, path]) => path.includes('*')).map(([, path]) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}]`,
        reason:
          'the run-time API keys and enterprise usage plans have ids unknown at deploy time; the sweep keeps to those named after the stack and bound to its API or tagged with it',
      })),
    );
  }
}
