import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import type { LocalKeygate } from '../../local/app';
import { PAGE_CSP } from '../../local/http/pages';
import { launchChromium, openPage, type WatchedPage } from './browser';
import { DEADLINES } from './deadlines';
import { call, startTestKeygate } from './local';

/** A host page of a team's dashboard: the element and nothing else, under the strict CSP. */
const HOST = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host dashboard</title>
<script type="module" src="/elements/keygate-api-keys.js"></script></head>
<body><main><h1>Developer settings</h1><keygate-api-keys></keygate-api-keys></main></body></html>`;

/** A local keygate whose front door reaches a backend answering 200, and one tenant's credentials. */
export interface KeysPageFixture {
  readonly keygate: LocalKeygate;
  readonly origin: string;
  readonly owner: string;
  readonly tenantId: string;
  /** The member's credential: an admin key of the tenant (named `member`). */
  readonly admin: string;
  /** A read-only member's credential (named `viewer`). */
  readonly readOnly: string;
  stop(): Promise<void>;
}

/** Starts keygate with a backend behind its front door, a tenant, and its member credentials. */
export async function startKeysPageFixture(): Promise<KeysPageFixture> {
  const upstream = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"from":"backend"}'),
  );
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const keygate = await startTestKeygate({ upstream: { url: upstreamUrl, secret: 'browser-test-secret' } });
  const origin = keygate.url;
  const tenant = await call(origin, 'POST', '/v1/panel/tenants', {
    key: keygate.operatorKey,
    body: { name: 'Browser Rockets', plan: 'growth' },
  });
  const owner = tenant.body.key.key as string;
  const tenantId = tenant.body.tenant.tenantId as string;
  const make = async (name: string, role: string): Promise<string> =>
    (await call(origin, 'POST', '/v1/keys', { key: owner, body: { name, role } })).body.key;
  const admin = await make('member', 'admin');
  const readOnly = await make('viewer', 'read_only');
  return {
    keygate,
    origin,
    owner,
    tenantId,
    admin,
    readOnly,
    stop: async () => {
      await keygate.stop();
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    },
  };
}

/**
 * Opens a host page on keygate's origin with the element, and hands it `session` as a host
 * script would (through the property, in memory).
 */
export async function openHostPage(
  browser: Browser,
  origin: string,
  session: string | undefined,
): Promise<WatchedPage> {
  const watched = await openPage(browser, origin);
  await watched.page.route(`${origin}/host`, (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/html', 'content-security-policy': PAGE_CSP },
      body: HOST,
    }),
  );
  await watched.page.goto(`${origin}/host`);
  await watched.page.waitForFunction(`customElements.get('keygate-api-keys') !== undefined`);
  if (session !== undefined) await setSession(watched.page, session);
  return watched;
}

/** Hands the element a session token, as the host's script does. */
export async function setSession(page: Page, token: string): Promise<void> {
  await page.evaluate((value) => {
    (globalThis as any).document.querySelector('keygate-api-keys').session = value;
  }, token);
}

/** Everything the element holds as text or input values, shadow root included. */
export function elementText(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const root = document.querySelector('keygate-api-keys').shadowRoot;
    return root.innerHTML + [...root.querySelectorAll('input')].map((input) => input.value).join(' ');
  })()`) as Promise<string>;
}

/** The list's row of a key, found by its name as a screen reader reads the row. */
export const row = (page: Page, name: string): Locator => page.getByRole('row', { name: new RegExp(name) });
/** The element's open dialog. */
export const dialog = (page: Page): Locator => page.getByRole('dialog');

/** Mints a member's session as the team's backend does, with the operator key. */
export async function mintSession(
  fixture: KeysPageFixture,
  role: string,
): Promise<{ id: string; token: string; role: string }> {
  const minted = await call(fixture.origin, 'POST', `/v1/panel/tenants/${fixture.tenantId}/sessions`, {
    key: fixture.keygate.operatorKey,
    body: { role, user: { id: `u_${role}`, name: `A ${role} member` } },
  });
  if (minted.status !== 201) throw new Error(`minting a session answered ${minted.status}`);
  return minted.body;
}

/** Tells the element the role its session was minted with, as the host's script does. */
export async function setRole(page: Page, role: string): Promise<void> {
  await page.evaluate((value) => {
    (globalThis as any).document.querySelector('keygate-api-keys').setAttribute('member-role', value);
  }, role);
}

/** A browser test file's shared state: one keygate, one Chromium, pages closed after each test. */
export interface BrowserSuite {
  readonly fixture: KeysPageFixture;
  readonly browser: Browser;
  readonly origin: string;
  /** Opens a watched page on keygate's origin; it is closed after the test. */
  open(): Promise<WatchedPage>;
  /** Opens the keys page's host with `session`; it is closed after the test. */
  openHost(session: string | undefined): Promise<WatchedPage>;
}

/**
 * Registers a browser test file's hooks (keygate and Chromium started once, each test's pages
 * closed after it, all stopped at the end) and returns the suite, whose fields are readable from
 * the first test on.
 */
export function useBrowserSuite(): BrowserSuite {
  let fixture: KeysPageFixture | undefined;
  let browser: Browser | undefined;
  const opened: WatchedPage[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the browser suite is read before its beforeAll ran');
    return value;
  };
  const track = (watched: WatchedPage): WatchedPage => {
    opened.push(watched);
    return watched;
  };
  beforeAll(async () => {
    fixture = await startKeysPageFixture();
    browser = await launchChromium();
  }, DEADLINES.slowTest);
  afterEach(async () => {
    for (const { context } of opened.splice(0)) await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await fixture?.stop();
  });
  return {
    get fixture() {
      return started(fixture);
    },
    get browser() {
      return started(browser);
    },
    get origin() {
      return started(fixture).origin;
    },
    open: async () => track(await openPage(started(browser), started(fixture).origin)),
    openHost: async (session) => track(await openHostPage(started(browser), started(fixture).origin, session)),
  };
}

/** Presses Tab until `target` has the focus (shadow roots included): the keyboard, and nothing else, gets there. */
export async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let presses = 0; presses < 80; presses += 1) {
    if (
      await target.evaluate(
        (element) => element === (element.getRootNode() as unknown as { activeElement: unknown }).activeElement,
      )
    )
      return;
    await page.keyboard.press('Tab');
  }
  throw new Error('Tab never reached the control');
}
