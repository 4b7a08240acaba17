import { Duration, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterAlarm } from './alarms';
import { KeygateFunction } from './keygate-function';
import type { KeyTable } from './key-table';
import { DEFAULT_SETTINGS, INTEGER_RANGES } from './settings';
import { ENV } from '../lambdas/runtime/env-names';

/** Properties of a {@link UsagePipeline}. */
export interface UsagePipelineProps {
  /** The key table, where the counters live beside the keys. */
  readonly table: KeyTable;
  /**
   * The access log groups whose lines are counted: keygate's own stage's, and those of any other
   * stage the authorizer guards (more with {@link UsagePipeline.addAccessLogGroup}). Each line
   * must be in keygate's access log format (`ACCESS_LOG_FIELDS`).
   */
  readonly accessLogGroups: readonly logs.ILogGroup[];
  /**
   * How long hourly counters are kept, in days.
   *
   * @default 35
   */
  readonly hourlyRetentionDays?: number;
  /**
   * How long daily counters and a key's daily sources are kept, in days.
   *
   * @default 400
   */
  readonly dailyRetentionDays?: number;
  /**
   * Raise `key.new_source` for a network a key has not used in this many days; 0 is off.
   *
   * @default 0
   */
  readonly newSourceDays?: number;
}

/**
 * Per-key usage on AWS: a CloudWatch Logs subscription filter on each access log group sends
 * its lines to the aggregator Lambda (`lambdas/usage`), which counts them into hourly and daily
 * counters in the key table, and records each key's last use (`lastUsedAt` and its activity day,
 * what the staleness notice reads) from the same lines. The aggregator may write the usage items,
 * and of a key only its last use, as the authorizer does; never anything else of a key or a tenant.
 *
 * CloudWatch Logs invokes the function asynchronously
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchlogs.html): a batch whose
 * write fails is retried by Lambda twice, then kept in a dead-letter queue, which an alarm
 * watches. A redelivered batch counts once (the aggregator is idempotent); a line that is not an
 * access record is skipped and counted in a log line, never failing its batch.
 */
export class UsagePipeline extends Construct {
  /** The aggregator Lambda. */
  public readonly function: KeygateFunction;
  /** Batches that failed every retry (their events, as delivered). */
  public readonly deadLetterQueue: sqs.Queue;
  /** Fires when a batch has landed in the dead-letter queue: its requests are not counted. */
  public readonly failedAlarm: cloudwatch.Alarm;
  private readonly destination: LambdaDestination;
  private readonly filters: logs.SubscriptionFilter[] = [];

  constructor(scope: Construct, id: string, props: UsagePipelineProps) {
    super(scope, id);
    const hourly = retentionDays(
      'hourlyRetentionDays',
      props.hourlyRetentionDays,
      DEFAULT_SETTINGS.usageHourlyRetentionDays,
    );
    const daily = retentionDays(
      'dailyRetentionDays',
      props.dailyRetentionDays,
      DEFAULT_SETTINGS.usageDailyRetentionDays,
    );
    if (hourly > daily) {
      throw new Error(`UsagePipeline hourlyRetentionDays (${hourly}) must be at most dailyRetentionDays (${daily})`);
    }
    this.function = new KeygateFunction(this, 'Function', {
      entry: 'usage/index.ts',
      description: 'keygate: counts access log lines into per-key usage',
      // a batch is at most ~1 MB of lines: parsing takes milliseconds, the writes the rest.
      timeout: Duration.seconds(60),
      environment: {
        [ENV.tableName]: props.table.table.tableName,
        [ENV.usageHourlyRetentionDays]: String(hourly),
        [ENV.usageDailyRetentionDays]: String(daily),
        [ENV.newSourceDays]: String(props.newSourceDays ?? 0),
      },
    });
    grantUsageWrite(props.table, this.function);
    props.table.grantLastUseWrite(this.function);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'this is a dead-letter queue: access log batches the aggregator could not count land here',
    });
    // an asynchronous invocation that fails every retry is dropped unless a destination keeps it
    // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
    this.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    this.failedAlarm = deadLetterAlarm(
      this,
      'FailedAlarm',
      this.deadLetterQueue,
      'keygate: access log batches could not be counted into usage (see the usage function logs and its dead-letter queue)',
    );

    this.destination = new LambdaDestination(this.function);
    for (const logGroup of props.accessLogGroups) this.addAccessLogGroup(logGroup);
  }

  /** The subscription filters, one per access log group. */
  get subscriptionFilters(): readonly logs.SubscriptionFilter[] {
    return this.filters;
  }

  /**
   * Counts the lines of one more access log group: a stage of another `RestApi` the key
   * authorizer guards, logging in keygate's access log format. The filter hangs off the log group
   * (a log group takes two subscription filters at most), and CloudWatch Logs may invoke the
   * aggregator for that log group only.
   */
  addAccessLogGroup(logGroup: logs.ILogGroup): logs.SubscriptionFilter {
    const filter = logGroup.addSubscriptionFilter('UsageSubscription', {
      destination: this.destination,
      // every line: refused requests count too, per stage, and the aggregator skips what it cannot read.
      filterPattern: logs.FilterPattern.allEvents(),
    });
    this.filters.push(filter);
    return filter;
  }
}

/**
 * The partition keys the aggregator may touch: its counters and sources (`USAGE#KEY#…`,
 * `USAGE#TENANT#…`, `USAGE#STAGE#…`) and its batch markers (`USAGE_BATCH#…`), as
 * `DynamoUsageStore` writes them.
 */
export const USAGE_PARTITIONS = ['USAGE#*', 'USAGE_BATCH#*'] as const;

/**
 * The aggregator's table access: the calls its store makes (one `TransactWriteItems` of puts and
 * updates per chunk, a consistent `GetItem` of a key's sources), on the usage partitions only:
 * `dynamodb:LeadingKeys` is checked for every item of a transaction, so the role can neither read
 * nor change a key, a tenant or an event.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 */
function grantUsageWrite(table: KeyTable, grantee: iam.IGrantable): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    resourceArns: [table.table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...USAGE_PARTITIONS] } },
  });
}

function retentionDays(name: string, value: number | undefined, fallback: number): number {
  const days = value ?? fallback;
  const [min, max] = INTEGER_RANGES.usageDailyRetentionDays;
  if (!Number.isInteger(days) || days < min || days > max) {
    throw new Error(`UsagePipeline ${name} must be a whole number of days from ${min} to ${max}, received ${days}`);
  }
  return days;
}
