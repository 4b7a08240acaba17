import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleFiles } from '../lib/console-hosting';
import { buildConsole } from '../local/http/console';

/** The paths the page loads, besides itself, as a relative URL names them. */
const REFERENCE = /\s(?:src|href)="\/([^"]+)"/g;

/**
 * The operator console for `keygate:console`, built by the same code that `npm start` serves
 * `/console` from: its page and the files the page loads, by their path on the distribution.
 *
 * @throws Error when the page loads a file this does not deploy (it would answer 403 on CloudFront).
 */
export async function consoleFiles(): Promise<ConsoleFiles> {
  const built = await buildConsole();
  const assets: Record<string, string> = {
    'console/app.js': built.script.code,
    'demo/favicon.svg': readFileSync(join(__dirname, '..', 'local', 'demo', 'favicon.svg'), 'utf8'),
  };
  const missing = [...built.html.matchAll(REFERENCE)].map(([, path]) => path).filter((path) => !(path in assets));
  if (missing.length > 0) throw new Error(`the console page loads files that are not deployed: ${missing.join(', ')}`);
  return { page: built.html, assets };
}
