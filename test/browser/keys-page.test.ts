import { expectNoSeriousA11yViolations, saveScreenshot, type WatchedPage } from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { dialog, elementText, mintSession, row, setRole, setSession, useBrowserSuite } from '../support/keys-page';
import { call } from '../support/local';

// a flow is many browser round trips, each bounded by DEADLINES.browser: the test's own limit is a slow one.
jest.setTimeout(DEADLINES.slowTest);

const suite = useBrowserSuite();
const hostPage = (session: string | undefined): Promise<WatchedPage> => suite.openHost(session);

test('/demo: the dashboard embeds the page under its strict CSP, with no third-party request and nothing in storage', async () => {
  const watched = await suite.open();
  const { page } = watched;
  await page.goto(`${suite.origin}/demo`);
  await page.getByRole('button', { name: 'Create API key' }).waitFor();
  // a dashboard with a few keys of its own, as a member would find it.
  const operator = { key: suite.fixture.keygate.operatorKey };
  for (const body of [
    { name: 'CI pipeline', role: 'developer', expiresInDays: 30 },
    { name: 'Production Server', role: 'developer', expiresInDays: 90 },
  ])
    await call(suite.origin, 'POST', '/v1/panel/tenants/demo/keys', { ...operator, body });
  await page.reload();
  await row(page, 'Production Server').waitFor();
  await expect(page.getByRole('button', { name: 'Create API key' }).isVisible()).resolves.toBe(true);
  expect(watched.thirdPartyRequests).toEqual([]);
  expect(watched.consoleErrors).toEqual([]);
  // the token lives in the element's memory only: not in storage, the URL or the DOM.
  expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
  expect(page.url()).toBe(`${suite.origin}/demo`);
  expect(await page.evaluate(`document.querySelector('keygate-api-keys').hasAttribute('session')`)).toBe(false);
  expect(await page.evaluate(`document.querySelector('keygate-api-keys').session`)).toBeUndefined();
  await expectNoSeriousA11yViolations(page, 'demo dashboard');
  await saveScreenshot(page, 'api-keys-page', { readme: true });
});

test('a read-only member sees the keys but no Create button and no change, and the API refuses its changes with 403', async () => {
  const { page } = await hostPage(suite.fixture.readOnly);
  await row(page, 'viewer').waitFor();
  expect(await page.getByRole('button', { name: 'Create API key' }).count()).toBe(0);
  for (const action of ['Revoke', 'Rotate', 'Delete', 'Enable'])
    expect(await page.getByRole('button', { name: action }).count()).toBe(0);
  await saveScreenshot(page, 'read-only');
  await expectNoSeriousA11yViolations(page, 'read only');
  const refused = await call(suite.origin, 'POST', '/v1/keys', {
    key: suite.fixture.readOnly,
    body: { name: 'not allowed' },
  });
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('forbidden');
});

test('create a key: shown once, copied, gone when closed; it works at the front door; revoke stops it at once, enable and delete', async () => {
  const { page, thirdPartyRequests, consoleErrors } = await hostPage(suite.fixture.admin);
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

  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(200);

  await created.getByRole('button', { name: 'Revoke' }).click();
  await expect(dialog(page).getByText('You can undo it later with Enable').isVisible()).resolves.toBe(true);
  await saveScreenshot(page, 'revoke-confirmation');
  await expectNoSeriousA11yViolations(page, 'revoke confirmation');
  await dialog(page).getByRole('button', { name: 'Revoke key' }).click();
  await created.getByText('Revoked').waitFor();
  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(401);
  await saveScreenshot(page, 'revoked');
  await expectNoSeriousA11yViolations(page, 'revoked');

  await created.getByRole('button', { name: 'Enable' }).click();
  await created.getByText('Active').waitFor();
  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(200);

  // the two answered requests reach the key's usage (the revoked one was refused before a key was known)
  await suite.fixture.keygate.flushUsage();
  await created.getByRole('button', { name: 'Events' }).click();
  const activity = created.locator('xpath=following-sibling::tr[1]');
  await activity.getByText('key.enabled').waitFor();
  await activity.getByText('Last 30 days: 2 requests, 0 refused, 0 throttled').waitFor();
  await saveScreenshot(page, 'events');
  await expectNoSeriousA11yViolations(page, 'events');

  await created.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog(page).getByText('Delete is permanent').isVisible()).resolves.toBe(true);
  await saveScreenshot(page, 'delete-confirmation');
  await dialog(page).getByRole('button', { name: 'Delete key' }).click();
  await created.waitFor({ state: 'detached' });
  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(401);
  expect(thirdPartyRequests).toEqual([]);
  expect(consoleErrors).toEqual([]);
});

test('an expired session asks the host for a fresh token once, and the page carries on with it', async () => {
  const expired = (
    await call(suite.origin, 'POST', '/v1/keys', { key: suite.fixture.owner, body: { name: 'gone', role: 'admin' } })
  ).body;
  await call(suite.origin, 'POST', `/v1/keys/${expired.id}/revoke`, { key: suite.fixture.owner, body: {} });
  const { page } = await hostPage(undefined);
  await page.evaluate((fresh) => {
    const scope = globalThis as any;
    scope.asked = 0;
    scope.document.querySelector('keygate-api-keys').addEventListener('keygate-session-expired', (event: any) => {
      scope.asked += 1;
      event.detail.renew(Promise.resolve(fresh));
    });
  }, suite.fixture.admin);
  await setSession(page, expired.key as string);
  await row(page, 'member').waitFor();
  expect(await page.evaluate('asked')).toBe(1);
  await page.getByRole('button', { name: 'Create API key' }).click();
  await dialog(page).getByRole('textbox', { name: 'Name' }).fill('after renewal');
  await dialog(page).getByRole('button', { name: 'Create' }).click();
  await dialog(page).getByRole('textbox', { name: 'New API key' }).waitFor();
  expect(await page.evaluate('asked')).toBe(1);
});

test('a key named like markup stays text: no element, no script, no dialog', async () => {
  const name = '<img src=x onerror=alert(1)>';
  await call(suite.origin, 'POST', '/v1/keys', { key: suite.fixture.owner, body: { name } });
  const { page, dialogs } = await hostPage(suite.fixture.admin);
  const markup = page.getByRole('row', { name: /img src=x/ });
  await markup.waitFor();
  expect(await markup.getByRole('cell').first().innerText()).toBe(name);
  await markup.getByRole('button', { name: 'Revoke' }).click();
  await expect(dialog(page).getByRole('heading').innerText()).resolves.toBe(`Revoke “${name}”?`);
  await page.keyboard.press('Escape');
  expect(
    await page.evaluate(`document.querySelector('keygate-api-keys').shadowRoot.querySelectorAll('img').length`),
  ).toBe(0);
  expect(dialogs).toEqual([]);
  await saveScreenshot(page, 'markup-name');
});

test("the Test / Live switch shows each environment's keys, search finds a key by name, and a test key is made in Test", async () => {
  await call(suite.origin, 'POST', '/v1/keys', {
    key: suite.fixture.owner,
    body: { name: 'staging box', environment: 'test' },
  });
  const { page } = await hostPage(suite.fixture.admin);
  await row(page, 'member').waitFor();
  expect(await row(page, 'staging box').count()).toBe(0);
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await row(page, 'staging box').waitFor();
  expect(await row(page, 'member').count()).toBe(0);
  await saveScreenshot(page, 'test-environment');
  await expectNoSeriousA11yViolations(page, 'test environment');
  await page.getByRole('button', { name: 'Create API key' }).click();
  await dialog(page).getByRole('textbox', { name: 'Name' }).fill('ci runner');
  await dialog(page).getByRole('button', { name: 'Create' }).click();
  expect(await dialog(page).getByRole('textbox', { name: 'New API key' }).inputValue()).toMatch(/^sk_test_/);
  await dialog(page).getByRole('button', { name: 'Done' }).click();
  await row(page, 'ci runner').waitFor();

  await page.getByRole('button', { name: 'Live', exact: true }).click();
  await page.getByRole('searchbox', { name: 'Search by name' }).fill('view');
  await row(page, 'member').waitFor({ state: 'detached' });
  expect(await page.getByRole('row').count()).toBe(2);
  await row(page, 'viewer').waitFor();
});

test("the list pages through the API's cursors, newest first", async () => {
  for (let index = 1; index <= 20; index += 1)
    await call(suite.origin, 'POST', '/v1/keys', { key: suite.fixture.owner, body: { name: `batch ${index}` } });
  const { page } = await hostPage(suite.fixture.admin);
  await row(page, 'batch 20').waitFor();
  expect(await row(page, 'viewer').count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
  await page.getByRole('button', { name: 'Next page' }).click();
  await row(page, 'viewer').waitFor();
  expect(await row(page, 'batch 20').count()).toBe(0);
  await page.getByRole('button', { name: 'Previous page' }).click();
  await row(page, 'batch 20').waitFor();
});

test('a key expires on a custom date, or never', async () => {
  const { page } = await hostPage(suite.fixture.admin);
  await page.getByRole('button', { name: 'Create API key' }).waitFor();
  const date = new Date(Date.now() + 45 * 86_400_000).toISOString().slice(0, 10);
  for (const [name, expiry, shown] of [
    ['custom date key', 'On a custom date', date],
    ['forever key', 'Never', 'Never'],
  ] as const) {
    await page.getByRole('button', { name: 'Create API key' }).click();
    await dialog(page).getByRole('textbox', { name: 'Name' }).fill(name);
    await dialog(page).getByRole('combobox', { name: 'Expires' }).selectOption({ label: expiry });
    if (expiry === 'On a custom date') await dialog(page).getByLabel('Custom date').fill(date);
    await dialog(page).getByRole('button', { name: 'Create' }).click();
    await dialog(page).getByRole('button', { name: 'Done' }).click();
    await row(page, name).waitFor();
    expect(await row(page, name).getByRole('cell').nth(5).innerText()).toBe(shown);
  }
});

test('a read-only session sees the keys and no Create button, and its own API call to create gets 403', async () => {
  const session = await mintSession(suite.fixture, 'read_only');
  const { page } = await hostPage(undefined);
  await setRole(page, 'read_only');
  await setSession(page, session.token);
  // earlier tests' keys may push the member's key past the first page: find it as a user would.
  await page.getByRole('searchbox', { name: 'Search by name' }).fill('member');
  await row(page, 'member').waitFor();
  expect(await page.getByRole('button', { name: 'Create API key' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
  await expectNoSeriousA11yViolations(page, 'read-only session');
  await saveScreenshot(page, 'read-only-session');
  const refused = await call(suite.origin, 'POST', '/v1/keys', { key: session.token, body: { name: 'not allowed' } });
  expect(refused.status).toBe(403);
});

test('an ended session asks the host for a new one once, and an suite.fixture.admin session carries on creating keys', async () => {
  const ended = await mintSession(suite.fixture, 'admin');
  const revoked = await call(
    suite.origin,
    'DELETE',
    `/v1/panel/tenants/${suite.fixture.tenantId}/sessions/${ended.id}`,
    {
      key: suite.fixture.keygate.operatorKey,
    },
  );
  expect(revoked.status).toBe(204);
  const fresh = await mintSession(suite.fixture, 'admin');
  const { page } = await hostPage(undefined);
  await page.evaluate((token) => {
    const scope = globalThis as any;
    scope.asked = 0;
    scope.document.querySelector('keygate-api-keys').addEventListener('keygate-session-expired', (event: any) => {
      scope.asked += 1;
      event.detail.renew(token);
    });
  }, fresh.token);
  await setRole(page, 'admin');
  await setSession(page, ended.token);
  await page.getByRole('button', { name: 'Create API key' }).click();
  expect(await page.evaluate('asked')).toBe(1);
  await dialog(page).getByRole('textbox', { name: 'Name' }).fill('made in a session');
  await dialog(page).getByRole('button', { name: 'Create' }).click();
  expect(await dialog(page).getByRole('textbox', { name: 'New API key' }).inputValue()).toMatch(/^sk_live_/);
  await dialog(page).getByRole('button', { name: 'Done' }).click();
  await row(page, 'made in a session').waitFor();
});
