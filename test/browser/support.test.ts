import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { expectNoSeriousA11yViolations, launchChromium, openPage } from '../support/browser';
import { DEADLINES } from '../support/deadlines';

// starting chromium on a loaded machine is slow: each test's limit is a slow one.
jest.setTimeout(DEADLINES.slowTest);

/** The policy keygate's pages are served with; the component must work under it. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'";

const PAGE = `<!doctype html><html lang="en"><head><title>probe</title>
<script type="module" src="/probe.js"></script></head>
<body><main><h1>probe</h1><probe-box></probe-box><img alt="elsewhere" src="https://third-party.example/pixel.png"></main></body></html>`;

// a shadow root styled by a constructible stylesheet, as Lit's adoptedStyleSheets are.
const SCRIPT = `
const sheet = new CSSStyleSheet();
sheet.replaceSync('p { color: rgb(0, 128, 0); }');
customElements.define('probe-box', class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [sheet];
    const p = document.createElement('p');
    p.textContent = 'styled';
    root.append(p);
  }
});
document.body.dataset.inline = 'no';
try { eval('document.body.dataset.inline = "yes"'); } catch {}
`;

let server: Server;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/probe.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(SCRIPT);
    // `/open` has no CSP, so its third-party image is requested (and aborted by the test's context).
    else if (req.url === '/open') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    else res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': CSP }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('a constructible stylesheet styles a shadow root under a strict CSP, and eval stays refused', async () => {
  const { page, context } = await openPage(browser, origin);
  await page.goto(`${origin}/`);
  const color = page.locator('probe-box p');
  await color.waitFor();
  expect(await color.evaluate((p) => (globalThis as any).getComputedStyle(p).color)).toBe('rgb(0, 128, 0)');
  expect(await page.evaluate('document.body.dataset.inline')).toBe('no');
  await context.close();
});

test('requests to another origin are recorded and never leave the machine', async () => {
  const { page, context, thirdPartyRequests } = await openPage(browser, origin);
  await page.goto(`${origin}/open`);
  await page.locator('probe-box p').waitFor();
  expect(thirdPartyRequests).toEqual(['https://third-party.example/pixel.png']);
  await context.close();
});

test('axe-core runs under the strict CSP and finds a page with no serious violation', async () => {
  const { page, context } = await openPage(browser, origin);
  await page.goto(`${origin}/`);
  await page.locator('probe-box p').waitFor();
  await expectNoSeriousA11yViolations(page, 'probe');
  await context.close();
});

test('axe-core reports a serious violation when there is one', async () => {
  const { page, context } = await openPage(browser, origin);
  await page.goto(`${origin}/`);
  await page.evaluate(`document.querySelector('img').removeAttribute('alt')`);
  await expect(expectNoSeriousA11yViolations(page, 'image without alt')).rejects.toThrow(/image-alt/);
  await context.close();
});
