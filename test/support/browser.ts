import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEADLINES } from './deadlines';

/** Where every screenshot of a browser test goes (gitignored). */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');
/** Where the screenshots the README shows go (committed). */
export const DOC_IMAGES = join(__dirname, '..', '..', 'docs', 'images');

/**
 * Debian's chromium (or `KEYGATE_CHROMIUM`), headless: no browser is ever downloaded. One per
 * test file; close it in `afterAll`.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.KEYGATE_CHROMIUM ?? '/usr/bin/chromium',
    timeout: DEADLINES.browser,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--metrics-recording-only',
    ],
  });
}

/** A page of its own context, and what it did that a test may assert on. */
export interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request to an origin other than `origin` (each is aborted). */
  readonly thirdPartyRequests: string[];
  /** The page's console errors: a refused script or style under its CSP shows here. */
  readonly consoleErrors: string[];
  /** The dialogs the page opened (`alert`, `confirm`…); each is dismissed. */
  readonly dialogs: string[];
}

/**
 * Opens a page in a fresh context that may only talk to `origin`: any other request is recorded
 * and aborted, so a test can assert the page makes no third-party request. The clipboard is
 * granted for `origin`, so a copy button can be checked against what it copied.
 */
export async function openPage(browser: Browser, origin: string): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const thirdPartyRequests: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    thirdPartyRequests.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINES.browser);
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { context, page, thirdPartyRequests, consoleErrors, dialogs };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core (from node_modules, never a CDN) on the page as it is now, shadow roots included,
 * and fails on any serious or critical violation. axe is evaluated through the DevTools protocol,
 * which a strict page CSP does not block (a script tag would be).
 */
export async function expectNoSeriousA11yViolations(page: Page, state: string): Promise<void> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (loaded !== true) await page.evaluate(axeSource());
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
  )) as AxeViolation[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect({ state, violations: serious }).toEqual({ state, violations: [] });
}

let axe: string | undefined;
function axeSource(): string {
  axe ??= readFileSync(require.resolve('axe-core'), 'utf8');
  return axe;
}

/**
 * Saves a full-page screenshot as `test-artifacts/screenshots/<name>.png`; one the README shows
 * is also written to `docs/images/<name>.png` when `KEYGATE_DOC_IMAGES=1` (`npm run
 * docs:images`), so an ordinary test run leaves the committed images alone.
 */
export async function saveScreenshot(page: Page, name: string, options: { readme?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const image = await page.screenshot({
    path: join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
  });
  if (options.readme === true && process.env.KEYGATE_DOC_IMAGES === '1') {
    mkdirSync(DOC_IMAGES, { recursive: true });
    writeFileSync(join(DOC_IMAGES, `${name}.png`), image);
  }
}
