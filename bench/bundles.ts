/**
 * Lambda bundles built the way `cdk synth` builds them: the esbuild arguments `NodejsFunction`
 * passes for the bundling options of `lib/keygate-function.ts` (`--bundle --target=node22
 * --platform=node --minify [--sourcemap] --sources-content=false`, the AWS SDK bundled, no
 * externals; `--format=esm --main-fields=module,main` and a `createRequire` banner for keygate's
 * own functions, `--format=cjs` for the authorizer). Figure 4's `bundle_bytes_<function>` are
 * the `index.mjs` (`index.js`) files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../lib/keygate-function';
import { printTable, type Report } from './report';

export const LAMBDAS = join(__dirname, '..', 'lambdas');

/**
 * Functions whose `KeygateFunction` sets `sourceMaps: false` (see `lib/key-authorizer.ts`);
 * every other function keeps the house default: a `.map` file and `--enable-source-maps`.
 */
export const WITHOUT_SOURCE_MAPS: ReadonlySet<string> = new Set(['authorizer']);

/** Functions whose `KeygateFunction` sets `moduleFormat: 'cjs'`; the others are ES modules. */
export const COMMONJS: ReadonlySet<string> = new Set(['authorizer']);

/** A bundle on disk and how the function runs it. */
export interface Bundle {
  readonly name: string;
  /** The `index.js` to `require`. */
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number;
  readonly sourceMaps: boolean;
}

/** Builds bundles into a temporary folder, removed by {@link Bundler.dispose}. */
export class Bundler {
  readonly dir = mkdtempSync(join(tmpdir(), 'keygate-bench-'));

  /** Builds `entry` as `cdk synth` does for a function with or without source maps, in either module format. */
  async cdkBundle(name: string, entry: string, sourceMaps: boolean, format: 'cjs' | 'esm' = 'cjs'): Promise<Bundle> {
    const outfile = join(this.dir, `${name}-${format}`, format === 'esm' ? 'index.mjs' : 'index.js');
    await build({
      entryPoints: [entry],
      bundle: true,
      target: 'node22',
      platform: 'node',
      format,
      ...(format === 'esm' ? { mainFields: ['module', 'main'], banner: { js: ESM_REQUIRE_BANNER } } : {}),
      outfile,
      minify: true,
      sourcemap: sourceMaps,
      sourcesContent: false,
      logLevel: 'error',
    });
    return this.describe(name, outfile, sourceMaps);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private describe(name: string, file: string, sourceMaps: boolean): Bundle {
    const code = readFileSync(file);
    const map = `${file}.map`;
    return {
      name,
      file,
      bytes: code.length,
      gzipBytes: gzipSync(code).length,
      mapBytes: sourceMaps ? statSync(map).size : 0,
      sourceMaps,
    };
  }
}

/** Every Lambda entry, `lambdas/<function>/index.ts`. */
export function lambdaEntries(): { name: string; entry: string }[] {
  return readdirSync(LAMBDAS, { withFileTypes: true })
    .filter((dir) => dir.isDirectory())
    .map((dir) => ({ name: dir.name, entry: join(LAMBDAS, dir.name, 'index.ts') }))
    .filter(({ entry }) => {
      try {
        return statSync(entry).isFile();
      } catch {
        return false;
      }
    });
}

/** Figure 4's bundle sizes as deployed, with the CommonJS build of each for comparison. */
export async function bundleFigures(report: Report, bundler: Bundler): Promise<Map<string, Bundle>> {
  const bundles = new Map<string, Bundle>();
  const rows: (string | number)[][] = [];
  for (const { name, entry } of lambdaEntries()) {
    const format = COMMONJS.has(name) ? 'cjs' : 'esm';
    const bundle = await bundler.cdkBundle(name, entry, !WITHOUT_SOURCE_MAPS.has(name), format);
    bundles.set(name, bundle);
    report.add(
      `bundle_bytes_${name}`,
      bundle.bytes,
      'bytes',
      `index.${format === 'esm' ? 'mjs' : 'js'} as cdk synth builds it${bundle.sourceMaps ? ', plus a .map' : ', no source map'}`,
    );
    const cjs = format === 'cjs' ? bundle : await bundler.cdkBundle(name, entry, bundle.sourceMaps, 'cjs');
    rows.push([
      name,
      format,
      kB(bundle.bytes),
      kB(bundle.gzipBytes),
      bundle.sourceMaps ? kB(bundle.mapBytes) : '-',
      kB(cjs.bytes),
    ]);
  }
  printTable(
    'Lambda bundles (minified, as deployed; CommonJS for comparison)',
    ['function', 'format', 'kB', 'gzip kB', '.map kB', 'cjs kB'],
    rows,
  );
  return bundles;
}

const kB = (bytes: number): string => (bytes / 1024).toFixed(1);
