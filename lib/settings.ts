import type { Node } from 'constructs';
import type { NoticeIndexes } from './key-table';
import { DEFAULT_LAST_USED_INTERVAL_SECONDS } from '../lambdas/core/auth/authorize';
import { DEFAULT_EVENT_RETENTION_DAYS } from '../lambdas/core/events/dynamodb-outbox';
import { MAX_CORS_ORIGINS } from '../lambdas/core/http/cors';
import { parseGatewayAnswers, type GatewayAnswers } from '../lambdas/core/http/gateway-answers';
import { assertValidPrefix, defaultFormatFor, type KeyFormat } from '../lambdas/core/keys/format';
import { LEAK_POLICIES, type LeakPolicy } from '../lambdas/core/leaks/leak-service';
import type { PlanLimits } from '../lambdas/core/model';
import { DEFAULT_STALE_AFTER_DAYS } from '../lambdas/core/notices/notice-job';
import {
  DEFAULT_USAGE_DAILY_RETENTION_DAYS,
  DEFAULT_USAGE_HOURLY_RETENTION_DAYS,
} from '../lambdas/core/usage/counters';
import {
  CONFIGURED_PLANS,
  STAGE_NAME,
  booleanSetting,
  corsOriginsSetting,
  integerSetting,
  isConfiguredPlan,
  keyFormatSetting,
  keyFormatsSetting,
  logRetentionSetting,
  plansSetting,
  protectedStagesSetting,
  received,
  stringSetting,
  upstreamUrlSetting,
  type ConfiguredPlan,
} from './setting-values';

import { CONTEXT_KEYS, INTEGER_RANGES, MAX_WORKSPACE_SEGMENT, type IntegerSetting } from './setting-sources';

export { CONFIGURED_PLANS, type ConfiguredPlan } from './setting-values';
export {
  CONTEXT_KEYS,
  INTEGER_RANGES,
  MAX_AUTHORIZER_CACHE_TTL_SECONDS,
  SETTINGS,
  type IntegerSetting,
  type SettingSource,
} from './setting-sources';

/**
 * Everything a deployment can configure, read from `cdk.json` context by {@link settingsFromContext}
 * (and by `npm start`, with `KEYGATE_*` variables on top). The TSDoc of each field is its entry
 * in `docs/configuration.md` (`npm run docs:config`).
 */
export interface KeygateSettings {
  /** The key prefix, as in `sk_live_...`: 1–16 lowercase letters or digits, starting with a letter. */
  readonly keyPrefix: string;
  /**
   * How new keys are spelled (JSON `{"prefix", "environment", "checksum"}`): the prefix, whether
   * `live_`/`test_` follows it, and whether an 8-hex CRC-32 ends it, after 64 random hex
   * characters. By default `{"prefix": <keyPrefix>, "environment": true, "checksum": true}`, as in
   * `sk_live_` + 72 hex. Without the environment, a key's environment is on its record only (the
   * authorizer reads it there); without the checksum, a mistyped or made-up key of the right shape
   * costs the authorizer one read ([Key formats](key-formats.md)).
   */
  readonly keyFormat?: KeyFormat;
  /**
   * Older key formats still accepted beside `keyFormat`, while their keys
   * are rotated or imported (a JSON list, at most 4): the authorizer and API Gateway's
   * identity-validation expression accept any of them; new keys always use `keyFormat`. None by default.
   */
  readonly acceptedKeyFormats?: readonly KeyFormat[];
  /** The API Gateway stage the API is deployed to. */
  readonly stageName: string;
  /** How long API Gateway caches an authorizer answer, 0–3600 s; 0 turns the cache off. */
  readonly authorizerCacheTtlSeconds: number;
  /** Whether a key without the `Bearer` scheme is accepted in the `Authorization` header. */
  readonly acceptBareKeys: boolean;
  /** The plan of the operator tenant. */
  readonly operatorPlan: ConfiguredPlan;
  /** Requests per second, burst and optional quota for each configured plan. */
  readonly plans: Readonly<Record<ConfiguredPlan, PlanLimits>>;
  /**
   * The backend the front door forwards every non-keygate request to, after authorization and
   * the usage plan (`https://...`; `http://` only in local mode); none by default.
   */
  readonly upstreamUrl?: string;
  /**
   * The version id of the upstream secret that the front door sends (`x-keygate-secret`); none
   * by default: the version current at the first deploy. After putting a new value in the
   * secret, set this to its version id and deploy: the new id changes the dynamic reference and
   * the API's deployment, so CloudFormation reads the new value and the stage serves it.
   */
  readonly upstreamSecretVersion?: string;
  /**
   * Stages of other APIs the key authorizer guards (`[{restApiId, stageName}]`): every flush of
   * keygate's stage flushes them too. None by default.
   */
  readonly protectedStages?: readonly { readonly restApiId: string; readonly stageName: string }[];
  /**
   * The browser origins allowed to call keygate's own routes (CORS): their preflights are
   * answered without a key, and every answer, gateway errors included, carries the headers a
   * browser needs. None by default: no CORS headers at all. The front door's paths are left to
   * the backend ([Browsers](http-api.md#browsers-cors)).
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Whether to deploy the operator console (the one `npm start` serves at `/console`): its files
   * in a private S3 bucket, served by a CloudFront distribution through an origin access control,
   * HTTPS only, with a strict Content-Security-Policy and the other security headers. Its origin
   * joins `corsOrigins`, and the stack output `ConsoleUrl` is its address
   * ([The operator console](console.md#on-aws)). Off by default.
   */
  readonly console: boolean;
  /**
   * The answers of the routes keygate guards for you (the front door and `addRoute` routes) to a
   * missing or refused key (`unauthorized`), a key the policy refuses (`forbidden`), a request over
   * the usage plan (`throttled`) and a suspended tenant's key (`suspended`), each
   * `{"status"?, "body"}`; the body is a JSON value or a string sent byte for byte. keygate's own
   * `/v1` routes keep their error shape: on AWS the guarded routes then move to a REST API of
   * their own, at the stack output `GuardedApiUrl`. None by default: keygate's own answers
   * everywhere ([Your API's answers](your-api-behind-keygate.md#your-apis-answers)).
   */
  readonly gatewayAnswers?: GatewayAnswers;
  /**
   * The 1-based index of the path segment that names a workspace on the routes keygate guards
   * for you (the front door and `addRoute` routes), such as `1` for `/{workspaceUuid}/posts`: a
   * key then reaches a path whose segment N is one of its tenant's workspaces
   * (`PUT /v1/panel/tenants/{tenantId}/workspaces`), or of those its scopes name, and the front
   * door passes them on as `x-keygate-workspaces`. Other paths of those routes are reached only
   * through routes given roles whose first N segments are literal. None by default: keys reach
   * the whole API ([Workspaces](workspaces.md)).
   */
  readonly workspacePathSegment?: number;
  /**
   * The stage's default throttle, requests per second for each method and all callers together:
   * the ceiling for traffic no usage plan meters yet (forged keys cost an authorizer call each).
   * At least the largest plan's rate.
   */
  readonly stageRateLimit: number;
  /** The stage's default burst, requests; at least the largest plan's burst. */
  readonly stageBurstLimit: number;
  /** Whether to put an AWS WAF web ACL in front of the stage (per-IP rate rule, managed rule groups). */
  readonly waf: boolean;
  /** With `waf`: requests one IP address may send in 5 minutes before WAF blocks it. */
  readonly wafIpRateLimit: number;
  /** Where CloudWatch alarms send email (an SNS topic subscription); none when absent. */
  readonly alarmEmail?: string;
  /**
   * Days without use after which the daily job reports a key as stale (`key.stale`), 1–3650. Use
   * is every request of the key in the access log (with `usageAnalytics`), and every one the
   * authorizer runs for.
   */
  readonly staleAfterDays: number;
  /**
   * How often, at most, the authorizer records a key's `lastUsedAt`, 60–86400 s. The write is
   * most of DynamoDB's bill once the authorizer cache is on (a WRU costs five RRUs); a longer
   * interval makes `lastUsedAt` coarser (staleness is counted in days, so up to a day is safe).
   */
  readonly lastUsedIntervalSeconds: number;
  /** Whether the daily job revokes stale keys (never a tenant's last owner key) instead of only reporting them. */
  readonly revokeStaleKeys: boolean;
  /** How long events are kept (DynamoDB TTL removes them after), 1–3650 days. */
  readonly eventRetentionDays: number;
  /**
   * The EventBridge bus events are published on: keygate creates a bus of this name. None: the
   * account's default bus.
   */
  readonly eventBusName?: string;
  /**
   * `expiryOnly` for the first of the two deploys that upgrade a stack from before the notice
   * indexes (CloudFormation adds one index per table update); `both` otherwise.
   */
  readonly noticeIndexes: NoticeIndexes;
  /**
   * What a reported leak (GitHub secret scanning, or `POST /v1/panel/leaks`) does to the key:
   * `revoke` it at once, or only `notify` (mark it leaked and publish `key.leaked`).
   */
  readonly onLeak: LeakPolicy;
  /**
   * Whether requests are counted per key and tenant from the API's access log: on AWS a
   * subscription filter sends the access log to an aggregator Lambda that writes hourly and daily
   * counters to the key table ([Usage](usage.md)). Off: no
   * filter, no Lambda, no counters.
   */
  readonly usageAnalytics: boolean;
  /**
   * How long the API's access log keeps its lines, in days: one of the periods CloudWatch Logs
   * offers. The usage counters are written from the lines within seconds; the lines themselves
   * are kept for audits and investigations.
   */
  readonly accessLogRetentionDays: number;
  /** How long hourly usage counters are kept (DynamoDB TTL), in days; at most `usageDailyRetentionDays`. */
  readonly usageHourlyRetentionDays: number;
  /** How long daily usage counters and a key's daily sources are kept (DynamoDB TTL), in days. */
  readonly usageDailyRetentionDays: number;
  /**
   * `key.new_source`: a key used from a network (/24 for IPv4, /48 for IPv6) absent from its
   * sources of this many days raises the event, through the outbox like every other. 0 turns it
   * off; it needs `usageAnalytics`.
   */
  readonly newSourceDays: number;
}

/** The settings a deployment gets for every key it leaves out of `cdk.json`. */
export const DEFAULT_SETTINGS: KeygateSettings = {
  keyPrefix: 'sk',
  stageName: 'prod',
  authorizerCacheTtlSeconds: 300,
  acceptBareKeys: true,
  operatorPlan: 'scale',
  plans: {
    starter: { rateLimit: 10, burstLimit: 20 },
    growth: { rateLimit: 100, burstLimit: 200 },
    scale: { rateLimit: 1000, burstLimit: 2000 },
  },
  // twice the largest default plan, a fifth of the account's default 10,000 rps per region.
  stageRateLimit: 2000,
  stageBurstLimit: 4000,
  waf: false,
  console: false,
  // ~33 requests per second from one address, sustained over 5 minutes.
  wafIpRateLimit: 10_000,
  staleAfterDays: DEFAULT_STALE_AFTER_DAYS,
  lastUsedIntervalSeconds: DEFAULT_LAST_USED_INTERVAL_SECONDS,
  revokeStaleKeys: false,
  eventRetentionDays: DEFAULT_EVENT_RETENTION_DAYS,
  noticeIndexes: 'both',
  onLeak: 'revoke',
  usageAnalytics: true,
  accessLogRetentionDays: 30,
  usageHourlyRetentionDays: DEFAULT_USAGE_HOURLY_RETENTION_DAYS,
  usageDailyRetentionDays: DEFAULT_USAGE_DAILY_RETENTION_DAYS,
  newSourceDays: 0,
};

/**
 * The key formats a deployment accepts, the one new keys are minted in first: `keyFormat` (or
 * the default format under `keyPrefix`), then `acceptedKeyFormats`.
 */
export function keyFormatsOf(
  settings: Pick<KeygateSettings, 'keyPrefix' | 'keyFormat' | 'acceptedKeyFormats'>,
): readonly KeyFormat[] {
  return [settings.keyFormat ?? defaultFormatFor(settings.keyPrefix), ...(settings.acceptedKeyFormats ?? [])];
}

/** Settings as they arrive from context or from a caller: any field may be missing or a string. */
export type SettingsInput = { readonly [K in keyof KeygateSettings]?: unknown };

/** A setting that cannot be used: its message names the setting, the value received and what is expected. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** How {@link resolveSettings} reads its input. */
export interface ResolveOptions {
  /**
   * Whether the settings are for `npm start`, where the upstream may be plain `http` (a backend
   * on the developer's machine).
   *
   * @default false
   */
  readonly local?: boolean;
}

/**
 * Reads the `keygate:*` context keys of a construct tree (usually the app's), applies the
 * defaults and validates the result for a deployment.
 *
 * @throws SettingsError naming the context key, the value received and what is expected.
 */
export function settingsFromContext(node: Node): KeygateSettings {
  const input: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(CONTEXT_KEYS)) input[field] = node.tryGetContext(key);
  return resolveSettings(input, (field) => CONTEXT_KEYS[field]);
}

/**
 * Applies the defaults to partial settings and validates every field. Values may be strings,
 * as context passed with `cdk synth -c key=value` always is: `"300"`, `"true"` and a JSON
 * object for `plans` are accepted. Plans are merged over the default plans one by one, so a
 * deployment can change one plan without restating the others.
 *
 * @param label - how a field is named in error messages; the field name by default.
 * @throws SettingsError naming the field, the value received and what is expected.
 */
export function resolveSettings(
  input: SettingsInput = {},
  label: (field: keyof KeygateSettings) => string = (field) => field,
  options: ResolveOptions = {},
): KeygateSettings {
  try {
    return resolve(input, label, options);
  } catch (error) {
    if (error instanceof SettingsError) throw error;
    throw new SettingsError((error as Error).message);
  }
}

function resolve(
  input: SettingsInput,
  label: (field: keyof KeygateSettings) => string,
  options: ResolveOptions,
): KeygateSettings {
  const d = DEFAULT_SETTINGS;
  const integer = (field: IntegerSetting): number =>
    integerSetting(label(field), input[field], d[field], ...INTEGER_RANGES[field]);
  const optional = (field: 'alarmEmail' | 'eventBusName' | 'upstreamSecretVersion'): string | undefined => {
    const value = input[field];
    return value === undefined || value === null || value === '' ? undefined : stringSetting(label(field), value, '');
  };
  const keyPrefix = stringSetting(label('keyPrefix'), input.keyPrefix, d.keyPrefix);
  try {
    assertValidPrefix(keyPrefix);
  } catch (error) {
    throw new SettingsError(`${label('keyPrefix')}: ${(error as Error).message}`, { cause: error });
  }
  const keyFormat =
    input.keyFormat === undefined || input.keyFormat === null || input.keyFormat === ''
      ? undefined
      : keyFormatSetting(label('keyFormat'), input.keyFormat);
  if (
    keyFormat !== undefined &&
    input.keyPrefix !== undefined &&
    input.keyPrefix !== null &&
    keyPrefix !== keyFormat.prefix
  ) {
    throw new SettingsError(
      `${label('keyPrefix')} (${JSON.stringify(keyPrefix)}) must be the prefix of ${label('keyFormat')} ` +
        `(${JSON.stringify(keyFormat.prefix)}), or be left out`,
    );
  }
  const acceptedKeyFormats = keyFormatsSetting(
    label('acceptedKeyFormats'),
    input.acceptedKeyFormats,
    keyFormat ?? defaultFormatFor(keyPrefix),
  );
  const stageName = stringSetting(label('stageName'), input.stageName, d.stageName);
  if (!STAGE_NAME.test(stageName)) {
    throw new SettingsError(
      `${label('stageName')} must be 1–128 letters, digits, '-' or '_', received ${JSON.stringify(stageName)}`,
    );
  }
  const authorizerCacheTtlSeconds = integer('authorizerCacheTtlSeconds');
  const acceptBareKeys = booleanSetting(label('acceptBareKeys'), input.acceptBareKeys, d.acceptBareKeys);
  const plans = plansSetting(label('plans'), input.plans, d.plans);
  const operatorPlan = stringSetting(label('operatorPlan'), input.operatorPlan, d.operatorPlan);
  if (!isConfiguredPlan(operatorPlan)) {
    throw new SettingsError(
      `${label('operatorPlan')} must be one of ${CONFIGURED_PLANS.join(', ')}, received ${JSON.stringify(operatorPlan)}`,
    );
  }
  const stageRateLimit = integer('stageRateLimit');
  const stageBurstLimit = integer('stageBurstLimit');
  for (const plan of CONFIGURED_PLANS) {
    // a stage ceiling below a plan would throttle that plan's tenants before their usage plan does.
    if (plans[plan].rateLimit > stageRateLimit || plans[plan].burstLimit > stageBurstLimit) {
      throw new SettingsError(
        `${label('stageRateLimit')}/${label('stageBurstLimit')} (${stageRateLimit}/${stageBurstLimit}) must be at least ` +
          `the ${plan} plan's ${plans[plan].rateLimit}/${plans[plan].burstLimit}: raise them, or lower the plan`,
      );
    }
  }
  const waf = booleanSetting(label('waf'), input.waf, d.waf);
  const wafIpRateLimit = integer('wafIpRateLimit');
  const alarmEmail = optional('alarmEmail');
  if (alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)) {
    throw new SettingsError(`${label('alarmEmail')} must be an email address, ${received(alarmEmail)}`);
  }
  const absent = input.upstreamUrl === undefined || input.upstreamUrl === null || input.upstreamUrl === '';
  const upstreamUrl = absent
    ? undefined
    : upstreamUrlSetting(label('upstreamUrl'), input.upstreamUrl, options.local === true);
  const upstreamSecretVersion = optional('upstreamSecretVersion');
  // Secrets Manager version ids are 32–64 characters (a UUID when Secrets Manager makes one).
  if (upstreamSecretVersion !== undefined && !/^[A-Za-z0-9-]{32,64}$/.test(upstreamSecretVersion)) {
    throw new SettingsError(
      `${label('upstreamSecretVersion')} must be a Secrets Manager version id (32–64 letters, digits or '-'), ${received(upstreamSecretVersion)}`,
    );
  }
  const protectedStages = protectedStagesSetting(label('protectedStages'), input.protectedStages);
  const corsOrigins = corsOriginsSetting(label('corsOrigins'), input.corsOrigins);
  const deployConsole = booleanSetting(label('console'), input.console, d.console);
  // the console's origin is one more of the list every route function and preflight carries.
  if (deployConsole && corsOrigins.length > MAX_CORS_ORIGINS - 1) {
    throw new SettingsError(
      `${label('corsOrigins')} takes at most ${MAX_CORS_ORIGINS - 1} origins with ${label('console')}: the console's origin is added to them, received ${corsOrigins.length}`,
    );
  }
  const gatewayAnswers = parseGatewayAnswers(label('gatewayAnswers'), input.gatewayAnswers);
  const segment = input.workspacePathSegment;
  const workspacePathSegment =
    segment === undefined || segment === null || segment === ''
      ? undefined
      : integerSetting(label('workspacePathSegment'), segment, 0, 1, MAX_WORKSPACE_SEGMENT);
  const staleAfterDays = integer('staleAfterDays');
  const lastUsedIntervalSeconds = integer('lastUsedIntervalSeconds');
  const revokeStaleKeys = booleanSetting(label('revokeStaleKeys'), input.revokeStaleKeys, d.revokeStaleKeys);
  const eventRetentionDays = integer('eventRetentionDays');
  const eventBusName = optional('eventBusName');
  // EventBridge bus names: 1-256 of letters, digits, . - _ ; `default` is the default bus, not one to create.
  if (eventBusName !== undefined && (!/^[A-Za-z0-9._-]{1,256}$/.test(eventBusName) || eventBusName === 'default')) {
    throw new SettingsError(
      `${label('eventBusName')} must be 1–256 letters, digits, '.', '-' or '_', and not "default" (leave it unset for the default bus), ${received(eventBusName)}`,
    );
  }
  const noticeIndexes = stringSetting(label('noticeIndexes'), input.noticeIndexes, d.noticeIndexes);
  if (noticeIndexes !== 'both' && noticeIndexes !== 'expiryOnly') {
    throw new SettingsError(
      `${label('noticeIndexes')} must be both or expiryOnly (the first deploy of an upgrade), ${received(noticeIndexes)}`,
    );
  }
  const onLeak = input.onLeak === '' ? d.onLeak : stringSetting(label('onLeak'), input.onLeak, d.onLeak);
  if (!(LEAK_POLICIES as readonly string[]).includes(onLeak)) {
    throw new SettingsError(`${label('onLeak')} must be one of ${LEAK_POLICIES.join(', ')}, ${received(onLeak)}`);
  }
  const usageAnalytics = booleanSetting(label('usageAnalytics'), input.usageAnalytics, d.usageAnalytics);
  const accessLogRetentionDays = logRetentionSetting(
    label('accessLogRetentionDays'),
    input.accessLogRetentionDays,
    d.accessLogRetentionDays,
  );
  const usageHourlyRetentionDays = integer('usageHourlyRetentionDays');
  const usageDailyRetentionDays = integer('usageDailyRetentionDays');
  const newSourceDays = integer('newSourceDays');
  if (usageHourlyRetentionDays > usageDailyRetentionDays) {
    throw new SettingsError(
      `${label('usageHourlyRetentionDays')} (${usageHourlyRetentionDays}) must be at most ${label('usageDailyRetentionDays')} (${usageDailyRetentionDays}): a day's counts outlive its hours`,
    );
  }
  return {
    keyPrefix: keyFormat?.prefix ?? keyPrefix,
    ...(keyFormat === undefined ? {} : { keyFormat }),
    ...(acceptedKeyFormats.length === 0 ? {} : { acceptedKeyFormats }),
    stageName,
    authorizerCacheTtlSeconds,
    acceptBareKeys,
    operatorPlan,
    plans,
    stageRateLimit,
    stageBurstLimit,
    waf,
    console: deployConsole,
    wafIpRateLimit,
    staleAfterDays,
    lastUsedIntervalSeconds,
    revokeStaleKeys,
    eventRetentionDays,
    noticeIndexes,
    onLeak: onLeak as LeakPolicy,
    usageAnalytics,
    accessLogRetentionDays,
    usageHourlyRetentionDays,
    usageDailyRetentionDays,
    newSourceDays,
    ...(eventBusName === undefined ? {} : { eventBusName }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    ...(upstreamUrl === undefined ? {} : { upstreamUrl }),
    ...(upstreamSecretVersion === undefined ? {} : { upstreamSecretVersion }),
    ...(protectedStages.length === 0 ? {} : { protectedStages }),
    ...(corsOrigins.length === 0 ? {} : { corsOrigins }),
    ...(gatewayAnswers === undefined ? {} : { gatewayAnswers }),
    ...(workspacePathSegment === undefined ? {} : { workspacePathSegment }),
  };
}
