import type { LocalKeygate } from '../../local/app';
import { call } from '../support/local';
import { startSessionsGateway, type SessionsGateway } from '../support/sessions';
import { fixedClock, instant } from '../support/time';

/**
 * No session token ever passes the front door or a route of your own, whatever its role and
 * whatever path it names: not a made-up path under the panel that only the front door serves, not
 * a deeper path under `/v1/keys`, not an encoded spelling of either. Each session is first used on
 * one of keygate's own routes, so its Allow sits in the authorizer's cache when it tries.
 */
const clock = fixedClock(instant(0, '10:00'));
let gateway: SessionsGateway;
let keygate: LocalKeygate;
let operator: string;
let owner: string;

beforeAll(async () => {
  gateway = await startSessionsGateway(clock, 'glowco', 'GlowCo');
  ({ keygate, operator, owner } = gateway);
});
afterAll(() => gateway?.stop());

async function mint(tenantId: string, role: string): Promise<string> {
  const minted = await call(keygate.url, 'POST', `/v1/panel/tenants/${tenantId}/sessions`, {
    key: operator,
    body: { role, ttlSeconds: 3600, user: { id: `u_${role}` } },
  });
  if (minted.status !== 201) throw new Error(`session: ${minted.status} ${JSON.stringify(minted.body)}`);
  return minted.body.token as string;
}

/** Paths no keygate resource holds: API Gateway hands them to the front door's `ANY /{proxy+}`. */
const FRONT_DOOR: readonly (readonly [string, string])[] = [
  ['GET', '/anything'],
  ['GET', '/'],
  ['GET', '/v1/panel/made/up/path'],
  ['POST', '/v1/panel/made/up/path'],
  ['DELETE', '/v1/panel/tenants/glowco/bogus'],
  ['GET', '/v1/panel/tenants/glowco/bogus'],
  ['PUT', '/v1/panel/tenants/glowco/keys/bogus/deeper'],
  ['GET', '/v1/keys/a/b'],
  ['POST', '/v1/keys/a/b/revoke'],
  ['GET', '/v1/%70anel/made/up/path'],
  ['GET', '/v1/panel/tenants/glowco/%62ogus'],
  ['GET', '/v1/panel/./made/../made/up'],
  ['GET', '/v1//panel//made//up'],
  ['GET', '/V1/PANEL/made/up'],
];

/** Encoded slashes: refused before any authorization, never forwarded. */
const ENCODED_SLASHES: readonly (readonly [string, string])[] = [
  ['GET', '/v1/panel/made%2Fup%2Fpath'],
  ['GET', '/v1/panel/tenants/glowco%2Fbogus'],
  ['GET', '/v1/keys/a%2Fb'],
  ['GET', '/v1/keys/a%2fb'],
];

describe('a session on the front door and on routes of your own', () => {
  it.each([
    ['an operator session of the operator tenant', 'operator', 'operator', '/v1/panel/tenants'],
    ['an owner session of a tenant', 'glowco', 'owner', '/v1/keys'],
    ['a read_only session of a tenant', 'glowco', 'read_only', '/v1/usage'],
  ])('%s is refused there, with its Allow cached from a keygate route', async (_name, tenantId, role, ownRoute) => {
    const token = await mint(tenantId, role);
    // its own route first: the Allow is now in the authorizer's cache.
    expect((await call(keygate.url, 'GET', ownRoute, { key: token })).status).toBe(200);
    const seen = gateway.upstreamSeen.length;
    const served = gateway.ordersServed();
    for (const [method, path] of [...FRONT_DOOR, ['GET', '/v1/orders'] as const]) {
      const answer = await call(keygate.url, method, path, { key: token });
      expect([method, path, answer.status, answer.body?.error?.code]).toEqual([
        method,
        path,
        answer.status === 401 ? 401 : 403,
        answer.status === 401 ? 'unauthorized' : 'forbidden',
      ]);
    }
    for (const [method, path] of ENCODED_SLASHES) {
      const answer = await call(keygate.url, method, path, { key: token });
      expect([method, path, [400, 401, 403].includes(answer.status), answer.body?.from]).toEqual([
        method,
        path,
        true,
        undefined,
      ]);
    }
    expect(gateway.upstreamSeen.length).toBe(seen);
    expect(gateway.ordersServed()).toBe(served);
    // still good on its own route afterwards: refusing it elsewhere changed nothing there.
    expect((await call(keygate.url, 'GET', ownRoute, { key: token })).status).toBe(200);
  });

  it('is refused there bare (no Bearer), as bare keys are accepted', async () => {
    const token = await mint('operator', 'operator');
    const headers = { authorization: token };
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants', { headers })).status).toBe(200);
    const seen = gateway.upstreamSeen.length;
    for (const path of ['/v1/panel/made/up/path', '/anything', '/v1/orders'])
      expect((await call(keygate.url, 'GET', path, { headers })).status).toBe(401);
    expect(gateway.upstreamSeen.length).toBe(seen);
  });

  it('is refused there first, then still works on its own routes', async () => {
    const token = await mint('operator', 'operator');
    expect((await call(keygate.url, 'GET', '/v1/panel/made/up/path', { key: token })).status).toBe(401);
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants', { key: token })).status).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/panel/made/up/path', { key: token })).status).toBe(401);
  });
});

describe('keys on the same paths', () => {
  it('an operator key and a tenant key still pass the front door and routes of your own', async () => {
    const seen = gateway.upstreamSeen.length;
    expect((await call(keygate.url, 'GET', '/v1/panel/made/up/path', { key: operator })).body).toEqual({
      from: 'upstream',
    });
    expect((await call(keygate.url, 'GET', '/anything', { key: owner })).status).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/keys/a/b', { key: owner })).status).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/orders', { key: owner })).status).toBe(200);
    expect(gateway.upstreamSeen.length).toBe(seen + 3);
    // and keygate's own routes, through the other authorizer, as before.
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: owner })).status).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants', { key: operator })).status).toBe(200);
  });
});
