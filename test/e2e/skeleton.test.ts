import type { LocalKeygate } from '../../local/app';
import { mintKey } from '../../lambdas/core/keys/format';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate & { requests: string[] };
let operatorKey: string;

beforeAll(async () => {
  keygate = await startTestKeygate();
  operatorKey = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe('local gateway over HTTP', () => {
  it('creates an operator key on first start', () => {
    expect(operatorKey).toMatch(/^sk_live_[0-9a-f]{72}$/);
  });

  it('answers GET /v1/me with the caller key and the operator tenant', async () => {
    const res = await call(keygate.url, 'GET', '/v1/me', { key: operatorKey });
    expect(res.status).toBe(200);
    expect(res.body.tenant).toMatchObject({ tenantId: 'operator', status: 'active' });
    expect(res.body.key).toMatchObject({
      role: 'operator',
      environment: 'live',
      status: 'active',
      last4: operatorKey.slice(-4),
    });
    expect(JSON.stringify(res.body)).not.toContain(operatorKey.slice(8, 72));
    expect(res.body.key.hash).toBeUndefined();
  });

  it('accepts a bare key too', async () => {
    const res = await call(keygate.url, 'GET', '/v1/me', { headers: { authorization: operatorKey } });
    expect(res.status).toBe(200);
  });

  it.each([
    ['no Authorization header', {}],
    ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a key with a bad checksum', { authorization: `Bearer ${'sk_live_' + '0'.repeat(72)}` }],
    ['a well-formed unknown key', { authorization: `Bearer ${mintKey('sk', 'live').plaintext}` }],
  ])('refuses %s with 401 in the contract shape', async (_label, headers) => {
    const res = await call(keygate.url, 'GET', '/v1/me', { headers });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('answers an unknown route with 404 not_found', async () => {
    const res = await call(keygate.url, 'GET', '/v1/nothing', { key: operatorKey });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('serves a cached Allow until the cache is flushed', async () => {
    const me = await call(keygate.url, 'GET', '/v1/me', { key: operatorKey });
    await keygate.store.setKeyStatus('operator', me.body.key.id, 'revoked');
    // the cached Allow still lets the request through; the handler sees the key as revoked.
    const cached = await call(keygate.url, 'GET', '/v1/me', { key: operatorKey });
    expect(cached.status).toBe(200);
    expect(cached.body.key.status).toBe('revoked');
    keygate.gateway.flushAuthorizerCache();
    expect((await call(keygate.url, 'GET', '/v1/me', { key: operatorKey })).status).toBe(401);
    await keygate.store.setKeyStatus('operator', me.body.key.id, 'active');
    expect((await call(keygate.url, 'GET', '/v1/me', { key: operatorKey })).status).toBe(200);
  });

  it('logs one line per request with method, path, status, time and key id, never the key', async () => {
    const before = keygate.requests.length;
    const me = await call(keygate.url, 'GET', '/v1/me', { key: operatorKey });
    const line = keygate.requests[before];
    expect(keygate.requests).toHaveLength(before + 1);
    expect(line).toMatch(new RegExp(`^GET /v1/me 200 \\d+\\.\\dms ${me.body.key.id}$`));
    expect(keygate.requests.join('\n')).not.toContain(operatorKey.slice(8, 72));
  });

  it('records lastUsedAt off the request path', async () => {
    await keygate.settle();
    const res = await call(keygate.url, 'GET', '/v1/me', { key: operatorKey });
    expect(res.body.key.lastUsedAt).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/));
  });
});
