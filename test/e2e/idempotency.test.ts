import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalKeygate } from '../../local/app';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { call, startTestKeygate } from '../support/local';

let table: TestTable;
let keygate: LocalKeygate & { requests: string[] };
let operator: string;
let owner: { tenantId: string; key: string };

const idem = (value: string) => ({ 'idempotency-key': value });

async function keyNames(key: string): Promise<string[]> {
  const res = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key });
  return res.body.items.map((item: { name: string }) => item.name);
}

beforeAll(async () => {
  table = await createTestTable('idempotency');
  keygate = await startTestKeygate({ tableName: table.tableName });
  operator = keygate.operatorKey as string;
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { name: 'Dash', plan: 'scale' },
  });
  owner = { tenantId: created.body.tenant.tenantId, key: created.body.key.key };
});
afterAll(async () => {
  await keygate.stop();
  await table.drop();
});

describe('Idempotency-Key on creates over HTTP', () => {
  it('mints one key for two identical requests sent at once; the second replays the first without the plaintext', async () => {
    const send = () =>
      call(keygate.url, 'POST', '/v1/keys', {
        key: owner.key,
        body: { name: 'double-submit' },
        headers: idem('form-1'),
      });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).toBe(b.body.id);
    const [first, replay] = a.body.key === undefined ? [b, a] : [a, b];
    expect(first.body.key).toMatch(/^sk_live_/);
    expect(replay.body.key).toBeUndefined();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(Object.fromEntries(Object.entries(first.body).filter(([field]) => field !== 'key')));
    expect((await keyNames(owner.key)).filter((name) => name === 'double-submit')).toHaveLength(1);
    // what is kept for the replay is the record alone: the plaintext is stored nowhere.
    const stored = (await table.doc.send(new ScanCommand({ TableName: table.tableName }))).Items ?? [];
    const records = stored.filter((item) => String(item.pk).startsWith('IDEMPOTENCY#'));
    expect(records.length).toBeGreaterThan(0);
    expect(JSON.stringify(records)).not.toContain(first.body.key);
    expect(JSON.stringify(records)).not.toContain(first.body.key.slice(8, 40));
  });

  it('replays the first answer for a retry with the same key and body', async () => {
    const body = { name: 'retried', role: 'admin' };
    const first = await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body, headers: idem('retry-1') });
    const again = await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body, headers: idem('retry-1') });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, name: 'retried', role: 'admin' });
    expect(again.body.key).toBeUndefined();
    expect((await keyNames(owner.key)).filter((name) => name === 'retried')).toHaveLength(1);
  });

  it('refuses the same key with a different body with 409, and creates nothing', async () => {
    await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body: { name: 'one' }, headers: idem('reuse-1') });
    const before = await keyNames(owner.key);
    const other = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner.key,
      body: { name: 'two' },
      headers: idem('reuse-1'),
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('conflict');
    expect(await keyNames(owner.key)).toEqual(before);
  });

  it('keeps idempotency keys apart per tenant', async () => {
    const otherTenant = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { name: 'Other', plan: 'scale' },
    });
    const mine = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner.key,
      body: { name: 'same' },
      headers: idem('shared-1'),
    });
    const theirs = await call(keygate.url, 'POST', '/v1/keys', {
      key: otherTenant.body.key.key,
      body: { name: 'same' },
      headers: idem('shared-1'),
    });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.key).toMatch(/^sk_live_/);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it("refuses a developer key and a test key that send the owner's Idempotency-Key and body, as a fresh request; the owner's rotation too", async () => {
    const developer = await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body: { name: 'lesser-dev' } });
    const testKey = await call(keygate.url, 'POST', '/v1/keys', {
      key: owner.key,
      body: { name: 'lesser-test', environment: 'test', role: 'owner' },
    });
    expect([developer.status, testKey.status]).toEqual([201, 201]);
    const body = { name: 'second-owner', role: 'owner', environment: 'live' };
    const first = await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body, headers: idem('owner-only-1') });
    expect(first.status).toBe(201);
    const before = await keyNames(owner.key);
    for (const lesser of [developer.body.key, testKey.body.key]) {
      const fresh = await call(keygate.url, 'POST', '/v1/keys', {
        key: lesser,
        body,
        headers: idem('owner-only-fresh'),
      });
      const replay = await call(keygate.url, 'POST', '/v1/keys', { key: lesser, body, headers: idem('owner-only-1') });
      expect([fresh.status, replay.status]).toEqual([403, 403]);
      expect(replay.body).toEqual(fresh.body);
      expect(JSON.stringify(replay.body)).not.toContain(first.body.id);
    }
    const rotated = await call(keygate.url, 'POST', `/v1/keys/${first.body.id}/rotate`, {
      key: owner.key,
      body: {},
      headers: idem('owner-rotate-1'),
    });
    expect(rotated.status).toBe(201);
    const stolen = await call(keygate.url, 'POST', `/v1/keys/${first.body.id}/rotate`, {
      key: developer.body.key,
      body: {},
      headers: idem('owner-rotate-1'),
    });
    expect(stolen.status).toBe(403);
    expect(JSON.stringify(stolen.body)).not.toContain(rotated.body.id);
    expect((await keyNames(owner.key)).length).toBe(before.length + 1);
  });

  it('refuses a malformed Idempotency-Key with 400, and creates nothing', async () => {
    const before = await keyNames(owner.key);
    for (const value of ['x'.repeat(256), 'tab\there']) {
      const res = await call(keygate.url, 'POST', '/v1/keys', {
        key: owner.key,
        body: { name: 'bad-idem' },
        headers: idem(value),
      });
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request']);
    }
    expect(await keyNames(owner.key)).toEqual(before);
  });

  it('does not replay a refusal: a request that failed runs again on retry', async () => {
    const body = { name: 'late', expiresOn: '2001-01-01' };
    const first = await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body, headers: idem('fails-1') });
    const again = await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body, headers: idem('fails-1') });
    expect([first.status, again.status]).toEqual([400, 400]);
    expect(again.body).toEqual(first.body);
  });

  it('creates one tenant for two identical panel requests at once, and one key for two operator key creates', async () => {
    const body = { name: 'Idem Tenant', plan: 'starter' };
    const send = () =>
      call(keygate.url, 'POST', '/v1/panel/tenants', { key: operator, body, headers: idem('tenant-1') });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.tenant.tenantId).toBe(b.body.tenant.tenantId);
    expect([a.body.key.key, b.body.key.key].filter((key) => key !== undefined)).toHaveLength(1);
    const listed = await call(keygate.url, 'GET', '/v1/panel/tenants?limit=100', { key: operator });
    expect(listed.body.items.filter((t: { name: string }) => t.name === 'Idem Tenant')).toHaveLength(1);

    const path = `/v1/panel/tenants/${a.body.tenant.tenantId}/keys`;
    const create = () =>
      call(keygate.url, 'POST', path, { key: operator, body: { name: 'panel-made' }, headers: idem('panel-key-1') });
    const [c, d] = await Promise.all([create(), create()]);
    expect([c.status, d.status, c.body.id]).toEqual([201, 201, d.body.id]);
    const keys = await call(keygate.url, 'GET', path, { key: operator });
    expect(keys.body.items.filter((k: { name: string }) => k.name === 'panel-made')).toHaveLength(1);
  });
});
