import { KeygateConnectionError, KeygateError } from 'keygate/client';
import { apiError, json, keyRecord, networkError, scripted } from './fake-fetch';
import { instant } from '../support/time';

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<KeygateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KeygateError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('client retries', () => {
  it('retries a 429 after the seconds Retry-After gives, plus jitter, and then succeeds', async () => {
    const { client, sent, sleeps } = scripted([
      apiError(429, 'rate_limited', 'slow down', { 'retry-after': '2' }),
      json(200, { items: [] }),
    ]);
    await expect(client.keys.list()).resolves.toEqual({ items: [] });
    expect(sent).toHaveLength(2);
    // 2 s from the server, never less; jitter is half of one initial delay (random 0.5 × 500 ms).
    expect(sleeps).toEqual([2_250]);
  });

  it("retries an import whose answer was lost under the same Idempotency-Key and resolves with the server's replay", async () => {
    const results = [{ index: 0, status: 'imported', keyId: 'key_0123456789abcdef01234567' }];
    const { client, sent } = scripted([networkError(), json(200, { results }, { 'idempotent-replayed': 'true' })]);
    const keys = [{ sha256: 'a'.repeat(64), last4: 'abcd', name: 'legacy' }];
    await expect(client.panel.tenants.keys.import('acme', { keys })).resolves.toEqual({ results });
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual(['idem-1', 'idem-1']);
  });

  it('reads a Retry-After given as an HTTP date against the injected clock', async () => {
    const now = Date.parse(instant(0, '10:00'));
    const { client, sleeps } = scripted(
      [
        apiError(429, 'rate_limited', 'slow down', { 'retry-after': new Date(now + 5_000).toUTCString() }),
        json(200, keyRecord()),
      ],
      { now: () => now, random: () => 0 },
    );
    await client.keys.get('key_0123456789abcdef01234567');
    expect(sleeps).toEqual([5_000]);
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs: it fails at once with retryAfter set', async () => {
    const { client, sent, sleeps } = scripted([
      apiError(429, 'quota_exceeded', 'the quota is used up', { 'retry-after': '50400' }),
    ]);
    const error = await failure(client.me.get());
    expect(error).toMatchObject({
      status: 429,
      code: 'quota_exceeded',
      message: 'the quota is used up',
      retryAfter: 50_400,
      attempts: 1,
    });
    expect(sent).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('backs off exponentially with full jitter, capped at maxRetryDelayMs, then gives up after maxRetries', async () => {
    const steps = Array.from({ length: 5 }, () => apiError(503, 'service_unavailable'));
    const { client, sent, sleeps } = scripted(steps, { maxRetries: 4, initialRetryDelayMs: 100, maxRetryDelayMs: 250 });
    const error = await failure(client.keys.list());
    expect(error).toMatchObject({ status: 503, attempts: 5 });
    expect(sent).toHaveLength(5);
    // ceilings 100, 200, 250 (capped), 250; random 0.5 of each.
    expect(sleeps).toEqual([50, 100, 125, 125]);
  });

  it('retries a network error on an idempotent call, and wraps the last one as KeygateConnectionError', async () => {
    const ok = scripted([networkError(), json(200, keyRecord())]);
    await expect(ok.client.keys.get('key_0123456789abcdef01234567')).resolves.toMatchObject({ name: 'ci' });
    expect(ok.sent).toHaveLength(2);

    const down = scripted([networkError(), networkError(), networkError()]);
    const error = await failure(down.client.keys.get('key_0123456789abcdef01234567'));
    expect(error).toBeInstanceOf(KeygateConnectionError);
    expect(error).toMatchObject({ status: 0, code: 'connection_error', attempts: 3 });
    expect(error.message).toMatch(
      /could not reach keygate \(GET \/prod\/v1\/keys\/key_0123456789abcdef01234567\): fetch failed \(ECONNREFUSED\)/,
    );
    expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(TypeError);
  });

  it.each([500, 502, 503, 504])('retries a %i on an idempotent call', async (status) => {
    const { client, sent } = scripted([apiError(status, 'internal_error'), json(200, { items: [] })]);
    await client.panel.tenants.list();
    expect(sent).toHaveLength(2);
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'conflict'],
    [413, 'payload_too_large'],
  ])('never retries a %i', async (status, code) => {
    const { client, sent } = scripted([apiError(status, code)]);
    expect(await failure(client.keys.rename('key_0123456789abcdef01234567', 'x'))).toMatchObject({ status, code });
    expect(sent).toHaveLength(1);
  });

  it('sends one generated Idempotency-Key on a create, the same on each retry, so the retry is safe', async () => {
    const { client, sent } = scripted([
      networkError(),
      apiError(502, 'bad_gateway'),
      json(201, keyRecord({ key: 'sk_live_x' })),
    ]);
    await client.keys.create({ name: 'ci' });
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual(['idem-1', 'idem-1', 'idem-1']);
    // a new call, a new key.
    const next = scripted([json(201, keyRecord({ key: 'sk_live_y' }))], { idempotencyKey: () => 'idem-other' });
    await next.client.keys.rotate('key_0123456789abcdef01234567', { gracePeriodHours: 1 });
    expect(next.sent[0]).toMatchObject({
      method: 'POST',
      headers: { 'idempotency-key': 'idem-other' },
      body: { gracePeriodHours: 1 },
    });
  });

  it("uses the caller's own Idempotency-Key verbatim", async () => {
    const { client, sent } = scripted([json(201, { tenant: {}, key: keyRecord({ key: 'sk_live_x' }) })]);
    await client.panel.tenants.create({ name: 'Acme', plan: 'starter' }, { idempotencyKey: 'signup-7f3a' });
    expect(sent[0].headers['idempotency-key']).toBe('signup-7f3a');
  });

  it.each([
    ['a network error', networkError()],
    ['a 502', apiError(502, 'bad_gateway')],
    ['a 429', apiError(429, 'rate_limited', 'slow down', { 'retry-after': '1' })],
  ])('never retries a create sent without an Idempotency-Key after %s', async (_label, step) => {
    const { client, sent, sleeps } = scripted([step, json(201, keyRecord({ key: 'sk_live_x' }))]);
    await expect(client.keys.create({ name: 'ci' }, { idempotencyKey: false })).rejects.toBeInstanceOf(KeygateError);
    expect(sent).toHaveLength(1);
    expect(sent[0].headers['idempotency-key']).toBeUndefined();
    expect(sleeps).toEqual([]);
  });

  it('retries nothing with maxRetries 0, for the client or for one call', async () => {
    const off = scripted([apiError(503, 'x')], { maxRetries: 0 });
    await expect(off.client.me.get()).rejects.toMatchObject({ status: 503, attempts: 1 });
    const once = scripted([apiError(503, 'x')]);
    await expect(once.client.me.get({ maxRetries: 0 })).rejects.toMatchObject({ status: 503 });
    expect(once.sent).toHaveLength(1);
  });

  it('times an attempt out, as a retryable connection error', async () => {
    const hang = (_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      );
    const { client, sent } = scripted([hang, json(200, { items: [] })], { timeoutMs: 5 });
    await expect(client.keys.list()).resolves.toEqual({ items: [] });
    expect(sent).toHaveLength(2);
    const stuck = scripted([hang], { timeoutMs: 5, maxRetries: 0 });
    await expect(stuck.client.keys.list()).rejects.toMatchObject({
      name: 'KeygateConnectionError',
      code: 'timeout',
      status: 0,
    });
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    const controller = new AbortController();
    const { client, sent } = scripted([
      async () => {
        controller.abort();
        throw new DOMException('aborted', 'AbortError');
      },
      json(200, { items: [] }),
    ]);
    await expect(client.keys.list({}, { signal: controller.signal })).rejects.toMatchObject({
      code: 'aborted',
      status: 0,
    });
    expect(sent).toHaveLength(1);
  });
});
