import { MAX_CORS_ORIGINS, originProblem } from '../lambdas/core/http/cors';
import { assertValidKeyFormat, sameFormat, type KeyFormat } from '../lambdas/core/keys/format';
import { QUOTA_PERIODS, type PlanLimits, type PlanName } from '../lambdas/core/model';

/**
 * The value checkers behind `resolveSettings`: each takes the setting's name (as the user wrote
 * it: a context key or a variable), the value as received, and throws naming both and what is
 * expected.
 */

/** A plan whose limits are a deployment setting; `enterprise` limits are set per tenant instead. */
export type ConfiguredPlan = Exclude<PlanName, 'enterprise'>;
/** Every {@link ConfiguredPlan}. */
export const CONFIGURED_PLANS: readonly ConfiguredPlan[] = ['starter', 'growth', 'scale'];

/** API Gateway stage names, and the stage names of `protectedStages`. */
export const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** A list of `{restApiId, stageName}`, from JSON text or a list; none when absent. */
export function protectedStagesSetting(name: string, value: unknown): { restApiId: string; stageName: string }[] {
  if (value === undefined || value === null || value === '') return [];
  const parsed = jsonValue(name, value, 'a JSON list of {restApiId, stageName}');
  const valid = (stage: unknown): stage is { restApiId: string; stageName: string } =>
    isRecord(stage) &&
    Object.keys(stage).every((field) => field === 'restApiId' || field === 'stageName') &&
    typeof stage.restApiId === 'string' &&
    /^[a-z0-9]{10}$/.test(stage.restApiId) &&
    typeof stage.stageName === 'string' &&
    STAGE_NAME.test(stage.stageName);
  if (!Array.isArray(parsed) || !parsed.every(valid)) {
    throw new Error(
      `${name} must be a list of {restApiId: 10 lowercase letters or digits, stageName}, ${received(value)}`,
    );
  }
  return parsed.map(({ restApiId, stageName }) => ({ restApiId, stageName }));
}

/**
 * The browser origins allowed to read keygate's answers, from a JSON array or a list; none when
 * absent. Each must be an origin exactly as browsers send it (they are compared as strings);
 * repeats are dropped.
 *
 * @throws Error naming the setting (and the entry at fault), the value received and what is expected.
 */
export function corsOriginsSetting(name: string, value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      // a bare origin is the likeliest slip: show it as the list it should be.
      const meant = /^https?:\/\/[^\s"]+$/.test(value.trim())
        ? `: did you mean ${JSON.stringify([value.trim()])}?`
        : '';
      throw new Error(
        `${name} must be a JSON array of origins such as ["https://app.example.com"]${meant} ${received(value)}`,
      );
    }
  }
  if (!Array.isArray(parsed)) {
    throw new Error(`${name} must be a JSON array of origins such as ["https://app.example.com"], ${received(value)}`);
  }
  if (parsed.length > MAX_CORS_ORIGINS) {
    throw new Error(`${name} takes at most ${MAX_CORS_ORIGINS} origins, received ${parsed.length}`);
  }
  parsed.forEach((entry: unknown, index) => {
    const problem = typeof entry === 'string' ? originProblem(entry) : 'must be an origin string';
    if (problem !== undefined) throw new Error(`${name}[${index}] ${problem}, ${received(entry)}`);
  });
  return [...new Set(parsed as string[])];
}

/**
 * Checks an upstream URL: absolute `https` (or `http` with `allowHttp`, for a backend on the
 * developer's machine), no credentials, query or fragment (the request's own path and query are
 * appended to it). The trailing slash is dropped. A value without a scheme, such as
 * `localhost:4110`, is refused with the URL it most likely meant.
 *
 * @throws Error naming the setting, the value received and what is expected.
 */
export function upstreamUrlSetting(name: string, value: unknown, allowHttp = false): string {
  if (typeof value !== 'string') throw new Error(`${name} must be a URL string, ${received(value)}`);
  const text = value.trim();
  const schemes = allowHttp ? 'http(s)' : 'https';
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // `localhost:4110` parses as a URL of scheme `localhost:`; say what was meant instead.
    const local = /^(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/i.test(text);
    const guess = `${local && allowHttp ? 'http' : 'https'}://${text}`;
    throw new Error(`${name} must be an absolute ${schemes} URL: did you mean ${guess}? ${received(value)}`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${name} must be an absolute ${schemes} URL such as https://api.example.com, ${received(value)}`);
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    const why = allowHttp ? 'https (or http locally)' : 'https (http is for local mode only)';
    throw new Error(`${name} must use ${why}, ${received(value)}`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new Error(`${name} must not carry credentials, a query or a fragment, ${received(value)}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The most older key formats a deployment accepts: each is one more alternative in the gateway's expression. */
export const MAX_ACCEPTED_KEY_FORMATS = 4;

/**
 * A key format, from JSON text or an object: `{"prefix", "environment", "checksum"}`.
 *
 * @throws Error naming the setting, the field at fault and the value received.
 */
export function keyFormatSetting(name: string, value: unknown): KeyFormat {
  const parsed = jsonValue(name, value, 'JSON such as {"prefix":"sk","environment":true,"checksum":true}');
  try {
    assertValidKeyFormat(parsed);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
  }
  return { prefix: parsed.prefix, environment: parsed.environment, checksum: parsed.checksum };
}

/**
 * The older key formats still accepted, from a JSON array or a list; none when absent. A format
 * equal to `current` is dropped (it is accepted anyway); one listed twice is refused.
 *
 * @throws Error naming the setting (and the entry at fault), the value received and what is expected.
 */
export function keyFormatsSetting(name: string, value: unknown, current: KeyFormat): KeyFormat[] {
  if (value === undefined || value === null || value === '') return [];
  const parsed = jsonValue(name, value, 'a JSON list of key formats');
  if (!Array.isArray(parsed)) throw new Error(`${name} must be a list of key formats, ${received(value)}`);
  if (parsed.length > MAX_ACCEPTED_KEY_FORMATS) {
    throw new Error(`${name} takes at most ${MAX_ACCEPTED_KEY_FORMATS} formats, received ${parsed.length}`);
  }
  const formats: KeyFormat[] = [];
  parsed.forEach((entry: unknown, index) => {
    const format = keyFormatSetting(`${name}[${index}]`, entry);
    if (formats.some((other) => sameFormat(other, format))) {
      throw new Error(`${name}[${index}] lists a format twice, ${received(entry)}`);
    }
    formats.push(format);
  });
  return formats.filter((format) => !sameFormat(format, current));
}

/** A value given as JSON text (as `cdk synth -c` and variables give it) or as is. */
function jsonValue(name: string, value: unknown, expected: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new Error(`${name} must be ${expected}, ${received(value)}`);
  }
}

/** Whether `name` is a {@link ConfiguredPlan}. */
export function isConfiguredPlan(name: string): name is ConfiguredPlan {
  return (CONFIGURED_PLANS as readonly string[]).includes(name);
}

/** How a refused value is shown: its JSON and its type. */
export function received(value: unknown): string {
  return `received ${JSON.stringify(value) ?? String(value)} (${Array.isArray(value) ? 'array' : typeof value})`;
}

/** A string, trimmed; `fallback` when absent. */
export function stringSetting(name: string, value: unknown, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw new Error(`${name} must be a string, ${received(value)}`);
  return value.trim();
}

/** A boolean, or its text `true`/`false`; `fallback` when absent. */
export function booleanSetting(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error(`${name} must be true or false, ${received(value)}`);
}

/** A whole number from `min` to `max`, or its text; `fallback` when absent. */
export function integerSetting(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null) return fallback;
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, ${received(value)}`);
  }
  return number;
}

/**
 * The retention periods CloudWatch Logs accepts, in days (`PutRetentionPolicy`'s `retentionInDays`,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html;
 * CDK's `RetentionDays` lists the same).
 */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** A log group's retention: one of {@link LOG_RETENTION_DAYS}, or its text; `fallback` when absent. */
export function logRetentionSetting(name: string, value: unknown, fallback: number): number {
  const days = integerSetting(name, value, fallback, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(days)) {
    throw new Error(
      `${name} must be one of CloudWatch Logs' periods (${LOG_RETENTION_DAYS.join(', ')} days), ${received(value)}`,
    );
  }
  return days;
}

/** Plan limits, from JSON text or an object, merged plan by plan over `defaults`. */
export function plansSetting(
  name: string,
  value: unknown,
  defaults: Readonly<Record<ConfiguredPlan, PlanLimits>>,
): Readonly<Record<ConfiguredPlan, PlanLimits>> {
  if (value === undefined || value === null) return defaults;
  const parsed = jsonValue(name, value, 'a JSON object of plans');
  if (!isRecord(parsed)) throw new Error(`${name} must be an object of plans, ${received(value)}`);
  const plans: Record<ConfiguredPlan, PlanLimits> = { ...defaults };
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
  if (!isRecord(value))
    throw new Error(`${name} must be an object {rateLimit, burstLimit, quota?}, ${received(value)}`);
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

/** Whether a value is a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
