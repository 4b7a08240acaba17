import type { LocalKeygate } from '../../local/app';
import { PAGE_CSP } from '../../local/http/pages';
import { leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate;

beforeAll(async () => {
  keygate = await startTestKeygate();
});

afterAll(async () => {
  await keygate?.stop();
});

test.each([
  ['/demo', 'text/html'],
  ['/demo/app.js', 'text/javascript'],
  ['/demo/demo.css', 'text/css'],
  ['/elements/keygate-api-keys.js', 'text/javascript'],
])('GET %s answers without a key, under the strict CSP', async (path, type) => {
  const response = await fetch(`${keygate.url}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain(type);
  expect(response.headers.get('content-security-policy')).toBe(PAGE_CSP);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  await response.arrayBuffer();
});

test('an unknown element or demo file answers 404', async () => {
  for (const path of ['/elements/nope.js', '/demo/nope.js']) {
    const response = await fetch(`${keygate.url}${path}`);
    expect(response.status).toBe(404);
    await response.arrayBuffer();
  }
});

test('the demo backend mints its member an admin session of the demo tenant', async () => {
  const response = await fetch(`${keygate.url}/demo/session`, { method: 'POST' });
  expect(response.status).toBe(200);
  const { token, role } = (await response.json()) as { token: string; role: string };
  leakScan.secret(token);
  expect(token).toMatch(/^kgs_/);
  expect(role).toBe('admin');
  expect((await call(keygate.url, 'GET', '/v1/keys', { key: token })).status).toBe(200);
  expect((await call(keygate.url, 'GET', '/v1/usage', { key: token })).body.environment).toBe('live');
});
