import { type CfnElement, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { KeyTable } from './key-table';
import type { KeygateFunction } from './keygate-function';
import { DEFAULT_SETTINGS, INTEGER_RANGES } from './settings';
import { ENV } from '../lambdas/runtime/env-names';

/** Properties of {@link KeyNotices}. */
export interface KeyNoticesProps {
  /** The notice Lambda (`lambdas/notices`), with read/write access to the table and cache flushes. */
  readonly function: KeygateFunction;
  /** The key table, whose day indexes the job queries. */
  readonly table: KeyTable;
  /**
   * Days without use after which a key is stale.
   *
   * @default 90
   */
  readonly staleAfterDays?: number;
  /**
   * Whether stale keys are revoked (never a tenant's last owner key) rather than only reported.
   *
   * @default false
   */
  readonly revokeStaleKeys?: boolean;
}

/**
 * The daily expiry and staleness notices: an EventBridge Scheduler schedule invokes the notice
 * Lambda at 00:05 UTC, five minutes after the day's keys expired (and the midnight cache flush).
 * The job catches up any day it missed on its next run. A run the scheduler could not deliver,
 * and a run that failed in the function after Lambda's asynchronous retries (its on-failure
 * destination), land in one dead-letter queue, which an alarm watches.
 */
export class KeyNotices extends Construct {
  /** The notice Lambda. */
  public readonly function: KeygateFunction;
  /** The daily schedule. */
  public readonly schedule: scheduler.Schedule;
  /** Where runs that could not be delivered, or that failed every retry, are kept. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: KeyNoticesProps) {
    super(scope, id);
    const staleAfterDays = props.staleAfterDays ?? DEFAULT_SETTINGS.staleAfterDays;
    const [min, max] = INTEGER_RANGES.staleAfterDays;
    if (!Number.isInteger(staleAfterDays) || staleAfterDays < min || staleAfterDays > max) {
      throw new Error(
        `KeyNotices staleAfterDays must be a whole number of days from ${min} to ${max}, received ${staleAfterDays}`,
      );
    }
    this.function = props.function;
    this.function.addEnvironment(ENV.staleAfterDays, String(staleAfterDays));
    this.function.addEnvironment(
      ENV.revokeStaleKeys,
      String(props.revokeStaleKeys ?? DEFAULT_SETTINGS.revokeStaleKeys),
    );
    props.table.grantNoticeRead(this.function);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'this is a dead-letter queue: daily notice runs the scheduler could not deliver, or that failed, land here',
    });
    // the scheduler invokes asynchronously: an error in the function gets Lambda's retries and
    // is then dropped, unless an on-failure destination keeps the event
    // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
    this.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    const role = new iam.Role(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        "lambda:InvokeFunction on the notice function's versions and aliases, as `grantInvoke` writes it: this one function only",
    });
    this.schedule = new scheduler.Schedule(this, 'Daily', {
      description: 'keygate: expiry and staleness notices, daily after keys expire at 00:00 UTC',
      schedule: scheduler.ScheduleExpression.cron({ minute: '5', hour: '0', timeZone: TimeZone.ETC_UTC }),
      target: new targets.LambdaInvoke(this.function, {
        // a run not delivered within hours is caught up by the next day's run anyway.
        maxEventAge: Duration.hours(6),
        retryAttempts: 10,
        deadLetterQueue: this.deadLetterQueue,
        role,
      }),
    });
  }
}
