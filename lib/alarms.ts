import { Aws, Duration, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The namespace of the metrics keygate derives from its own log lines. */
export const METRIC_NAMESPACE = 'keygate';

/** Log lines that mean something failed quietly, and the metric each one counts into. */
export const FAILURE_LOG_LINES = {
  /** A flush of the authorizer cache failed: a revocation may take up to the cache TTL. */
  cacheFlushFailed: { message: 'authorizer cache flush failed', metricName: 'AuthorizerCacheFlushFailures' },
  /** The authorizer could not record a key's last use. */
  lastUsedNotRecorded: { message: 'lastUsedAt not recorded', metricName: 'LastUsedAtWriteFailures' },
} as const;

/**
 * An alarm that fires as soon as `queue`, a dead-letter queue, holds a message: each message there
 * is work that failed every retry.
 */
export function deadLetterAlarm(
  scope: Construct,
  id: string,
  queue: sqs.IQueue,
  alarmDescription: string,
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** Properties of {@link KeygateAlarms}. */
export interface KeygateAlarmsProps {
  /** The REST API whose 5XX rate is watched. */
  readonly api: apigateway.RestApi;
  /** The authorizer's function: its errors, throttles and `lastUsedAt` failures are watched. */
  readonly authorizerFunction: lambda.Function;
  /**
   * The keys-only authorizer's function (the front door, added routes), watched the same way.
   *
   * @default - none watched
   */
  readonly keysOnlyAuthorizerFunction?: lambda.Function;
  /**
   * Other functions that write `lastUsedAt` (the usage aggregator): their failed writes count
   * towards the same alarm as the authorizer's.
   *
   * @default - the authorizers' only
   */
  readonly lastUseFunctions?: readonly lambda.Function[];
  /** Functions that flush the authorizer cache (and log 'authorizer cache flush failed' when they cannot). */
  readonly flushingFunctions: readonly lambda.Function[];
  /** Where flush requests (grace ends, second flushes, midnight) land after every retry failed. */
  readonly flushDeadLetterQueue: sqs.IQueue;
  /**
   * Where daily notice runs land that could not be delivered or failed every retry.
   *
   * @default - no alarm on notice runs
   */
  readonly noticesDeadLetterQueue?: sqs.IQueue;
  /** Alarms built elsewhere (e.g. the plan reconciler's) that should notify the same topic. */
  readonly otherAlarms?: readonly cloudwatch.AlarmBase[];
  /**
   * An email address subscribed to the alarm topic.
   *
   * @default - no topic: the alarms show in the CloudWatch console only.
   */
  readonly alarmEmail?: string;
  /**
   * The share of API requests answered 5XX, in percent, above which the 5XX alarm fires
   * (over 3 of 3 five-minute periods, so a single bad minute does not page).
   *
   * @default 5
   */
  readonly serverErrorPercent?: number;
  /**
   * How many failed `lastUsedAt` writes in five minutes fire its alarm. A few are harmless (last
   * use is informational, retried on the next minute's request); a steady stream means a
   * permission or table problem.
   *
   * @default 10
   */
  readonly lastUsedFailuresPerFiveMinutes?: number;
}

/**
 * CloudWatch alarms for failures that would otherwise be silent, with an optional SNS topic:
 * authorizer errors and throttles (every affected request is refused), the API's 5XX rate,
 * failed cache flushes (a revoked key keeps working until the cache expires), failed daily
 * notice runs, and failed `lastUsedAt` writes above a rate.
 */
export class KeygateAlarms extends Construct {
  /** Where every alarm notifies; only when an email was given. */
  public readonly topic: sns.Topic | undefined;
  /** Every alarm this construct built, by name. */
  public readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: KeygateAlarmsProps) {
    super(scope, id);
    const serverErrorPercent = props.serverErrorPercent ?? 5;
    if (!(serverErrorPercent > 0 && serverErrorPercent <= 100)) {
      throw new Error(
        `KeygateAlarms serverErrorPercent must be above 0 and at most 100, received ${serverErrorPercent}`,
      );
    }
    const lastUsedThreshold = props.lastUsedFailuresPerFiveMinutes ?? 10;
    if (!Number.isInteger(lastUsedThreshold) || lastUsedThreshold < 1) {
      throw new Error(
        `KeygateAlarms lastUsedFailuresPerFiveMinutes must be a whole number, at least 1, received ${lastUsedThreshold}`,
      );
    }
    const fiveMinutes = Duration.minutes(5);

    const cacheFlushFailures = this.countLogLine(
      'CacheFlushFailed',
      props.flushingFunctions,
      FAILURE_LOG_LINES.cacheFlushFailed,
    );
    const lastUsedFailures = this.countLogLine(
      'LastUsedNotRecorded',
      [
        props.authorizerFunction,
        ...(props.keysOnlyAuthorizerFunction === undefined ? [] : [props.keysOnlyAuthorizerFunction]),
        ...(props.lastUseFunctions ?? []),
      ],
      FAILURE_LOG_LINES.lastUsedNotRecorded,
    );
    const requests = props.api.metricCount({ period: fiveMinutes, statistic: 'Sum' });
    const serverErrors = props.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' });

    const alarm = (
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      evaluationPeriods = 1,
    ): cloudwatch.Alarm =>
      new cloudwatch.Alarm(this, name, {
        alarmDescription: `keygate: ${description}`,
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        // no data is no traffic, or no failure: both fine.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    this.alarms = {
      authorizerErrors: alarm(
        'AuthorizerErrors',
        'the authorizer Lambda failed (every request it served was refused 401/500)',
        props.authorizerFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        1,
      ),
      authorizerThrottles: alarm(
        'AuthorizerThrottles',
        'the authorizer Lambda was throttled (concurrency limit): requests were refused',
        props.authorizerFunction.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        1,
      ),
      ...(props.keysOnlyAuthorizerFunction === undefined
        ? {}
        : {
            keysOnlyAuthorizerErrors: alarm(
              'KeysOnlyAuthorizerErrors',
              'the keys-only authorizer (front door, added routes) failed: every request it served was refused 401/500',
              props.keysOnlyAuthorizerFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
              1,
            ),
            keysOnlyAuthorizerThrottles: alarm(
              'KeysOnlyAuthorizerThrottles',
              'the keys-only authorizer (front door, added routes) was throttled (concurrency limit): requests were refused',
              props.keysOnlyAuthorizerFunction.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
              1,
            ),
          }),
      serverErrorRate: alarm(
        'ServerErrorRate',
        `more than ${serverErrorPercent}% of API requests answered 5XX for 15 minutes`,
        new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          usingMetrics: { requests, errors: serverErrors },
          period: fiveMinutes,
          label: 'API 5XX, % of requests',
        }),
        serverErrorPercent,
        3,
      ),
      cacheFlushFailures: alarm(
        'CacheFlushFailures',
        'an authorizer cache flush failed: a revoked, deleted or expired key may work until the cache expires',
        cacheFlushFailures,
        1,
      ),
      flushDeadLetters: alarm(
        'FlushDeadLetters',
        'a queued cache flush (second flush, grace end or midnight) failed every retry (see its dead-letter queue)',
        props.flushDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: fiveMinutes,
          statistic: 'Maximum',
        }),
        1,
      ),
      ...(props.noticesDeadLetterQueue === undefined
        ? {}
        : {
            noticeDeadLetters: alarm(
              'NoticeDeadLetters',
              'a daily notice run (expiry and staleness) failed every retry or was never delivered (see its dead-letter queue)',
              props.noticesDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: fiveMinutes,
                statistic: 'Maximum',
              }),
              1,
            ),
          }),
      lastUsedFailures: alarm(
        'LastUsedFailures',
        `at least ${lastUsedThreshold} lastUsedAt writes failed in 5 minutes (see the authorizer and usage function logs)`,
        lastUsedFailures,
        lastUsedThreshold,
      ),
    };

    if (props.alarmEmail !== undefined) {
      this.topic = new sns.Topic(this, 'Topic', { displayName: 'keygate alarms', enforceSSL: true });
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      const action = new SnsAction(this.topic);
      const notifying = [...Object.values(this.alarms), ...(props.otherAlarms ?? [])];
      for (const each of notifying) each.addAlarmAction(action);
      // a topic policy replaces SNS's default one, and `enforceSSL` writes a policy holding only
      // its Deny: without this Allow, CloudWatch may not publish and no alarm email arrives. the
      // conditions keep the service principal to these alarms of this account (the confused
      // deputy): https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html and
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': notifying.map((each) => each.alarmArn) },
          },
        }),
      );
      Validations.of(this.topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key, and the messages hold alarm names and ' +
          'states only, no tenant data or keys; a customer managed key would cost $1 a month for nothing secret',
      });
    }
  }

  /**
   * Counts a log line of the functions' JSON logs into one metric (a metric filter per log group,
   * all into the same metric), so one alarm covers every function that can fail this way.
   */
  private countLogLine(
    id: string,
    functions: readonly lambda.Function[],
    line: { message: string; metricName: string },
  ): cloudwatch.Metric {
    functions.forEach((fn, index) => {
      new logs.MetricFilter(this, `${id}Filter${index}`, {
        logGroup: fn.logGroup,
        metricNamespace: METRIC_NAMESPACE,
        metricName: line.metricName,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', line.message),
        metricValue: '1',
      });
    });
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: line.metricName,
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
  }
}
