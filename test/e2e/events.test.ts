import type { LocalKeygate } from '../../local/app';
import { decodeCursorJson, encodeCursorJson } from '../support/cursors';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate;
let operator: string;
let acmeOwner: { id: string; key: string };
let acmeTest: { id: string; key: string };
let acmeDev: { id: string; key: string };
let globexOwner: { id: string; key: string };

const get = (path: string, key: string) => call(keygate.url, 'GET', path, { key });

beforeAll(async () => {
  keygate = await startTestKeygate();
  operator = keygate.operatorKey as string;
  const tenant = async (tenantId: string) =>
    (
      await call(keygate.url, 'POST', '/v1/panel/tenants', {
        key: operator,
        body: { tenantId, name: tenantId, plan: 'scale' },
      })
    ).body.key;
  acmeOwner = await tenant('acme-events');
  globexOwner = await tenant('globex-events');
  acmeDev = (await call(keygate.url, 'POST', '/v1/keys', { key: acmeOwner.key, body: { name: 'ci' } })).body;
  await call(keygate.url, 'PATCH', `/v1/keys/${acmeDev.id}`, { key: acmeOwner.key, body: { name: 'deploy' } });
  await call(keygate.url, 'POST', `/v1/keys/${acmeDev.id}/revoke`, { key: acmeOwner.key });
  acmeTest = (
    await call(keygate.url, 'POST', '/v1/keys', {
      key: acmeOwner.key,
      body: { name: 'sandbox', environment: 'test', role: 'admin' },
    })
  ).body;
  await call(keygate.url, 'POST', '/v1/keys', { key: acmeTest.key, body: { name: 'test child' } });
  await call(keygate.url, 'POST', '/v1/keys', { key: globexOwner.key, body: { name: 'globex ci' } });
});
afterAll(async () => {
  await keygate.stop();
});

describe('GET /v1/events', () => {
  it("lists the tenant's own events newest first, with the actor and never a key or hash", async () => {
    const answer = await get('/v1/events', acmeOwner.key);
    expect(answer.status).toBe(200);
    const types = answer.body.items.map((event: { type: string }) => event.type);
    expect(types).toEqual([
      'key.created',
      'key.created',
      'key.revoked',
      'key.renamed',
      'key.created',
      'tenant.created',
    ]);
    expect(answer.body.items.every((event: { tenantId: string }) => event.tenantId === 'acme-events')).toBe(true);
    expect(answer.body.items[2]).toMatchObject({
      keyId: acmeDev.id,
      environment: 'live',
      actor: { keyId: acmeOwner.id, role: 'owner' },
    });
    expect(answer.body.items[5].actor).toEqual({ keyId: expect.stringMatching(/^key_/), role: 'operator' });
    const text = JSON.stringify(answer.body);
    for (const key of [acmeOwner.key, acmeDev.key, acmeTest.key]) expect(text).not.toContain(key.slice(8, 72));
    expect(text).not.toMatch(/"hash"|"pk"|"gsi1pk"|"ttl"/);
  });

  it("never shows another tenant's events, even filtered by that tenant's key id (silence, not 403)", async () => {
    const globex = await get('/v1/events', globexOwner.key);
    expect(globex.body.items.map((event: { tenantId: string }) => event.tenantId)).toEqual([
      'globex-events',
      'globex-events',
    ]);
    const probing = await get(`/v1/events?keyId=${acmeDev.id}`, globexOwner.key);
    expect(probing.status).toBe(200);
    expect(probing.body).toEqual({ items: [] });
  });

  it('shows a test key only test-environment events', async () => {
    const answer = await get('/v1/events', acmeTest.key);
    expect(answer.status).toBe(200);
    expect(
      answer.body.items.map((event: { type: string; environment: string }) => [event.type, event.environment]),
    ).toEqual([
      ['key.created', 'test'],
      ['key.created', 'test'],
    ]);
  });

  it('filters by type and by key id', async () => {
    const revoked = await get('/v1/events?type=key.revoked', acmeOwner.key);
    expect(revoked.body.items).toEqual([expect.objectContaining({ type: 'key.revoked', keyId: acmeDev.id })]);
    const ofDev = await get(`/v1/events?keyId=${acmeDev.id}`, acmeOwner.key);
    expect(ofDev.body.items.map((event: { type: string }) => event.type)).toEqual([
      'key.revoked',
      'key.renamed',
      'key.created',
    ]);
  });

  it('pages with limit and cursor through every event exactly once', async () => {
    const all = (await get('/v1/events', acmeOwner.key)).body.items.map((event: { id: string }) => event.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get(`/v1/events?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`, acmeOwner.key);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((event: { id: string }) => event.id));
      cursor = page.body.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(all);
  });

  it('refuses a cursor of another tenant, a forged one and a malformed one with 400, and bad queries', async () => {
    const page = await get('/v1/events?limit=1', acmeOwner.key);
    const cursor: string = page.body.cursor;
    const fields = decodeCursorJson(cursor);
    // acme's cursor presented by globex, and acme pointing its cursor at globex's partition.
    expect((await get(`/v1/events?cursor=${cursor}`, globexOwner.key)).status).toBe(400);
    const forged = encodeCursorJson({ ...fields, pk: 'EVENT#globex-events' });
    expect((await get(`/v1/events?cursor=${forged}`, acmeOwner.key)).status).toBe(400);
    const malformed = [
      encodeCursorJson({ ...fields, sk: 'yesterday#evt_000000000000000000000000' }),
      encodeCursorJson({ ...fields, extra: 1 }),
      encodeCursorJson({ pk: fields.pk }),
      'not base64!',
      `${cursor}A`,
    ];
    for (const bad of malformed) {
      const answer = await get(`/v1/events?cursor=${encodeURIComponent(bad)}`, acmeOwner.key);
      expect({ bad, status: answer.status, code: answer.body.error.code }).toEqual({
        bad,
        status: 400,
        code: 'invalid_request',
      });
    }
    for (const query of ['limit=0', 'limit=101', 'type=key.exploded', 'keyId=nope', 'tenantId=globex-events']) {
      expect((await get(`/v1/events?${query}`, acmeOwner.key)).status).toBe(400);
    }
  });
});

describe('GET /v1/panel/events', () => {
  it("lists every tenant's events newest first for the operator, or one tenant's", async () => {
    const all = await get('/v1/panel/events?limit=100', operator);
    expect(all.status).toBe(200);
    const tenants = new Set(all.body.items.map((event: { tenantId: string }) => event.tenantId));
    // the operator tenant's own creation, by the local bootstrap (actor admin-cli), is there too.
    expect(tenants).toEqual(new Set(['operator', 'acme-events', 'globex-events']));
    expect(all.body.items.find((event: { tenantId: string }) => event.tenantId === 'operator').actor).toEqual({
      system: 'admin-cli',
    });
    const ats = all.body.items.map((event: { at: string }) => event.at);
    expect([...ats].sort().reverse()).toEqual(ats);
    const globex = await get('/v1/panel/events?tenantId=globex-events', operator);
    expect(globex.body.items.map((event: { type: string }) => event.type)).toEqual(['key.created', 'tenant.created']);
  });

  it('pages the all-tenants listing and refuses a tenant cursor there', async () => {
    const first = await get('/v1/panel/events?limit=3', operator);
    const second = await get(`/v1/panel/events?limit=3&cursor=${first.body.cursor}`, operator);
    expect(second.status).toBe(200);
    const ids = [...first.body.items, ...second.body.items].map((event: { id: string }) => event.id);
    expect(new Set(ids).size).toBe(6);
    const tenantCursor = (await get('/v1/events?limit=1', acmeOwner.key)).body.cursor;
    expect((await get(`/v1/panel/events?cursor=${tenantCursor}`, operator)).status).toBe(400);
  });

  it('is refused to tenant keys with 403 by the policy', async () => {
    const answer = await get('/v1/panel/events', acmeOwner.key);
    expect(answer.status).toBe(403);
  });
});

describe('the local publisher', () => {
  it('logs each committed event as one line, in order', async () => {
    const lines: string[] = [];
    const local = await startTestKeygate({ eventLog: (line: string) => lines.push(line) });
    try {
      const owner = (
        await call(local.url, 'POST', '/v1/panel/tenants', {
          key: local.operatorKey,
          body: { tenantId: 'logged', name: 'Logged', plan: 'starter' },
        })
      ).body.key;
      const dev = (await call(local.url, 'POST', '/v1/keys', { key: owner.key, body: { name: 'ci' } })).body;
      await call(local.url, 'POST', `/v1/keys/${dev.id}/revoke`, { key: owner.key });
      await local.publishEvents();
      const events = lines.map((line) => JSON.parse(line.replace(/^event /, '')));
      expect(events.map((e) => e.type)).toEqual(['tenant.created', 'key.created', 'key.revoked']);
      expect(lines.every((line) => !line.includes('\n') && !line.includes(dev.key.slice(8, 72)))).toBe(true);
    } finally {
      await local.stop();
    }
  });
});
