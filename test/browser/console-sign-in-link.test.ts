import type { Browser } from 'playwright-core';
import { signInLinkCommand } from '../../bin/sign-in-link';
import type { LocalKeygate } from '../../local/app';
import { expectNoSeriousA11yViolations, launchChromium, openPage, saveScreenshot } from '../support/browser';
import { DEADLINES } from '../support/deadlines';
import { leakScan } from '../support/leak-scan';
import { startTestKeygate } from '../support/local';

let keygate: LocalKeygate;
let browser: Browser;

beforeAll(async () => {
  keygate = await startTestKeygate();
  browser = await launchChromium();
}, DEADLINES.slowTest);

afterAll(async () => {
  await browser?.close();
  await keygate?.stop();
});

/** The link `npm run admin -- sign-in-link` prints, from the command itself. */
async function printedLink(): Promise<string> {
  const printed: string[] = [];
  await signInLinkCommand(
    ['--url', keygate.url, '--user', 'ops-link'],
    { stdout: (text) => printed.push(text), stderr: () => undefined },
    { KEYGATE_OPERATOR_KEY: keygate.operatorKey as string },
  );
  const link = printed.join('').trim();
  leakScan.sessionToken(link.split('#signin=')[1] ?? '');
  return link;
}

test('a printed sign-in link signs the console in without typing, leaves no code in the URL, and works once', async () => {
  const link = await printedLink();
  const code = link.split('#signin=')[1] as string;
  const { page, context, consoleErrors } = await openPage(browser, keygate.url);
  const sent: string[] = [];
  page.on('request', (request) => sent.push(`${request.url()} ${request.postData() ?? ''}`));
  await page.goto(link);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();
  expect(page.url()).toBe(`${keygate.url}/console`);
  expect(await page.evaluate('`${location.href} ${JSON.stringify(history.state)}`')).not.toContain(code);
  // nothing kept it either.
  expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
  // the code went in one request's body, never in a URL.
  expect(sent.filter((line) => line.includes(code)).map((line) => line.split(' ')[0])).toEqual([
    `${keygate.url}/v1/console/sign-in`,
  ]);
  await saveScreenshot(page, 'console-signed-in-by-link');

  // the same link again, in a new tab: refused, with words saying why.
  const again = await context.newPage();
  await again.goto(link);
  await again
    .getByRole('alert')
    .getByText(/^This sign-in link cannot be used/)
    .waitFor();
  expect(again.url()).toBe(`${keygate.url}/console`);
  expect(await again.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  await expectNoSeriousA11yViolations(again, 'console sign-in link refused');
  expect(consoleErrors.filter((error) => !/401/.test(error))).toEqual([]);
  await context.close();
});
