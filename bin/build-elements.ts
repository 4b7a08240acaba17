import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildElements, ELEMENT_GZIP_BUDGET } from '../local/http/elements';

/**
 * `npm run build:elements`: writes each web component to dist/elements/<name>.js (the package's
 * `keygate/elements`) and prints its size, gzipped; fails over the budget.
 */
async function main(): Promise<void> {
  const out = join(__dirname, '..', 'dist', 'elements');
  mkdirSync(out, { recursive: true });
  let over = false;
  for (const element of await buildElements()) {
    writeFileSync(join(out, `${element.name}.js`), element.code);
    const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;
    // on stderr: `npm pack --json` runs this through `prepare`, and its stdout must stay JSON.
    console.error(
      `dist/elements/${element.name}.js: ${kb(element.bytes)}, ${kb(element.gzipBytes)} gzip (budget ${kb(ELEMENT_GZIP_BUDGET)})`,
    );
    over ||= element.gzipBytes > ELEMENT_GZIP_BUDGET;
  }
  if (over) throw new Error('a web component is over its gzip budget');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
