import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Keygate } from '../lib/keygate';
import { DEFAULT_SETTINGS, resolveSettings, settingsFromContext, SettingsError } from '../lib/settings';
import { localSettings } from '../local/settings';
import { testApp } from './support/cdk';

const APP = 'https://app.example.com';

function emptyCdkJson(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'keygate-cdk-')), 'cdk.json');
  writeFileSync(file, JSON.stringify({ app: 'x', context: {} }));
  return file;
}

describe('the corsOrigins setting', () => {
  it('allows no origin by default', () => {
    expect(resolveSettings({}).corsOrigins).toBeUndefined();
    expect(resolveSettings({ corsOrigins: '' }).corsOrigins).toBeUndefined();
    expect(resolveSettings({ corsOrigins: [] }).corsOrigins).toBeUndefined();
  });

  it('reads a JSON array, as -c and the local variable carry it, or a list, as cdk.json does', () => {
    expect(resolveSettings({ corsOrigins: `["${APP}", "http://localhost:5173"]` }).corsOrigins).toEqual([
      APP,
      'http://localhost:5173',
    ]);
    expect(resolveSettings({ corsOrigins: [APP, APP] }).corsOrigins).toEqual([APP]);
  });

  it.each([
    ['a bare origin', APP, /must be a JSON array of origins.*did you mean \["https:\/\/app\.example\.com"\]\?/],
    ['an object', '{"origin":"x"}', /must be a JSON array of origins/],
    ['a number among them', [APP, 3], /corsOrigins\[1\] must be an origin/],
    ['*', ['*'], /corsOrigins\[0\] must name each origin/],
    ['a trailing slash', [`${APP}/`], /corsOrigins\[0\] must be an origin.*did you mean https:\/\/app\.example\.com\?/],
    ['a path', ['https://app.example.com/console'], /no path/],
    [
      '21 origins',
      Array.from({ length: 21 }, (_, i) => `https://app${i}.example.com`),
      /at most 20 origins, received 21/,
    ],
  ])('refuses %s with a message that says what is expected', (_label, value, message) => {
    expect(() => resolveSettings({ corsOrigins: value })).toThrow(SettingsError);
    expect(() => resolveSettings({ corsOrigins: value })).toThrow(message);
  });

  it('stops the synth naming the context key', () => {
    const app = testApp({ 'keygate:corsOrigins': ['https://app.example.com/'] });
    expect(() => settingsFromContext(app.node)).toThrow(/keygate:corsOrigins\[0\] must be an origin/);
  });

  it('is validated again by the Keygate construct', () => {
    const stack = new Stack(testApp(), 'Direct');
    expect(() => new Keygate(stack, 'Keygate', { settings: { ...DEFAULT_SETTINGS, corsOrigins: ['*'] } })).toThrow(
      /corsOrigins\[0\] must name each origin/,
    );
  });

  it('stops npm start naming KEYGATE_CORS_ORIGINS', () => {
    expect(localSettings({ KEYGATE_CORS_ORIGINS: `["${APP}"]` }, emptyCdkJson()).corsOrigins).toEqual([APP]);
    expect(() => localSettings({ KEYGATE_CORS_ORIGINS: '["*"]' }, emptyCdkJson())).toThrow(
      /KEYGATE_CORS_ORIGINS\[0\] must name each origin/,
    );
  });
});
