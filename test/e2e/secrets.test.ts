import { createHash } from 'node:crypto';
import type { LocalKeygate } from '../../local/app';
import { mintKey } from '../../lambdas/core/keys/format';
import { LeakScan, leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';

// drives every key and tenant route, the refusals and odd Authorization values over real HTTP;
// test/support/leak-check.ts then scans every log line of this file (and of every e2e file).
let keygate: LocalKeygate & { requests: string[] };
let operator: string;

beforeAll(async () => {
  keygate = await startTestKeygate({ cacheTtlSeconds: 300 });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe('secrets never leak', () => {
  it('writes no key, secret part, hash or Authorization value to any log line, over the whole lifecycle', async () => {
    const u = keygate.url;
    const tenant = await call(u, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'leaky', name: 'Leaky', plan: 'starter' },
    });
    expect(tenant.status).toBe(201);
    const owner: string = tenant.body.key.key;
    const created = await call(u, 'POST', '/v1/keys', { key: owner, body: { name: 'ci', expiresInDays: 30 } });
    const key: string = created.body.key;
    const id: string = created.body.id;
    const test = await call(u, 'POST', '/v1/keys', {
      key: owner,
      body: { name: 'sandbox', environment: 'test', role: 'read_only' },
    });
    const statuses = [
      (await call(u, 'GET', '/v1/keys?limit=2', { key: owner })).status,
      (await call(u, 'GET', `/v1/keys/${id}`, { key })).status,
      (await call(u, 'PATCH', `/v1/keys/${id}`, { key: owner, body: { name: 'ci-deploy' } })).status,
      (await call(u, 'GET', '/v1/me', { headers: { authorization: `bearer ${key}` } })).status,
      (await call(u, 'GET', '/v1/me', { headers: { authorization: key } })).status,
      (await call(u, 'GET', '/v1/usage', { key: test.body.key })).status,
      (await call(u, 'POST', '/v1/keys', { key: test.body.key, body: { name: 'nope' } })).status,
      (await call(u, 'POST', `/v1/keys/${id}/revoke`, { key: owner })).status,
      (await call(u, 'GET', '/v1/me', { key })).status,
      (await call(u, 'POST', `/v1/keys/${id}/enable`, { key: owner })).status,
      (await call(u, 'POST', `/v1/keys/${id}/rotate`, { key: owner, body: { gracePeriodHours: 1 } })).status,
      (await call(u, 'GET', '/v1/me', { key })).status,
      (await call(u, 'PUT', '/v1/panel/tenants/leaky/plan', { key: operator, body: { plan: 'growth' } })).status,
      // a tenant with a plan change in flight cannot be suspended (409): let the reconciler finish.
      await keygate.reconciled().then(() => 200),
      (await call(u, 'POST', '/v1/panel/tenants/leaky/suspend', { key: operator })).status,
      (await call(u, 'GET', '/v1/me', { key: owner })).status,
      (await call(u, 'POST', '/v1/panel/tenants/leaky/resume', { key: operator })).status,
      (await call(u, 'GET', '/v1/panel/tenants/leaky', { key: owner })).status,
      (await call(u, 'DELETE', `/v1/keys/${id}`, { key: owner })).status,
      (await call(u, 'GET', '/v1/me', { key })).status,
    ];
    expect(statuses).toEqual([
      200, 200, 200, 200, 200, 200, 403, 200, 401, 200, 201, 200, 200, 200, 200, 401, 200, 403, 204, 401,
    ]);
    await keygate.settle();
    await keygate.reconciled();

    expect(leakScan.findLeaks()).toEqual([]);
    expect(keygate.requests.length).toBeGreaterThanOrEqual(statuses.length);
    expect(leakScan.counts.logLines).toBeGreaterThan(keygate.requests.length);
  });

  it.each([
    ['a key with a wrong checksum', () => `Bearer ${operator.slice(0, -1)}${operator.endsWith('0') ? '1' : '0'}`],
    ['a well-formed unknown key', () => `Bearer ${mintKey('sk', 'live').plaintext}`],
    ['a key and trailing text', () => `Bearer ${operator} trailing`],
    ['two spaces after Bearer', () => `Bearer  ${operator}`],
    ['Bearer alone', () => 'Bearer'],
    ['a 10 KiB value holding a key', () => `Bearer ${operator}${'a'.repeat(10 * 1024)}`],
    ['two keys', () => `Bearer ${operator}, Bearer ${operator}`],
  ])('refuses %s without echoing or logging it', async (_label, authorization) => {
    const value = authorization();
    const res = await call(keygate.url, 'GET', '/v1/me', { headers: { authorization: value } });
    expect([400, 401, 431]).toContain(res.status);
    // values this short ('Bearer') are words the contract's own messages use.
    if (value.length >= 16) expect(JSON.stringify(res.body ?? '')).not.toContain(value);
    expect(leakScan.findLeaks()).toEqual([]);
  });

  it('does not echo a key sent in a request body in the error it answers', async () => {
    const owner = (
      await call(keygate.url, 'POST', '/v1/panel/tenants', { key: operator, body: { name: 'Body', plan: 'starter' } })
    ).body.key.key as string;
    const planted = mintKey('sk', 'live').plaintext;
    const answers = [
      await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'x', expiresOn: planted } }),
      await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'x', [planted]: 1 } }),
      await call(keygate.url, 'POST', '/v1/keys', {
        key: owner,
        rawBody: `{"name":"${planted}`,
        headers: { 'content-type': 'application/json' },
      }),
      await call(keygate.url, 'PATCH', '/v1/keys/key_000000000000000000000000', {
        key: owner,
        body: { name: 'x', extra: planted },
      }),
    ];
    for (const res of answers) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(res.body)).not.toContain(planted.slice(8, 72));
    }
  });
});

describe('the leak scan itself', () => {
  // fault injection: each planted leak must be found, or a green suite proves nothing.
  const key = mintKey('sk', 'live').plaintext;
  const hash = createHash('sha256').update(key).digest('hex');
  const planted: [string, string][] = [
    ['the whole key', `{"message":"refused","token":"${key}"}`],
    ['the secret part alone (characters 8-72)', `GET /v1/me 401 1.0ms ${key.slice(8, 72)}`],
    ['12 characters of the secret', `{"hint":"${key.slice(30, 42)}"}`],
    ['the secret in upper case', `{"x":"${key.slice(8, 72).toUpperCase()}"}`],
    ['the hash', `{"hash":"${hash}"}`],
    ['the Authorization value', '{"header":"Bearer not-a-key-but-secret-enough"}'],
  ];

  it.each(planted)('finds %s in a log line', (_label, line) => {
    const scan = new LeakScan();
    scan.secret(key);
    scan.authorization('Bearer not-a-key-but-secret-enough');
    scan.log('planted', line);
    expect(scan.findLeaks()).toHaveLength(1);
  });

  it("passes a key's id, last4 and a line without secrets", () => {
    const scan = new LeakScan();
    scan.secret(key);
    scan.log('clean', `GET /v1/me 200 1.2ms key_${hash.slice(0, 24)} last4=${key.slice(-4)}`);
    expect(scan.findLeaks()).toEqual([]);
  });

  it('finds an answer that echoes its Authorization, a known key in a GET, or a hash', () => {
    const scan = new LeakScan();
    scan.response('POST /v1/keys 201', 'POST', 'Bearer x-operator-0000', `{"key":"${key}"}`);
    expect(scan.findLeaks()).toEqual([]);
    scan.response('GET /v1/keys 200', 'GET', 'Bearer x-operator-0000', `{"items":[{"key":"${key}"}]}`);
    scan.response('GET /v1/me 200', 'GET', 'Bearer x-operator-0000', '{"echo":"Bearer x-operator-0000"}');
    scan.response('GET /v1/keys/x 200', 'GET', undefined, `{"hash":"${hash}"}`);
    expect(scan.findLeaks().map((leak) => leak.what)).toEqual(['key', 'authorization', 'hash']);
  });
});
