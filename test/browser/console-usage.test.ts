import { expectNoSeriousA11yViolations, saveScreenshot, type WatchedPage } from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { tabTo, useBrowserSuite } from '../support/keys-page';
import { call } from '../support/local';

const suite = useBrowserSuite();

/** What one tenant's key did through the gateway, tallied from the answers it got. */
interface Sent {
  readonly requests: number;
  readonly denied: number;
  readonly throttled: number;
}

/**
 * A tenant on a tiny plan (1 request/s, burst 5) whose keys make requests of every kind: one
 * answered key creation, two refused by role (403), and a burst of 30 at once, of which the usage
 * plan throttles some (429) however slowly a busy machine sends them (it would take 25 s).
 */
async function busyTenant(tenantId: string): Promise<Sent> {
  const operator = suite.fixture.keygate.operatorKey;
  const created = await call(suite.origin, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId, name: 'Usage Co', plan: 'enterprise', rateLimit: 1, burstLimit: 5 },
  });
  expect(created.status).toBe(201);
  await suite.fixture.keygate.reconciled();
  const owner = created.body.key.key as string;
  const statuses: number[] = [];
  const viewer = await call(suite.origin, 'POST', '/v1/keys', {
    key: owner,
    body: { name: 'viewer', role: 'read_only' },
  });
  statuses.push(viewer.status);
  for (let sent = 0; sent < 2; sent += 1)
    statuses.push(
      (await call(suite.origin, 'POST', '/v1/keys', { key: viewer.body.key, body: { name: 'no' } })).status,
    );
  const burst = await Promise.all(
    Array.from({ length: 30 }, () => call(suite.origin, 'GET', '/orders', { key: owner })),
  );
  statuses.push(...burst.map((answer) => answer.status));
  expect(statuses.slice(0, 3)).toEqual([201, 403, 403]);
  expect(new Set(burst.map((answer) => answer.status))).toEqual(new Set([200, 429]));
  return {
    requests: statuses.length,
    denied: statuses.filter((status) => status === 401 || status === 403).length,
    throttled: statuses.filter((status) => status === 429).length,
  };
}

/** The UTC day of the real clock the browser fixture runs on. */
const utcDay = (): string => new Date().toISOString().slice(0, 10);

async function signedInConsole(): Promise<WatchedPage> {
  const watched = await suite.open();
  await watched.page.goto(`${suite.origin}/console`);
  await watched.page.getByLabel('Operator key').fill(suite.fixture.keygate.operatorKey!);
  await watched.page.getByRole('button', { name: 'Sign in' }).click();
  await watched.page.getByRole('button', { name: 'Sign out' }).waitFor();
  return watched;
}

test(
  "a tenant's usage chart reads the requests its keys made, refused and throttled apart; the Usage page ranks it",
  async () => {
    const sent = await busyTenant('usage-co');
    const sentOn = utcDay();
    const { requests, denied, throttled } = sent;
    await suite.fixture.keygate.flushUsage();
    const { page, consoleErrors, thirdPartyRequests } = await signedInConsole();
    const totals = `${requests} requests, ${denied} refused, ${throttled} throttled`;

    // the tenant's page: the chart's caption names the figure with its totals.
    await page.getByLabel('Tenant id', { exact: true }).fill('usage-co');
    await page.getByRole('button', { name: 'Open tenant' }).click();
    const chart = page.getByRole('figure', { name: new RegExp(`^usage-co, last 24 hours by hour: ${totals}\\.$`) });
    await chart.waitFor();
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    await chart.getByText(/^Show as a table/).click();
    const hours = chart.getByRole('table', { name: 'Usage by hour' });
    await hours.getByRole('row').nth(1).waitFor();
    const cells = async (rows: typeof hours) =>
      (await rows.getByRole('row').allInnerTexts()).slice(1).map((row) => row.split('\t').slice(1).map(Number));
    const byHour = await cells(hours);
    expect(byHour.reduce((sum, [answered]) => sum + answered!, 0)).toBe(requests);
    expect(byHour.reduce((sum, [, refused, held]) => [sum[0]! + refused!, sum[1]! + held!], [0, 0])).toEqual([
      denied,
      throttled,
    ]);
    await saveScreenshot(page, 'console-tenant-usage');
    await expectNoSeriousA11yViolations(page, 'console tenant usage');

    // keyboard only: another range, then per day; the totals stay.
    await tabTo(page, page.getByLabel('Range'));
    await page.keyboard.press('ArrowDown');
    await page.getByRole('figure', { name: new RegExp(`^usage-co, last 7 days by hour: ${totals}\\.$`) }).waitFor();
    await tabTo(page, page.getByLabel('Per'));
    await page.keyboard.press('ArrowDown');
    await page.getByRole('figure', { name: new RegExp(`^usage-co, last 7 days by day: ${totals}\\.$`) }).waitFor();

    // the Usage page: tenants ranked by requests, then (by keyboard) by throttles, where it leads.
    await page.getByRole('button', { name: 'Usage', exact: true }).click();
    const ranked = page.getByRole('table', { name: 'Tenants by requests, last 7 days' });
    const row = ranked.getByRole('row', { name: /usage-co/ });
    await row.waitFor();
    const errors = denied + throttled;
    expect((await row.getByRole('cell').allInnerTexts()).slice(1)).toEqual(
      ['usage-co', requests, errors, denied, throttled].map(String),
    );
    const byRequests = (await cells(ranked)).map(([, answered]) => answered!);
    expect(byRequests).toEqual([...byRequests].sort((a, b) => b - a));
    await page
      .getByRole('figure', { name: /^Every tenant, last 7 days by day: \d+ requests, \d+ refused, \d+ throttled\.$/ })
      .locator('canvas')
      .first()
      .waitFor();
    await saveScreenshot(page, 'console-usage', { readme: true });
    await expectNoSeriousA11yViolations(page, 'console usage');

    await tabTo(page, page.getByLabel('Rank by'));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const byThrottles = page.getByRole('table', { name: 'Tenants by throttled, last 7 days' });
    await byThrottles.getByRole('row', { name: /usage-co/ }).waitFor();
    expect((await byThrottles.getByRole('row').nth(1).getByRole('cell').allInnerTexts()).slice(0, 2)).toEqual([
      '1',
      'usage-co',
    ]);
    await tabTo(page, page.getByLabel('Range'));
    await page.keyboard.press('ArrowUp');
    const today = page.getByRole('table', { name: 'Tenants by throttled, today' });
    // "today" is a whole UTC day: a run that crossed midnight since the requests finds them in yesterday.
    if (utcDay() === sentOn) await today.getByRole('row', { name: /usage-co/ }).waitFor();
    else await today.waitFor();
    await saveScreenshot(page, 'console-usage-today');

    // a ranked tenant opens its page.
    await page.getByRole('button', { name: 'usage-co' }).click();
    await page.getByRole('heading', { name: 'Tenant usage-co' }).waitFor();

    expect(thirdPartyRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  },
  DEADLINES.slowTest,
);
