import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate;
let attacker: string;
let victim: { id: string; key: string };
let victimOwner: string;

beforeAll(async () => {
  keygate = await startTestKeygate();
  const operator = keygate.operatorKey as string;
  const tenant = async (tenantId: string) =>
    (
      await call(keygate.url, 'POST', '/v1/panel/tenants', {
        key: operator,
        body: { tenantId, name: tenantId, plan: 'scale' },
      })
    ).body;
  victimOwner = (await tenant('victim')).key.key;
  attacker = (await tenant('attacker')).key.key;
  victim = (await call(keygate.url, 'POST', '/v1/keys', { key: victimOwner, body: { name: 'victim-key' } })).body;
});
afterAll(async () => {
  await keygate.stop();
});

describe('tenant isolation: another tenant key id is not_found on every route', () => {
  // every row has all three values: jest takes a missing one for a done callback.
  const routes: [string, string, unknown][] = [
    ['GET', '', undefined],
    ['PATCH', '', { name: 'pwned' }],
    ['DELETE', '', undefined],
    ['POST', '/revoke', undefined],
    ['POST', '/enable', undefined],
    ['POST', '/rotate', { gracePeriodHours: 0 }],
  ];

  it.each(routes)(
    '%s /v1/keys/{victim}%s answers 404 like a missing id, and the victim key still works',
    async (method, suffix, body) => {
      const stolen = await call(keygate.url, method, `/v1/keys/${victim.id}${suffix}`, { key: attacker, body });
      const missing = await call(keygate.url, method, `/v1/keys/key_${'0'.repeat(24)}${suffix}`, {
        key: attacker,
        body,
      });
      expect(stolen.status).toBe(404);
      expect(stolen.body).toEqual(missing.body);
      expect(stolen.body.error.code).toBe('not_found');
      expect((await call(keygate.url, 'GET', '/v1/me', { key: victim.key })).status).toBe(200);
      const own = await call(keygate.url, 'GET', `/v1/keys/${victim.id}`, { key: victimOwner });
      expect(own.body).toMatchObject({ name: 'victim-key', status: 'active' });
      expect(own.body.rotatedTo).toBeUndefined();
    },
  );

  it('never lists another tenant keys', async () => {
    const listed = await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: attacker });
    expect(listed.body.items.map((k: { id: string }) => k.id)).not.toContain(victim.id);
  });
});
