/**
 * The environment variables keygate's Lambdas read, by what they hold: the constructs in `lib/`
 * set them and the Lambda entries read them through these names, so neither side can misspell one.
 */
export const ENV = {
  /** The key table's name. */
  tableName: 'TABLE_NAME',
  /** `keygate:keyPrefix`. */
  keyPrefix: 'KEY_PREFIX',
  /** `keygate:keyFormat` then `keygate:acceptedKeyFormats`, a JSON list: new keys use the first. */
  keyFormats: 'KEY_FORMATS',
  /** `keygate:acceptBareKeys`, `true` or `false`. */
  acceptBareKeys: 'ACCEPT_BARE_KEYS',
  /**
   * `true` on the authorizer of keygate's own routes, which takes session tokens too; absent or
   * `false` on the keys-only one (the front door, `addRoute` routes, other APIs).
   */
  acceptSessions: 'ACCEPT_SESSIONS',
  /** `keygate:lastUsedIntervalSeconds`. */
  lastUsedIntervalSeconds: 'LAST_USED_INTERVAL_SECONDS',
  /**
   * The REST API whose methods a suspended tenant's key gets a Deny on (naming the refusal, for the
   * configured `suspended` answer) rather than a 401; absent without that answer.
   */
  denySuspendedApiId: 'DENY_SUSPENDED_API_ID',
  /** `keygate:workspacePathSegment`; absent when paths name no workspace. */
  workspaceSegment: 'WORKSPACE_SEGMENT',
  /** The route rules of the authorizer's policy, JSON. */
  routeRoles: 'ROUTE_ROLES',
  /** keygate's REST API id. */
  restApiId: 'REST_API_ID',
  /** `keygate:stageName`. */
  stageName: 'STAGE_NAME',
  /** The prefix of the API keys and usage plans made at run time (the stack's name). */
  namePrefix: 'NAME_PREFIX',
  /**
   * The stages besides keygate's own that usage plans made at run time are bound to, a JSON list
   * of `{restApiId, stageName}`; absent when there are none.
   */
  usagePlanStages: 'USAGE_PLAN_STAGES',
  /** The shared plans by usage plan name, JSON. */
  plans: 'PLANS',
  /** `keygate:eventRetentionDays`. */
  eventRetentionDays: 'EVENT_RETENTION_DAYS',
  /** `keygate:onLeak`. */
  onLeak: 'ON_LEAK',
  /** `keygate:staleAfterDays`. */
  staleAfterDays: 'STALE_AFTER_DAYS',
  /** `keygate:revokeStaleKeys`, `true` or `false`. */
  revokeStaleKeys: 'REVOKE_STALE_KEYS',
  /** `keygate:eventBusName`; absent for the account's default bus. */
  eventBusName: 'EVENT_BUS_NAME',
  /** The queue of delayed authorizer cache flushes. */
  flushQueueUrl: 'FLUSH_QUEUE_URL',
  /** Seconds between a flush and its second, delayed flush. */
  flushSettleSeconds: 'FLUSH_SETTLE_SECONDS',
  /** The flush queue's ARN, which a grace end's one-time schedule sends to. */
  flushQueueArn: 'FLUSH_QUEUE_ARN',
  /** The flush dead-letter queue's ARN, where a grace end's schedule that could not send is kept. */
  flushDeadLetterArn: 'FLUSH_DEAD_LETTER_ARN',
  /** The schedule group of the grace ends' one-time schedules. */
  flushScheduleGroup: 'FLUSH_SCHEDULE_GROUP',
  /** The role EventBridge Scheduler assumes to send a grace end's request to the flush queue. */
  flushScheduleRoleArn: 'FLUSH_SCHEDULE_ROLE_ARN',
  /** The stages a flush flushes, JSON. */
  flushStages: 'FLUSH_STAGES',
  /** The plan reconciler's queue. */
  reconcileQueueUrl: 'RECONCILE_QUEUE_URL',
  /** `keygate:corsOrigins`, a JSON list; absent when no browser origin is allowed. */
  corsOrigins: 'CORS_ORIGINS',
  /** The DNS suffix of the stack's partition (`AWS::URLSuffix`: `amazonaws.com`, `amazonaws.com.cn`). */
  dnsSuffix: 'DNS_SUFFIX',
  /** `keygate:usageHourlyRetentionDays`. */
  usageHourlyRetentionDays: 'USAGE_HOURLY_RETENTION_DAYS',
  /** `keygate:usageDailyRetentionDays`. */
  usageDailyRetentionDays: 'USAGE_DAILY_RETENTION_DAYS',
  /** `keygate:newSourceDays`; 0 or absent: off. */
  newSourceDays: 'NEW_SOURCE_DAYS',
  /** A DynamoDB endpoint other than the region's (the benchmark's DynamoDB Local). */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
} as const;

/** The name of an environment variable a keygate Lambda reads. */
export type EnvName = (typeof ENV)[keyof typeof ENV];
