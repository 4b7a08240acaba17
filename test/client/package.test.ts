import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// the package as another project gets it: `npm pack` (which builds dist/client through `prepare`),
// installed from the tarball alone into a folder outside the repository, with no registry.
const ROOT = join(__dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const run = (command: string, args: readonly string[], cwd: string): string =>
  execFileSync(command, args, { cwd, env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const TS_CONSUMER = `import { Keygate, KeygateError, type KeyPage } from 'keygate/client';
const keygate = new Keygate({ apiKey: 'sk_live_x', baseUrl: 'http://localhost:3000' });
const page: Promise<KeyPage> = keygate.keys.list({ limit: 10 });
export const checks = [page, KeygateError];
// @ts-expect-error the types are the client's own, not any: apiKey is a string.
new Keygate({ apiKey: 1, baseUrl: 'http://localhost:3000' });
`;

describe('keygate/client from another project', () => {
  jest.setTimeout(240_000);
  let work: string;
  let consumer: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'keygate-pack-'));
    consumer = join(work, 'consumer');
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    expect(
      packed.files.map((file) => file.path).filter((path) => !/^(package\.json|README\.md|LICENSE)$/.test(path)),
    ).toEqual(
      expect.arrayContaining([
        'dist/client/index.js',
        'dist/client/index.d.ts',
        'dist/client/openapi.d.ts',
        'dist/elements/keygate-api-keys.js',
      ]),
    );
    expect(
      packed.files.every((file) =>
        /^(package\.json|README\.md|LICENSE|dist\/(client|elements)\/[\w.-]+)$/.test(file.path),
      ),
    ).toBe(true);
    mkdirSync(consumer);
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
    );
    // offline: the tarball must need nothing from a registry (the client's only dependency is fetch).
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, packed.filename)], consumer);
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('imports from ES modules and from CommonJS in plain Node', () => {
    writeFileSync(
      join(consumer, 'esm.mjs'),
      "import { Keygate, KeygateError } from 'keygate/client';\nconsole.log(typeof Keygate, typeof KeygateError);\n",
    );
    writeFileSync(
      join(consumer, 'cjs.cjs'),
      "const { Keygate, KeygateError } = require('keygate/client');\nconsole.log(typeof Keygate, typeof KeygateError);\n",
    );
    expect(run(process.execPath, ['esm.mjs'], consumer).trim()).toBe('function function');
    expect(run(process.execPath, ['cjs.cjs'], consumer).trim()).toBe('function function');
  });

  it('type-checks a TypeScript consumer, ES module and CommonJS, with no @types/node', () => {
    writeFileSync(join(consumer, 'consumer.mts'), TS_CONSUMER);
    writeFileSync(join(consumer, 'consumer.cts'), TS_CONSUMER);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: [],
          strict: true,
          noEmit: true,
        },
        files: ['consumer.mts', 'consumer.cts'],
      }),
    );
    expect(() => run(process.execPath, [TSC, '-p', '.'], consumer)).not.toThrow();
  });
});
