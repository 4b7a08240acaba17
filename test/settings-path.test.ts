import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { ENV } from '../lambdas/runtime/env-names';
import {
  DEFAULT_SETTINGS,
  INTEGER_RANGES,
  SETTINGS,
  SettingsError,
  resolveSettings,
  settingsFromContext,
} from '../lib/settings';

const ROOT = join(__dirname, '..');

describe('one settings path', () => {
  it('reads keygate:onLeak through the settings, like every other setting', () => {
    expect(settingsFromContext(new App().node).onLeak).toBe('revoke');
    expect(settingsFromContext(new App({ context: { 'keygate:onLeak': 'notify' } }).node).onLeak).toBe('notify');
    expect(() => settingsFromContext(new App({ context: { 'keygate:onLeak': 'ignore' } }).node)).toThrow(
      /keygate:onLeak must be one of revoke, notify, received "ignore"/,
    );
  });

  it('refuses plain http for a deployment, naming the context key, and allows it locally', () => {
    const app = new App({ context: { 'keygate:upstreamUrl': 'http://orders.example.com' } });
    expect(() => settingsFromContext(app.node)).toThrow(
      'keygate:upstreamUrl must use https (http is for local mode only), received "http://orders.example.com" (string)',
    );
    expect(resolveSettings({ upstreamUrl: 'http://localhost:4110' }, undefined, { local: true }).upstreamUrl).toBe(
      'http://localhost:4110',
    );
  });

  it('throws a SettingsError for any value it refuses', () => {
    for (const input of [
      { keyPrefix: 'Bad_' },
      { plans: '{' },
      { stageRateLimit: 1 },
      { upstreamUrl: 'ftp://x.example.com' },
    ]) {
      expect(() => resolveSettings(input)).toThrow(SettingsError);
    }
  });

  it('gives every whole-number setting a default inside its range', () => {
    for (const [field, [min, max]] of Object.entries(INTEGER_RANGES)) {
      const value = DEFAULT_SETTINGS[field as keyof typeof INTEGER_RANGES];
      expect([field, value >= min && value <= max]).toEqual([field, true]);
      expect(() => resolveSettings({ [field]: max + 1 })).toThrow(
        new RegExp(`${field} must be a whole number from ${min} to ${max}`),
      );
    }
  });

  it('names each setting after its field, and each local variable KEYGATE_*', () => {
    for (const [field, source] of Object.entries(SETTINGS)) {
      expect(source.context).toBe(`keygate:${field}`);
      expect(source.env ?? 'KEYGATE_').toMatch(/^KEYGATE_[A-Z_]*$/);
    }
  });
});

describe('Lambda environment variable names', () => {
  const names = Object.values(ENV).join('|');
  // a name as a quoted string, an object key or a property of process.env (comments may name them).
  const literal = new RegExp(`['"](${names})['"]|process\\.env\\.(${names})\\b|^\\s*(${names}):`, 'm');
  /** The TypeScript files of a folder and its subfolders. */
  const sources = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(dir, file));

  it('are written once, in env-names.ts: lib/ and lambdas/ use ENV', () => {
    const offenders = [...sources('lib'), ...sources('lambdas')]
      .filter((file) => !file.endsWith('env-names.ts'))
      .filter((file) => literal.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it.each([["fn.addEnvironment('ON_LEAK', policy)"], ['const a = process.env.PLANS;'], ['  KEY_PREFIX: prefix,']])(
    'are found written out: %s',
    (line) => {
      expect(literal.test(line)).toBe(true);
    },
  );
});

describe('bin/keygate.ts', () => {
  it('prints the settings error, not a stack trace, and exits 1', async () => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/keygate.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ 'keygate:upstreamUrl': 'http://orders.example.com' }),
        CDK_OUTDIR: join(tmpdir(), 'keygate-settings-cdk.out'),
      },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'keygate: keygate:upstreamUrl must use https (http is for local mode only), received "http://orders.example.com" (string)\n',
    );
  }, 60_000);
});
