import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';
import { fixedClock } from '../support/time';

/** What the recording upstream saw of one request. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const SECRET = 'upstream-secret-for-tests';
let upstream: Server;
let upstreamUrl: string;
const received: Received[] = [];
let keygate: LocalKeygate;
let owner: string;
let reader: string;
let testKey: string;
let ownerKeyId: string;

/**
 * A backend on loopback that records every request and answers with the status asked for in
 * `?status=`, echoing the body and its content type; `/slow` never answers.
 */
async function startRecordingUpstream(): Promise<void> {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      if (req.url?.startsWith('/slow')) return;
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res.writeHead(status, { 'content-type': req.headers['content-type'] ?? 'text/plain', 'x-upstream': 'yes' });
      res.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  await startRecordingUpstream();
  // the clock stands still, so no bucket refills during a burst: what is throttled depends on the
  // plan alone, not on how fast a loaded machine serves the requests.
  keygate = await startTestKeygate({
    clock: fixedClock(),
    upstream: { url: upstreamUrl, secret: SECRET, timeoutMs: 1000 },
    plans: { ...DEFAULT_SETTINGS.plans, starter: { rateLimit: 1, burstLimit: 3 } },
  });
  const operator = keygate.operatorKey as string;
  const tenant = (
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'postco', name: 'PostCo', plan: 'scale' },
    })
  ).body;
  owner = tenant.key.key;
  ownerKeyId = tenant.key.id;
  reader = (await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'reader', role: 'read_only' } }))
    .body.key;
  testKey = (
    await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'sandbox', environment: 'test' } })
  ).body.key;
});
afterAll(async () => {
  await keygate.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});
beforeEach(() => {
  received.length = 0;
});

describe('the local front door (KEYGATE_UPSTREAM_URL)', () => {
  it('forwards method, path, query and body, and returns the upstream status, headers and body unchanged', async () => {
    const res = await fetch(`${keygate.url}/orders/42/items?status=201&q=a%20b&q=c`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json', 'x-request-id': 'r-1' },
      body: '{"qty":2}',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(await res.text()).toBe('{"qty":2}');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'PUT', url: '/orders/42/items?status=201&q=a%20b&q=c' });
    expect(received[0].body.toString()).toBe('{"qty":2}');
    expect(received[0].headers).toMatchObject({ 'content-type': 'application/json', 'x-request-id': 'r-1' });
  });

  it('sends exactly the authorizer context and the secret as x-keygate-* headers, and never Authorization', async () => {
    await call(keygate.url, 'GET', '/whoami', { key: owner });
    const headers = received[0].headers;
    const keygateHeaders = Object.fromEntries(
      Object.entries(headers).filter(([name]) => name.startsWith('x-keygate-')),
    );
    expect(keygateHeaders).toEqual({
      'x-keygate-tenant-id': 'postco',
      'x-keygate-key-id': ownerKeyId,
      'x-keygate-environment': 'live',
      'x-keygate-role': 'owner',
      'x-keygate-plan': 'scale',
      'x-keygate-secret': SECRET,
    });
    expect(headers.authorization).toBeUndefined();
    expect(JSON.stringify(headers)).not.toContain(owner.slice(8, 72));
  });

  it('never passes on a client-sent x-keygate-* header, and never a bare key in Authorization', async () => {
    await call(keygate.url, 'GET', '/whoami', {
      headers: {
        authorization: testKey,
        'x-keygate-tenant-id': 'victim',
        'x-keygate-environment': 'live',
        'x-keygate-secret': 'guessed',
        'x-keygate-extra': 'spoofed',
      },
    });
    const headers = received[0].headers;
    expect(headers).toMatchObject({
      'x-keygate-tenant-id': 'postco',
      'x-keygate-environment': 'test',
      'x-keygate-secret': SECRET,
    });
    expect(headers['x-keygate-extra']).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
    expect(JSON.stringify(headers)).not.toContain(testKey.slice(8, 72));
  });

  it('carries a binary body both ways byte for byte', async () => {
    const bytes = randomBytes(256 * 1024);
    const res = await fetch(`${keygate.url}/blobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(received[0].body.equals(bytes)).toBe(true);
  });

  it('forwards the root path too', async () => {
    expect((await call(keygate.url, 'GET', '/?status=204', { key: owner })).status).toBe(204);
    expect(received.map((r) => r.url)).toEqual(['/?status=204']);
  });

  it.each([
    ['no key', {}],
    ['a malformed key', { authorization: 'Bearer nope' }],
    ['a well-formed unknown key', { authorization: `Bearer sk_live_${'0'.repeat(72)}` }],
  ])('answers 401 for %s without reaching the upstream', async (_label, headers) => {
    const res = await call(keygate.url, 'POST', '/orders', { headers, rawBody: 'x' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(received).toHaveLength(0);
  });

  it('answers 403 for a path the policy denies (the panel, for a tenant key) without reaching the upstream', async () => {
    const res = await call(keygate.url, 'GET', '/v1/panel/anything', { key: reader });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(received).toHaveLength(0);
  });

  it('answers 429 over the usage plan without reaching the upstream', async () => {
    const operator = keygate.operatorKey as string;
    const small = (
      await call(keygate.url, 'POST', '/v1/panel/tenants', {
        key: operator,
        body: { tenantId: 'tiny', name: 'Tiny', plan: 'starter' },
      })
    ).body;
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(keygate.url, 'GET', '/orders', { key: small.key.key }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(received).toHaveLength(3);
  });

  it("keeps keygate's own resources: its routes are served, other methods and bare prefixes answer 404", async () => {
    expect((await call(keygate.url, 'GET', '/v1/me', { key: owner })).body.tenant.tenantId).toBe('postco');
    expect((await call(keygate.url, 'PUT', '/v1/me', { key: owner })).status).toBe(404);
    expect((await call(keygate.url, 'GET', '/v1', { key: owner })).status).toBe(404);
    expect((await call(keygate.url, 'GET', '/v1/keys/key_1/revoke', { key: owner })).status).toBe(404);
    expect(received).toHaveLength(0);
  });

  it('answers 504 gateway_timeout when the upstream does not answer in time', async () => {
    const started = Date.now();
    const res = await call(keygate.url, 'GET', '/slow', { key: owner });
    expect(res.status).toBe(504);
    expect(res.body).toEqual({ error: { code: 'gateway_timeout', message: expect.any(String) } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('answers 502 bad_gateway in the contract shape when the upstream is down', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = await startTestKeygate({ upstream: { url: `http://127.0.0.1:${port}` } });
    try {
      const res = await call(down.url, 'GET', '/orders', { key: down.operatorKey });
      expect(res.status).toBe(502);
      expect(res.body).toEqual({ error: { code: 'bad_gateway', message: expect.any(String) } });
      // the log says why, and nothing of the request.
      const cause = down.requests.find((line) => line.startsWith('upstream '));
      expect(cause).toBe(`upstream 127.0.0.1:${port} failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      await down.stop();
    }
  });
});
