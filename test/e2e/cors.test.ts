import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalKeygate } from '../../local/app';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import { call, startTestKeygate } from '../support/local';
import { fixedClock } from '../support/time';

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
const EVIL = 'https://evil.example.com';

let keygate: LocalKeygate;
let backend: Server;
let operator: string;
let owner: string;
let reader: string;
let tiny: string;

/** A browser's preflight: what it would send before a request with a key and a JSON body. */
function preflight(path: string, origin: string, method = 'POST') {
  return call(keygate.url, 'OPTIONS', path, {
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type,idempotency-key',
    },
  });
}

function corsOf(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name.startsWith('access-control-')));
}

beforeAll(async () => {
  // a backend of the front door that sets no CORS header of its own.
  backend = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"from":"backend"}'),
  );
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  // the clock stands still, so no bucket refills during a burst: what is throttled depends on the
  // plan alone, not on how fast a loaded machine serves the requests.
  keygate = await startTestKeygate({
    clock: fixedClock(),
    corsOrigins: [APP, DEV],
    upstream: { url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, secret: 'cors-test-secret' },
    plans: { ...DEFAULT_SETTINGS.plans, starter: { rateLimit: 1, burstLimit: 2 } },
  });
  operator = keygate.operatorKey as string;
  const tenant = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId: 'browsers', name: 'Browsers', plan: 'scale' },
  });
  owner = tenant.body.key.key;
  reader = (await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'reader', role: 'read_only' } }))
    .body.key;
  tiny = (
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'tiny', name: 'Tiny', plan: 'starter' },
    })
  ).body.key.key;
});
afterAll(async () => {
  await keygate.stop();
  backend.closeAllConnections();
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

describe('preflights of keygate routes', () => {
  it.each([
    ['/v1/keys', ['GET', 'POST']],
    ['/v1/keys/key_123', ['DELETE', 'GET', 'PATCH']],
    ['/v1/keys/key_123/rotate', ['POST']],
    ['/v1/usage', ['GET']],
    ['/v1/events', ['GET']],
    ['/v1/panel/tenants/acme/keys/key_1/revoke', ['POST']],
  ])('answers OPTIONS %s without a key, for a listed origin', async (path, methods) => {
    const res = await preflight(path, DEV);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(DEV);
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('access-control-allow-methods')?.split(',').sort()).toEqual(methods);
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']),
    );
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('grants nothing to an origin outside the list', async () => {
    const res = await preflight('/v1/keys', EVIL);
    expect(corsOf(res.headers)).toEqual({});
  });

  it("does not answer preflights of the front door's paths: they need a key, as on API Gateway", async () => {
    const res = await preflight('/orders', APP);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });
});

describe("CORS headers on keygate's answers", () => {
  it("puts the listed origin on a handler's answer, and exposes the headers a page reads", async () => {
    const res = await call(keygate.url, 'GET', '/v1/me', { key: owner, headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('access-control-expose-headers')?.split(',')).toEqual(
      expect.arrayContaining(['Retry-After', 'Idempotent-Replayed']),
    );
  });

  it("puts it on a handler's error answer", async () => {
    const res = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner,
      body: { nope: 1 },
      headers: { origin: APP },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it.each([
    ['401 without a key', () => call(keygate.url, 'GET', '/v1/keys', { headers: { origin: APP } }), 401],
    [
      '403 for a read-only key changing a key',
      () => call(keygate.url, 'DELETE', '/v1/keys/key_1', { key: reader, headers: { origin: APP } }),
      403,
    ],
    [
      '403 for a tenant key on the panel',
      () => call(keygate.url, 'GET', '/v1/panel/tenants', { key: owner, headers: { origin: APP } }),
      403,
    ],
    [
      '404 for a method keygate does not have',
      () => call(keygate.url, 'PUT', '/v1/me', { key: owner, headers: { origin: APP } }),
      404,
    ],
    ['401 on a front-door path', () => call(keygate.url, 'GET', '/orders', { headers: { origin: APP } }), 401],
  ])('puts it on the gateway answer: %s', async (_label, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('puts it on 429, and lets the page read Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call(keygate.url, 'GET', '/v1/me', { key: tiny, headers: { origin: DEV } })),
    );
    expect(answers.filter((res) => res.status === 429)).toHaveLength(4);
    const throttled = answers.find((res) => res.status === 429);
    expect(throttled?.headers.get('access-control-allow-origin')).toBe(DEV);
    expect(throttled?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(throttled?.headers.get('access-control-expose-headers')).toContain('Retry-After');
  });

  it.each([
    ['an origin outside the list', { origin: EVIL }],
    ['no Origin', {}],
  ])('grants nothing to %s, on a handler answer or a gateway answer', async (_label, headers) => {
    const ok = await call(keygate.url, 'GET', '/v1/me', { key: owner, headers });
    const refused = await call(keygate.url, 'GET', '/v1/me', { headers });
    expect([ok.status, refused.status]).toEqual([200, 401]);
    expect(corsOf(ok.headers)).toEqual({});
    expect(corsOf(refused.headers)).toEqual({});
    expect(ok.headers.get('vary')).toBe('Origin');
  });

  it("passes the front door's answers through as the backend sent them: the backend owns its CORS", async () => {
    const res = await call(keygate.url, 'GET', '/orders', { key: owner, headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ from: 'backend' });
    expect(corsOf(res.headers)).toEqual({});
  });
});

describe('without an allow-list', () => {
  let plain: LocalKeygate;
  beforeAll(async () => {
    plain = await startTestKeygate();
  });
  afterAll(async () => {
    await plain.stop();
  });

  it('answers no preflight and sends no CORS header', async () => {
    const options = await call(plain.url, 'OPTIONS', '/v1/keys', {
      headers: { origin: APP, 'access-control-request-method': 'GET' },
    });
    expect(options.status).toBe(404);
    const refused = await call(plain.url, 'GET', '/v1/keys', { headers: { origin: APP } });
    const ok = await call(plain.url, 'GET', '/v1/me', {
      key: plain.operatorKey as string,
      headers: { origin: APP },
    });
    for (const res of [options, refused, ok]) {
      expect(corsOf(res.headers)).toEqual({});
      expect(res.headers.get('vary')).toBeNull();
    }
  });
});
