import { Unauthorized } from '../../lambdas/core/auth/authorize';
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { actorOf } from '../../lambdas/core/events/model';
import { ApiError } from '../../lambdas/core/http/errors';
import type { AuthorizerContext, Tenant } from '../../lambdas/core/model';
import { assertSessionLive } from '../../lambdas/core/sessions/model';
import { SessionService } from '../../lambdas/core/sessions/session-service';
import { sessionTenantItemKey } from '../../lambdas/core/sessions/session-item';
import { hashSessionToken } from '../../lambdas/core/sessions/token';
import { tenantItemKey } from '../../lambdas/core/store/tenant-item';
import { isAllowed } from '../../local/policy';
import { MemorySessionStore } from '../support/fakes/memory-sessions';
import { apiError, recordingLogger, tenantFixture } from '../support/fixtures';
import { fixedClock, instant } from '../support/time';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const arn = (method: string, path: string): string => `${STAGE}/${method}${path}`;

const OPERATOR: AuthorizerContext = {
  tenantId: 'operator',
  keyId: 'key_0123456789abcdef01234567',
  environment: 'live',
  role: 'operator',
  plan: 'scale',
};

function setup(now = instant(0, '10:00')) {
  const clock = fixedClock(now);
  const store = new MemorySessionStore();
  const tenants = new Map<string, Tenant>([
    ['acme', tenantFixture()],
    ['operator', tenantFixture({ tenantId: 'operator', plan: 'scale' })],
  ]);
  const flushes: string[] = [];
  const ensured: string[] = [];
  const service = new SessionService({
    sessions: store,
    tenants: { getTenant: async (id) => tenants.get(id) },
    usage: {
      ensureUsageKey: async (tenant, environment) => (ensured.push(`${tenant.tenantId}/${environment}`), tenant),
    },
    cache: { flush: async () => void flushes.push('flush'), flushAt: async () => undefined },
    clock,
    logger: recordingLogger(),
  });
  for (const [id, tenant] of tenants)
    store.tenants.set(id, { status: tenant.status, plan: tenant.plan, usageKeys: { live: `usage-${id}` } });
  const logger = recordingLogger();
  const authorize = createAuthorizerHandler({
    store: { getKey: async () => undefined },
    sessions: store,
    prefix: 'sk',
    acceptBareKeys: true,
    clock,
    logger,
    lastUse: { record: () => undefined },
  });
  const check = (token: string, method: string, path: string) =>
    authorize({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: arn(method, path) });
  return { clock, store, tenants, service, flushes, ensured, check, logger };
}

describe('minting a session', () => {
  it('answers the token once and stores only its hash, with an event naming the operator key', async () => {
    const { service, store, clock } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'developer', user: { id: 'u_1', name: 'Ada' } });
    expect(session.token).toMatch(/^kgs_[A-Za-z0-9_-]{43}$/);
    expect(session.expiresAt).toBe(new Date(clock().getTime() + 900_000).toISOString());
    const stored = store.sessions.get(session.id)!;
    expect(stored.hash).toBe(hashSessionToken(session.token));
    expect(JSON.stringify(stored)).not.toContain(session.token);
    expect(JSON.stringify(store.events)).not.toContain(session.token);
    expect(store.events[0]).toMatchObject({
      type: 'session.created',
      tenantId: 'acme',
      environment: 'live',
      actor: { keyId: OPERATOR.keyId, role: 'operator' },
      details: { sessionId: session.id, user: { id: 'u_1', name: 'Ada' }, role: 'developer' },
    });
  });

  it.each([
    [59, false],
    [60, true],
    [3600, true],
    [3601, false],
    [1.5, false],
  ])('ttlSeconds %p is accepted: %p', async (ttlSeconds, accepted) => {
    const { service } = setup();
    const attempt = service.create(OPERATOR, 'acme', { role: 'admin', ttlSeconds, user: { id: 'u' } });
    if (accepted) await expect(attempt).resolves.toMatchObject({ role: 'admin' });
    else expect((await apiError(attempt)).code).toBe('invalid_request');
  });

  it('gives no tenant session a role above owner; operator sessions only in the operator tenant, live', async () => {
    const { service } = setup();
    expect((await apiError(service.create(OPERATOR, 'acme', { role: 'operator', user: { id: 'u' } }))).code).toBe(
      'invalid_request',
    );
    await expect(service.create(OPERATOR, 'acme', { role: 'owner', user: { id: 'u' } })).resolves.toBeDefined();
    await expect(service.create(OPERATOR, 'operator', { role: 'operator', user: { id: 'u' } })).resolves.toBeDefined();
    const testOperator = service.create(OPERATOR, 'operator', {
      role: 'operator',
      environment: 'test',
      user: { id: 'u' },
    });
    expect((await apiError(testOperator)).code).toBe('invalid_request');
  });

  it('only a live operator key mints: not a tenant key, not a test key, not a session', async () => {
    const { service } = setup();
    const input = { role: 'read_only' as const, user: { id: 'u' } };
    const callers: AuthorizerContext[] = [
      { ...OPERATOR, tenantId: 'acme', role: 'owner' },
      { ...OPERATOR, environment: 'test' },
      { ...OPERATOR, session: 'ses_0123456789abcdef01234567', userId: 'op' },
    ];
    for (const caller of callers)
      expect((await apiError(service.create(caller, 'acme', input))).code).toBe('forbidden');
  });

  it('refuses an unknown or deleting tenant (404) and a suspended one (409); gives a test session its usage key', async () => {
    const { service, tenants, ensured } = setup();
    const input = { role: 'developer' as const, user: { id: 'u' } };
    expect((await apiError(service.create(OPERATOR, 'nobody', input))).code).toBe('not_found');
    tenants.set('gone', tenantFixture({ tenantId: 'gone', status: 'deleting' }));
    expect((await apiError(service.create(OPERATOR, 'gone', input))).code).toBe('not_found');
    tenants.set('paused', tenantFixture({ tenantId: 'paused', status: 'suspended' }));
    expect((await apiError(service.create(OPERATOR, 'paused', input))).code).toBe('conflict');
    await service.create(OPERATOR, 'acme', { ...input, environment: 'test' });
    expect(ensured).toEqual(['acme/test']);
  });
});

describe('authorizing a session', () => {
  it("allows keygate's tenant routes with the member's context, and nothing else", async () => {
    const { service, check } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'developer', user: { id: 'u_7' } });
    const result = await check(session.token, 'GET', '/v1/keys');
    expect(result.context).toEqual({
      tenantId: 'acme',
      keyId: session.id,
      environment: 'live',
      role: 'developer',
      plan: 'starter',
      session: session.id,
      userId: 'u_7',
      sessionExpiresAt: session.expiresAt,
    });
    expect(result.usageIdentifierKey).toBe('usage-acme');
    const allowed = (method: string, path: string) => isAllowed(result.policyDocument, arn(method, path));
    for (const [method, path] of [
      ['GET', '/v1/keys'],
      ['POST', '/v1/keys'],
      ['GET', '/v1/keys/key_1'],
      ['PATCH', '/v1/keys/key_1'],
      ['DELETE', '/v1/keys/key_1'],
      ['POST', '/v1/keys/key_1/revoke'],
      ['POST', '/v1/keys/key_1/rotate'],
      ['GET', '/v1/usage'],
      ['GET', '/v1/events'],
      ['DELETE', '/v1/session'],
    ])
      expect([method, path, allowed(method, path)]).toEqual([method, path, true]);
    for (const [method, path] of [
      ['GET', '/orders'],
      ['GET', '/'],
      ['POST', '/v1/returns'],
      ['GET', '/v1/me'],
      ['GET', '/v1/keys/a/b'],
      ['DELETE', '/v1/keys/a/b'],
      ['POST', '/v1/keys/a/b/revoke'],
      ['POST', '/v1/keys/key_1'],
      ['GET', '/v1/panel/tenants'],
      ['POST', '/v1/panel/tenants/acme/sessions'],
      ['GET', '/v1/panel/events'],
      ['POST', '/v1/panel/leaks'],
    ])
      expect([method, path, allowed(method, path)]).toEqual([method, path, false]);
  });

  it('a read_only session reads keys and is denied every change of them', async () => {
    const { service, check } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'read_only', user: { id: 'u' } });
    const { policyDocument } = await check(session.token, 'GET', '/v1/keys');
    expect(isAllowed(policyDocument, arn('GET', '/v1/keys'))).toBe(true);
    expect(isAllowed(policyDocument, arn('DELETE', '/v1/session'))).toBe(true);
    for (const [method, path] of [
      ['POST', '/v1/keys'],
      ['PATCH', '/v1/keys/key_1'],
      ['DELETE', '/v1/keys/key_1'],
      ['POST', '/v1/keys/key_1/revoke'],
    ])
      expect(isAllowed(policyDocument, arn(method, path))).toBe(false);
  });

  it('an operator session reaches the panel, and still not the front door', async () => {
    const { service, check } = setup();
    const session = await service.create(OPERATOR, 'operator', { role: 'operator', user: { id: 'op' } });
    const { policyDocument } = await check(session.token, 'GET', '/v1/panel/tenants');
    for (const [method, path] of [
      ['GET', '/v1/panel/tenants'],
      ['POST', '/v1/panel/tenants'],
      ['DELETE', '/v1/panel/tenants/acme'],
      ['POST', '/v1/panel/leaks'],
    ])
      expect(isAllowed(policyDocument, arn(method, path))).toBe(true);
    for (const [method, path] of [
      ['GET', '/orders'],
      ['POST', '/v1/returns'],
      ['GET', '/v1/me'],
    ])
      expect(isAllowed(policyDocument, arn(method, path))).toBe(false);
  });

  it('expires to the millisecond: allowed just before, refused from its expiry on', async () => {
    const { service, check, clock, logger } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'admin', ttlSeconds: 60, user: { id: 'u' } });
    clock.advance(59_999);
    await expect(check(session.token, 'GET', '/v1/keys')).resolves.toBeDefined();
    clock.advance(1);
    await expect(check(session.token, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
    expect(logger.lines.at(-1)).toMatchObject({ message: 'refused', fields: { reason: 'expired' } });
  });

  it('expires across midnight UTC as at any other time', async () => {
    const { service, check, clock } = setup(instant(0, '23:59:30'));
    const session = await service.create(OPERATOR, 'acme', { role: 'admin', ttlSeconds: 60, user: { id: 'u' } });
    clock.set(instant(1, '00:00:29.999'));
    await expect(check(session.token, 'GET', '/v1/keys')).resolves.toBeDefined();
    clock.set(instant(1, '00:00:30'));
    await expect(check(session.token, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
  });

  it('fails closed: a revoked, unknown or forged session, a store error, a suspended or missing tenant', async () => {
    const { service, check, store } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'admin', user: { id: 'u' } });
    const other = await service.create(OPERATOR, 'acme', { role: 'admin', user: { id: 'u' } });
    // an item under the id whose hash is another token's: the full hash is compared.
    store.sessions.set(session.id, { ...store.sessions.get(session.id)!, hash: hashSessionToken(other.token) });
    await expect(check(session.token, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
    await expect(check(`kgs_${'A'.repeat(43)}`, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
    store.tenants.set('acme', { status: 'suspended', plan: 'starter', usageKeys: {} });
    await expect(check(other.token, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
    store.tenants.delete('acme');
    await expect(check(other.token, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
    store.tenants.set('acme', { status: 'active', plan: 'starter', usageKeys: {} });
    await expect(check(other.token, 'GET', '/v1/keys')).resolves.toBeDefined();
    store.failing = new Error('unreachable');
    await expect(check(other.token, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
    store.failing = undefined;
    await service.revoke(OPERATOR, 'acme', other.id);
    await expect(check(other.token, 'GET', '/v1/keys')).rejects.toThrow(Unauthorized);
  });

  it('refuses session tokens where no session store is wired', async () => {
    const { service } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'admin', user: { id: 'u' } });
    const bare = createAuthorizerHandler({
      store: { getKey: async () => undefined },
      prefix: 'sk',
      acceptBareKeys: true,
      clock: fixedClock(),
      logger: recordingLogger(),
      lastUse: { record: () => undefined },
    });
    await expect(
      bare({ type: 'TOKEN', authorizationToken: `Bearer ${session.token}`, methodArn: arn('GET', '/v1/keys') }),
    ).rejects.toThrow(Unauthorized);
  });
});

describe('ending a session', () => {
  it('revokes once, flushing the cache; a second revoke, another tenant or a malformed id is 404', async () => {
    const { service, store, flushes } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'admin', user: { id: 'u' } });
    expect((await apiError(service.revoke(OPERATOR, 'operator', session.id))).code).toBe('not_found');
    expect((await apiError(service.revoke(OPERATOR, 'acme', 'ses_nope'))).code).toBe('not_found');
    const both = await Promise.allSettled([
      service.revoke(OPERATOR, 'acme', session.id),
      service.revoke(OPERATOR, 'acme', session.id),
    ]);
    expect(both.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = both.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as ApiError).code).toBe('not_found');
    expect(flushes).toEqual(['flush']);
    expect(store.events.filter((event) => event.type === 'session.revoked')).toHaveLength(1);
  });

  it('a session signs itself out, named as the actor; a key cannot sign out', async () => {
    const { service, store } = setup();
    const session = await service.create(OPERATOR, 'acme', { role: 'read_only', user: { id: 'u_9' } });
    const caller: AuthorizerContext = {
      tenantId: 'acme',
      keyId: session.id,
      environment: 'live',
      role: 'read_only',
      plan: 'starter',
      session: session.id,
      userId: 'u_9',
    };
    await service.signOut(caller);
    expect(store.events.at(-1)).toMatchObject({
      type: 'session.revoked',
      actor: { session: session.id, userId: 'u_9', role: 'read_only' },
    });
    expect((await apiError(service.signOut({ ...OPERATOR }))).code).toBe('forbidden');
  });
});

describe('the pieces', () => {
  it('a handler refuses a session from its expiry on (a cached Allow outlives it), and never a key', () => {
    const end = instant(0, '10:15');
    const caller = { sessionExpiresAt: end };
    expect(() => assertSessionLive(caller, new Date(Date.parse(end) - 1))).not.toThrow();
    expect(() => assertSessionLive(caller, new Date(end))).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    expect(() => assertSessionLive({ sessionExpiresAt: 'garbage' }, new Date(end))).toThrow(ApiError);
    expect(() => assertSessionLive({}, new Date(end))).not.toThrow();
  });

  it('names the member as actor, and the operator session acting for a tenant too', () => {
    expect(actorOf({ keyId: 'ses_1', role: 'admin', session: 'ses_1', userId: 'u' })).toEqual({
      session: 'ses_1',
      userId: 'u',
      role: 'admin',
    });
    expect(actorOf({ keyId: 'ses_1', role: 'owner', session: 'ses_1', userId: 'op', onBehalfOf: 'acme' })).toEqual({
      session: 'ses_1',
      userId: 'op',
      role: 'operator',
      onBehalfOf: 'acme',
    });
  });

  it("reads the tenant item where the store writes it (the authorizer's copy of its key)", () => {
    expect(sessionTenantItemKey('acme')).toEqual(tenantItemKey('acme'));
  });
});
