import { hashKey, mintKey, type Environment } from '../../lambdas/core/keys/format';
import type { LocalKeygate } from '../../local/app';
import { leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

/**
 * Bringing existing keys into keygate over the local gateway: each item of a batch is imported,
 * reported as a duplicate or refused on its own, and an imported key authenticates at once.
 */

let keygate: LocalKeygate;
let operator: string;
const now = Date.parse(instant(0, '12:00'));

const importPath = (tenantId: string): string => `/v1/panel/tenants/${tenantId}/keys/import`;

/** A key in the deployment's format, as another system would have issued it; known to the leak scan. */
function existingKey(environment: Environment = 'live'): string {
  const { plaintext } = mintKey('sk', environment);
  leakScan.secret(plaintext);
  return plaintext;
}

const importKeys = (tenantId: string, keys: unknown[], key = operator, headers: Record<string, string> = {}) =>
  call(keygate.url, 'POST', importPath(tenantId), { key, body: { keys }, headers });

/** A tenant and its first owner key. */
async function createTenant(tenantId: string): Promise<string> {
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId, name: tenantId, plan: 'scale' },
  });
  expect(created.status).toBe(201);
  return created.body.key.key as string;
}

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: () => new Date(now) });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe('POST /v1/panel/tenants/{tenantId}/keys/import', () => {
  it('imports plaintext keys that authenticate at once, live and test, and never answers the plaintext', async () => {
    await createTenant('imp-plain');
    const live = existingKey('live');
    const test = existingKey('test');
    const answer = await importKeys('imp-plain', [
      { key: live, name: 'legacy live', role: 'admin', meta: { source: 'legacy' }, createdAt: instant(-30) },
      { key: test, name: 'legacy test' },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      results: [
        { index: 0, status: 'imported', keyId: `key_${hashKey(live).slice(0, 24)}` },
        { index: 1, status: 'imported', keyId: `key_${hashKey(test).slice(0, 24)}` },
      ],
    });
    expect(JSON.stringify(answer.body)).not.toMatch(/sk_(live|test)_/);

    const me = await call(keygate.url, 'GET', '/v1/me', { key: live });
    expect(me.status).toBe(200);
    expect(me.body.key).toMatchObject({
      name: 'legacy live',
      role: 'admin',
      environment: 'live',
      last4: live.slice(-4),
      createdAt: instant(-30),
      meta: { source: 'legacy' },
    });
    expect(me.body.tenant.tenantId).toBe('imp-plain');
    // the first test key gives the tenant its test usage identifier, as a created one does.
    const testMe = await call(keygate.url, 'GET', '/v1/me', { key: test });
    expect(testMe.status).toBe(200);
    expect(testMe.body.key).toMatchObject({ environment: 'test', role: 'developer' });

    const events = await call(keygate.url, 'GET', '/v1/panel/events?tenantId=imp-plain&limit=100', { key: operator });
    const imported = events.body.items.filter((event: { type: string }) => event.type === 'key.imported');
    expect(imported).toHaveLength(2);
    expect(imported).toContainEqual(
      expect.objectContaining({
        keyId: answer.body.results[0].keyId,
        details: expect.objectContaining({ name: 'legacy live', role: 'admin', environment: 'live' }),
      }),
    );
    expect(JSON.stringify(events.body)).not.toContain(hashKey(live));
  });

  it('takes a SHA-256 hex as is, with last4 required, and the key it stands for works', async () => {
    await createTenant('imp-hash');
    const plaintext = existingKey();
    const answer = await importKeys('imp-hash', [
      { sha256: hashKey(plaintext), last4: plaintext.slice(-4), name: 'hashed', expiresAt: instant(30) },
      { sha256: hashKey(existingKey()), name: 'no last4' },
      { sha256: hashKey(existingKey()).toUpperCase(), last4: 'abcd', name: 'upper hex' },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([
      { index: 0, status: 'imported', keyId: `key_${hashKey(plaintext).slice(0, 24)}` },
      { index: 1, status: 'invalid', error: { code: 'invalid_request', message: expect.stringMatching(/last4/) } },
      { index: 2, status: 'invalid', error: { code: 'invalid_request', message: expect.stringMatching(/sha256/) } },
    ]);
    const me = await call(keygate.url, 'GET', '/v1/me', { key: plaintext });
    expect(me.status).toBe(200);
    expect(me.body.key).toMatchObject({ name: 'hashed', last4: plaintext.slice(-4), expiresAt: instant(30) });
  });

  it('reports a duplicate within the batch and against a stored key per item, and stores each once', async () => {
    const owner = await createTenant('imp-dup');
    const created = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'made here' } });
    const again = existingKey();
    const answer = await importKeys('imp-dup', [
      { key: again, name: 'first' },
      { sha256: hashKey(again), last4: again.slice(-4), name: 'same key by hash' },
      { key: created.body.key, name: 'already stored' },
      { key: owner, name: 'the owner key' },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((result: { status: string }) => result.status)).toEqual([
      'imported',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(answer.body.results[1]).toMatchObject({ error: { code: 'conflict' } });
    expect(answer.body.results[2]).toMatchObject({ keyId: created.body.id });
    // a later batch with the same key is a duplicate too, and nothing changed on the stored key.
    const later = await importKeys('imp-dup', [{ key: again, name: 'renamed?' }]);
    expect(later.body.results).toEqual([
      expect.objectContaining({ index: 0, status: 'duplicate', keyId: answer.body.results[0].keyId }),
    ]);
    const listed = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner });
    expect(listed.body.items.map((key: { name: string }) => key.name).sort()).toEqual(['first', 'made here', 'owner']);
  });

  it('stores a key once when concurrent imports bring it', async () => {
    await createTenant('imp-race');
    const key = existingKey();
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => importKeys('imp-race', [{ key, name: `racer ${i}` }])),
    );
    const statuses = answers.map((answer) => answer.body.results[0].status).sort();
    expect(statuses).toEqual(['duplicate', 'duplicate', 'duplicate', 'imported']);
  });

  it('refuses invalid items one by one and imports the rest', async () => {
    await createTenant('imp-bad');
    const good = existingKey();
    const both = existingKey();
    const answer = await importKeys('imp-bad', [
      { key: `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`, name: 'bad checksum' },
      { key: 'not-a-key', name: 'wrong shape' },
      { key: both, sha256: hashKey(both), name: 'both' },
      { name: 'neither' },
      { key: existingKey(), name: 'operator', role: 'operator' },
      { key: existingKey(), name: 'expired', expiresAt: instant(-1) },
      { key: existingKey('test'), name: 'mismatch', environment: 'live' },
      { key: existingKey(), name: 'extra', colour: 'blue' },
      { key: existingKey(), name: '' },
      { key: existingKey(), name: 'future use', lastUsedAt: instant(1) },
      'a string',
      { key: good, name: 'good' },
    ]);
    expect(answer.status).toBe(200);
    const statuses = answer.body.results.map((result: { status: string }) => result.status);
    expect(statuses).toEqual([...Array(11).fill('invalid'), 'imported']);
    expect(answer.body.results[4]).toMatchObject({ error: { code: 'forbidden' } });
    for (const result of answer.body.results.slice(0, 11)) {
      expect(result).toEqual({ index: expect.any(Number), status: 'invalid', error: expect.any(Object) });
      expect(result.error.message).not.toMatch(/sk_(live|test)_/);
    }
    expect((await call(keygate.url, 'GET', '/v1/me', { key: good })).status).toBe(200);
  });

  it('refuses an empty batch or one of more than 100 keys with 400, importing nothing', async () => {
    await createTenant('imp-size');
    // with metadata, 100 keys weigh more than the 16 KiB other routes take.
    const keys = Array.from({ length: 101 }, (_, i) => ({
      sha256: hashKey(`k${i}`),
      last4: 'abcd',
      name: `k${i}`,
      meta: { source: 'legacy-system'.repeat(10) },
    }));
    expect(JSON.stringify({ keys }).length).toBeGreaterThan(16 * 1024);
    const tooMany = await importKeys('imp-size', keys);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(/^keys: must hold 1 to 100 keys/),
    });
    expect((await importKeys('imp-size', [])).status).toBe(400);
    const hundred = await importKeys('imp-size', keys.slice(0, 100));
    expect(hundred.status).toBe(200);
    expect(hundred.body.results.filter((r: { status: string }) => r.status === 'imported')).toHaveLength(100);
  });

  it('replays an answer for the same Idempotency-Key without importing twice', async () => {
    await createTenant('imp-once');
    const body = [{ key: existingKey(), name: 'once' }];
    const headers = { 'idempotency-key': 'import-1' };
    const first = await importKeys('imp-once', body, operator, headers);
    const second = await importKeys('imp-once', body, operator, headers);
    expect(first.body.results[0].status).toBe('imported');
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const other = await importKeys('imp-once', [{ key: existingKey(), name: 'other' }], operator, headers);
    expect(other.status).toBe(409);
  });

  it('is for live operator keys only, and an unknown or deleted tenant is 404', async () => {
    const owner = await createTenant('imp-auth');
    const item = { key: existingKey(), name: 'x' };
    expect((await importKeys('imp-auth', [item], owner)).status).toBe(403);
    expect((await importKeys('imp-nobody', [item])).status).toBe(404);
    await createTenant('imp-gone');
    expect((await call(keygate.url, 'DELETE', '/v1/panel/tenants/imp-gone', { key: operator })).status).toBe(204);
    expect((await importKeys('imp-gone', [item])).status).toBe(404);
    // nothing was imported by any of them.
    expect((await call(keygate.url, 'GET', '/v1/me', { key: item.key })).status).toBe(401);
  });
});
