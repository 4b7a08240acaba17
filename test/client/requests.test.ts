import { inspect } from 'node:util';
import { Keygate, KeygateError, KeygateReplayError } from 'keygate/client';
import { API_KEY, apiError, json, keyRecord, networkError, scripted } from './fake-fetch';

const ID = 'key_0123456789abcdef01234567';

describe('client requests', () => {
  it('sends the key as a Bearer token with a JSON body, under the base URL with its stage path', async () => {
    const { client, sent } = scripted([json(201, keyRecord({ key: 'sk_live_x' }))]);
    await client.keys.create({ name: 'ci', expiresInDays: 30 });
    expect(sent).toEqual([
      {
        method: 'POST',
        url: 'https://api.example.com/prod/v1/keys',
        headers: {
          authorization: `Bearer ${API_KEY}`,
          accept: 'application/json',
          'content-type': 'application/json',
          'idempotency-key': 'idem-1',
        },
        body: { name: 'ci', expiresInDays: 30 },
      },
    ]);
  });

  it('imports a batch of keys into a tenant under a chosen Idempotency-Key, resolving with the per-item results', async () => {
    const results = [
      { index: 0, status: 'imported', keyId: ID },
      { index: 1, status: 'invalid', error: { code: 'forbidden', message: 'role not allowed' } },
    ];
    const { client, sent } = scripted([json(200, { results })]);
    const keys = [
      { sha256: 'a'.repeat(64), last4: 'abcd', name: 'legacy' },
      { key: 'sk_live_legacy', name: 'ops', role: 'operator' as const },
    ];
    await expect(client.panel.tenants.keys.import('acme', { keys }, { idempotencyKey: 'batch-7' })).resolves.toEqual({
      results,
    });
    expect(sent).toEqual([
      {
        method: 'POST',
        url: 'https://api.example.com/prod/v1/panel/tenants/acme/keys/import',
        headers: {
          authorization: `Bearer ${API_KEY}`,
          accept: 'application/json',
          'content-type': 'application/json',
          'idempotency-key': 'batch-7',
        },
        body: { keys },
      },
    ]);
  });

  it('passes scopes through on key create and update, and null to take them away', async () => {
    const { client, sent } = scripted([
      json(201, keyRecord({ key: 'sk_live_x' })),
      json(200, keyRecord()),
      json(201, keyRecord({ key: 'sk_live_y' })),
      json(200, keyRecord()),
    ]);
    await client.keys.create({ name: 'ci', scopes: ['GET /orders/*'] });
    await client.keys.update(ID, { scopes: null });
    await client.panel.tenants.keys.create('acme', { name: 'ci', scopes: ['POST /orders'] });
    await client.panel.tenants.keys.update('acme', ID, { scopes: ['GET /orders'] });
    expect(sent.map((s) => s.body)).toEqual([
      { name: 'ci', scopes: ['GET /orders/*'] },
      { scopes: null },
      { name: 'ci', scopes: ['POST /orders'] },
      { scopes: ['GET /orders'] },
    ]);
  });

  it.each([
    [
      'keys.list',
      (c: Keygate) => c.keys.list({ limit: 5, cursor: 'a b', name: 'ci' }),
      'GET',
      '/v1/keys?limit=5&cursor=a+b&name=ci',
    ],
    ['keys.get', (c: Keygate) => c.keys.get(ID), 'GET', `/v1/keys/${ID}`],
    ['keys.rename', (c: Keygate) => c.keys.rename(ID, 'n'), 'PATCH', `/v1/keys/${ID}`],
    ['keys.update', (c: Keygate) => c.keys.update(ID, { meta: {} }), 'PATCH', `/v1/keys/${ID}`],
    ['keys.revoke', (c: Keygate) => c.keys.revoke(ID), 'POST', `/v1/keys/${ID}/revoke`],
    ['keys.enable', (c: Keygate) => c.keys.enable(ID), 'POST', `/v1/keys/${ID}/enable`],
    ['keys.rotate', (c: Keygate) => c.keys.rotate(ID), 'POST', `/v1/keys/${ID}/rotate`],
    ['keys.delete', (c: Keygate) => c.keys.delete(ID), 'DELETE', `/v1/keys/${ID}`],
    ['me.get', (c: Keygate) => c.me.get(), 'GET', '/v1/me'],
    ['usage.get', (c: Keygate) => c.usage.get(), 'GET', '/v1/usage'],
    [
      'usage.get with a window',
      (c: Keygate) => c.usage.get({ from: '2001-11-20', granularity: 'day' }),
      'GET',
      '/v1/usage?from=2001-11-20&granularity=day',
    ],
    [
      'keys.usage',
      (c: Keygate) => c.keys.usage(ID, { granularity: 'hour' }),
      'GET',
      `/v1/keys/${ID}/usage?granularity=hour`,
    ],
    ['panel.tenants.usage', (c: Keygate) => c.panel.tenants.usage('acme'), 'GET', '/v1/panel/tenants/acme/usage'],
    [
      'panel.tenants.keys.usage',
      (c: Keygate) => c.panel.tenants.keys.usage('acme', ID),
      'GET',
      `/v1/panel/tenants/acme/keys/${ID}/usage`,
    ],
    [
      'panel.usage.rank',
      (c: Keygate) => c.panel.usage.rank({ sort: 'throttled', limit: 5 }),
      'GET',
      '/v1/panel/usage?sort=throttled&limit=5',
    ],
    ['events.list', (c: Keygate) => c.events.list({ type: 'key.created' }), 'GET', '/v1/events?type=key.created'],
    [
      'panel.events.list',
      (c: Keygate) => c.panel.events.list({ tenantId: 'acme' }),
      'GET',
      '/v1/panel/events?tenantId=acme',
    ],
    [
      'panel.tenants.create',
      (c: Keygate) => c.panel.tenants.create({ name: 'A', plan: 'starter' }),
      'POST',
      '/v1/panel/tenants',
    ],
    ['panel.tenants.list', (c: Keygate) => c.panel.tenants.list({ limit: 2 }), 'GET', '/v1/panel/tenants?limit=2'],
    ['panel.tenants.get', (c: Keygate) => c.panel.tenants.get('acme'), 'GET', '/v1/panel/tenants/acme'],
    ['panel.tenants.rename', (c: Keygate) => c.panel.tenants.rename('acme', 'A'), 'PATCH', '/v1/panel/tenants/acme'],
    [
      'panel.tenants.changePlan',
      (c: Keygate) => c.panel.tenants.changePlan('acme', { plan: 'growth' }),
      'PUT',
      '/v1/panel/tenants/acme/plan',
    ],
    [
      'panel.tenants.suspend',
      (c: Keygate) => c.panel.tenants.suspend('acme'),
      'POST',
      '/v1/panel/tenants/acme/suspend',
    ],
    ['panel.tenants.resume', (c: Keygate) => c.panel.tenants.resume('acme'), 'POST', '/v1/panel/tenants/acme/resume'],
    ['panel.tenants.delete', (c: Keygate) => c.panel.tenants.delete('acme'), 'DELETE', '/v1/panel/tenants/acme'],
    [
      'panel.tenants.keys.list',
      (c: Keygate) => c.panel.tenants.keys.list('acme', { limit: 1 }),
      'GET',
      '/v1/panel/tenants/acme/keys?limit=1',
    ],
    [
      'panel.tenants.keys.rotate',
      (c: Keygate) => c.panel.tenants.keys.rotate('acme', ID, { gracePeriodHours: 2 }),
      'POST',
      `/v1/panel/tenants/acme/keys/${ID}/rotate`,
    ],
    [
      'panel.tenants.keys.delete',
      (c: Keygate) => c.panel.tenants.keys.delete('acme', ID),
      'DELETE',
      `/v1/panel/tenants/acme/keys/${ID}`,
    ],
  ] as const)('%s calls %s %s', async (_name, act, method, path) => {
    const answer =
      method === 'DELETE'
        ? new Response(null, { status: 204 })
        : json(200, { ...keyRecord({ key: 'sk_live_x' }), tenant: {} });
    const { client, sent } = scripted([answer]);
    await act(client);
    expect([sent[0].method, sent[0].url]).toEqual([method, `https://api.example.com/prod${path}`]);
  });

  it('encodes ids in the path, so no id reaches another route', async () => {
    const { client, sent } = scripted([apiError(404, 'not_found')]);
    await expect(client.keys.get('../panel/tenants')).rejects.toMatchObject({ status: 404 });
    expect(sent[0].url).toBe('https://api.example.com/prod/v1/keys/..%2Fpanel%2Ftenants');
  });

  it('resolves a 204 as undefined', async () => {
    const { client } = scripted([new Response(null, { status: 204 })]);
    await expect(client.keys.delete(ID)).resolves.toBeUndefined();
  });

  it("maps an error answer to KeygateError with the contract's code and message, the request id and Retry-After", async () => {
    const { client } = scripted([apiError(404, 'not_found', 'no such key', { 'x-amzn-requestid': 'req-123' })]);
    const error = await client.keys.get(ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeygateError);
    expect(error).toMatchObject({
      name: 'KeygateError',
      status: 404,
      code: 'not_found',
      message: 'no such key',
      requestId: 'req-123',
      attempts: 1,
    });
    expect((error as KeygateError).retryAfter).toBeUndefined();
  });

  it("maps an answer that is not in the contract's shape to invalid_response, without repeating its body", async () => {
    const html = new Response('<html>bad gateway at the proxy</html>', {
      status: 403,
      statusText: 'Forbidden',
      headers: { 'content-type': 'text/html' },
    });
    const { client } = scripted([html, new Response('not json', { status: 200 })]);
    const error = (await client.me.get().catch((e: unknown) => e)) as KeygateError;
    expect(error).toMatchObject({ status: 403, code: 'invalid_response' });
    expect(error.message).not.toContain('proxy');
    await expect(client.me.get()).rejects.toMatchObject({ status: 200, code: 'invalid_response' });
  });

  it('never puts the API key in an error or in the inspected client', async () => {
    const { client } = scripted([
      networkError(),
      networkError(),
      networkError(),
      apiError(401, 'unauthorized', 'unauthorized'),
    ]);
    const errors = [await client.me.get().catch((e: unknown) => e), await client.me.get().catch((e: unknown) => e)];
    for (const error of errors)
      expect(inspect(error, { depth: 5 }) + JSON.stringify(error)).not.toContain(API_KEY.slice(8, 30));
    expect(inspect(client, { depth: 8 })).not.toContain(API_KEY.slice(8, 30));
  });

  it('refuses bad options with what it got and what it expects, never the key', () => {
    expect(() => new Keygate({ apiKey: '', baseUrl: 'http://localhost:3000' })).toThrow(
      /apiKey must be a non-empty string \(got an empty string\)/,
    );
    expect(() => new Keygate({ apiKey: API_KEY, baseUrl: 'localhost:3000' })).toThrow(
      /baseUrl must be an absolute http\(s\) URL .*got "localhost:3000"/,
    );
    expect(() => new Keygate({ apiKey: API_KEY, baseUrl: 'ftp://x' })).toThrow(
      /absolute http\(s\) URL .*got "ftp:\/\/x"/,
    );
    expect(() => new Keygate({ apiKey: API_KEY, baseUrl: 'http://x', maxRetries: -1 })).toThrow(
      /maxRetries must be a whole number ≥ 0 \(got -1\)/,
    );
  });

  it('throws KeygateReplayError, with the record, when a creation is answered as a replay without its plaintext', async () => {
    const replayed = json(201, keyRecord(), { 'idempotent-replayed': 'true' });
    const { client } = scripted([replayed]);
    const error = await client.keys.create({ name: 'ci' }, { idempotencyKey: 'form-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeygateReplayError);
    expect(error).toMatchObject({ status: 201, code: 'replayed_without_key', record: keyRecord() });
    expect((error as Error).message).toContain(ID);

    const tenant = scripted([
      json(201, { tenant: { tenantId: 'acme' }, key: keyRecord() }, { 'idempotent-replayed': 'true' }),
    ]);
    await expect(tenant.client.panel.tenants.create({ name: 'Acme', plan: 'starter' })).rejects.toMatchObject({
      code: 'replayed_without_key',
      record: { tenant: { tenantId: 'acme' } },
    });
  });

  it('settles a revoke whose first attempt got no answer and whose retry is refused as already done, by reading the key', async () => {
    const { client, sent } = scripted([
      networkError(),
      apiError(409, 'conflict', 'the key is already revoked'),
      json(200, keyRecord({ status: 'revoked' })),
    ]);
    await expect(client.keys.revoke(ID)).resolves.toMatchObject({ id: ID, status: 'revoked' });
    expect(sent.map((s) => `${s.method} ${s.url.slice(28)}`)).toEqual([
      `POST /v1/keys/${ID}/revoke`,
      `POST /v1/keys/${ID}/revoke`,
      `GET /v1/keys/${ID}`,
    ]);
  });

  it('lets the refusal stand when the read shows the state was not reached (e.g. the last owner key)', async () => {
    const { client } = scripted([
      apiError(502, 'bad_gateway'),
      apiError(409, 'conflict', 'the last owner key'),
      json(200, keyRecord({ status: 'active' })),
    ]);
    await expect(client.keys.revoke(ID)).rejects.toMatchObject({ status: 409, message: 'the last owner key' });
  });

  it('answers 409 for a revoke of a revoked key when nothing was ambiguous, without reading it', async () => {
    const { client, sent } = scripted([apiError(409, 'conflict', 'the key is already revoked')]);
    await expect(client.keys.revoke(ID)).rejects.toMatchObject({ status: 409, code: 'conflict' });
    expect(sent).toHaveLength(1);
  });

  it('settles a delete whose retry finds the key gone after an ambiguous attempt; a plain 404 stays a 404', async () => {
    const settled = scripted([apiError(504, 'gateway_timeout'), apiError(404, 'not_found', 'no such key')]);
    await expect(settled.client.keys.delete(ID)).resolves.toBeUndefined();
    const plain = scripted([apiError(404, 'not_found', 'no such key')]);
    await expect(plain.client.keys.delete(ID)).rejects.toMatchObject({ status: 404 });
  });

  it('settles a suspend the same way, by reading the tenant', async () => {
    const { client } = scripted([
      networkError(),
      apiError(409, 'conflict', 'the tenant is already suspended'),
      json(200, { tenantId: 'acme', status: 'suspended' }),
    ]);
    await expect(client.panel.tenants.suspend('acme')).resolves.toMatchObject({ status: 'suspended' });
  });

  it('follows cursors in listAll until a page has none, passing the query on', async () => {
    const { client, sent } = scripted([
      json(200, { items: [keyRecord({ id: 'a' }), keyRecord({ id: 'b' })], cursor: 'c1' }),
      json(200, { items: [keyRecord({ id: 'c' })], cursor: 'c2' }),
      json(200, { items: [] }),
    ]);
    const ids: string[] = [];
    for await (const key of client.keys.listAll({ limit: 2, name: 'ci' })) ids.push(key.id);
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(sent.map((s) => new URL(s.url).search)).toEqual([
      '?limit=2&name=ci',
      '?limit=2&name=ci&cursor=c1',
      '?limit=2&name=ci&cursor=c2',
    ]);
  });

  it('fetches no further page when the loop stops early', async () => {
    const { client, left } = scripted([
      json(200, { items: [{ tenantId: 'a' }, { tenantId: 'b' }], cursor: 'c1' }),
      json(200, { items: [] }),
    ]);
    for await (const tenant of client.panel.tenants.listAll()) if (tenant.tenantId === 'a') break;
    expect(left()).toBe(1);
  });

  it('retries a failed page inside listAll and goes on', async () => {
    const { client } = scripted([
      json(200, { items: [{ id: 'e1' }], cursor: 'c1' }),
      apiError(429, 'rate_limited', 'slow', { 'retry-after': '1' }),
      json(200, { items: [{ id: 'e2' }] }),
    ]);
    const ids: string[] = [];
    for await (const event of client.events.listAll()) ids.push(event.id);
    expect(ids).toEqual(['e1', 'e2']);
  });
});
