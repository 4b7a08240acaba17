import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { GatewayRoute, ProxyHandler } from '../gateway';
import type { DemoSession } from '../demo';
import { buildElements, type BuiltElement } from './elements';
import { buildConsole, type BuiltConsole } from './console';

/**
 * The policy every page and script of the local gateway is served with: scripts and styles from
 * this origin only, no inline script, no eval. The component works under it (its styles are
 * constructible stylesheets, which `style-src 'self'` allows).
 */
export const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'";

/**
 * The browser-facing routes of `npm start`: the web components, the `/demo` dashboard and the
 * operator `/console`. No key needed: the console signs in with its own page.
 */
export const PAGE_ROUTES: readonly GatewayRoute[] = [
  { method: 'GET', path: '/elements/{file}', function: 'pages', auth: 'none' },
  { method: 'GET', path: '/demo', function: 'pages', auth: 'none' },
  { method: 'GET', path: '/demo/{file}', function: 'pages', auth: 'none' },
  { method: 'POST', path: '/demo/session', function: 'pages', auth: 'none' },
  { method: 'GET', path: '/console', function: 'pages', auth: 'none' },
  { method: 'GET', path: '/console/{file}', function: 'pages', auth: 'none' },
];

const DEMO_FILES: Record<string, { file: string; type: string }> = {
  '/demo': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/demo/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/demo/demo.css': { file: 'demo.css', type: 'text/css; charset=utf-8' },
  '/demo/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

const HEADERS = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const answer = (statusCode: number, type: string, body: string): APIGatewayProxyResult => ({
  statusCode,
  headers: { ...HEADERS, 'content-type': type },
  body,
});

/**
 * Serves the pages: each web component as one ES module, bundled in memory from its source on
 * first request (so `npm start` needs no build step), the demo's static files, and the demo
 * backend's `POST /demo/session`, which mints its member's credential, and the console (built
 * like the components, on first request).
 */
export function pagesHandler(deps: { readonly demoSession: () => Promise<DemoSession> }): ProxyHandler {
  let built: Promise<ReadonlyMap<string, BuiltElement>> | undefined;
  const elements = () =>
    (built ??= buildElements().then(
      (list) => new Map(list.map((element) => [`/elements/${element.name}.js`, element])),
      (error: unknown) => {
        built = undefined;
        throw error;
      },
    ));
  let consoleBuilt: Promise<BuiltConsole> | undefined;
  const consoleApp = () =>
    (consoleBuilt ??= buildConsole().catch((error: unknown) => {
      consoleBuilt = undefined;
      throw error;
    }));
  return async (event) => {
    if (event.path === '/console') return answer(200, 'text/html; charset=utf-8', (await consoleApp()).html);
    if (event.path === '/console/app.js')
      return answer(200, 'text/javascript; charset=utf-8', (await consoleApp()).script.code);
    if (event.httpMethod === 'POST') {
      return answer(200, 'application/json', JSON.stringify(await deps.demoSession()));
    }
    if (event.path.startsWith('/elements/')) {
      const element = (await elements()).get(event.path);
      return element === undefined
        ? answer(404, 'text/plain; charset=utf-8', 'not found')
        : answer(200, 'text/javascript; charset=utf-8', element.code);
    }
    const file = DEMO_FILES[event.path];
    if (file === undefined) return answer(404, 'text/plain; charset=utf-8', 'not found');
    return answer(200, file.type, readFileSync(join(__dirname, '..', 'demo', file.file), 'utf8'));
  };
}
