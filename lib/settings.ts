import type { Node } from 'constructs';
import type { NoticeIndexes } from './key-table';
import { DEFAULT_LAST_USED_INTERVAL_SECONDS } from '../lambdas/core/auth/authorize';
import { assertValidPrefix } from '../lambdas/core/keys/format';
import { QUOTA_PERIODS, type PlanLimits, type PlanName } from '../lambdas/core/model';

/** A plan whose limits are a deployment setting; `enterprise` limits are set per tenant instead. */
export type ConfiguredPlan = Exclude<PlanName, 'enterprise'>;
/** Every {@link ConfiguredPlan}. */
export const CONFIGURED_PLANS: readonly ConfiguredPlan[] = ['starter', 'growth', 'scale'];

/** Everything a deployment can configure, read from `cdk.json` context by {@link settingsFromContext}. */
export interface KeygateSettings {
  /** The key prefix, as in `sk_live_...`: 1–16 lowercase letters or digits, starting with a letter. */
  readonly keyPrefix: string;
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
   * Stages of other APIs the key authorizer guards (`[{restApiId, stageName}]`): every flush of
   * keygate's stage flushes them too. None by default.
   */
  readonly protectedStages?: readonly { readonly restApiId: string; readonly stageName: string }[];
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
  /** Days without use after which the daily job reports a key as stale (`key.stale`), 1–3650. */
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
  // ~33 requests per second from one address, sustained over 5 minutes.
  wafIpRateLimit: 10_000,
  staleAfterDays: 90,
  lastUsedIntervalSeconds: DEFAULT_LAST_USED_INTERVAL_SECONDS,
  revokeStaleKeys: false,
  eventRetentionDays: 400,
  noticeIndexes: 'both',
};

/** The `cdk.json` context key of each setting. */
export const CONTEXT_KEYS: Readonly<Record<keyof KeygateSettings, string>> = {
  keyPrefix: 'keygate:keyPrefix',
  stageName: 'keygate:stageName',
  authorizerCacheTtlSeconds: 'keygate:authorizerCacheTtlSeconds',
  acceptBareKeys: 'keygate:acceptBareKeys',
  operatorPlan: 'keygate:operatorPlan',
  plans: 'keygate:plans',
  upstreamUrl: 'keygate:upstreamUrl',
  protectedStages: 'keygate:protectedStages',
  stageRateLimit: 'keygate:stageRateLimit',
  stageBurstLimit: 'keygate:stageBurstLimit',
  waf: 'keygate:waf',
  wafIpRateLimit: 'keygate:wafIpRateLimit',
  alarmEmail: 'keygate:alarmEmail',
  staleAfterDays: 'keygate:staleAfterDays',
  lastUsedIntervalSeconds: 'keygate:lastUsedIntervalSeconds',
  revokeStaleKeys: 'keygate:revokeStaleKeys',
  eventRetentionDays: 'keygate:eventRetentionDays',
  eventBusName: 'keygate:eventBusName',
  noticeIndexes: 'keygate:noticeIndexes',
};

/** Settings as they arrive from context or from a caller: any field may be missing or a string. */
export type SettingsInput = { readonly [K in keyof KeygateSettings]?: unknown };

/** The largest result cache API Gateway allows for an authorizer, in seconds. */
export const MAX_AUTHORIZER_CACHE_TTL_SECONDS = 3600;

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Reads the `keygate:*` context keys of a construct tree (usually the app's), applies the
 * defaults and validates the result.
 *
 * @throws Error naming the context key, the value received and what is expected.
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
 * @throws Error naming the field, the value received and what is expected.
 */
export function resolveSettings(
  input: SettingsInput = {},
  label: (field: keyof KeygateSettings) => string = (field) => field,
): KeygateSettings {
  const d = DEFAULT_SETTINGS;
  const keyPrefix = stringSetting(label('keyPrefix'), input.keyPrefix, d.keyPrefix);
  try {
    assertValidPrefix(keyPrefix);
  } catch (error) {
    throw new Error(`${label('keyPrefix')}: ${(error as Error).message}`, { cause: error });
  }
  const stageName = stringSetting(label('stageName'), input.stageName, d.stageName);
  if (!STAGE_NAME.test(stageName)) {
    throw new Error(
      `${label('stageName')} must be 1–128 letters, digits, '-' or '_', received ${JSON.stringify(stageName)}`,
    );
  }
  const authorizerCacheTtlSeconds = integerSetting(
    label('authorizerCacheTtlSeconds'),
    input.authorizerCacheTtlSeconds,
    d.authorizerCacheTtlSeconds,
    0,
    MAX_AUTHORIZER_CACHE_TTL_SECONDS,
  );
  const acceptBareKeys = booleanSetting(label('acceptBareKeys'), input.acceptBareKeys, d.acceptBareKeys);
  const plans = plansSetting(label('plans'), input.plans);
  const operatorPlan = stringSetting(label('operatorPlan'), input.operatorPlan, d.operatorPlan);
  if (!isConfiguredPlan(operatorPlan)) {
    throw new Error(
      `${label('operatorPlan')} must be one of ${CONFIGURED_PLANS.join(', ')}, received ${JSON.stringify(operatorPlan)}`,
    );
  }
  const stageRateLimit = integerSetting(label('stageRateLimit'), input.stageRateLimit, d.stageRateLimit, 1, 1_000_000);
  const stageBurstLimit = integerSetting(label('stageBurstLimit'), input.stageBurstLimit, d.stageBurstLimit, 1, 1_000_000);
  for (const plan of CONFIGURED_PLANS) {
    // a stage ceiling below a plan would throttle that plan's tenants before their usage plan does.
    if (plans[plan].rateLimit > stageRateLimit || plans[plan].burstLimit > stageBurstLimit) {
      throw new Error(
        `${label('stageRateLimit')}/${label('stageBurstLimit')} (${stageRateLimit}/${stageBurstLimit}) must be at least ` +
          `the ${plan} plan's ${plans[plan].rateLimit}/${plans[plan].burstLimit}: raise them, or lower the plan`,
      );
    }
  }
  const waf = booleanSetting(label('waf'), input.waf, d.waf);
  // AWS WAF's rate-based rules take 10 to 2,000,000,000 requests per evaluation window.
  const wafIpRateLimit = integerSetting(label('wafIpRateLimit'), input.wafIpRateLimit, d.wafIpRateLimit, 10, 2_000_000_000);
  const alarmEmail = input.alarmEmail === undefined || input.alarmEmail === null || input.alarmEmail === '' ? undefined : stringSetting(label('alarmEmail'), input.alarmEmail, '');
  if (alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)) {
    throw new Error(`${label('alarmEmail')} must be an email address, ${received(alarmEmail)}`);
  }
  const absent = input.upstreamUrl === undefined || input.upstreamUrl === null || input.upstreamUrl === '';
  const upstreamUrl = absent ? undefined : upstreamUrlSetting(label('upstreamUrl'), input.upstreamUrl);
  const protectedStages = protectedStagesSetting(label('protectedStages'), input.protectedStages);
  const staleAfterDays = integerSetting(label('staleAfterDays'), input.staleAfterDays, d.staleAfterDays, 1, 3650);
  const lastUsedIntervalSeconds = integerSetting(label('lastUsedIntervalSeconds'), input.lastUsedIntervalSeconds, d.lastUsedIntervalSeconds, 60, 86_400);
  const revokeStaleKeys = booleanSetting(label('revokeStaleKeys'), input.revokeStaleKeys, d.revokeStaleKeys);
  const eventRetentionDays = integerSetting(label('eventRetentionDays'), input.eventRetentionDays, d.eventRetentionDays, 1, 3650);
  const eventBusName =
    input.eventBusName === undefined || input.eventBusName === null || input.eventBusName === '' ? undefined : stringSetting(label('eventBusName'), input.eventBusName, '');
  // EventBridge bus names: 1-256 of letters, digits, . - _ ; `default` is the default bus, not one to create.
  if (eventBusName !== undefined && (!/^[A-Za-z0-9._-]{1,256}$/.test(eventBusName) || eventBusName === 'default')) {
    throw new Error(`${label('eventBusName')} must be 1–256 letters, digits, '.', '-' or '_', and not "default" (leave it unset for the default bus), ${received(eventBusName)}`);
  }
  const noticeIndexes = stringSetting(label('noticeIndexes'), input.noticeIndexes, d.noticeIndexes);
  if (noticeIndexes !== 'both' && noticeIndexes !== 'expiryOnly') {
    throw new Error(`${label('noticeIndexes')} must be both or expiryOnly (the first deploy of an upgrade), ${received(noticeIndexes)}`);
  }
  return {
    keyPrefix,
    stageName,
    authorizerCacheTtlSeconds,
    acceptBareKeys,
    operatorPlan,
    plans,
    stageRateLimit,
    stageBurstLimit,
    waf,
    wafIpRateLimit,
    staleAfterDays,
    lastUsedIntervalSeconds,
    revokeStaleKeys,
    eventRetentionDays,
    noticeIndexes,
    ...(eventBusName === undefined ? {} : { eventBusName }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    ...(upstreamUrl === undefined ? {} : { upstreamUrl }),
    ...(protectedStages.length === 0 ? {} : { protectedStages }),
  };
}

function protectedStagesSetting(name: string, value: unknown): { restApiId: string; stageName: string }[] {
  if (value === undefined || value === null || value === '') return [];
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`${name} must be a JSON list of {restApiId, stageName}, ${received(value)}`);
    }
  }
  const valid = (stage: unknown): stage is { restApiId: string; stageName: string } =>
    isRecord(stage) &&
    Object.keys(stage).every((field) => field === 'restApiId' || field === 'stageName') &&
    typeof stage.restApiId === 'string' &&
    /^[a-z0-9]{10}$/.test(stage.restApiId) &&
    typeof stage.stageName === 'string' &&
    STAGE_NAME.test(stage.stageName);
  if (!Array.isArray(parsed) || !parsed.every(valid)) {
    throw new Error(`${name} must be a list of {restApiId: 10 lowercase letters or digits, stageName}, ${received(value)}`);
  }
  return parsed.map(({ restApiId, stageName }) => ({ restApiId, stageName }));
}

/**
 * Checks an upstream URL: absolute `http(s)`, no credentials, query or fragment (the request's
 * own path and query are appended to it). The trailing slash is dropped. The CDK construct
 * accepts `https` only; `http` is for a backend on the developer's machine.
 *
 * @throws Error naming the setting, the value received and what is expected.
 */
export function upstreamUrlSetting(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new Error(`${name} must be a URL string, ${received(value)}`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL such as https://api.example.com, ${received(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name} must use https (or http locally), ${received(value)}`);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new Error(`${name} must not carry credentials, a query or a fragment, ${received(value)}`);
  }
  return url.href.replace(/\/+$/, '');
}

function isConfiguredPlan(name: string): name is ConfiguredPlan {
  return (CONFIGURED_PLANS as readonly string[]).includes(name);
}

function received(value: unknown): string {
  return `received ${JSON.stringify(value) ?? String(value)} (${Array.isArray(value) ? 'array' : typeof value})`;
}

function stringSetting(name: string, value: unknown, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw new Error(`${name} must be a string, ${received(value)}`);
  return value.trim();
}

function booleanSetting(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error(`${name} must be true or false, ${received(value)}`);
}

function integerSetting(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, ${received(value)}`);
  }
  return number;
}

function plansSetting(name: string, value: unknown): Readonly<Record<ConfiguredPlan, PlanLimits>> {
  if (value === undefined || value === null) return DEFAULT_SETTINGS.plans;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`${name} must be a JSON object of plans, ${received(value)}`);
    }
  }
  if (!isRecord(parsed)) throw new Error(`${name} must be an object of plans, ${received(value)}`);
  const plans: Record<ConfiguredPlan, PlanLimits> = { ...DEFAULT_SETTINGS.plans };
  for (const [plan, limits] of Object.entries(parsed)) {
    if (!isConfiguredPlan(plan)) {
      throw new Error(
        `${name}: unknown plan ${JSON.stringify(plan)}; expected ${CONFIGURED_PLANS.join(', ')} ` +
          '(enterprise limits are set per tenant)',
      );
    }
    plans[plan] = planLimits(`${name}.${plan}`, limits, plans[plan]);
  }
  return plans;
}

function planLimits(name: string, value: unknown, fallback: PlanLimits): PlanLimits {
  if (!isRecord(value)) throw new Error(`${name} must be an object {rateLimit, burstLimit, quota?}, ${received(value)}`);
  const unknown = Object.keys(value).filter((field) => !['rateLimit', 'burstLimit', 'quota'].includes(field));
  if (unknown.length > 0) {
    throw new Error(`${name} has unknown field(s) ${unknown.join(', ')}; expected rateLimit, burstLimit, quota`);
  }
  const rateLimit = value.rateLimit ?? fallback.rateLimit;
  if (typeof rateLimit !== 'number' || !Number.isFinite(rateLimit) || rateLimit <= 0) {
    throw new Error(`${name}.rateLimit must be a positive number of requests per second, ${received(rateLimit)}`);
  }
  const burstLimit = value.burstLimit ?? fallback.burstLimit;
  if (typeof burstLimit !== 'number' || !Number.isInteger(burstLimit) || burstLimit < 1) {
    throw new Error(`${name}.burstLimit must be a whole number of requests, at least 1, ${received(burstLimit)}`);
  }
  const quota = value.quota === undefined ? fallback.quota : quotaSetting(`${name}.quota`, value.quota);
  return { rateLimit, burstLimit, ...(quota === undefined ? {} : { quota }) };
}

function quotaSetting(name: string, value: unknown): PlanLimits['quota'] {
  if (!isRecord(value)) throw new Error(`${name} must be an object {limit, period}, ${received(value)}`);
  const { limit, period } = value;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new Error(`${name}.limit must be a whole number of requests, at least 1, ${received(limit)}`);
  }
  if (typeof period !== 'string' || !(QUOTA_PERIODS as readonly string[]).includes(period)) {
    throw new Error(`${name}.period must be one of ${QUOTA_PERIODS.join(', ')}, ${received(period)}`);
  }
  return { limit, period: period as (typeof QUOTA_PERIODS)[number] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
