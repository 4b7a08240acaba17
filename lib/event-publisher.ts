import { Aws, Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KeygateFunction } from './keygate-function';
import type { KeyTable } from './key-table';
import { ENV } from '../lambdas/runtime/env-names';

/** Properties of an {@link EventPublisher}. */
export interface EventPublisherProps {
  /** The key table; its stream carries the outbox's event items. */
  readonly table: KeyTable;
  /**
   * The EventBridge bus events are put on.
   *
   * @default - the account's default bus
   */
  readonly eventBusName?: string;
}

/**
 * The transactional outbox's relay: the key table's stream, filtered to inserted event items,
 * feeds a Lambda that puts each event on EventBridge (`source: keygate`, the type as
 * `detail-type`, the event with its id as `detail`), at least once. A record that still fails
 * after its retries is isolated by bisection and its sequence range goes to a dead-letter queue;
 * the event itself stays in the table, and `keygate-admin replay-events` publishes it again.
 */
export class EventPublisher extends Construct {
  /** The publishing Lambda. */
  public readonly function: KeygateFunction;
  /**
   * Where the sequence ranges of stream records that could not be published are recorded (the
   * records themselves are not: replay them from the table with `keygate-admin replay-events`).
   */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EventPublisherProps) {
    super(scope, id);
    const table = props.table.table;
    if (table.tableStreamArn === undefined) throw new Error('EventPublisher needs a key table with a stream');
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.function = new KeygateFunction(this, 'Function', {
      entry: 'publisher/index.ts',
      description: 'keygate: publishes committed outbox events to EventBridge',
      timeout: Duration.seconds(30),
      environment: props.eventBusName === undefined ? {} : { [ENV.eventBusName]: props.eventBusName },
    });
    this.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // a failed invocation halves the batch (spending no retry) and a partial batch response
        // checkpoints before the first record not published, so a poison record ends up alone and
        // only its own sequence number reaches the dead-letter queue after its retries.
        // https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
        // https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.deadLetterQueue),
        // only new event items: key and tenant items, their updates and TTL removals stay out.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { pk: { S: FilterRule.beginsWith('EVENT#') } } },
          }),
        ],
      }),
    );
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "this is a dead-letter queue: the stream's failed batches land here, and nothing reads it to fail again",
    });
    Validations.of(this.function.role ?? this.function).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: "dynamodb:ListStreams, which the stream's event source mapping needs, has no resource-level permissions",
    });
    const bus = props.eventBusName ?? 'default';
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${bus}`],
      }),
    );
  }
}
