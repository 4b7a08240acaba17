import type { LocalKeygate } from '../../local/app';
import { encodeCursorJson, malformedCursors } from '../support/cursors';
import { fixedClock } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

let keygate: LocalKeygate & { requests: string[] };
let owner: string;
let sandbox: string;
const clock = fixedClock(instant(0, '10:00'));
const TENANT = 'listing-co';

/** A cursor of the shape the store issues for {@link TENANT}'s `byTenant` listing; no such key need exist. */
const WELL_FORMED = encodeCursorJson({
  pk: `KEY#key_${'a'.repeat(24)}`,
  sk: 'KEY',
  gsi1pk: `TENANT#${TENANT}`,
  gsi1sk: `${instant(0, '10:00')}#key_${'a'.repeat(24)}`,
});

/** A key created over HTTP by the given key, one second after the previous one. */
async function createKey(by: string, body: Record<string, unknown>) {
  clock.advance(1000);
  const res = await call(keygate.url, 'POST', '/v1/keys', { key: by, body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; key: string; environment: string };
}

beforeAll(async () => {
  keygate = await startTestKeygate({ clock });
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: keygate.operatorKey as string,
    body: { tenantId: TENANT, name: 'Listing Co', plan: 'scale' },
  });
  owner = created.body.key.key;
  sandbox = (await createKey(owner, { name: 'sandbox', environment: 'test', role: 'admin' })).key;
});
afterAll(async () => {
  await keygate.stop();
});

describe('GET /v1/keys with a test key', () => {
  it('pages over test keys only: each exactly once, newest first', async () => {
    const made = [];
    for (const environment of ['live', 'test', 'live', 'live', 'test', 'test', 'live', 'test']) {
      made.push(await createKey(owner, { name: `${environment}-key`, environment }));
    }
    const listedByOwner = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner });
    const expected = listedByOwner.body.items
      .filter((k: { environment: string }) => k.environment === 'test')
      .map((k: { id: string }) => k.id);
    expect(expected).toHaveLength(5); // the four above and the sandbox key itself.

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const query = cursor === undefined ? 'limit=2' : `limit=2&cursor=${encodeURIComponent(cursor)}`;
      const res = await call(keygate.url, 'GET', `/v1/keys?${query}`, { key: sandbox });
      expect(res.status).toBe(200);
      expect(res.body.items.every((k: { environment: string }) => k.environment === 'test')).toBe(true);
      seen.push(...res.body.items.map((k: { id: string }) => k.id));
      cursor = res.body.cursor;
      if (cursor === undefined) break;
    }

    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('refuses a live listing cursor with 400, and a live key refuses a test listing cursor', async () => {
    const liveCursor = (await call(keygate.url, 'GET', '/v1/keys?limit=1', { key: owner })).body.cursor;
    const testCursor = (await call(keygate.url, 'GET', '/v1/keys?limit=1', { key: sandbox })).body.cursor;

    const crossed = [
      await call(keygate.url, 'GET', `/v1/keys?cursor=${encodeURIComponent(liveCursor)}`, { key: sandbox }),
      await call(keygate.url, 'GET', `/v1/keys?cursor=${encodeURIComponent(testCursor)}`, { key: owner }),
    ];

    for (const res of crossed) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^cursor/) } });
    }
  });
});

describe('GET /v1/keys with a malformed cursor', () => {
  it('takes the well-formed cursor the malformed ones are made from', async () => {
    const res = await call(keygate.url, 'GET', `/v1/keys?cursor=${encodeURIComponent(WELL_FORMED)}`, { key: owner });
    expect(res.status).toBe(200);
  });

  it.each(malformedCursors(WELL_FORMED, 'someone-else'))(
    'answers 400 invalid_request for %s',
    async (_label, cursor) => {
      const res = await call(keygate.url, 'GET', `/v1/keys?limit=5&cursor=${encodeURIComponent(cursor)}`, {
        key: owner,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/cursor/) } });
    },
  );
});
