import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CONFIGURATION_DOC, renderConfigurationDoc, settingDescriptions } from '../bin/config-doc';
import { SETTINGS } from '../lib/settings';

const ROOT = join(__dirname, '..');

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates (`-- --check` passes)', async () => {
    const check = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/config-doc.ts', '--check'], {
      cwd: ROOT,
    }).then(
      () => 'up to date',
      (error: { stderr: string }) => error.stderr,
    );
    expect(check).toBe('up to date');
    expect(readFileSync(CONFIGURATION_DOC, 'utf8')).toBe(renderConfigurationDoc());
  }, 60_000);

  it('has a section for every setting, with its context key, variable and TSDoc', () => {
    const doc = renderConfigurationDoc();
    const descriptions = settingDescriptions();
    for (const [field, source] of Object.entries(SETTINGS)) {
      const section = doc.slice(doc.indexOf(`\n## ${field}\n`));
      expect(section).toContain(`- Context key: \`${source.context}\``);
      expect(section).toContain(descriptions.get(field));
      if (source.env !== undefined) expect(section).toContain(`- Local variable: \`${source.env}\``);
    }
    expect(descriptions.get('onLeak')).toMatch(/^What a reported leak/);
  });

  it('refuses a setting without TSDoc', () => {
    const source =
      'export interface KeygateSettings {\n  /** Documented. */\n  readonly a: string;\n  readonly b: number;\n}\n';
    expect(() => settingDescriptions(source)).toThrow('KeygateSettings.b has no TSDoc');
  });
});
