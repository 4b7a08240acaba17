import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildElements, type BuiltElement } from './elements';

/** The console's one script, built from elements/console like the web components. */
const CONSOLE_ENTRY = { app: join(__dirname, '..', '..', 'elements', 'console', 'keygate-console.ts') };

/** The most the console's first load (page and script) may weigh, gzipped, in bytes. */
export const CONSOLE_GZIP_BUDGET = 150 * 1024;

/** The console's page: the element and one script of this origin, nothing inline (the page CSP forbids it). */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>keygate console</title>
    <link rel="icon" href="/demo/favicon.svg" type="image/svg+xml" />
    <script type="module" src="/console/app.js"></script>
  </head>
  <body>
    <keygate-console></keygate-console>
  </body>
</html>
`;

/** The console as the browser first loads it: its page and its script, and their weight gzipped. */
export interface BuiltConsole {
  readonly html: string;
  readonly script: BuiltElement;
  /** Page and script, each gzipped as a server would send it. */
  readonly firstLoadGzipBytes: number;
}

/** Bundles the console (Lit included) into one minified ES module, in memory. */
export async function buildConsole(): Promise<BuiltConsole> {
  const [script] = await buildElements(CONSOLE_ENTRY);
  return {
    html: CONSOLE_HTML,
    script,
    firstLoadGzipBytes: gzipSync(CONSOLE_HTML, { level: 9 }).byteLength + script.gzipBytes,
  };
}
