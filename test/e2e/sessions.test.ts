import type { LocalKeygate } from '../../local/app';
import { call } from '../support/local';
import { startSessionsGateway, type SessionsGateway } from '../support/sessions';
import { fixedClock, instant } from '../support/time';

/**
 * Sessions for people, through the local gateway as a browser would use them: minted by the
 * operator for a member, allowed on keygate's tenant routes with the member's role, refused
 * everywhere else, ended at once by a revocation or a sign-out, and named in every event.
 */
const clock = fixedClock(instant(0, '10:00'));
let gateway: SessionsGateway;
let keygate: LocalKeygate;
let operator: string;
let owner: string;

beforeAll(async () => {
  gateway = await startSessionsGateway(clock, 'postco', 'PostCo');
  ({ keygate, operator, owner } = gateway);
});
afterAll(() => gateway?.stop());

/** Mints a session of `tenantId` with the operator key. */
async function mint(
  body: Record<string, unknown>,
  tenantId = 'postco',
  key = operator,
): Promise<{ status: number; body: any }> {
  return call(keygate.url, 'POST', `/v1/panel/tenants/${tenantId}/sessions`, { key, body });
}

async function session(role: string, user = 'u_ada', extra: Record<string, unknown> = {}): Promise<any> {
  const minted = await mint({ role, user: { id: user, name: 'Ada' }, ...extra });
  if (minted.status !== 201) throw new Error(`session: ${minted.status} ${JSON.stringify(minted.body)}`);
  return minted.body;
}

describe('minting a session', () => {
  it('answers the token once, in its own format, with an expiry 15 minutes ahead by default', async () => {
    const minted = await mint({ role: 'developer', user: { id: 'u_ada', name: 'Ada' } });
    expect(minted.status).toBe(201);
    expect(minted.body).toEqual({
      id: expect.stringMatching(/^ses_[0-9a-f]{24}$/),
      token: expect.stringMatching(/^kgs_[A-Za-z0-9_-]{43}$/),
      tenantId: 'postco',
      environment: 'live',
      role: 'developer',
      user: { id: 'u_ada', name: 'Ada' },
      createdAt: clock().toISOString(),
      expiresAt: new Date(clock().getTime() + 900_000).toISOString(),
    });
  });

  it.each([
    [59, 400],
    [60, 201],
    [3600, 201],
    [3601, 400],
    [90.5, 400],
  ])('ttlSeconds %p answers %p', async (ttlSeconds, status) => {
    const minted = await mint({ role: 'developer', ttlSeconds, user: { id: 'u_ttl' } });
    expect(minted.status).toBe(status);
    if (status === 400) expect(minted.body.error.code).toBe('invalid_request');
    else expect(Date.parse(minted.body.expiresAt) - clock().getTime()).toBe(ttlSeconds * 1000);
  });

  it('refuses an operator role outside the operator tenant, and unknown tenants', async () => {
    const operatorRole = await mint({ role: 'operator', user: { id: 'u_x' } });
    expect(operatorRole.status).toBe(400);
    expect(operatorRole.body.error.message).toMatch(/operator tenant only/);
    expect((await mint({ role: 'owner', user: { id: 'u_x' } }, 'nobody-here')).status).toBe(404);
  });

  it('a tenant key cannot mint sessions, nor can a session', async () => {
    const byOwner = await mint({ role: 'owner', user: { id: 'u_x' } }, 'postco', owner);
    expect(byOwner.status).toBe(403);
    const member = await session('owner');
    const bySession = await mint({ role: 'owner', user: { id: 'u_x' } }, 'postco', member.token);
    expect(bySession.status).toBe(403);
    // the operator's own session reaches the panel, but may not mint another: none outlives its hour.
    const console = await mint({ role: 'operator', user: { id: 'op_1' } }, 'operator');
    expect(console.status).toBe(201);
    const byConsole = await mint({ role: 'owner', user: { id: 'u_x' } }, 'postco', console.body.token);
    expect(byConsole.status).toBe(403);
    expect(byConsole.body.error.message).toMatch(/session cannot mint/);
  });
});

describe('where a session reaches', () => {
  it("is allowed on keygate's tenant routes, with the member's role", async () => {
    const member = await session('developer');
    for (const path of ['/v1/keys', '/v1/usage', '/v1/events'])
      expect((await call(keygate.url, 'GET', path, { key: member.token })).status).toBe(200);
    const created = await call(keygate.url, 'POST', '/v1/keys', { key: member.token, body: { name: 'CI' } });
    expect(created.status).toBe(201);
    // a key made by a member is attributed to the member's session.
    expect(created.body.createdBy).toBe(member.id);
  });

  it('is refused on the front door, on routes of your own, on /v1/me and on the panel', async () => {
    const member = await session('owner');
    const before = gateway.upstreamSeen.length;
    // the front door and routes of your own have a keys-only authorizer: a session is no token there.
    for (const [method, path, status] of [
      ['GET', '/anything', 401],
      ['GET', '/v1/keys/a/b', 401],
      ['POST', '/v1/keys/a/b/revoke', 401],
      ['GET', '/v1/orders', 401],
      ['GET', '/v1/me', 403],
      ['GET', '/v1/panel/tenants', 403],
      ['GET', '/v1/panel/tenants/postco', 403],
    ] as const) {
      const answer = await call(keygate.url, method, path, { key: member.token });
      expect([method, path, answer.status]).toEqual([method, path, status]);
    }
    expect(gateway.upstreamSeen.length).toBe(before);
    // the very same routes take a key.
    expect((await call(keygate.url, 'GET', '/anything', { key: owner })).status).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/orders', { key: owner })).status).toBe(200);
  });

  it('a read_only session sees keys and cannot change them', async () => {
    const reader = await session('read_only', 'u_reader');
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: reader.token })).status).toBe(200);
    const create = await call(keygate.url, 'POST', '/v1/keys', { key: reader.token, body: { name: 'x' } });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden');
    // and a member may not create a key above their role.
    const developer = await session('developer');
    const above = await call(keygate.url, 'POST', '/v1/keys', {
      key: developer.token,
      body: { name: 'x', role: 'owner' },
    });
    expect(above.status).toBe(403);
  });

  it('an operator session reaches the panel and nothing on the front door', async () => {
    const minted = await mint({ role: 'operator', user: { id: 'op_ada' }, ttlSeconds: 3600 }, 'operator');
    expect(minted.status).toBe(201);
    const token = minted.body.token as string;
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants', { key: token })).status).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/panel/tenants/postco/keys', { key: token })).status).toBe(200);
    const before = gateway.upstreamSeen.length;
    expect((await call(keygate.url, 'GET', '/anything', { key: token })).status).toBe(401);
    expect((await call(keygate.url, 'GET', '/v1/panel/made/up/path', { key: token })).status).toBe(401);
    expect((await call(keygate.url, 'GET', '/v1/orders', { key: token })).status).toBe(401);
    expect(gateway.upstreamSeen.length).toBe(before);
    // a test-environment operator session does not exist.
    const testOperator = await mint({ role: 'operator', environment: 'test', user: { id: 'op_ada' } }, 'operator');
    expect(testOperator.status).toBe(400);
  });
});

describe('ending a session', () => {
  it('a revoked session is refused at once, though its Allow was cached', async () => {
    const member = await session('admin');
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
    const revoked = await call(keygate.url, 'DELETE', `/v1/panel/tenants/postco/sessions/${member.id}`, {
      key: operator,
    });
    expect(revoked.status).toBe(204);
    const after = await call(keygate.url, 'GET', '/v1/keys', { key: member.token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
  });

  it('two revokes at once: one ends it, the other is told it is gone, one event', async () => {
    const member = await session('admin', 'u_twice');
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
    const path = `/v1/panel/tenants/postco/sessions/${member.id}`;
    const answers = await Promise.all([1, 2].map(() => call(keygate.url, 'DELETE', path, { key: operator })));
    expect(answers.map((a) => a.status).sort()).toEqual([204, 404]);
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(401);
    const events = await call(keygate.url, 'GET', '/v1/panel/events?tenantId=postco&limit=100', { key: operator });
    const revokes = events.body.items.filter(
      (e: any) => e.type === 'session.revoked' && e.details.sessionId === member.id,
    );
    expect(revokes).toHaveLength(1);
  });

  it("another tenant's session is not found from the panel path of this one", async () => {
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'rival', name: 'Rival', plan: 'scale' },
    });
    const member = await session('admin');
    const wrong = await call(keygate.url, 'DELETE', `/v1/panel/tenants/rival/sessions/${member.id}`, {
      key: operator,
    });
    expect(wrong.status).toBe(404);
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
  });

  it('signs itself out; a key cannot', async () => {
    const member = await session('read_only', 'u_leaving');
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
    expect((await call(keygate.url, 'DELETE', '/v1/session', { key: member.token })).status).toBe(204);
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(401);
    expect((await call(keygate.url, 'DELETE', '/v1/session', { key: owner })).status).toBe(403);
  });

  it('expires to the millisecond, even with its Allow cached', async () => {
    const member = await session('developer', 'u_short', { ttlSeconds: 60 });
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
    clock.advance(59_999);
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
    clock.advance(1);
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(401);
  });

  it('expires across midnight UTC as at any other time', async () => {
    clock.set(instant(1, '23:59:30'));
    const member = await session('developer', 'u_night', { ttlSeconds: 60 });
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
    // midnight flushes the cache: the session is read again, and still holds.
    clock.set(instant(2, '00:00:29.999'));
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(200);
    clock.set(instant(2, '00:00:30'));
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: member.token })).status).toBe(401);
  });
});

describe('the audit trail names the member', () => {
  it("an operator session's panel changes name the operator member, acting for the tenant", async () => {
    const console = await mint({ role: 'operator', user: { id: 'op_grace' } }, 'operator');
    const token = console.body.token as string;
    const created = await call(keygate.url, 'POST', '/v1/panel/tenants/postco/keys', {
      key: token,
      body: { name: 'by the console' },
    });
    expect(created.status).toBe(201);
    const leaked = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'pasted' } });
    const reported = await call(keygate.url, 'POST', '/v1/panel/leaks', {
      key: token,
      body: { key: leaked.body.key, url: 'https://example.com/paste' },
    });
    expect([reported.status, reported.body]).toEqual([200, expect.anything()]);
    const events = await call(keygate.url, 'GET', '/v1/panel/events?tenantId=postco&limit=100', { key: operator });
    const byConsole = (type: string, keyId: string) =>
      events.body.items.find((e: any) => e.type === type && e.keyId === keyId)?.actor;
    const member = { session: console.body.id, userId: 'op_grace', role: 'operator' };
    expect(byConsole('key.created', created.body.id)).toEqual({ ...member, onBehalfOf: 'postco' });
    expect(byConsole('key.leaked', leaked.body.id)).toEqual(member);
  });

  it('events a session causes carry actor {session, userId, role}', async () => {
    const member = await session('admin', 'u_audit');
    const created = await call(keygate.url, 'POST', '/v1/keys', { key: member.token, body: { name: 'audited' } });
    await call(keygate.url, 'POST', `/v1/keys/${created.body.id}/revoke`, { key: member.token });
    await call(keygate.url, 'DELETE', '/v1/session', { key: member.token });
    const events = await call(keygate.url, 'GET', '/v1/events?limit=100', { key: owner });
    const actor = { session: member.id, userId: 'u_audit', role: 'admin' };
    const ofMember = events.body.items.filter((e: any) => e.actor.session === member.id);
    expect(ofMember.map((e: any) => e.type).sort()).toEqual(['key.created', 'key.revoked', 'session.revoked']);
    for (const event of ofMember) expect(event.actor).toEqual(actor);
    const minted = events.body.items.find(
      (e: any) => e.type === 'session.created' && e.details.sessionId === member.id,
    );
    expect(minted.actor).toEqual({ keyId: expect.stringMatching(/^key_/), role: 'operator' });
    expect(minted.details).toEqual({
      sessionId: member.id,
      user: { id: 'u_audit', name: 'Ada' },
      role: 'admin',
      expiresAt: member.expiresAt,
    });
  });
});
