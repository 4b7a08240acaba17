import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTEXT_KEYS, resolveSettings, type KeygateSettings } from '../lib/settings';

/** Environment variables that override a `cdk.json` setting for `npm start`. */
const ENV_OVERRIDES: Partial<Record<keyof KeygateSettings, string>> = {
  keyPrefix: 'KEYGATE_KEY_PREFIX',
  authorizerCacheTtlSeconds: 'KEYGATE_CACHE_TTL_SECONDS',
  acceptBareKeys: 'KEYGATE_ACCEPT_BARE_KEYS',
  upstreamUrl: 'KEYGATE_UPSTREAM_URL',
  staleAfterDays: 'KEYGATE_STALE_AFTER_DAYS',
  lastUsedIntervalSeconds: 'KEYGATE_LAST_USED_INTERVAL_SECONDS',
  revokeStaleKeys: 'KEYGATE_REVOKE_STALE_KEYS',
  eventRetentionDays: 'KEYGATE_EVENT_RETENTION_DAYS',
};

/**
 * The deployment's settings as `cdk deploy` would use them (`cdk.json` context, defaults for
 * what it leaves out), with `KEYGATE_*` environment variables on top, so the local gateway
 * behaves like the stack the same checkout deploys.
 *
 * @throws Error naming the setting (context key or variable) and the value received.
 */
export function localSettings(env: NodeJS.ProcessEnv = process.env, cdkJson = join(__dirname, '..', 'cdk.json')): KeygateSettings {
  const context = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  const input: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const [field, key] of Object.entries(CONTEXT_KEYS) as [keyof KeygateSettings, string][]) {
    const variable = ENV_OVERRIDES[field];
    if (variable !== undefined && env[variable] !== undefined && env[variable] !== '') {
      input[field] = env[variable];
      source[field] = variable;
    } else {
      input[field] = context[key];
      source[field] = `cdk.json ${key}`;
    }
  }
  return resolveSettings(input, (field) => source[field]);
}
