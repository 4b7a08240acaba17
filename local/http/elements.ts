import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The web components' sources, one entry each. */
export const ELEMENTS_ENTRIES = { 'keygate-api-keys': join(__dirname, '..', '..', 'elements', 'keygate-api-keys.ts') };

/** The most a component's module may weigh, gzipped, in bytes. */
export const ELEMENT_GZIP_BUDGET = 35 * 1024;

/** One built component: its module's text and weights. */
export interface BuiltElement {
  readonly name: string;
  readonly code: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/**
 * Bundles each component, Lit included, into one minified ES module that needs nothing else:
 * a page loads it with one script tag. `npm run build:elements` writes them to dist/elements;
 * the local gateway builds them in memory, so `npm start` serves the sources as they are.
 * `entries` picks other entry points of elements/ (the operator console's).
 */
export async function buildElements(entries: Record<string, string> = ELEMENTS_ENTRIES): Promise<BuiltElement[]> {
  const result = await build({
    entryPoints: entries,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: 'out',
    tsconfig: join(__dirname, '..', '..', 'elements', 'tsconfig.json'),
    legalComments: 'none',
    // a library's stylesheet (uPlot's) is imported as text and adopted into a shadow root: the page CSP allows no <style>.
    loader: { '.css': 'text' },
    logLevel: 'silent',
  });
  return result.outputFiles.map((file) => {
    const name = file.path.replace(/^.*[\\/]/, '').replace(/\.js$/, '');
    return {
      name,
      code: file.text,
      bytes: file.contents.byteLength,
      gzipBytes: gzipSync(file.contents, { level: 9 }).byteLength,
    };
  });
}
