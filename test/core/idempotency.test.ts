import type { AuthorizerContext } from '../../lambdas/core/model';
import { Idempotency } from '../../lambdas/core/http/idempotency';
import { jsonResponse, type ApiRequest } from '../../lambdas/core/http/http';
import { callerContext } from '../support/events';
import { memoryIdempotencyStore } from '../support/fakes/memory-idempotency';
import { recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

const request = (body: string, key = 'k-1'): ApiRequest => ({
  method: 'POST',
  resource: '/v1/keys',
  pathParameters: {},
  query: {},
  headers: { 'idempotency-key': key },
  body,
  caller: callerContext() as unknown as AuthorizerContext,
});

function setup() {
  let now = Date.parse(instant(0, '10:00'));
  const store = memoryIdempotencyStore();
  const idempotency = new Idempotency({
    store,
    clock: () => new Date(now),
    logger: recordingLogger(),
    waitMs: 1000,
    sleep: async (ms) => void (now += ms),
  });
  return { store, idempotency };
}

describe('Idempotency', () => {
  it('stores the first answer without the plaintext key and replays it with Idempotent-Replayed', async () => {
    const { store, idempotency } = setup();
    const create = jest.fn(async () => jsonResponse(201, { id: 'key_1', name: 'ci', key: 'sk_live_secret' }));

    const first = await idempotency.run(request('{"name":"ci"}'), 'acme', create);
    const again = await idempotency.run(request('{"name":"ci"}'), 'acme', create);

    expect(create).toHaveBeenCalledTimes(1);
    expect(JSON.parse(first.body).key).toBe('sk_live_secret');
    expect(again.statusCode).toBe(201);
    expect(JSON.parse(again.body)).toEqual({ id: 'key_1', name: 'ci' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(JSON.stringify([...store.records.values()])).not.toContain('sk_live_secret');
  });

  it('answers 409 in progress when the first request has not answered within the wait, and runs nothing', async () => {
    const { idempotency } = setup();
    let finish: () => void = () => undefined;
    const slow = idempotency.run(
      request('{}'),
      'acme',
      () => new Promise((resolve) => (finish = () => resolve(jsonResponse(201, { id: 'key_1' })))),
    );
    const create = jest.fn(async () => jsonResponse(201, { id: 'key_2' }));

    await expect(idempotency.run(request('{}'), 'acme', create)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/in progress/),
    });
    expect(create).not.toHaveBeenCalled();
    finish();
    await slow;
  });

  it('refuses the same key with another body with 409, and releases a claim whose request failed', async () => {
    const { store, idempotency } = setup();
    await idempotency.run(request('{"name":"a"}'), 'acme', async () => jsonResponse(201, { id: 'key_1' }));
    await expect(
      idempotency.run(request('{"name":"b"}'), 'acme', async () => jsonResponse(201, {})),
    ).rejects.toMatchObject({ code: 'conflict' });

    await expect(
      idempotency.run(request('{}', 'k-2'), 'acme', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(store.records.size).toBe(1);
  });

  it('runs without any record when the request has no Idempotency-Key', async () => {
    const { store, idempotency } = setup();
    const bare = { ...request('{}'), headers: {} };
    await idempotency.run(bare, 'acme', async () => jsonResponse(201, { id: 'key_1' }));
    await idempotency.run(bare, 'acme', async () => jsonResponse(201, { id: 'key_2' }));
    expect(store.records.size).toBe(0);
  });
});
