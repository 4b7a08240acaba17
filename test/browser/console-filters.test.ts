import { expectNoSeriousA11yViolations, saveScreenshot } from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { useBrowserSuite } from '../support/keys-page';
import { call } from '../support/local';

/** The console's tenant and event filters, which keygate applies: what they ask and what they show. */

const suite = useBrowserSuite();

const operator = () => suite.fixture.keygate.operatorKey!;

test(
  'the tenants and events pages ask keygate for filtered pages, and the events page follows new matching events',
  async () => {
    for (const [tenantId, name, plan] of [
      ['filtered-one', 'Zephyr Alpha', 'growth'],
      ['filtered-two', 'zephyr Beta', 'starter'],
      ['other-three', 'Zephyr Gamma', 'growth'],
    ] as const)
      expect(
        (await call(suite.origin, 'POST', '/v1/panel/tenants', { key: operator(), body: { tenantId, name, plan } }))
          .status,
      ).toBe(201);

    const { page, consoleErrors } = await suite.open();
    const asked: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/panel/') && request.method() === 'GET') asked.push(url.search);
    });
    await page.goto(`${suite.origin}/console`);
    await page.getByLabel('Operator key').fill(operator());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    // tenants: a name prefix in another case and a plan, applied by keygate.
    await page.getByLabel('Search tenants').fill('ZEPHYR');
    await page.getByLabel('Plan filter').selectOption('growth');
    await page.getByRole('button', { name: 'Filter tenants' }).click();
    await page.getByRole('button', { name: 'other-three' }).waitFor();
    await page.getByRole('button', { name: 'filtered-two' }).waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: /^(filtered|other)-/ }).allTextContents()).toEqual([
      'other-three',
      'filtered-one',
    ]);
    expect(asked).toContainEqual(expect.stringMatching(/[?&]search=ZEPHYR(&|$)/));
    expect(asked).toContainEqual(expect.stringMatching(/[?&]plan=growth(&|$)/));
    await saveScreenshot(page, 'console-tenants-filtered');
    await expectNoSeriousA11yViolations(page, 'console tenants filtered');

    // events: by type, newest first, and a new matching event shows up while the page is open.
    await page.getByRole('button', { name: 'Events' }).click();
    await page.getByLabel('Event type').selectOption('tenant.suspended');
    await page.getByRole('button', { name: 'Filter events' }).click();
    await page.getByText('No events.').waitFor();
    expect(asked).toContainEqual(expect.stringMatching(/[?&]type=tenant.suspended(&|$)/));
    for (const tenantId of ['filtered-one', 'filtered-two'])
      expect(
        (await call(suite.origin, 'POST', `/v1/panel/tenants/${tenantId}/suspend`, { key: operator(), body: {} }))
          .status,
      ).toBe(200);
    await page.getByRole('cell', { name: 'filtered-two', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'filtered-one', exact: true }).waitFor();
    expect(await page.getByRole('cell', { name: /^tenant\./ }).allTextContents()).toEqual([
      'tenant.suspended',
      'tenant.suspended',
    ]);
    await saveScreenshot(page, 'console-events-filtered');
    await expectNoSeriousA11yViolations(page, 'console events filtered');
    expect(consoleErrors).toEqual([]);
  },
  DEADLINES.slowTest,
);
