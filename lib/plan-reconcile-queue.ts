import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterAlarm } from './alarms';
import type { KeygateFunction } from './keygate-function';
import { ENV } from '../lambdas/runtime/env-names';

/** Properties of a {@link PlanReconcileQueue}. */
export interface PlanReconcileQueueProps {
  /** The reconciler Lambda (`lambdas/reconciler`); its timeout sets the queue's visibility timeout. */
  readonly function: KeygateFunction;
  /**
   * How old the oldest waiting request may get before the backlog alarm fires.
   *
   * @default - 15 minutes
   */
  readonly maxBacklogAge?: Duration;
  /**
   * How long a plan change keeps being retried before it lands in the dead-letter queue: long
   * enough to outlast an account whose `UpdateUsagePlan` quota is taken by something else for
   * hours (a deploy, another tool). The backlog alarm speaks long before.
   *
   * @default - 3 hours
   */
  readonly retryFor?: Duration;
}

/** The longest visibility timeout SQS takes. */
const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);

/**
 * Plan changes wait here to be applied to API Gateway: an SQS FIFO queue with one message group,
 * so reconciliations run one at a time (`UpdateUsagePlan` allows one call every 20 s per
 * account). The reconciler takes one message per invocation: a throttled change waits out its
 * own retries without raising the receive count of the changes behind it, which SQS does for
 * every message of a batch. A failed change comes back after the visibility timeout, six times
 * the function's timeout as Lambda asks
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), and lands in a
 * dead-letter queue after `retryFor`. Two alarms say when plans are not being applied.
 */
export class PlanReconcileQueue extends Construct {
  /** The FIFO queue of reconcile requests. */
  public readonly queue: sqs.Queue;
  /** Requests that failed every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Fires when any request has landed in the dead-letter queue. */
  public readonly failedAlarm: cloudwatch.Alarm;
  /** Fires when the oldest waiting request is older than `maxBacklogAge`. */
  public readonly backlogAlarm: cloudwatch.Alarm;
  /** The reconciler Lambda the queue feeds. */
  public readonly function: KeygateFunction;

  constructor(scope: Construct, id: string, props: PlanReconcileQueueProps) {
    super(scope, id);
    this.function = props.function;
    const timeout = props.function.timeout ?? Duration.seconds(3);
    const visibilityTimeout = Duration.seconds(6 * timeout.toSeconds());
    if (visibilityTimeout.toSeconds() > MAX_VISIBILITY_TIMEOUT.toSeconds()) {
      throw new Error(
        `PlanReconcileQueue needs a function timeout of at most 2 hours (six times it is the queue's visibility timeout, at most 12 hours), received ${timeout.toHumanString()}`,
      );
    }
    const retryFor = props.retryFor ?? Duration.hours(3);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        // each receive of a failing change costs one visibility timeout.
        maxReceiveCount: Math.max(2, Math.ceil(retryFor.toSeconds() / visibilityTimeout.toSeconds())),
      },
    });
    // batch size 1: on a FIFO queue, every message handed over counts a receive, tried or not.
    props.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));

    this.failedAlarm = deadLetterAlarm(
      this,
      'FailedAlarm',
      this.deadLetterQueue,
      'keygate: a plan change could not be applied to API Gateway (see the reconciler logs and its dead-letter queue)',
    );
    this.backlogAlarm = new cloudwatch.Alarm(this, 'BacklogAlarm', {
      alarmDescription: 'keygate: plan changes are waiting too long to be applied',
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: (props.maxBacklogAge ?? Duration.minutes(15)).toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Lets a function request reconciliations and tells it where (`RECONCILE_QUEUE_URL`). */
  grantRequest(fn: KeygateFunction): void {
    this.queue.grantSendMessages(fn);
    fn.addEnvironment(ENV.reconcileQueueUrl, this.queue.queueUrl);
  }
}
