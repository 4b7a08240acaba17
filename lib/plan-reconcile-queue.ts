import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
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
}

/**
 * Plan changes wait here to be applied to API Gateway: an SQS FIFO queue with one message group,
 * so reconciliations run one at a time (`UpdateUsagePlan` allows one call every 20 s per
 * account), a throttled one is retried after the visibility timeout, and one that fails ten
 * times lands in a dead-letter queue. Two alarms say when plans are not being applied.
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
    const timeout = props.function.timeout ?? Duration.seconds(60);
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
      // a little over the function's timeout: a throttled run is retried soon, never twice at once.
      visibilityTimeout: timeout.plus(Duration.seconds(30)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 10 },
    });
    props.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));

    this.failedAlarm = new cloudwatch.Alarm(this, 'FailedAlarm', {
      alarmDescription:
        'keygate: a plan change could not be applied to API Gateway (see the reconciler logs and its dead-letter queue)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
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
