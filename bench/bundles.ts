/**
 * Lambda bundles built the way `cdk synth` builds them: the esbuild arguments `NodejsFunction`
 * passes for the bundling options of `lib/keygate-function.ts` (`--bundle --target=node22
 * --platform=node --format=cjs --minify [--sourcemap] --sources-content=false`, the AWS SDK
 * bundled, no externals). Figure 4's `bundle_bytes_<function>` are the `index.js` files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { printTable, type Report } from './report';

export const LAMBDAS = join(__dirname, '..', 'lambdas');

/**
 * Functions whose `KeygateFunction` sets `sourceMaps: false` (see `lib/key-authorizer.ts`);
 * every other function keeps the house default: a `.map` file and `--enable-source-maps`.
 */
export const WITHOUT_SOURCE_MAPS: ReadonlySet<string> = new Set(['authorizer']);

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

  /** Builds `entry` as `cdk synth` does for a function with or without source maps. */
  async cdkBundle(name: string, entry: string, sourceMaps: boolean): Promise<Bundle> {
    const outdir = join(this.dir, name);
    await build({
      entryPoints: [entry],
      bundle: true,
      target: 'node22',
      platform: 'node',
      format: 'cjs',
      outfile: join(outdir, 'index.js'),
      minify: true,
      sourcemap: sourceMaps,
      sourcesContent: false,
      logLevel: 'error',
    });
    return this.describe(name, join(outdir, 'index.js'), sourceMaps);
  }

  /** What-if: ES module output, preferring packages' ESM builds so esbuild can tree-shake them. */
  async esmBundle(name: string, entry: string): Promise<Bundle> {
    const outdir = join(this.dir, `${name}-esm`);
    await build({
      entryPoints: [entry],
      bundle: true,
      target: 'node22',
      platform: 'node',
      format: 'esm',
      mainFields: ['module', 'main'],
      outfile: join(outdir, 'index.mjs'),
      minify: true,
      sourcemap: !WITHOUT_SOURCE_MAPS.has(name),
      sourcesContent: false,
      // what CDK's docs suggest for ESM bundles that still contain CommonJS packages.
      banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
      logLevel: 'error',
    });
    return this.describe(name, join(outdir, 'index.mjs'), !WITHOUT_SOURCE_MAPS.has(name));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private describe(name: string, file: string, sourceMaps: boolean): Bundle {
    const code = readFileSync(file);
    const map = `${file}.map`;
    return { name, file, bytes: code.length, gzipBytes: gzipSync(code).length, mapBytes: sourceMaps ? statSync(map).size : 0, sourceMaps };
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

/** Figure 4's bundle sizes, with the ESM what-if for comparison. */
export async function bundleFigures(report: Report, bundler: Bundler): Promise<Map<string, Bundle>> {
  const bundles = new Map<string, Bundle>();
  const rows: (string | number)[][] = [];
  for (const { name, entry } of lambdaEntries()) {
    const bundle = await bundler.cdkBundle(name, entry, !WITHOUT_SOURCE_MAPS.has(name));
    bundles.set(name, bundle);
    report.add(`bundle_bytes_${name}`, bundle.bytes, 'bytes', `index.js as cdk synth builds it${bundle.sourceMaps ? ', plus a .map' : ', no source map'}`);
    const esm = await bundler.esmBundle(name, entry);
    rows.push([name, kB(bundle.bytes), kB(bundle.gzipBytes), bundle.sourceMaps ? kB(bundle.mapBytes) : '-', kB(esm.bytes), kB(esm.gzipBytes)]);
  }
  printTable(
    'Lambda bundles (minified; cjs as deployed, esm + module-first resolution as a what-if)',
    ['function', 'cjs kB', 'cjs gzip kB', '.map kB', 'esm kB', 'esm gzip kB'],
    rows,
  );
  return bundles;
}

const kB = (bytes: number): string => (bytes / 1024).toFixed(1);
