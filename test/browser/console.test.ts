import { expectNoSeriousA11yViolations, saveScreenshot, type WatchedPage } from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { tabTo, useBrowserSuite } from '../support/keys-page';
import { call } from '../support/local';
import { PAGE_CSP } from '../../local/http/pages';

const suite = useBrowserSuite();

async function openConsole(): Promise<WatchedPage> {
  const watched = await suite.open();
  const response = await watched.page.goto(`${suite.origin}/console`);
  expect(response?.headers()['content-security-policy']).toBe(PAGE_CSP);
  await watched.page.getByLabel('Operator key').waitFor();
  return watched;
}

const operatorEvents = async (tenantId: string) =>
  (
    await call(suite.origin, 'GET', `/v1/panel/events?tenantId=${tenantId}&limit=50`, {
      key: suite.fixture.keygate.operatorKey,
    })
  ).body.items as { type: string; actor: { session?: string; userId?: string; role?: string } }[];

test(
  'an operator runs a tenant from the console: create, plan, suspend, resume, delete, and the events tell it with the session as actor',
  async () => {
    const { page, thirdPartyRequests, consoleErrors } = await openConsole();
    await saveScreenshot(page, 'console-sign-in');
    await expectNoSeriousA11yViolations(page, 'console sign-in');

    // keyboard only: sign in.
    await tabTo(page, page.getByLabel('Operator key'));
    await page.keyboard.type(suite.fixture.keygate.operatorKey!);
    await page.keyboard.press('Tab');
    await page.keyboard.type('ops-ada');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('cell', { name: 'Browser Rockets' }).waitFor();
    await saveScreenshot(page, 'console-tenants', { readme: true });
    await expectNoSeriousA11yViolations(page, 'console tenants');

    // keyboard only: create a tenant; its owner key is shown once.
    await tabTo(page, page.getByLabel('New tenant id (optional)'));
    await page.keyboard.type('console-co');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Console Co');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const shown = page.getByLabel('Owner key');
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^sk_live_[0-9a-f]{72}$/);
    await saveScreenshot(page, 'console-tenant-created');
    await expectNoSeriousA11yViolations(page, 'console owner key shown once');
    await page.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    expect(await page.locator('keygate-console').evaluate((element) => element.shadowRoot!.innerHTML)).not.toContain(
      key,
    );
    expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(200);

    // the tenant's page: its plan changes, pending, then applied without a reload.
    await page.getByRole('button', { name: 'console-co' }).click();
    const planStatus = page.locator('[data-field=planStatus]');
    await planStatus.getByText('applied').waitFor();
    await page.getByLabel('New plan').selectOption('scale');
    await page.getByRole('button', { name: 'Change plan' }).click();
    await planStatus.getByText('pending').waitFor();
    await planStatus.getByText('applied').waitFor();
    expect(
      (await call(suite.origin, 'GET', '/v1/panel/tenants/console-co', { key: suite.fixture.keygate.operatorKey })).body
        .plan,
    ).toBe('scale');

    // suspend: its key answers 401 at the front door; resume: 200 again.
    await page.getByRole('button', { name: 'Suspend tenant' }).click();
    await page.locator('[data-field=status]').getByText('suspended').waitFor();
    expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(401);
    await saveScreenshot(page, 'console-tenant', { readme: true });
    await expectNoSeriousA11yViolations(page, 'console tenant');
    await page.getByRole('button', { name: 'Resume tenant' }).click();
    await page.locator('[data-field=status]').getByText('active').waitFor();
    const requests = 3;
    for (let sent = 0; sent < requests; sent += 1)
      expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(200);

    // delete, once the id is typed.
    const remove = page.getByRole('button', { name: 'Delete tenant' });
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Type console-co to delete it').fill('console-c');
    expect(await remove.isDisabled()).toBe(true);
    await page.getByLabel('Type console-co to delete it').fill('console-co');
    await remove.click();
    await page.getByText('Tenant console-co deleted.').waitFor();
    expect((await call(suite.origin, 'GET', '/orders', { key })).status).toBe(401);

    // the events page tells the story, each change made by the operator session.
    await page.getByRole('button', { name: 'Events' }).click();
    await page.getByLabel('Tenant').fill('console-co');
    await page.getByRole('button', { name: 'Filter events' }).click();
    await page.getByRole('cell', { name: 'operator', exact: true }).first().waitFor({ state: 'detached' });
    for (const type of [
      'tenant.created',
      'tenant.plan_changed',
      'tenant.suspended',
      'tenant.resumed',
      'tenant.deleted',
    ])
      await page.getByRole('cell', { name: type, exact: true }).waitFor();
    expect(
      await page.getByRole('cell', { name: /^ops-ada \(operator session ses_[0-9a-f]{24}\)$/ }).count(),
    ).toBeGreaterThanOrEqual(5);
    await saveScreenshot(page, 'console-events', { readme: true });
    await expectNoSeriousA11yViolations(page, 'console events');
    const story = await operatorEvents('console-co');
    for (const type of [
      'tenant.created',
      'tenant.plan_changed',
      'tenant.suspended',
      'tenant.resumed',
      'tenant.deleted',
    ]) {
      const event = story.find((candidate) => candidate.type === type);
      expect(event?.actor).toEqual({ session: expect.stringMatching(/^ses_/), userId: 'ops-ada', role: 'operator' });
    }

    // signing out revokes the session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Signed out.').waitFor();
    const operatorTrail = await operatorEvents('operator');
    expect(operatorTrail.map((event) => event.type)).toEqual(
      expect.arrayContaining(['session.created', 'session.revoked']),
    );

    expect(thirdPartyRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
    expect(page.url()).toBe(`${suite.origin}/console`);
  },
  DEADLINES.slowTest,
);

test("a tenant's key pasted into the sign-in is refused, with a message saying why", async () => {
  const { page } = await openConsole();
  await page.getByLabel('Operator key').fill(suite.fixture.owner);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page
    .getByRole('alert')
    .getByText("This is not an operator key: a tenant's key cannot sign in to the console.")
    .waitFor();
  expect(await page.getByLabel('Operator key').inputValue()).toBe('');
  expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  await saveScreenshot(page, 'console-refused');
  await expectNoSeriousA11yViolations(page, 'console refused');
});

test('leaks: a found key is reported, revoked, and listed with its source URL', async () => {
  const { page } = await openConsole();
  await page.getByLabel('Operator key').fill(suite.fixture.keygate.operatorKey!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Leaks' }).click();
  const leaked = (
    await call(suite.origin, 'POST', '/v1/keys', { key: suite.fixture.owner, body: { name: 'pasted in a gist' } })
  ).body.key as string;
  await page.getByLabel('Found key').fill(leaked);
  await page.getByLabel('Where it was found (URL)').fill('https://gist.example/leak');
  await page.getByRole('button', { name: 'Report leak' }).click();
  await page
    .getByRole('status')
    .getByText(/^Reported: /)
    .waitFor();
  await page.getByRole('cell', { name: 'key.leaked', exact: true }).waitFor();
  await page.getByRole('cell', { name: /gist\.example\/leak/ }).waitFor();
  expect((await call(suite.origin, 'GET', '/orders', { key: leaked })).status).toBe(401);
  await saveScreenshot(page, 'console-leaks');
  await expectNoSeriousA11yViolations(page, 'console leaks');
});

test('signing out while a list is still loading: the call is dropped, no 401 and no "session has ended" afterwards', async () => {
  const { page, consoleErrors } = await openConsole();
  await page.getByLabel('Operator key').fill(suite.fixture.keygate.operatorKey!);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('cell', { name: 'Browser Rockets' }).waitFor();
  let held: (() => void) | undefined;
  const arrived = new Promise<void>((resolve) => {
    void page.route(`${suite.origin}/v1/panel/events**`, async (route) => {
      await new Promise<void>((release) => ((held = release), resolve()));
      await route.continue().catch(() => undefined);
    });
  });
  await page.getByRole('button', { name: 'Events' }).click();
  await arrived;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Signed out.').waitFor();
  held?.();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.evaluate('new Promise((resolve) => setTimeout(resolve, 0))');
  expect(await page.getByText('Your session has ended').count()).toBe(0);
  expect(consoleErrors).toEqual([]);
});
