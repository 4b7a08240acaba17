import { LEAK_POLICIES } from '../lambdas/core/leaks/leak-service';
import { CONFIGURED_PLANS, LOG_RETENTION_DAYS } from './setting-values';
import type { KeygateSettings } from './settings';

/** The settings that are whole numbers. */
export type IntegerSetting = {
  [K in keyof KeygateSettings]-?: KeygateSettings[K] extends number ? K : never;
}[keyof KeygateSettings];

/** The smallest and largest value of each whole-number setting, for the settings and the constructs alike. */
export const INTEGER_RANGES: Readonly<Record<IntegerSetting, readonly [min: number, max: number]>> = {
  // the largest result cache API Gateway allows for an authorizer.
  authorizerCacheTtlSeconds: [0, 3600],
  stageRateLimit: [1, 1_000_000],
  stageBurstLimit: [1, 1_000_000],
  // AWS WAF's rate-based rules take 10 to 2,000,000,000 requests per evaluation window.
  wafIpRateLimit: [10, 2_000_000_000],
  staleAfterDays: [1, 3650],
  lastUsedIntervalSeconds: [60, 86_400],
  eventRetentionDays: [1, 3650],
  // CloudWatch Logs' longest period; `logRetentionSetting` takes only its listed periods.
  accessLogRetentionDays: [1, 3653],
  usageHourlyRetentionDays: [1, 3650],
  usageDailyRetentionDays: [1, 3650],
  // 0 is off; a network unseen for longer than the daily counters are kept is unknowable anyway.
  newSourceDays: [0, 400],
};

/** The deepest path segment that may name a workspace (`keygate:workspacePathSegment`). */
export const MAX_WORKSPACE_SEGMENT = 8;

/** The largest result cache API Gateway allows for an authorizer, in seconds. */
export const MAX_AUTHORIZER_CACHE_TTL_SECONDS = INTEGER_RANGES.authorizerCacheTtlSeconds[1];

/** Where a setting is read from and what it accepts. */
export interface SettingSource {
  /** Its `cdk.json` context key (`cdk synth -c key=value`). */
  readonly context: `keygate:${string}`;
  /** The variable that overrides it for `npm start`; none when local mode has no use for it. */
  readonly env?: `KEYGATE_${string}`;
  /** The values it accepts, in words (markdown). */
  readonly accepts: string;
}

const range = (field: IntegerSetting): string => `${INTEGER_RANGES[field][0]}–${INTEGER_RANGES[field][1]}`;
const oneOf = (values: readonly string[]): string => values.map((value) => `\`${value}\``).join(', ');

/**
 * Every setting's context key, local variable and accepted values: the type makes a new field of
 * {@link KeygateSettings} add its line here, and `docs/configuration.md` is generated from both.
 */
export const SETTINGS: Readonly<Record<keyof KeygateSettings, SettingSource>> = {
  keyPrefix: {
    context: 'keygate:keyPrefix',
    env: 'KEYGATE_KEY_PREFIX',
    accepts: '1–16 lowercase letters or digits, starting with a letter',
  },
  keyFormat: {
    context: 'keygate:keyFormat',
    env: 'KEYGATE_KEY_FORMAT',
    accepts:
      'an object (or its JSON) `{"prefix", "environment": true|false, "checksum": true|false}`, the prefix as `keyPrefix`; such as `{"prefix":"sk","environment":false,"checksum":false}` for `sk_` + 64 hex',
  },
  acceptedKeyFormats: {
    context: 'keygate:acceptedKeyFormats',
    env: 'KEYGATE_ACCEPTED_KEY_FORMATS',
    accepts: 'a list (or its JSON array) of up to 4 key formats, each as `keyFormat`',
  },
  stageName: { context: 'keygate:stageName', accepts: '1–128 letters, digits, `-` or `_`' },
  authorizerCacheTtlSeconds: {
    context: 'keygate:authorizerCacheTtlSeconds',
    env: 'KEYGATE_CACHE_TTL_SECONDS',
    accepts: `${range('authorizerCacheTtlSeconds')} s`,
  },
  acceptBareKeys: {
    context: 'keygate:acceptBareKeys',
    env: 'KEYGATE_ACCEPT_BARE_KEYS',
    accepts: oneOf(['true', 'false']),
  },
  operatorPlan: { context: 'keygate:operatorPlan', accepts: oneOf(CONFIGURED_PLANS) },
  plans: {
    context: 'keygate:plans',
    accepts: `an object (or its JSON) of ${oneOf(CONFIGURED_PLANS)}, each \`{rateLimit, burstLimit, quota?: {limit, period}}\`; plans left out keep their defaults`,
  },
  upstreamUrl: {
    context: 'keygate:upstreamUrl',
    env: 'KEYGATE_UPSTREAM_URL',
    accepts: 'an absolute `https://` URL without credentials, query or fragment (`http://` too in local mode)',
  },
  upstreamSecretVersion: {
    context: 'keygate:upstreamSecretVersion',
    accepts: "a Secrets Manager version id of the upstream secret (32–64 letters, digits or '-')",
  },
  protectedStages: { context: 'keygate:protectedStages', accepts: 'a list (or its JSON) of `{restApiId, stageName}`' },
  corsOrigins: {
    context: 'keygate:corsOrigins',
    env: 'KEYGATE_CORS_ORIGINS',
    accepts:
      'a list (or its JSON array) of up to 20 origins, `scheme://host[:port]` in lower case with no path, such as `["https://app.example.com"]`; not `*`',
  },
  gatewayAnswers: {
    context: 'keygate:gatewayAnswers',
    env: 'KEYGATE_GATEWAY_ANSWERS',
    accepts:
      'an object (or its JSON) of `unauthorized`, `forbidden`, `throttled`, `suspended`, each `{"status"?: 400–599, "body": JSON value or string}`, such as `{"unauthorized": {"status": 401, "body": {"msg": "Invalid API key"}}}`',
  },
  workspacePathSegment: {
    context: 'keygate:workspacePathSegment',
    env: 'KEYGATE_WORKSPACE_SEGMENT',
    accepts: `a whole number from 1 to ${MAX_WORKSPACE_SEGMENT}, such as \`1\` for \`/{workspaceUuid}/posts\``,
  },
  stageRateLimit: {
    context: 'keygate:stageRateLimit',
    accepts: `${range('stageRateLimit')} requests per second, at least every plan's rate`,
  },
  stageBurstLimit: {
    context: 'keygate:stageBurstLimit',
    accepts: `${range('stageBurstLimit')} requests, at least every plan's burst`,
  },
  waf: { context: 'keygate:waf', accepts: oneOf(['true', 'false']) },
  console: { context: 'keygate:console', accepts: oneOf(['true', 'false']) },
  wafIpRateLimit: { context: 'keygate:wafIpRateLimit', accepts: `${range('wafIpRateLimit')} requests per 5 minutes` },
  alarmEmail: { context: 'keygate:alarmEmail', accepts: 'an email address' },
  staleAfterDays: {
    context: 'keygate:staleAfterDays',
    env: 'KEYGATE_STALE_AFTER_DAYS',
    accepts: `${range('staleAfterDays')} days`,
  },
  lastUsedIntervalSeconds: {
    context: 'keygate:lastUsedIntervalSeconds',
    env: 'KEYGATE_LAST_USED_INTERVAL_SECONDS',
    accepts: `${range('lastUsedIntervalSeconds')} s`,
  },
  revokeStaleKeys: {
    context: 'keygate:revokeStaleKeys',
    env: 'KEYGATE_REVOKE_STALE_KEYS',
    accepts: oneOf(['true', 'false']),
  },
  eventRetentionDays: {
    context: 'keygate:eventRetentionDays',
    env: 'KEYGATE_EVENT_RETENTION_DAYS',
    accepts: `${range('eventRetentionDays')} days`,
  },
  eventBusName: { context: 'keygate:eventBusName', accepts: '1–256 letters, digits, `.`, `-` or `_`; not `default`' },
  noticeIndexes: { context: 'keygate:noticeIndexes', accepts: oneOf(['both', 'expiryOnly']) },
  onLeak: { context: 'keygate:onLeak', env: 'KEYGATE_ON_LEAK', accepts: oneOf(LEAK_POLICIES) },
  usageAnalytics: {
    context: 'keygate:usageAnalytics',
    env: 'KEYGATE_USAGE_ANALYTICS',
    accepts: oneOf(['true', 'false']),
  },
  accessLogRetentionDays: {
    context: 'keygate:accessLogRetentionDays',
    accepts: `${LOG_RETENTION_DAYS.join(', ')} days`,
  },
  usageHourlyRetentionDays: {
    context: 'keygate:usageHourlyRetentionDays',
    env: 'KEYGATE_USAGE_HOURLY_RETENTION_DAYS',
    accepts: `${range('usageHourlyRetentionDays')} days, at most \`usageDailyRetentionDays\``,
  },
  usageDailyRetentionDays: {
    context: 'keygate:usageDailyRetentionDays',
    env: 'KEYGATE_USAGE_DAILY_RETENTION_DAYS',
    accepts: `${range('usageDailyRetentionDays')} days`,
  },
  newSourceDays: {
    context: 'keygate:newSourceDays',
    env: 'KEYGATE_NEW_SOURCE_DAYS',
    accepts: `${range('newSourceDays')} days (0: off)`,
  },
};

/** The `cdk.json` context key of each setting. */
export const CONTEXT_KEYS: Readonly<Record<keyof KeygateSettings, string>> = Object.fromEntries(
  Object.entries(SETTINGS).map(([field, source]) => [field, source.context]),
) as Record<keyof KeygateSettings, string>;
