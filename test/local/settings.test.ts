import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localOptionsOf, localSettings } from '../../local/settings';

function cdkJson(context: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'keygate-cdk-')), 'cdk.json');
  writeFileSync(file, JSON.stringify({ app: 'x', context }));
  return file;
}

describe('localSettings', () => {
  it('reads the same cdk.json settings the stack deploys with', () => {
    const settings = localSettings({}, join(__dirname, '..', '..', 'cdk.json'));
    expect(settings).toMatchObject({
      keyPrefix: 'sk',
      authorizerCacheTtlSeconds: 300,
      acceptBareKeys: true,
      operatorPlan: 'scale',
    });
    expect(settings.plans.starter).toEqual({ rateLimit: 10, burstLimit: 20 });
  });

  it('lets KEYGATE_* variables override cdk.json', () => {
    const file = cdkJson({
      'keygate:keyPrefix': 'acme',
      'keygate:plans': { starter: { rateLimit: 1, burstLimit: 2 } },
    });
    const settings = localSettings({ KEYGATE_CACHE_TTL_SECONDS: '0', KEYGATE_ACCEPT_BARE_KEYS: 'false' }, file);
    expect(settings).toMatchObject({ keyPrefix: 'acme', authorizerCacheTtlSeconds: 0, acceptBareKeys: false });
    expect(settings.plans.starter).toEqual({ rateLimit: 1, burstLimit: 2 });
  });

  it('refuses a bad value, naming where it came from', () => {
    expect(() => localSettings({ KEYGATE_KEY_PREFIX: 'Bad_' }, cdkJson({}))).toThrow(/KEYGATE_KEY_PREFIX/);
    expect(() => localSettings({}, cdkJson({ 'keygate:authorizerCacheTtlSeconds': 99999 }))).toThrow(
      /cdk.json keygate:authorizerCacheTtlSeconds/,
    );
  });

  it('reads the notice and event settings from KEYGATE_* variables, over cdk.json, with the deployment defaults', () => {
    expect(localSettings({}, cdkJson({}))).toMatchObject({
      staleAfterDays: 90,
      revokeStaleKeys: false,
      eventRetentionDays: 400,
    });
    const file = cdkJson({ 'keygate:staleAfterDays': 60, 'keygate:eventRetentionDays': 30 });
    expect(localSettings({}, file)).toMatchObject({
      staleAfterDays: 60,
      revokeStaleKeys: false,
      eventRetentionDays: 30,
    });
    const env = {
      KEYGATE_STALE_AFTER_DAYS: '7',
      KEYGATE_REVOKE_STALE_KEYS: 'true',
      KEYGATE_EVENT_RETENTION_DAYS: '90',
    };
    expect(localSettings(env, file)).toMatchObject({
      staleAfterDays: 7,
      revokeStaleKeys: true,
      eventRetentionDays: 90,
    });
    expect(() => localSettings({ KEYGATE_STALE_AFTER_DAYS: '0' }, file)).toThrow(
      /KEYGATE_STALE_AFTER_DAYS must be a whole number from 1 to 3650/,
    );
    expect(() => localSettings({ KEYGATE_REVOKE_STALE_KEYS: 'yes' }, file)).toThrow(
      /KEYGATE_REVOKE_STALE_KEYS must be true or false/,
    );
  });

  it('reads the lastUsedAt interval from KEYGATE_LAST_USED_INTERVAL_SECONDS, over cdk.json, 60 s by default', () => {
    expect(localSettings({}, cdkJson({})).lastUsedIntervalSeconds).toBe(60);
    expect(localSettings({}, cdkJson({ 'keygate:lastUsedIntervalSeconds': 600 })).lastUsedIntervalSeconds).toBe(600);
    expect(
      localSettings({ KEYGATE_LAST_USED_INTERVAL_SECONDS: '3600' }, cdkJson({ 'keygate:lastUsedIntervalSeconds': 600 }))
        .lastUsedIntervalSeconds,
    ).toBe(3600);
    expect(() => localSettings({ KEYGATE_LAST_USED_INTERVAL_SECONDS: '5' }, cdkJson({}))).toThrow(
      /KEYGATE_LAST_USED_INTERVAL_SECONDS must be a whole number from 60 to 86400/,
    );
  });
});

describe('localSettings, one path with the deployment', () => {
  it('reads the leak policy from KEYGATE_ON_LEAK over cdk.json keygate:onLeak, revoke by default', () => {
    expect(localSettings({}, cdkJson({})).onLeak).toBe('revoke');
    expect(localSettings({}, cdkJson({ 'keygate:onLeak': 'notify' })).onLeak).toBe('notify');
    expect(localSettings({ KEYGATE_ON_LEAK: 'revoke' }, cdkJson({ 'keygate:onLeak': 'notify' })).onLeak).toBe('revoke');
    expect(() => localSettings({ KEYGATE_ON_LEAK: 'ignore' }, cdkJson({}))).toThrow(
      /KEYGATE_ON_LEAK must be one of revoke, notify, received "ignore"/,
    );
  });

  it('accepts a plain http upstream, for a backend on this machine', () => {
    expect(localSettings({ KEYGATE_UPSTREAM_URL: 'http://localhost:4110/' }, cdkJson({})).upstreamUrl).toBe(
      'http://localhost:4110',
    );
  });

  it('refuses an upstream without a scheme, suggesting the URL it most likely meant', () => {
    expect(() => localSettings({ KEYGATE_UPSTREAM_URL: 'localhost:4110' }, cdkJson({}))).toThrow(
      'KEYGATE_UPSTREAM_URL must be an absolute http(s) URL: did you mean http://localhost:4110? received "localhost:4110" (string)',
    );
    expect(() => localSettings({ KEYGATE_UPSTREAM_URL: 'orders.example.com' }, cdkJson({}))).toThrow(
      /did you mean https:\/\/orders\.example\.com\?/,
    );
  });

  it('gives the local gateway every setting it serves, as npm start passes them', () => {
    const file = cdkJson({
      'keygate:keyFormat': { prefix: 'sk', environment: false, checksum: false },
      'keygate:acceptedKeyFormats': [{ prefix: 'sk', environment: true, checksum: true }],
      'keygate:plans': { starter: { rateLimit: 1, burstLimit: 2 } },
      'keygate:stageName': 'v1',
      'keygate:gatewayAnswers': { unauthorized: { status: 401, body: { msg: 'Invalid API key' } } },
    });
    const settings = localSettings({ KEYGATE_ACCEPT_BARE_KEYS: 'false', KEYGATE_REVOKE_STALE_KEYS: 'true' }, file);
    expect(localOptionsOf(settings)).toEqual({
      keyPrefix: 'sk',
      keyFormats: [
        { prefix: 'sk', environment: false, checksum: false },
        { prefix: 'sk', environment: true, checksum: true },
      ],
      acceptBareKeys: false,
      cacheTtlSeconds: 300,
      plans: settings.plans,
      operatorPlan: 'scale',
      stage: 'v1',
      onLeak: 'revoke',
      staleAfterDays: 90,
      lastUsedIntervalSeconds: 60,
      revokeStaleKeys: true,
      eventRetentionDays: 400,
      corsOrigins: undefined,
      gatewayAnswers: settings.gatewayAnswers,
      newSourceDays: 0,
    });
    expect(settings.plans.starter).toEqual({ rateLimit: 1, burstLimit: 2 });
    expect(localOptionsOf(localSettings({ KEYGATE_NEW_SOURCE_DAYS: '30' }, file)).newSourceDays).toBe(30);
  });
});
