import type { LocalKeygate } from '../../local/app';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import { call, startTestKeygate } from '../support/local';
import { fixedClock } from '../support/time';

/**
 * A session is made for a browser on another origin (the team's dashboard, the console): its
 * preflights need no key, every answer it can get (the handler's, the gateway's 401, 403 and 429)
 * carries the CORS headers for a listed origin, and an origin outside the list gets none.
 */
const APP = 'https://dashboard.example.com';
const EVIL = 'https://evil.example.com';

let keygate: LocalKeygate;
let operator: string;

function corsOf(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name.startsWith('access-control-')));
}

async function session(tenantId: string, role: string): Promise<{ id: string; token: string }> {
  const minted = await call(keygate.url, 'POST', `/v1/panel/tenants/${tenantId}/sessions`, {
    key: operator,
    body: { role, user: { id: `u_${role}` } },
  });
  if (minted.status !== 201) throw new Error(`session: ${minted.status}`);
  return minted.body;
}

beforeAll(async () => {
  keygate = await startTestKeygate({
    clock: fixedClock(),
    corsOrigins: [APP],
    plans: { ...DEFAULT_SETTINGS.plans, starter: { rateLimit: 1, burstLimit: 2 } },
  });
  operator = keygate.operatorKey as string;
  for (const [tenantId, plan] of [
    ['dashboards', 'scale'],
    ['small', 'starter'],
  ]) {
    await call(keygate.url, 'POST', '/v1/panel/tenants', { key: operator, body: { tenantId, name: tenantId, plan } });
  }
});
afterAll(async () => {
  await keygate.stop();
});

describe('preflights of the session routes', () => {
  it.each([
    ['/v1/session', 'DELETE'],
    ['/v1/keys', 'POST'],
    ['/v1/panel/tenants/dashboards/sessions', 'POST'],
    ['/v1/panel/tenants/dashboards/sessions/ses_0123456789abcdef01234567', 'DELETE'],
  ])('answers OPTIONS %s (%s) without a key, for a listed origin only', async (path, method) => {
    const headers = { 'access-control-request-method': method, 'access-control-request-headers': 'authorization' };
    const allowed = await call(keygate.url, 'OPTIONS', path, { headers: { ...headers, origin: APP } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-allow-methods')?.split(',')).toContain(method);
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const evil = await call(keygate.url, 'OPTIONS', path, { headers: { ...headers, origin: EVIL } });
    expect(corsOf(evil.headers)).toEqual({});
  });
});

describe("a session's answers carry the CORS headers", () => {
  it('on 200, and on the 403s the gateway and the handler give', async () => {
    const member = await session('dashboards', 'read_only');
    const send = (method: string, path: string, origin: string, body?: unknown) =>
      call(keygate.url, method, path, { key: member.token, headers: { origin }, ...(body ? { body } : {}) });
    const answers = [
      [await send('GET', '/v1/keys', APP), 200],
      [await send('POST', '/v1/keys', APP, { name: 'x' }), 403],
      [await send('GET', '/v1/panel/tenants', APP), 403],
      [await send('GET', '/v1/me', APP), 403],
    ] as const;
    for (const [answer, status] of answers) {
      expect(answer.status).toBe(status);
      expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
      expect(answer.headers.get('vary')).toBe('Origin');
    }
    for (const answer of [await send('GET', '/v1/keys', EVIL), await send('GET', '/v1/panel/tenants', EVIL)])
      expect(corsOf(answer.headers)).toEqual({});
  });

  it('on the 401 of a revoked session', async () => {
    const member = await session('dashboards', 'admin');
    await call(keygate.url, 'DELETE', `/v1/panel/tenants/dashboards/sessions/${member.id}`, { key: operator });
    const refused = await call(keygate.url, 'GET', '/v1/keys', { key: member.token, headers: { origin: APP } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(APP);
    const evil = await call(keygate.url, 'GET', '/v1/keys', { key: member.token, headers: { origin: EVIL } });
    expect(evil.status).toBe(401);
    expect(corsOf(evil.headers)).toEqual({});
  });

  it("on 429 over the tenant's plan, with Retry-After readable", async () => {
    const member = await session('small', 'developer');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(keygate.url, 'GET', '/v1/keys', { key: member.token, headers: { origin: APP } }),
      ),
    );
    const throttled = answers.filter((answer) => answer.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled[0]?.headers.get('access-control-allow-origin')).toBe(APP);
    expect(throttled[0]?.headers.get('access-control-expose-headers')).toContain('Retry-After');
  });
});
