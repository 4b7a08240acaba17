import { KeygateReplayError, type Keygate } from 'keygate/client';
import type { LocalKeygate } from '../../local/app';
import { clientOf, failure, scannedFetch, type Exchanges } from '../support/client';
import { startTestKeygate } from '../support/local';
import { instant } from '../support/time';

let keygate: LocalKeygate;
let operator: Keygate;
/** The gateway's clock: moved by tests, and by the client's waits in the retry test. */
let now = Date.parse(instant(0, '10:00'));

/** A tenant made through the client's panel, and a client calling with its owner key. */
async function tenant(
  name: string,
  plan: Parameters<Keygate['panel']['tenants']['create']>[0] = { name, plan: 'scale' },
) {
  const created = await operator.panel.tenants.create(plan);
  return { ...created, owner: clientOf(keygate.url, created.key.key) };
}

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: () => new Date(now), cacheTtlSeconds: 300 });
  operator = clientOf(keygate.url, keygate.operatorKey as string);
});
afterAll(async () => {
  await keygate.stop();
});

describe('the key lifecycle through the client, against the local gateway', () => {
  it('creates live and test keys, shows the plaintext once, and gets, renames and updates them', async () => {
    const { owner } = await tenant('Lifecycle');
    const live = await owner.keys.create({ name: 'ci', expiresInDays: 30 });
    expect(live).toMatchObject({
      name: 'ci',
      environment: 'live',
      role: 'developer',
      status: 'active',
      expiresAt: instant(30),
      key: expect.stringMatching(/^sk_live_[0-9a-f]{72}$/),
    });
    const sandbox = await owner.keys.create({ name: 'sandbox', environment: 'test', meta: { team: 'qa' } });
    expect(sandbox.key).toMatch(/^sk_test_/);
    const got = await owner.keys.get(live.id);
    expect(got).toEqual(Object.fromEntries(Object.entries(live).filter(([field]) => field !== 'key')));
    expect((await owner.keys.rename(live.id, 'ci-deploy')).name).toBe('ci-deploy');
    expect(await owner.keys.update(sandbox.id, { meta: {} })).not.toHaveProperty('meta');
    const me = await clientOf(keygate.url, live.key).me.get();
    expect(me.key).toMatchObject({ id: live.id, name: 'ci-deploy' });
    expect(await clientOf(keygate.url, sandbox.key).usage.get()).toMatchObject({
      environment: 'test',
      plan: 'scale',
      quota: null,
    });
  });

  it('lists newest first page by page, and listAll follows the cursors to the last key', async () => {
    const { owner, key: first } = await tenant('Pages');
    const made = [first.id];
    for (let i = 0; i < 4; i += 1) {
      now += 1000;
      made.push((await owner.keys.create({ name: `page-${i}` })).id);
    }
    const page = await owner.keys.list({ limit: 2 });
    expect(page.items.map((k) => k.id)).toEqual([made[4], made[3]]);
    expect(page.cursor).toEqual(expect.any(String));
    const all: string[] = [];
    for await (const key of owner.keys.listAll({ limit: 2 })) all.push(key.id);
    expect(all).toEqual([...made].reverse());
    const named: string[] = [];
    for await (const key of owner.keys.listAll({ name: 'page-', limit: 1 })) named.push(key.name);
    expect(named).toEqual(['page-3', 'page-2', 'page-1', 'page-0']);
  });

  it('revokes (the key gets 401 as a KeygateError at once), enables, and deletes for good', async () => {
    const { owner } = await tenant('Revoker');
    const created = await owner.keys.create({ name: 'worker' });
    const worker = clientOf(keygate.url, created.key);
    await worker.me.get(); // cached for 300 s now.
    expect(await owner.keys.revoke(created.id)).toMatchObject({ status: 'revoked' });
    expect(await failure(worker.me.get())).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await failure(owner.keys.revoke(created.id))).toMatchObject({ status: 409, code: 'conflict' });
    expect(await owner.keys.enable(created.id)).toMatchObject({ status: 'active' });
    await expect(worker.me.get()).resolves.toMatchObject({ key: { id: created.id } });
    await expect(owner.keys.delete(created.id)).resolves.toBeUndefined();
    expect(await failure(worker.me.get())).toMatchObject({ status: 401 });
    expect(await failure(owner.keys.get(created.id))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('rotates with a grace period: both keys work until it ends, then the old one gets 401', async () => {
    const { owner } = await tenant('Rotator');
    const old = await owner.keys.create({ name: 'deploy', role: 'admin' });
    const rotated = await owner.keys.rotate(old.id, { gracePeriodHours: 24 });
    expect(rotated).toMatchObject({
      name: 'deploy',
      role: 'admin',
      rotatedFrom: old.id,
      key: expect.stringMatching(/^sk_live_/),
    });
    expect(await owner.keys.get(old.id)).toMatchObject({
      status: 'active',
      rotatedTo: rotated.id,
      expiresAt: new Date(now + 24 * 3_600_000).toISOString(),
    });
    await expect(clientOf(keygate.url, old.key).me.get()).resolves.toBeDefined();
    const saved = now;
    now += 24 * 3_600_000;
    try {
      expect(await failure(clientOf(keygate.url, old.key).me.get())).toMatchObject({
        status: 401,
        code: 'unauthorized',
      });
      await expect(clientOf(keygate.url, rotated.key).me.get()).resolves.toMatchObject({ key: { id: rotated.id } });
    } finally {
      now = saved;
    }
  });

  it("answers another tenant's key 404 as a KeygateError, exactly like a missing one, and changes nothing", async () => {
    const one = await tenant('Isolated One');
    const two = await tenant('Isolated Two');
    const target = await two.owner.keys.create({ name: 'theirs' });
    const stolen = await failure(one.owner.keys.get(target.id));
    const missing = await failure(one.owner.keys.get('key_000000000000000000000000'));
    expect([stolen.status, stolen.code, stolen.message]).toEqual([missing.status, missing.code, missing.message]);
    for (const attempt of [
      one.owner.keys.revoke(target.id),
      one.owner.keys.rename(target.id, 'stolen'),
      one.owner.keys.delete(target.id),
      one.owner.keys.rotate(target.id),
    ]) {
      expect(await failure(attempt)).toMatchObject({ status: 404, code: 'not_found' });
    }
    expect(await two.owner.keys.get(target.id)).toMatchObject({ name: 'theirs', status: 'active' });
  });

  it('retries a 429 from a small plan after Retry-After, and the call succeeds', async () => {
    const small = await tenant('Tiny', { name: 'Tiny', plan: 'enterprise', rateLimit: 1, burstLimit: 1 });
    const seen: Exchanges = [];
    // the client's waits move the gateway's clock instead of the test waiting in real time.
    const client = clientOf(keygate.url, small.key.key, { seen, maxRetries: 3, sleep: async (ms) => void (now += ms) });
    await client.me.get();
    await expect(client.me.get()).resolves.toMatchObject({ tenant: { tenantId: small.tenant.tenantId } });
    expect(seen).toEqual(['GET /v1/me 200', 'GET /v1/me 429', 'GET /v1/me 200']);
  });

  it('fails with rate_limited and retryAfter when retries are off', async () => {
    const small = await tenant('Tinier', { name: 'Tinier', plan: 'enterprise', rateLimit: 1, burstLimit: 1 });
    await small.owner.me.get();
    expect(await failure(small.owner.me.get())).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 1 });
  });

  it('makes a create safe to retry when its answer is lost: one key, and the replay says the plaintext is gone', async () => {
    const { owner, key } = await tenant('Lossy');
    let drop = true;
    // the first answer reaches the server and back, then the connection "fails" before the client reads it.
    const lossy = scannedFetch();
    const client = clientOf(keygate.url, key.key, {
      maxRetries: 2,
      sleep: async () => undefined,
      fetch: async (url, init) => {
        const response = await lossy(url, init);
        if (drop) {
          drop = false;
          throw new TypeError('fetch failed');
        }
        return response;
      },
    });
    const error = await failure(client.keys.create({ name: 'lost-answer' }));
    expect(error).toBeInstanceOf(KeygateReplayError);
    const { record } = error as KeygateReplayError<{ id: string; name: string }>;
    const named = (await owner.keys.list({ name: 'lost-answer' })).items;
    expect(named.map((k) => k.id)).toEqual([record.id]);
  });

  it('settles a revoke whose answer was lost: the retry is refused as already revoked, and a read confirms it', async () => {
    const { owner, key } = await tenant('Settler');
    const target = await owner.keys.create({ name: 'to-revoke' });
    let drop = true;
    const seen: Exchanges = [];
    const client = clientOf(keygate.url, key.key, {
      maxRetries: 2,
      sleep: async () => undefined,
      fetch: async (url, init) => {
        const response = await scannedFetch(seen)(url, init);
        if (drop) {
          drop = false;
          throw new TypeError('fetch failed');
        }
        return response;
      },
    });
    await expect(client.keys.revoke(target.id)).resolves.toMatchObject({ id: target.id, status: 'revoked' });
    expect(seen).toEqual([
      `POST /v1/keys/${target.id}/revoke 200`,
      `POST /v1/keys/${target.id}/revoke 409`,
      `GET /v1/keys/${target.id} 200`,
    ]);
  });

  it('reads the audit trail page by page', async () => {
    const { owner } = await tenant('Audited');
    const made = await owner.keys.create({ name: 'audited' });
    // a second later, so newest first is the order they were made in.
    now += 1000;
    await owner.keys.revoke(made.id);
    const types: string[] = [];
    for await (const event of owner.events.listAll({ keyId: made.id, limit: 1 })) types.push(event.type);
    expect(types).toEqual(['key.revoked', 'key.created']);
  });
});
