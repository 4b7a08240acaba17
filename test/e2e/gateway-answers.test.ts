import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import type { LocalKeygate } from '../../local/app';
import { RETURN_ORDER_LOCAL_ROUTES } from '../../examples/return-orders/routes';
import { parseGatewayAnswers } from '../../lambdas/core/http/gateway-answers';
import { call, startTestKeygate } from '../support/local';

/** Postiz's documented answers (its docs give no status for a missing subscription: 403). */
const POSTIZ = JSON.stringify({
  unauthorized: { status: 401, body: { msg: 'Invalid API key' } },
  suspended: { status: 403, body: { msg: 'No subscription found' } },
  throttled: { status: 429, body: 'Too many requests' },
});

let upstream: Server;
let keygate: LocalKeygate;
let operator: string;

/** Raw status, content type and body bytes of a request, with `key` as a bearer token. */
async function raw(path: string, key: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(`${keygate.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

async function createTenant(tenantId: string, plan = 'growth'): Promise<string> {
  const res = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId, name: tenantId, plan },
  });
  expect(res.status).toBe(201);
  return res.body.key.key as string;
}

beforeAll(async () => {
  upstream = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('posts'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  keygate = await startTestKeygate({
    upstream: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` },
    plans: { ...DEFAULT_SETTINGS.plans, starter: { rateLimit: 1, burstLimit: 2 } },
    gatewayAnswers: parseGatewayAnswers('KEYGATE_GATEWAY_ANSWERS', POSTIZ),
    routes: RETURN_ORDER_LOCAL_ROUTES,
  });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe("the protected API's answers (KEYGATE_GATEWAY_ANSWERS, Postiz)", () => {
  it('answers a bad key on the front door with exactly the configured bytes and status', async () => {
    const forged = `sk_live_${'0'.repeat(64)}00000000`;
    for (const key of [forged, 'not-a-key-at-all']) {
      const res = await raw('/public/v1/integrations', key);
      expect(res).toEqual({ status: 401, type: 'application/json', body: '{"msg":"Invalid API key"}' });
    }
    const missing = await fetch(`${keygate.url}/public/v1/integrations`);
    expect(missing.status).toBe(401);
    expect(await missing.text()).toBe('{"msg":"Invalid API key"}');
  });

  it("answers a suspended tenant's key with the configured answer, and keygate's own 401 on /v1", async () => {
    const key = await createTenant('late-payer');
    expect((await raw('/public/v1/integrations', key)).body).toBe('posts');
    await call(keygate.url, 'POST', '/v1/panel/tenants/late-payer/suspend', { key: operator });
    expect(await raw('/public/v1/integrations', key)).toEqual({
      status: 403,
      type: 'application/json',
      body: '{"msg":"No subscription found"}',
    });
    const own = await call(keygate.url, 'GET', '/v1/me', { key });
    expect(own.status).toBe(401);
    expect(own.body.error.code).toBe('unauthorized');
    await call(keygate.url, 'POST', '/v1/panel/tenants/late-payer/resume', { key: operator });
    expect((await raw('/public/v1/integrations', key)).body).toBe('posts');
  });

  it('answers over the usage plan with the configured body and status', async () => {
    const key = await createTenant('busy', 'starter');
    const answers = await Promise.all(Array.from({ length: 8 }, () => raw('/public/v1/posts', key)));
    const throttled = answers.filter((answer) => answer.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const answer of throttled) expect(answer.body).toBe('Too many requests');
  });

  it("answers a route the key's role may not call as API Gateway does: one ACCESS_DENIED, suspended's answer when forbidden is unset", async () => {
    const owner = await createTenant('roles');
    const created = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner,
      body: { name: 'ci', role: 'developer' },
    });
    expect(created.status).toBe(201);
    const res = await fetch(`${keygate.url}/v1/returns/r1`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${created.body.key as string}` },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('{"msg":"No subscription found"}');
  });

  it("keeps keygate's own error shape on /v1 for a bad key", async () => {
    const res = await call(keygate.url, 'GET', '/v1/me', { key: `sk_live_${'0'.repeat(64)}00000000` });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });
});
