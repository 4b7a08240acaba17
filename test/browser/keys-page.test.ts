import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Locator, Page } from 'playwright-core';
import type { LocalKeygate } from '../../local/app';
import { PAGE_CSP } from '../../local/http/pages';
import {
  expectNoSeriousA11yViolations,
  launchChromium,
  openPage,
  saveScreenshot,
  type WatchedPage,
} from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { call, startTestKeygate } from '../support/local';

/** A host page of a team's dashboard: the element and nothing else, under the strict CSP. */
const HOST = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host dashboard</title>
<script type="module" src="/elements/keygate-api-keys.js"></script></head>
<body><main><h1>Developer settings</h1><keygate-api-keys></keygate-api-keys></main></body></html>`;

let upstream: Server;
let keygate: LocalKeygate;
let browser: Browser;
let origin: string;
/** The member's credential: an admin key of the tenant until sessions exist. */
let admin: string;
let readOnly: string;
const opened: WatchedPage[] = [];

beforeAll(async () => {
  upstream = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"from":"backend"}'),
  );
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  keygate = await startTestKeygate({ upstream: { url: upstreamUrl, secret: 'browser-test-secret' } });
  origin = keygate.url;
  const tenant = await call(origin, 'POST', '/v1/panel/tenants', {
    key: keygate.operatorKey,
    body: { name: 'Browser Rockets', plan: 'growth' },
  });
  const owner = tenant.body.key.key as string;
  admin = (await call(origin, 'POST', '/v1/keys', { key: owner, body: { name: 'member', role: 'admin' } })).body.key;
  readOnly = (await call(origin, 'POST', '/v1/keys', { key: owner, body: { name: 'viewer', role: 'read_only' } })).body
    .key;
  browser = await launchChromium();
}, DEADLINES.slowTest);

afterEach(async () => {
  for (const { context } of opened.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
  await keygate?.stop();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** Opens the host page with the element, hands it `session` as a host script would, and waits for the list. */
async function hostPage(session: string | undefined): Promise<WatchedPage> {
  const watched = await openPage(browser, origin);
  opened.push(watched);
  await watched.page.route(`${origin}/host`, (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/html', 'content-security-policy': PAGE_CSP },
      body: HOST,
    }),
  );
  await watched.page.goto(`${origin}/host`);
  await watched.page.waitForFunction(`customElements.get('keygate-api-keys') !== undefined`);
  if (session !== undefined)
    await watched.page.evaluate((token) => {
      (globalThis as any).document.querySelector('keygate-api-keys').session = token;
    }, session);
  return watched;
}

/** Everything the element holds as text or input values, shadow root included. */
function elementText(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const root = document.querySelector('keygate-api-keys').shadowRoot;
    return root.innerHTML + [...root.querySelectorAll('input')].map((input) => input.value).join(' ');
  })()`) as Promise<string>;
}

const row = (page: Page, name: string): Locator => page.getByRole('row', { name: new RegExp(name) });
const dialog = (page: Page): Locator => page.getByRole('dialog');

test('/demo: the dashboard embeds the page under its strict CSP, with no third-party request and nothing in storage', async () => {
  const watched = await openPage(browser, origin);
  opened.push(watched);
  const { page } = watched;
  await page.goto(`${origin}/demo`);
  await row(page, 'Demo member').first().waitFor();
  await expect(page.getByRole('button', { name: 'Create API key' }).isVisible()).resolves.toBe(true);
  expect(watched.thirdPartyRequests).toEqual([]);
  expect(watched.consoleErrors).toEqual([]);
  // the token lives in the element's memory only: not in storage, the URL or the DOM.
  expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
  expect(page.url()).toBe(`${origin}/demo`);
  expect(await page.evaluate(`document.querySelector('keygate-api-keys').hasAttribute('session')`)).toBe(false);
  expect(await page.evaluate(`document.querySelector('keygate-api-keys').session`)).toBeUndefined();
  await expectNoSeriousA11yViolations(page, 'demo dashboard');
  await saveScreenshot(page, 'api-keys-page', { readme: true });
});

test('a read-only member sees the keys but no Create button and no change, and the API refuses its changes with 403', async () => {
  const { page } = await hostPage(readOnly);
  await row(page, 'viewer').waitFor();
  expect(await page.getByRole('button', { name: 'Create API key' }).count()).toBe(0);
  for (const action of ['Revoke', 'Rotate', 'Delete', 'Enable'])
    expect(await page.getByRole('button', { name: action }).count()).toBe(0);
  await saveScreenshot(page, 'read-only');
  await expectNoSeriousA11yViolations(page, 'read only');
  const refused = await call(origin, 'POST', '/v1/keys', { key: readOnly, body: { name: 'not allowed' } });
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('forbidden');
});

test('create a key: shown once, copied, gone when closed; it works at the front door; revoke stops it at once, enable and delete', async () => {
  const { page, thirdPartyRequests, consoleErrors } = await hostPage(admin);
  await row(page, 'member').waitFor();
  await saveScreenshot(page, 'list');
  await expectNoSeriousA11yViolations(page, 'list');

  await page.getByRole('button', { name: 'Create API key' }).click();
  const name = dialog(page).getByRole('textbox', { name: 'Name' });
  expect(await name.getAttribute('placeholder')).toBe('Production Server');
  await name.fill('Production Server');
  await dialog(page).getByRole('combobox', { name: 'Expires' }).selectOption({ label: 'In 90 days' });
  await saveScreenshot(page, 'create-form');
  await expectNoSeriousA11yViolations(page, 'create form');
  await dialog(page).getByRole('button', { name: 'Create' }).click();

  const shown = dialog(page).getByRole('textbox', { name: 'New API key' });
  await shown.waitFor();
  const key = await shown.inputValue();
  expect(key).toMatch(/^sk_live_[0-9a-f]{72}$/);
  await expect(dialog(page).getByText("Copy it now, you won't see it again").isVisible()).resolves.toBe(true);
  await dialog(page).getByRole('button', { name: 'Copy' }).click();
  await dialog(page).getByText('Copied to the clipboard.').waitFor();
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
  await saveScreenshot(page, 'api-key-created', { readme: true });
  await expectNoSeriousA11yViolations(page, 'key shown once');

  await dialog(page).getByRole('button', { name: 'Done' }).click();
  await dialog(page).waitFor({ state: 'hidden' });
  const created = row(page, 'Production Server');
  await created.waitFor();
  expect(await created.innerText()).toContain(`…${key.slice(-4)}`);
  expect(await elementText(page)).not.toContain(key);

  expect((await call(origin, 'GET', '/orders', { key })).status).toBe(200);

  await created.getByRole('button', { name: 'Revoke' }).click();
  await expect(dialog(page).getByText('You can undo it later with Enable').isVisible()).resolves.toBe(true);
  await saveScreenshot(page, 'revoke-confirmation');
  await expectNoSeriousA11yViolations(page, 'revoke confirmation');
  await dialog(page).getByRole('button', { name: 'Revoke key' }).click();
  await created.getByText('Revoked').waitFor();
  expect((await call(origin, 'GET', '/orders', { key })).status).toBe(401);
  await saveScreenshot(page, 'revoked');
  await expectNoSeriousA11yViolations(page, 'revoked');

  await created.getByRole('button', { name: 'Enable' }).click();
  await created.getByText('Active').waitFor();
  expect((await call(origin, 'GET', '/orders', { key })).status).toBe(200);

  await created.getByRole('button', { name: 'Events' }).click();
  await created.locator('xpath=following-sibling::tr[1]').getByText('key.enabled').waitFor();
  await saveScreenshot(page, 'events');
  await expectNoSeriousA11yViolations(page, 'events');

  await created.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog(page).getByText('Delete is permanent').isVisible()).resolves.toBe(true);
  await saveScreenshot(page, 'delete-confirmation');
  await dialog(page).getByRole('button', { name: 'Delete key' }).click();
  await created.waitFor({ state: 'detached' });
  expect((await call(origin, 'GET', '/orders', { key })).status).toBe(401);
  expect(thirdPartyRequests).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
