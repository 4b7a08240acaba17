import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, keyFormatsOf, resolveSettings, type KeygateSettings } from '../lib/settings';
import type { LocalOptions } from './app';

/**
 * The deployment's settings as `cdk deploy` would use them (`cdk.json` context, defaults for
 * what it leaves out), with the `KEYGATE_*` variables of {@link SETTINGS} on top, so the local
 * gateway behaves like the stack the same checkout deploys. The upstream may be plain `http`.
 *
 * @throws SettingsError naming the setting (context key or variable) and the value received.
 */
export function localSettings(
  env: NodeJS.ProcessEnv = process.env,
  cdkJson = join(__dirname, '..', 'cdk.json'),
): KeygateSettings {
  const context = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  const input: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const [field, { context: key, env: variable }] of Object.entries(SETTINGS)) {
    if (variable !== undefined && env[variable] !== undefined && env[variable] !== '') {
      input[field] = env[variable];
      source[field] = variable;
    } else {
      input[field] = context[key];
      source[field] = `cdk.json ${key}`;
    }
  }
  return resolveSettings(input, (field) => source[field] ?? field, { local: true });
}

/**
 * The options of `startKeygateLocal` that settings decide, as `npm start` passes them: a
 * test that starts keygate from these behaves as `npm start` with the same settings. The
 * upstream is left to the caller, which holds its secret.
 */
export function localOptionsOf(settings: KeygateSettings): LocalOptions {
  return {
    keyPrefix: settings.keyPrefix,
    keyFormats: keyFormatsOf(settings),
    acceptBareKeys: settings.acceptBareKeys,
    cacheTtlSeconds: settings.authorizerCacheTtlSeconds,
    plans: settings.plans,
    operatorPlan: settings.operatorPlan,
    stage: settings.stageName,
    onLeak: settings.onLeak,
    staleAfterDays: settings.staleAfterDays,
    lastUsedIntervalSeconds: settings.lastUsedIntervalSeconds,
    revokeStaleKeys: settings.revokeStaleKeys,
    eventRetentionDays: settings.eventRetentionDays,
    corsOrigins: settings.corsOrigins,
    gatewayAnswers: settings.gatewayAnswers,
    workspaceSegment: settings.workspacePathSegment,
    newSourceDays: settings.newSourceDays,
  };
}
