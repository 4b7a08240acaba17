import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

/**
 * Scoped keys over the local gateway: a key with scopes reaches only those on the routes
 * keygate protects (here the front door to an upstream), on the normalized path, and keygate's
 * own routes by its role; a scope change holds from the very next request.
 */
let upstream: Server;
let keygate: LocalKeygate;
let owner: string;
let developer: string;
let scoped: { id: string; key: string };

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"upstream":true}'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  keygate = await startTestKeygate({ upstream: { url, secret: 'upstream-secret-for-tests', timeoutMs: 1000 } });
  const tenant = (
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: keygate.operatorKey as string,
      body: { tenantId: 'scoped-co', name: 'Scoped Co', plan: 'scale' },
    })
  ).body;
  owner = tenant.key.key;
  developer = (await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'dev' } })).body.key;
});
afterAll(async () => {
  await keygate.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});
beforeEach(async () => {
  const created = await call(keygate.url, 'POST', '/v1/keys', {
    key: owner,
    body: { name: 'orders', scopes: ['GET /v1/orders/*', 'POST /v1/emails'] },
  });
  expect([created.status, created.body.scopes]).toEqual([201, ['GET /v1/orders/*', 'POST /v1/emails']]);
  scoped = { id: created.body.id, key: created.body.key };
});

const status = async (key: string, method: string, path: string) =>
  (await call(keygate.url, method, path, { key })).status;

describe('a scoped key', () => {
  it.each([
    ['GET', '/v1/orders/1', 200],
    ['GET', '/v1/orders/1/lines', 200],
    ['GET', '/v1/%6frders/1', 200],
    ['GET', '//v1/orders/1', 200],
    ['GET', '/v1/./orders/1', 200],
    ['POST', '/v1/emails', 200],
    ['GET', '/v1/me', 200],
    ['GET', '/v1/keys', 200],
    ['GET', '/V1/orders/1', 403],
    ['GET', '/v1/Orders/1', 403],
    ['GET', '/v1/orders', 403],
    ['POST', '/v1/orders/1', 403],
    ['GET', '/v1/emails', 403],
    ['GET', '/v1/%65mails', 403],
    ['GET', '/x/v1/orders/1', 403],
    ['GET', '/v1/panel/tenants', 403],
  ])('%s %s: %d', async (method, path, expected) => {
    expect(await status(scoped.key, method, path)).toBe(expected);
  });

  it('leaves an unscoped key the whole API', async () => {
    expect(await status(developer, 'GET', '/v1/anything/else')).toBe(200);
  });

  it('refuses a scope that is not METHOD /path with 400', async () => {
    const refused = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner,
      body: { name: 'bad', scopes: ['GET /v1/ord*'] },
    });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'invalid_request']);
  });
});

describe('changing scopes', () => {
  it('lets a developer narrow them, at once, and refuses widening with 403', async () => {
    expect(await status(scoped.key, 'GET', '/v1/orders/1')).toBe(200);
    const narrowed = await call(keygate.url, 'PATCH', `/v1/keys/${scoped.id}`, {
      key: developer,
      body: { scopes: ['GET /v1/orders/7'] },
    });
    expect([narrowed.status, narrowed.body.scopes]).toEqual([200, ['GET /v1/orders/7']]);
    expect(await status(scoped.key, 'GET', '/v1/orders/1')).toBe(403);
    expect(await status(scoped.key, 'GET', '/v1/orders/7')).toBe(200);
    for (const scopes of [['GET /v1/orders/*'], null]) {
      const widened = await call(keygate.url, 'PATCH', `/v1/keys/${scoped.id}`, { key: developer, body: { scopes } });
      expect([widened.status, widened.body.error.code]).toEqual([403, 'forbidden']);
    }
    expect(await status(scoped.key, 'GET', '/v1/orders/1')).toBe(403);
  });

  it('lets the owner widen them, or take them away', async () => {
    expect(await status(scoped.key, 'GET', '/v1/emails')).toBe(403);
    const cleared = await call(keygate.url, 'PATCH', `/v1/keys/${scoped.id}`, { key: owner, body: { scopes: null } });
    expect([cleared.status, cleared.body.scopes]).toEqual([200, undefined]);
    expect(await status(scoped.key, 'GET', '/v1/emails')).toBe(200);
  });
});

describe('a scoped key creating keys', () => {
  it('gives a key created without scopes its own, and refuses wider ones', async () => {
    const inherited = await call(keygate.url, 'POST', '/v1/keys', { key: scoped.key, body: { name: 'child' } });
    expect([inherited.status, inherited.body.scopes]).toEqual([201, ['GET /v1/orders/*', 'POST /v1/emails']]);
    expect(await status(inherited.body.key, 'GET', '/v1/emails')).toBe(403);
    const narrower = await call(keygate.url, 'POST', '/v1/keys', {
      key: scoped.key,
      body: { name: 'child', scopes: ['GET /v1/orders/7'] },
    });
    expect([narrower.status, narrower.body.scopes]).toEqual([201, ['GET /v1/orders/7']]);
    const wider = await call(keygate.url, 'POST', '/v1/keys', {
      key: scoped.key,
      body: { name: 'child', scopes: ['GET /v1/*'] },
    });
    expect([wider.status, wider.body.error.code]).toEqual([403, 'forbidden']);
  });
});

describe('rotating a scoped key', () => {
  it('gives the new key the same scopes', async () => {
    const rotated = await call(keygate.url, 'POST', `/v1/keys/${scoped.id}/rotate`, { key: owner, body: {} });
    expect([rotated.status, rotated.body.scopes]).toEqual([201, ['GET /v1/orders/*', 'POST /v1/emails']]);
    expect(await status(rotated.body.key, 'GET', '/v1/emails')).toBe(403);
  });
});

describe('a scoped key rotating keys', () => {
  it('may not rotate a key that reaches more than it does', async () => {
    const target = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'wide' } });
    const refused = await call(keygate.url, 'POST', `/v1/keys/${target.body.id}/rotate`, { key: scoped.key, body: {} });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
  });
});
