import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalKeygate } from '../../local/app';
import { POSTBOOST_LOCAL_ROUTES } from '../../examples/postboost/routes';
import { leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';
import { fixedClock, instant } from '../support/time';

/**
 * PostBoost's "Access Tokens", served by keygate's settings alone (docs/seeds/postboost.md): a
 * token reaches every workspace of its account on `/{workspaceUuid}/*` and no other, admin paths
 * (`/panel/*`) need an admin, and a workspace added or removed counts from the very next request.
 * The local gateway runs with `KEYGATE_WORKSPACE_SEGMENT=1` and an authorizer cache of 300 s, so
 * only the flush can make a change count at once.
 */

const clock = fixedClock(instant(0, '10:00'));
const [WS_A, WS_B, WS_C] = [randomUUID(), randomUUID(), randomUUID()].sort();
let upstream: Server;
let keygate: LocalKeygate;
let operator: string;
let developer: string;
let admin: string;
let rival: string;
const seen: string[] = [];

beforeAll(async () => {
  // the backend: echoes the path and the workspaces keygate passed on.
  upstream = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, workspaces: req.headers['x-keygate-workspaces'] ?? null }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  keygate = await startTestKeygate({
    clock,
    cacheTtlSeconds: 300,
    workspaceSegment: 1,
    routes: POSTBOOST_LOCAL_ROUTES,
    upstream: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, secret: 'postboost-secret' },
  });
  operator = keygate.operatorKey as string;
  const account = async (tenantId: string) =>
    (
      await call(keygate.url, 'POST', '/v1/panel/tenants', {
        key: operator,
        body: { tenantId, name: tenantId, plan: 'scale' },
      })
    ).body.key.key as string;
  const owner = await account('postboost-acme');
  rival = await account('postboost-rival');
  const key = async (role: string) =>
    (await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: role, role } })).body.key as string;
  developer = await key('developer');
  admin = await key('admin');
  await setWorkspaces('postboost-acme', [WS_B, WS_A]);
  await setWorkspaces('postboost-rival', [WS_C]);
});
afterAll(async () => {
  await keygate.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

async function setWorkspaces(tenantId: string, workspaces: string[]) {
  const answer = await call(keygate.url, 'PUT', `/v1/panel/tenants/${tenantId}/workspaces`, {
    key: operator,
    body: { workspaces },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

const status = async (key: string, path: string, method = 'GET') =>
  (await call(keygate.url, method, path, { key })).status;

/** A request whose target is sent exactly as written: `fetch` would resolve dot segments itself. */
function raw(key: string, target: string): Promise<number> {
  leakScan.secret(key);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: keygate.port, path: target, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe("PostBoost's access tokens", () => {
  it("keeps a tenant's workspaces, sorted, and reads them back", async () => {
    const answer = await call(keygate.url, 'GET', '/v1/panel/tenants/postboost-acme/workspaces', { key: operator });
    expect(answer.body).toEqual({ tenantId: 'postboost-acme', workspaces: [WS_A, WS_B] });
  });

  it('reaches every workspace of its account on /{workspaceUuid}/*, and tells the backend which', async () => {
    for (const workspace of [WS_A, WS_B]) {
      const answer = await call(keygate.url, 'GET', `/${workspace}/posts`, { key: developer });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ path: `/${workspace}/posts`, workspaces: `${WS_A},${WS_B}` });
    }
    expect(await status(developer, `/${WS_A}/posts/7`, 'DELETE')).toBe(200);
  });

  it("refuses another account's workspace with 403, and never forwards it", async () => {
    const before = seen.length;
    expect(await status(developer, `/${WS_C}/posts`)).toBe(403);
    expect(await status(admin, `/${WS_C}/posts`)).toBe(403);
    expect(await status(rival, `/${WS_A}/posts`)).toBe(403);
    expect(await status(rival, `/${WS_C}/posts`)).toBe(200);
    expect(seen.slice(before)).toEqual([`/${WS_C}/posts`]);
  });

  it('refuses a path outside the workspaces that no route names, and a workspace with nothing after it', async () => {
    expect(await status(developer, '/posts')).toBe(403);
    expect(await status(developer, `/${WS_A}`)).toBe(403);
    expect(await status(developer, `/x/${WS_A}/posts`)).toBe(403);
  });

  it('lets only admins (and owners) into /panel/*', async () => {
    expect(await status(developer, '/panel/users')).toBe(403);
    const answer = await call(keygate.url, 'GET', '/panel/users', { key: admin });
    expect(answer).toMatchObject({ status: 200, body: { panel: '/panel/users', role: 'admin' } });
  });

  it('lets no spelling of a foreign workspace through: encoded, in other case, with extra slashes or dot segments', async () => {
    const encoded = `%${WS_C.charCodeAt(0).toString(16)}${WS_C.slice(1)}`;
    const before = seen.length;
    expect(await raw(developer, `/${encoded}/posts`)).toBe(403);
    expect(await raw(developer, `/${WS_C.toUpperCase()}/posts`)).toBe(403);
    expect(await raw(developer, `//${WS_C}/posts`)).toBe(403);
    expect(await raw(developer, `/${WS_A}/../${WS_C}/posts`)).toBe(403);
    expect(await raw(developer, `/${WS_A}/%2e%2e/${WS_C}/posts`)).toBe(403);
    expect(await raw(developer, `/${WS_A}%2F..%2F${WS_C}/posts`)).toBe(400);
    // the key's own workspace: in another case it is another path; with extra slashes, the same one.
    expect(await raw(developer, `/${WS_A.toUpperCase()}/posts`)).toBe(403);
    expect(await raw(developer, `//${WS_A}/posts`)).toBe(200);
    expect(seen.slice(before)).toEqual([`/${WS_A}/posts`]);
  });

  it('narrows a scoped token to the workspaces its scopes name', async () => {
    const owner = (
      await call(keygate.url, 'POST', '/v1/panel/tenants/postboost-acme/keys', {
        key: operator,
        body: { name: 'one workspace', role: 'developer', scopes: [`* /${WS_A}/*`] },
      })
    ).body.key as string;
    const answer = await call(keygate.url, 'GET', `/${WS_A}/posts`, { key: owner });
    expect(answer.body).toEqual({ path: `/${WS_A}/posts`, workspaces: WS_A });
    expect(await status(owner, `/${WS_B}/posts`)).toBe(403);
  });

  it('refuses a removed workspace on the very next request, and serves an added one at once', async () => {
    expect(await status(developer, `/${WS_B}/posts`)).toBe(200);
    await setWorkspaces('postboost-acme', [WS_A]);
    expect(await status(developer, `/${WS_B}/posts`)).toBe(403);
    expect(await status(developer, `/${WS_A}/posts`)).toBe(200);
    await setWorkspaces('postboost-acme', [WS_A, WS_B]);
    const answer = await call(keygate.url, 'GET', `/${WS_B}/posts`, { key: developer });
    expect(answer).toMatchObject({ status: 200, body: { workspaces: `${WS_A},${WS_B}` } });
  });

  it('answers 404 for an unknown tenant and 400 for a workspace id of the wrong shape, changing nothing', async () => {
    const unknown = await call(keygate.url, 'PUT', '/v1/panel/tenants/no-such-tenant/workspaces', {
      key: operator,
      body: { workspaces: [WS_A] },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    for (const workspaces of [['Has Space'], [WS_A, WS_A], Array.from({ length: 11 }, (_, i) => `w${i}`)]) {
      const bad = await call(keygate.url, 'PUT', '/v1/panel/tenants/postboost-acme/workspaces', {
        key: operator,
        body: { workspaces },
      });
      expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
    }
    expect(await status(admin, '/v1/panel/tenants/postboost-acme/workspaces', 'GET')).toBe(403);
    expect(await setWorkspaces('postboost-acme', [WS_A, WS_B])).toEqual({
      tenantId: 'postboost-acme',
      workspaces: [WS_A, WS_B],
    });
  });

  it('offers the expiry choices 7, 30, 60 or 90 days, or never, and stops a token at its expiry', async () => {
    const owner = developer;
    const made = await Promise.all(
      [7, 30, 60, 90].map(
        async (days) =>
          (
            await call(keygate.url, 'POST', '/v1/keys', {
              key: owner,
              body: { name: `${days} days`, expiresInDays: days },
            })
          ).body,
      ),
    );
    expect(made.map((key) => key.expiresAt)).toEqual([7, 30, 60, 90].map((days) => instant(days)));
    const never = (await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'never' } })).body;
    expect(never.expiresAt).toBeNull();
    expect(await status(made[0].key, `/${WS_A}/posts`)).toBe(200);
    clock.set(instant(7, '00:00:01'));
    expect(await status(made[0].key, `/${WS_A}/posts`)).toBe(401);
    expect(await status(never.key, `/${WS_A}/posts`)).toBe(200);
  });
});
