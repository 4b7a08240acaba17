import type { Locator, Page } from 'playwright-core';
import { expectNoSeriousA11yViolations, saveScreenshot, type WatchedPage } from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { dialog, tabTo, useBrowserSuite } from '../support/keys-page';
import { call } from '../support/local';

// a flow is many browser round trips, each bounded by DEADLINES.browser: the test's own limit is a slow one.
jest.setTimeout(DEADLINES.slowTest);

const suite = useBrowserSuite();
/** A tenant id with a dash, as the API allows. */
const TENANT = 'ops-keys-co';
const operator = () => ({ key: suite.fixture.keygate.operatorKey });

beforeAll(async () => {
  const created = await call(suite.origin, 'POST', '/v1/panel/tenants', {
    ...operator(),
    body: { tenantId: TENANT, name: 'Ops Keys Co', plan: 'starter' },
  });
  expect(created.status).toBe(201);
  await call(suite.origin, 'POST', `/v1/panel/tenants/${TENANT}/keys`, {
    ...operator(),
    body: { name: 'staging box', environment: 'test' },
  });
});

/** Signs in to the console as `user` and opens the tenant's page. */
async function openTenant(user: string): Promise<WatchedPage> {
  const watched = await suite.open();
  const { page } = watched;
  await page.goto(`${suite.origin}/console`);
  await page.getByLabel('Operator key').fill(suite.fixture.keygate.operatorKey!);
  await page.getByLabel('Your name (recorded on every event)').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: TENANT }).click();
  await row(page, 'owner').waitFor();
  return watched;
}

/** The keys component on the tenant's page (Playwright's locators pierce the console's shadow roots). */
const keysElement = (page: Page): Locator => page.locator('keygate-api-keys');
/** The component's row of a key, by name (the tenant's events table below is left out). */
const row = (page: Page, name: string): Locator => keysElement(page).getByRole('row', { name: new RegExp(name) });
/** The key routes a page asks for, as paths. */
function keyRequests(page: Page): string[] {
  const asked: string[] = [];
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.includes('/keys')) asked.push(pathname);
  });
  return asked;
}

test("an operator manages a tenant's keys in the console through <keygate-api-keys>: create (shown once), revoke, enable, usage, delete, each event naming the operator session", async () => {
  const { page, thirdPartyRequests, consoleErrors } = await openTenant('ops-grace');
  await saveScreenshot(page, 'console-tenant-keys', { readme: true });
  await expectNoSeriousA11yViolations(page, 'console tenant keys');

  // the session is handed over in memory: no attribute, and the property never reads back.
  expect(await keysElement(page).evaluate((element) => element.hasAttribute('session'))).toBe(false);
  expect(await keysElement(page).evaluate((element) => (element as unknown as { session: unknown }).session)).toBe(
    undefined,
  );

  // the operator's Test / Live switch reaches the tenant's test keys too.
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await row(page, 'staging box').waitFor();
  await page.getByRole('button', { name: 'Live', exact: true }).click();
  await row(page, 'owner').waitFor();

  // keyboard only: create a key; an operator acting for the tenant may give it any role up to owner.
  await tabTo(page, page.getByRole('button', { name: 'Create API key' }));
  await page.keyboard.press('Enter');
  await dialog(page).waitFor();
  const roles = await dialog(page).getByRole('combobox', { name: 'Role' }).locator('option').allInnerTexts();
  expect(roles).toEqual(['Owner', 'Admin', 'Developer', 'Read only']);
  await saveScreenshot(page, 'console-create-key');
  await expectNoSeriousA11yViolations(page, 'console create key');
  await page.keyboard.type('Ops Made');
  await page.keyboard.press('Enter');
  const shown = dialog(page).getByRole('textbox', { name: 'New API key' });
  await shown.waitFor();
  const key = await shown.inputValue();
  expect(key).toMatch(/^sk_live_[0-9a-f]{72}$/);
  await expectNoSeriousA11yViolations(page, 'console key shown once');
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'hidden' });
  const created = row(page, 'Ops Made');
  await created.waitFor();
  expect(await created.innerText()).toContain(`…${key.slice(-4)}`);
  expect(await page.locator('keygate-console').evaluate((element) => element.outerHTML)).not.toContain(key);
  expect(await keysElement(page).evaluate((element) => element.shadowRoot!.innerHTML)).not.toContain(key);
  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(200);

  await created.getByRole('button', { name: 'Revoke' }).click();
  await dialog(page).getByRole('button', { name: 'Revoke key' }).click();
  await created.getByText('Revoked').waitFor();
  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(401);

  await created.getByRole('button', { name: 'Enable' }).click();
  await created.getByText('Active').waitFor();
  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(200);

  // the key's usage and its own events, through the panel's per-key usage route and its events' key filter.
  await suite.fixture.keygate.flushUsage();
  await created.getByRole('button', { name: 'Events' }).click();
  const activity = created.locator('xpath=following-sibling::tr[1]');
  await activity.getByText('Last 30 days: 2 requests, 0 refused, 0 throttled').waitFor();
  const keyEvents = activity.getByRole('list', { name: 'Recent events' }).getByRole('listitem');
  expect((await keyEvents.allInnerTexts()).map((text) => text.split(' ')[0])).toEqual([
    'key.enabled',
    'key.revoked',
    'key.created',
  ]);
  await saveScreenshot(page, 'console-key-usage');
  await expectNoSeriousA11yViolations(page, 'console key usage');

  await created.getByRole('button', { name: 'Delete' }).click();
  await dialog(page).getByRole('button', { name: 'Delete key' }).click();
  await created.waitFor({ state: 'detached' });
  expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(401);

  // each change names the operator session and its user as actor.
  const trail = (await call(suite.origin, 'GET', `/v1/panel/events?tenantId=${TENANT}&limit=50`, operator())).body
    .items as { type: string; keyId?: string; details?: { name?: string }; actor: Record<string, unknown> }[];
  const made = trail.find((event) => event.type === 'key.created' && event.details?.name === 'Ops Made');
  const story = trail.filter((event) => event.keyId !== undefined && event.keyId === made?.keyId);
  expect(story.map((event) => event.type).reverse()).toEqual([
    'key.created',
    'key.revoked',
    'key.enabled',
    'key.deleted',
  ]);
  for (const event of story)
    expect(event.actor).toEqual(
      expect.objectContaining({ session: expect.stringMatching(/^ses_/), userId: 'ops-grace', role: 'operator' }),
    );
  expect(thirdPartyRequests).toEqual([]);
  expect(consoleErrors).toEqual([]);
  expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
});

test.each([
  // an encoded slash is refused at the gateway's door, as API Gateway refuses it: no route is reached.
  ['a/b', '/v1/panel/tenants/a%2Fb/keys', 400],
  ['../x', '/v1/panel/tenants/..%2Fx/keys', 400],
  ['a?b#c', '/v1/panel/tenants/a%3Fb%23c/keys', 404],
  ['no-such-co', '/v1/panel/tenants/no-such-co/keys', 404],
])(
  "a crafted tenant-id %j stays one encoded path segment of the panel's key routes: %s answers %d, no other route",
  async (tenantId, path, status) => {
    const { page } = await openTenant('ops-crafted');
    const asked = keyRequests(page);
    const answered = page.waitForResponse((response) => new URL(response.url()).pathname === path);
    await keysElement(page).evaluate((element, value) => element.setAttribute('tenant-id', value), tenantId);
    expect((await answered).status()).toBe(status);
    await keysElement(page).getByRole('alert').waitFor();
    expect(asked).toEqual([path]);
    expect(await row(page, 'owner').count()).toBe(0);
  },
);

test('a tenant-id the URL would resolve away ("..") sends nothing and says there is no such tenant', async () => {
  const { page } = await openTenant('ops-dots');
  const asked = keyRequests(page);
  await keysElement(page).evaluate((element) => element.setAttribute('tenant-id', '..'));
  await keysElement(page).getByRole('alert').getByText('no such tenant').waitFor();
  expect(asked).toEqual([]);
});

test("the console's session ended while its keys are open (revoked elsewhere): the component's refused call signs the console out, saying so", async () => {
  const { page } = await openTenant('ops-ended');
  // the tenant's events list, which reads every few seconds, is held: only the keys component may learn of the end.
  await page.route(`${suite.origin}/v1/panel/events**`, () => undefined);
  const trail = (await call(suite.origin, 'GET', '/v1/panel/events?tenantId=operator&limit=50', operator())).body
    .items as { type: string; details: { sessionId: string; user: { id: string } } }[];
  const signedIn = trail.find((event) => event.type === 'session.created' && event.details.user.id === 'ops-ended');
  const revoked = await call(
    suite.origin,
    'DELETE',
    `/v1/panel/tenants/operator/sessions/${signedIn!.details.sessionId}`,
    operator(),
  );
  expect(revoked.status).toBe(204);
  await keysElement(page).getByRole('searchbox', { name: 'Search by name' }).fill('own');
  await page.getByRole('alert').getByText('Your session has ended: sign in again.').waitFor();
  expect(await page.getByLabel('Operator key').isVisible()).toBe(true);
  expect(await keysElement(page).count()).toBe(0);
});

test("a tenant's page lists its workspaces, and only when it has some", async () => {
  const first = await openTenant('ops-wanda');
  const tenantSection = first.page.getByRole('region', { name: `Tenant ${TENANT}` });
  await tenantSection.getByText('Plan status').waitFor();
  await expect(tenantSection.getByText('Workspaces', { exact: true }).count()).resolves.toBe(0);

  const set = await call(suite.origin, 'PUT', `/v1/panel/tenants/${TENANT}/workspaces`, {
    ...operator(),
    body: { workspaces: ['ws_team_b', 'ws_team_a'] },
  });
  expect(set.status).toBe(200);
  const { page } = await openTenant('ops-wanda');
  const shown = page.getByRole('region', { name: `Tenant ${TENANT}` });
  await shown.getByText('Workspaces', { exact: true }).waitFor();
  await shown.getByText('ws_team_a, ws_team_b').waitFor();
});
