/**
 * `npm run openapi`: writes `openapi.json` (the OpenAPI 3.1 document of the HTTP API, built from
 * the handlers' zod schemas) and `client/openapi.d.ts` (its TypeScript types, by
 * openapi-typescript's Node API: no network). Both are committed. `--check` writes nothing and
 * fails, naming the files, when they are not what this would write (the drift test runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openApiDocument } from '../openapi/document';

/** The repository's root. */
export const ROOT = join(__dirname, '..');
/** Where the document and its types are committed. */
export const OPENAPI_FILES = {
  document: join(ROOT, 'openapi.json'),
  types: join(ROOT, 'client', 'openapi.d.ts'),
} as const;

/** The document as `openapi.json` holds it. */
export function renderDocument(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return `${JSON.stringify(openApiDocument(undefined, version), null, 2)}\n`;
}

/**
 * The document's types, as `client/openapi.d.ts` holds them. openapi-typescript loads ES modules
 * that only Node itself (not jest's module runtime) can require, hence the late import.
 */
export async function renderTypes(document: string): Promise<string> {
  const { default: openapiTS, astToString, COMMENT_HEADER } = await import('openapi-typescript');
  return `${COMMENT_HEADER}${astToString(await openapiTS(document))}`;
}

async function main(check: boolean): Promise<number> {
  const document = renderDocument();
  const files = [
    { path: OPENAPI_FILES.document, text: document },
    { path: OPENAPI_FILES.types, text: await renderTypes(document) },
  ];
  if (check) {
    const stale = files.filter(({ path, text }) => {
      try {
        return readFileSync(path, 'utf8') !== text;
      } catch {
        return true;
      }
    });
    for (const { path } of stale)
      process.stderr.write(`${relative(ROOT, path)} is not what the code generates: run npm run openapi\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const { path, text } of files) writeFileSync(path, text);
  process.stdout.write(`wrote ${files.map(({ path }) => relative(ROOT, path)).join(' and ')}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.includes('--check')).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
