import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.ts$/.test(entry.name) ? [path] : [];
  });
}

// `import { z } from 'zod'` (or from 'zod/mini') makes esbuild keep zod whole, every locale
// included: ~430 kB of each Lambda bundle. The namespace import of zod/mini lets it keep only the
// schemas used (~25 kB), as `npm run bench` measures; this keeps the whole import out.
test('Lambda code imports zod only as the tree-shakable namespace of zod/mini (or for types only)', () => {
  const offending = sources(join(ROOT, 'lambdas')).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      // type-only imports are erased before bundling: any of them is fine.
      .filter(
        (line) =>
          /from ['"]zod(\/[^'"]*)?['"]/.test(line) &&
          !/^import \* as z from 'zod\/mini';$|^import type /.test(line.trim()),
      )
      .map((line) => `${relative(ROOT, file)}: ${line.trim()}`),
  );
  expect(offending).toEqual([]);
});
