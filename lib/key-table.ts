import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lambdas/core/store/table';

/** Properties of a {@link KeyTable}. */
export interface KeyTableProps {
  /**
   * What happens to the table when it is removed from the stack or the stack is deleted.
   *
   * @default - the table is retained: it holds every tenant and key
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Which of the notice job's day indexes to build. CloudFormation adds one index per table
   * update, so a table from before them needs one deploy with `expiryOnly`, then one with `both`.
   *
   * @default 'both'
   */
  readonly noticeIndexes?: NoticeIndexes;
}

/** The notice indexes a {@link KeyTable} builds: both, or the first alone (an upgrade's first deploy). */
export type NoticeIndexes = 'both' | 'expiryOnly';

/** The only attributes the authorizer may write, besides naming the item's key: the last use and its day in `byActivityDay`. */
const LAST_USED_ATTRIBUTES = ['lastUsedAt', TABLE_SCHEMA.activityIndexPartitionKey];

/** What a `read` function may call: the calls the key store makes to read (no batches, no scans). */
const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
/** What a `readWrite` function may call on top: single-item writes and the parts of `TransactWriteItems`. */
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'];

/**
 * The key table: one item per key and per tenant (`pk`/`sk`), on-demand, TTL on `ttl`,
 * point-in-time recovery, encrypted with the AWS-managed KMS key, the `byTenant` index that
 * lists a tenant's keys newest first and the `byTenantEnvironment` index that lists those of
 * one environment. Its schema is {@link TABLE_SCHEMA}, the one the local gateway builds too.
 */
export class KeyTable extends Construct {
  /** The DynamoDB table. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: KeyTableProps = {}) {
    super(scope, id);
    const s = TABLE_SCHEMA;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: s.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: s.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: s.ttlAttribute,
      // the outbox's relay: committed event items reach EventBridge from the stream.
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: s.tenantIndex,
      partitionKey: { name: s.tenantIndexPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: s.tenantIndexSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // CloudFormation adds one index per table update: a stack that already has byTenant gets
    // this one in a single deploy, then `keygate-admin backfill-environment-index` fills it.
    this.table.addGlobalSecondaryIndex({
      indexName: s.environmentIndex,
      partitionKey: { name: s.environmentIndexPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: s.environmentIndexSortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // the notice job's sparse day indexes (TABLE_SCHEMA): keys only, partition key only. A
    // stack that predates them gets them one per deploy (CloudFormation adds one index per table
    // update): `expiryOnly`, then `both` (README, "Upgrading"); `backfill-notice-indexes` fills them.
    const noticeIndexes = props.noticeIndexes ?? 'both';
    if (noticeIndexes !== 'both' && noticeIndexes !== 'expiryOnly') {
      throw new Error(
        `KeyTable noticeIndexes must be 'both' or 'expiryOnly', received ${JSON.stringify(noticeIndexes)}`,
      );
    }
    for (const [indexName, partitionKey] of [
      [s.expiryIndex, s.expiryIndexPartitionKey],
      ...(noticeIndexes === 'both' ? [[s.activityIndex, s.activityIndexPartitionKey]] : []),
    ]) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.KEYS_ONLY,
      });
    }
  }

  /** The ARN of the `byTenant` index, named exactly rather than `index/*`. */
  get tenantIndexArn(): string {
    return `${this.table.tableArn}/index/${TABLE_SCHEMA.tenantIndex}`;
  }

  /** The ARN of the `byTenantEnvironment` index, named exactly rather than `index/*`. */
  get environmentIndexArn(): string {
    return `${this.table.tableArn}/index/${TABLE_SCHEMA.environmentIndex}`;
  }

  /** The ARNs of the notice job's two day indexes. */
  get noticeIndexArns(): string[] {
    return [TABLE_SCHEMA.expiryIndex, TABLE_SCHEMA.activityIndex].map(
      (index) => `${this.table.tableArn}/index/${index}`,
    );
  }

  /** Lets a grantee query the notice job's day indexes (on top of its other table access). */
  grantNoticeRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: this.noticeIndexArns });
  }

  /**
   * Lets a grantee read items and query the two listing indexes. No `Scan`, which no code path
   * needs and which would read every tenant's items at once, and no batch calls, which the key
   * store does not make.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: READ_ACTIONS,
      resourceArns: [this.table.tableArn, this.tenantIndexArn, this.environmentIndexArn],
    });
  }

  /** Lets a grantee read as {@link grantRead} does and write, delete and transact items. */
  grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...READ_ACTIONS, ...WRITE_ACTIONS],
      resourceArns: [this.table.tableArn, this.tenantIndexArn, this.environmentIndexArn],
    });
  }

  /**
   * What the authorizer needs and nothing more: `GetItem`, and an `UpdateItem` that can touch
   * only `lastUsedAt` and its day in the activity index, `gsi4pk` (and name the item's
   * `pk`/`sk`), and return nothing. A stolen authorizer
   * role can read keys' hashes but cannot revoke, re-enable, re-plan or delete anything.
   *
   * `dynamodb:Attributes` holds the top-level attributes a request names; the authorizer's
   * write (`SET lastUsedAt, gsi4pk`, conditioned on `pk` and `lastUsedAt`, by key `pk`/`sk`)
   * names only these four, whether or not the condition's attributes are counted.
   * `dynamodb:ReturnValues` is absent from a request that does not set `ReturnValues`, hence
   * `IfExists`: a request may omit it or ask for `NONE`, never for the item's other attributes.
   */
  grantAuthorizerAccess(grantee: iam.IGrantable): iam.Grant {
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.table.tableArn],
    });
    return read.combine(this.grantLastUseWrite(grantee));
  }

  /**
   * The last-use write alone (see {@link grantAuthorizerAccess}): an `UpdateItem` of `lastUsedAt`
   * and `gsi4pk` only, returning nothing. The usage aggregator records the access log's uses
   * with it, and can change nothing else of a key.
   */
  grantLastUseWrite(grantee: iam.IGrantable): iam.Grant {
    const s = TABLE_SCHEMA;
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [s.partitionKey, s.sortKey, ...LAST_USED_ATTRIBUTES] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    });
  }
}
