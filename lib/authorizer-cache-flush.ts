import { Aws, Duration, Lazy, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_QUEUE_DELAY_SECONDS } from '../lambdas/core/auth/cache';
import { KeygateFunction } from './keygate-function';
import { ENV } from '../lambdas/runtime/env-names';

/** How long the flush consumer may run: a batch's flushes, one paced wait, and sending on. */
const FLUSH_TIMEOUT = Duration.seconds(10);

/** Properties of an {@link AuthorizerCacheFlush}. */
export interface AuthorizerCacheFlushProps {
  /** The id of the REST API whose stage cache is flushed. */
  readonly restApiId: string;
  /** The stage whose authorizer cache is flushed. */
  readonly stageName: string;
  /**
   * How long after a flush a second one follows: at least the authorizer's timeout, so that
   * every authorizer call in flight at the first flush has ended (API Gateway caches what such
   * a call returns, even after a flush).
   */
  readonly settle: Duration;
  /**
   * Whether to flush at every 00:00 UTC (and once more after `settle`), when keys expire.
   *
   * @default true
   */
  readonly flushAtMidnight?: boolean;
}

/**
 * Flushes a stage's authorizer cache later: a second flush after every revocation (for calls
 * that were in flight), a flush at each rotation grace period's end, and at 00:00 UTC. Requests
 * wait in an SQS queue (a delay per message, up to 15 minutes); a grace end further ahead waits
 * in a one-time EventBridge Scheduler schedule of its own, in this construct's schedule group,
 * that sends the request to the queue when it is due and then deletes itself. A small Lambda calls `FlushStageAuthorizersCache`, once per stage for a whole batch, at
 * most two at once and each at most once a second, so a burst of revocations stays within the
 * account's control-plane quota. Failed flushes are retried, then kept in a dead-letter queue.
 */
export class AuthorizerCacheFlush extends Construct {
  /** Where flush requests wait. */
  public readonly queue: sqs.Queue;
  /** Where requests that failed every retry are kept. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The consumer that flushes. */
  public readonly function: KeygateFunction;
  /** The settle time, in seconds. */
  public readonly settleSeconds: number;
  /** Where the grace ends' one-time schedules are made. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The role EventBridge Scheduler assumes to send a grace end's request: to the queue or its dead letters, nothing else. */
  public readonly scheduleRole: iam.Role;
  private readonly stages: { restApiId: string; stageName: string }[] = [];
  private readonly flushers: KeygateFunction[] = [];

  constructor(scope: Construct, id: string, props: AuthorizerCacheFlushProps) {
    super(scope, id);
    this.settleSeconds = props.settle.toSeconds();
    if (
      !Number.isInteger(this.settleSeconds) ||
      this.settleSeconds < 1 ||
      this.settleSeconds > MAX_QUEUE_DELAY_SECONDS
    ) {
      throw new Error(
        `AuthorizerCacheFlush settle must be a whole number of seconds from 1 to ${MAX_QUEUE_DELAY_SECONDS}, received ${props.settle.toHumanString()}`,
      );
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // six times the function's timeout, as Lambda asks:
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
      visibilityTimeout: Duration.seconds(6 * FLUSH_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    this.function = new KeygateFunction(this, 'Function', {
      entry: 'cache/index.ts',
      description: 'keygate: flushes the authorizer cache when queued flushes are due',
      timeout: FLUSH_TIMEOUT,
      environment: {
        [ENV.flushQueueUrl]: this.queue.queueUrl,
        [ENV.flushSettleSeconds]: String(this.settleSeconds),
      },
    });
    // a one-time schedule per grace end further ahead than SQS's 15-minute delay, the documented
    // way to run something once at a set time: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time
    // (the functions make them at run time, `SchedulerFlushScheduler`; each deletes itself once run).
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'GraceEnds', {
      // with the group go its pending schedules: nothing is left to send to a deleted queue.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // only this account's schedules, in this group, may use it (the confused-deputy guard of
        // https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnEquals: { 'aws:SourceArn': this.scheduleGroup.scheduleGroupArn },
        },
      }),
      description: "keygate: EventBridge Scheduler sends grace ends' flush requests to the flush queue",
    });
    // the queue, and the dead-letter queue for a request it could not deliver:
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
    this.scheduleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn, this.deadLetterQueue.queueArn],
      }),
    );
    this.flushers.push(this.function);
    this.function.addEnvironment(ENV.flushStages, this.stagesJson());
    this.addStage(props.restApiId, props.stageName);
    this.queue.grantSendMessages(this.function);
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        // a batch is one flush per stage; no batching window, which would hold back a second flush.
        batchSize: 10,
        // the least Lambda takes (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html):
        // with each consumer pacing its flushes (`FLUSH_PACE_MS`), at most two flushes of a stage a
        // second, within the control-plane quota of 10 calls a second the account shares.
        maxConcurrency: 2,
        reportBatchItemFailures: true,
      }),
    );

    if (props.flushAtMidnight ?? true) {
      new scheduler.Schedule(this, 'Midnight', {
        description: 'keygate: flush the authorizer cache when keys expire at 00:00 UTC',
        schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '0', timeZone: TimeZone.ETC_UTC }),
        target: new targets.SqsSendMessage(this.queue, {
          input: scheduler.ScheduleTargetInput.fromObject({
            at: scheduler.ContextAttribute.scheduledTime,
            followUp: true,
          }),
          // a flush that fails is not worth retrying hours later: the next one is a day away.
          maxEventAge: Duration.hours(1),
          // a midnight that could not be queued lands with the failed flushes, under the same alarm.
          deadLetterQueue: this.deadLetterQueue,
        }),
      });
    }
  }

  /**
   * Lets a function ask for flushes (`SettlingCacheFlusher` over `SqsFlushQueue`) and sets the
   * settings it reads at load, in one call so the two cannot drift apart.
   */
  grantRequest(fn: KeygateFunction): void {
    this.queue.grantSendMessages(fn);
    fn.addEnvironment(ENV.flushQueueUrl, this.queue.queueUrl);
    fn.addEnvironment(ENV.flushSettleSeconds, String(this.settleSeconds));
    // the requesting function flushes at once itself, so it needs every stage too.
    fn.addEnvironment(ENV.flushStages, this.stagesJson());
    for (const stage of this.stages) fn.addToRolePolicy(flushStatement(stage.restApiId, stage.stageName));
    this.flushers.push(fn);
  }

  /**
   * Lets a function that rotates keys schedule a grace end's flush (`SchedulerFlushScheduler`):
   * `CreateSchedule` in this construct's group only, and passing its schedule role only, to
   * EventBridge Scheduler only. Call {@link grantRequest} too.
   */
  grantSchedule(fn: KeygateFunction): void {
    fn.addEnvironment(ENV.flushQueueArn, this.queue.queueArn);
    fn.addEnvironment(ENV.flushScheduleGroup, this.scheduleGroup.scheduleGroupName);
    fn.addEnvironment(ENV.flushScheduleRoleArn, this.scheduleRole.roleArn);
    fn.addEnvironment(ENV.flushDeadLetterArn, this.deadLetterQueue.queueArn);
    // a schedule's ARN is …:schedule/<group>/<name>, and the names are made at run time.
    const schedules = `schedule/${this.scheduleGroup.scheduleGroupName}/*`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [`arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:${schedules}`],
      }),
    );
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:${schedules}]`,
      reason: "CreateSchedule in keygate's own schedule group only: one schedule per grace end, named at run time",
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.scheduleRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }

  /**
   * Adds a stage the key authorizer protects (another `RestApi`, or another stage of keygate's):
   * every flush, at once, queued or at midnight, reaches it too.
   */
  addStage(restApiId: string, stageName: string): void {
    this.stages.push({ restApiId, stageName });
    for (const fn of this.flushers) fn.addToRolePolicy(flushStatement(restApiId, stageName));
  }

  /** The stages as JSON, rendered at synthesis so stages added later are in it. */
  private stagesJson(): string {
    return Lazy.string({ produce: () => Stack.of(this).toJsonString(this.stages) });
  }
}

/** `FlushStageAuthorizersCache` on one stage, which IAM knows as a `DELETE`. */
export function flushStatement(restApiId: string, stageName: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['apigateway:DELETE'],
    resources: [
      `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::/restapis/${restApiId}/stages/${stageName}/cache/authorizers`,
    ],
  });
}
