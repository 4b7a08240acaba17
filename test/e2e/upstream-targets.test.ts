import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

/** What a recording server saw of one request. */
interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A server on loopback that records every request and answers 200 with the path it got. */
async function recordingServer(into: Received[]): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    into.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.end(req.url));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * One request with its target written on the request line exactly as given (`fetch` would
 * resolve dot segments and slashes before sending), and headers under the exact names given.
 */
function rawCall(
  port: number,
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A local keygate in front of `upstreamUrl`, with a tenant and the keys the tests send. */
async function frontDoor(
  upstreamUrl: string,
): Promise<{ keygate: LocalKeygate; port: number; readOnlyTest: string; developer: string; ownerTest: string }> {
  const keygate = await startTestKeygate({ upstream: { url: upstreamUrl, secret: 'targets-secret', timeoutMs: 2000 } });
  const operator = keygate.operatorKey as string;
  const tenant = (
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'targetco', name: 'TargetCo', plan: 'scale' },
    })
  ).body;
  const owner = tenant.key.key as string;
  const key = async (body: Record<string, string>): Promise<string> =>
    (await call(keygate.url, 'POST', '/v1/keys', { key: owner, body })).body.key;
  return {
    keygate,
    port: Number(new URL(keygate.url).port),
    readOnlyTest: await key({ name: 'ro-test', role: 'read_only', environment: 'test' }),
    developer: await key({ name: 'dev', role: 'developer' }),
    ownerTest: await key({ name: 'owner-test', role: 'owner', environment: 'test' }),
  };
}

const upstreamSeen: Received[] = [];
const attackerSeen: Received[] = [];
let upstream: Server;
let attacker: Server;
let attackerPort: number;
/** Forwards to the upstream's root. */
let bare: Awaited<ReturnType<typeof frontDoor>>;
/** Forwards under `/api`, so that escaping the base path is observable. */
let based: Awaited<ReturnType<typeof frontDoor>>;
let gatewayPort: number;
let readOnlyTest: string;
let developer: string;
let ownerTest: string;

beforeAll(async () => {
  const up = await recordingServer(upstreamSeen);
  const evil = await recordingServer(attackerSeen);
  upstream = up.server;
  attacker = evil.server;
  attackerPort = evil.port;
  [bare, based] = await Promise.all([
    frontDoor(`http://127.0.0.1:${up.port}`),
    frontDoor(`http://127.0.0.1:${up.port}/api`),
  ]);
  ({ port: gatewayPort, readOnlyTest, developer, ownerTest } = based);
});
afterAll(async () => {
  await Promise.all([bare.keygate.stop(), based.keygate.stop()]);
  await stop(upstream);
  await stop(attacker);
});
beforeEach(() => {
  upstreamSeen.length = 0;
  attackerSeen.length = 0;
});

describe('the front door contacts only the configured upstream', () => {
  it.each([
    ['a scheme-relative target', (port: number) => `//127.0.0.1:${port}/x`],
    ['a triple slash', (port: number) => `///127.0.0.1:${port}/x`],
    ['a backslash', (port: number) => `/\\127.0.0.1:${port}/x`],
    ['a slash and backslash', (port: number) => `/\\/127.0.0.1:${port}/x`],
    ['an absolute-form target', (port: number) => `http://127.0.0.1:${port}/x`],
    ['an absolute-form target with userinfo', (port: number) => `http://user@127.0.0.1:${port}/x`],
  ])('%s never reaches another host, with or without a base path', async (_label, target) => {
    for (const [door, base] of [
      [bare, ''],
      [based, '/api'],
    ] as const) {
      upstreamSeen.length = 0;
      const res = await rawCall(door.port, target(attackerPort), { authorization: `Bearer ${door.readOnlyTest}` });
      expect(attackerSeen).toEqual([]);
      // either refused with the contract's shape, or forwarded to the upstream, slashes merged.
      if (res.status === 400) {
        expect(JSON.parse(res.body)).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
        expect(upstreamSeen).toEqual([]);
      } else {
        expect(res.status).toBe(200);
        expect(upstreamSeen.map((r) => r.url)).toEqual([`${base}/127.0.0.1:${attackerPort}/x`]);
      }
    }
  });

  it('refuses an absolute-form target naming another host with 400', async () => {
    const res = await rawCall(bare.port, `http://127.0.0.1:${attackerPort}/x`, {
      authorization: `Bearer ${bare.readOnlyTest}`,
    });
    expect(res.status).toBe(400);
    expect(attackerSeen).toEqual([]);
  });

  it('serves an absolute-form target that names the gateway itself', async () => {
    const res = await rawCall(gatewayPort, `http://127.0.0.1:${gatewayPort}/orders?a=1`, {
      authorization: `Bearer ${readOnlyTest}`,
    });
    expect(res.status).toBe(200);
    expect(upstreamSeen.map((r) => r.url)).toEqual(['/api/orders?a=1']);
  });
});

describe('the forwarded path stays under the base path', () => {
  it.each([
    '/../admin',
    '/%2e%2e/admin',
    '/.%2e/admin',
    '/%2E%2E/admin',
    '/a/../../admin',
    '/./../admin',
    '/x/%2e%2e/%2e%2e/admin',
  ])('%s reaches /api/admin, never /admin', async (target) => {
    const res = await rawCall(gatewayPort, target, { authorization: `Bearer ${ownerTest}` });
    expect(res.status).toBe(200);
    expect(upstreamSeen.map((r) => r.url)).toEqual(['/api/admin']);
    expect(attackerSeen).toEqual([]);
  });

  it.each(['/..%2fadmin', '/%2e%2e%2Fadmin', '/..%5cadmin'])(
    '%s (an encoded separator) is refused with 400',
    async (target) => {
      const res = await rawCall(gatewayPort, target, { authorization: `Bearer ${ownerTest}` });
      expect(res.status).toBe(400);
      expect(upstreamSeen).toEqual([]);
    },
  );
});

describe('a Deny holds for every spelling of the path', () => {
  const spellings = [
    '/v1/%70anel/x',
    '/v1//panel/x',
    '/v1/panel%2Fx',
    '/V1/panel/x',
    '/v1/Panel/x',
    '/v1/./panel/x',
    '/v1/q/../panel/x',
    '/%76%31/%50ANEL/x',
    '/v1/panel/x/',
    '/v1/panel/%2e%2e/panel/x',
  ];
  it.each(spellings)(
    '%s is refused to a developer key and to a test owner key, and the upstream sees nothing',
    async (target) => {
      for (const key of [developer, ownerTest]) {
        const res = await rawCall(gatewayPort, target, { authorization: `Bearer ${key}` });
        expect([400, 403]).toContain(res.status);
      }
      expect(upstreamSeen).toEqual([]);
    },
  );

  it('still forwards a path that is not denied, in the case it was sent', async () => {
    const res = await rawCall(gatewayPort, '/Orders/%41b%7e', { authorization: `Bearer ${developer}` });
    expect(res.status).toBe(200);
    expect(upstreamSeen.map((r) => r.url)).toEqual(['/api/Orders/Ab~']);
  });
});

describe('forwarded headers', () => {
  it('drop underscore and mixed spellings of x-keygate-*, honour Connection, and append the client to X-Forwarded-For', async () => {
    await rawCall(gatewayPort, '/orders', {
      authorization: `Bearer ${readOnlyTest}`,
      x_keygate_tenant_id: 'victim',
      'X-Keygate_Role': 'owner',
      'x-keygate_environment': 'live',
      x_forwarded_for: '6.6.6.6',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      connection: 'keep-alive, X-Hop-Secret',
      'x-hop-secret': 'for-the-next-hop-only',
      'x-end-to-end': 'kept',
    });
    expect(upstreamSeen).toHaveLength(1);
    const headers = upstreamSeen[0].headers;
    expect(Object.keys(headers).filter((name) => name.includes('_'))).toEqual([]);
    expect(headers).toMatchObject({
      'x-keygate-tenant-id': 'targetco',
      'x-keygate-role': 'read_only',
      'x-keygate-environment': 'test',
      'x-end-to-end': 'kept',
    });
    expect(headers['x-hop-secret']).toBeUndefined();
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers.forwarded).toBe('for=127.0.0.1;proto=http');
    expect(attackerSeen).toEqual([]);
  });
});
