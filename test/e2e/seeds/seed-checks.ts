import { call } from '../../support/local';
import { day, instant } from '../../support/time';
import {
  createKey,
  neverIssued,
  SEED_START,
  send,
  settingsOf,
  startLineSettings,
  type CreatedKey,
  type HeaderForm,
  type RawAnswer,
  type Seed,
  type SeedPage,
} from './seed-kit';

// the checks every seed page's test runs, each with the seed's own header form and answers.

/** The page's `npm start` line serves what its `cdk.json` block configures. */
export function expectStartLineMatchesBlock(page: SeedPage): void {
  const line = startLineSettings(page);
  const block = settingsOf(page, { KEYGATE_UPSTREAM_URL: line.upstreamUrl });
  expect(page.context['keygate:upstreamUrl']).toEqual(expect.stringMatching(/^https:\/\//));
  expect(line).toEqual(block);
}

/**
 * Missing, malformed and never-issued keys are refused on the seed's API with `refusal` (its
 * documented 401), and the backend never sees them.
 */
export async function expectUnauthorized(
  seed: Seed,
  form: HeaderForm,
  path: string,
  refusal: Partial<RawAnswer>,
): Promise<void> {
  const before = seed.forwarded.length;
  const authorizations = [undefined, form('not-a-key'), form(neverIssued(seed)), form(`${neverIssued(seed)}0`)];
  for (const authorization of authorizations) {
    const answer = await send(seed, 'GET', path, authorization);
    expect({ authorization, answer }).toEqual({ authorization, answer: expect.objectContaining(refusal) });
  }
  expect(seed.forwarded.length).toBe(before);
}

/**
 * Revoke is not delete: a revoked key is refused at once and still listed, and the same key works
 * again once enabled; a deleted key is refused and gone from every listing and lookup.
 */
export async function expectRevokeIsNotDelete(
  seed: Seed,
  owner: string,
  use: (key: string) => Promise<RawAnswer>,
  refusal: Partial<RawAnswer>,
): Promise<void> {
  const created = await createKey(seed, owner, { name: 'Production Server' });
  const listed = async (): Promise<{ id: string; status: string; last4: string }[]> => {
    const res = await call(seed.keygate.url, 'GET', '/v1/keys?limit=100', { key: owner });
    expect(res.status).toBe(200);
    return res.body.items;
  };
  expect((await use(created.key)).status).toBe(200);

  const revoked = await call(seed.keygate.url, 'POST', `/v1/keys/${created.id}/revoke`, { key: owner });
  expect([revoked.status, revoked.body.status]).toEqual([200, 'revoked']);
  expect(await use(created.key)).toEqual(expect.objectContaining(refusal));
  expect((await listed()).find((item) => item.id === created.id)).toMatchObject({
    status: 'revoked',
    last4: created.key.slice(-4),
  });

  const enabled = await call(seed.keygate.url, 'POST', `/v1/keys/${created.id}/enable`, { key: owner });
  expect([enabled.status, enabled.body.status]).toEqual([200, 'active']);
  expect((await use(created.key)).status).toBe(200);

  const deleted = await call(seed.keygate.url, 'DELETE', `/v1/keys/${created.id}`, { key: owner });
  expect(deleted.status).toBe(204);
  expect(await use(created.key)).toEqual(expect.objectContaining(refusal));
  expect((await call(seed.keygate.url, 'GET', `/v1/keys/${created.id}`, { key: owner })).status).toBe(404);
  expect((await call(seed.keygate.url, 'POST', `/v1/keys/${created.id}/enable`, { key: owner })).status).toBe(404);
  expect((await listed()).map((item) => item.id)).not.toContain(created.id);
}

/**
 * The expiry choices (7, 30, 60 or 90 days, a custom date, or never) and their effect: a key
 * expiring on day D works until D 00:00 UTC and is refused from then on.
 */
export async function expectExpiryChoices(
  seed: Seed,
  owner: string,
  use: (key: string) => Promise<RawAnswer>,
  refusal: Partial<RawAnswer>,
): Promise<void> {
  for (const days of [7, 30, 60, 90]) {
    const created = await createKey(seed, owner, { name: `${days} days`, expiresInDays: days });
    expect({ days, expiresAt: created.expiresAt }).toEqual({ days, expiresAt: instant(days) });
  }
  expect((await createKey(seed, owner, { name: 'custom', expiresOn: day(45) })).expiresAt).toBe(instant(45));
  expect((await createKey(seed, owner, { name: 'never' })).expiresAt).toBeNull();
  const bad = await call(seed.keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'x', expiresInDays: 14 } });
  expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);

  const weekly = await createKey(seed, owner, { name: 'weekly', expiresInDays: 7 });
  try {
    seed.clock.set(instant(6, '23:59:59.999'));
    expect((await use(weekly.key)).status).toBe(200);
    seed.clock.set(instant(7));
    expect(await use(weekly.key)).toEqual(expect.objectContaining(refusal));
  } finally {
    seed.clock.set(SEED_START);
  }
}

/**
 * Who may manage keys: `owner`, `admin` and `developer` keys create, rename, revoke, enable and
 * delete (never a key above their own role); a `read_only` key lists and reads, gets 403 on every
 * change, and still calls the API.
 */
export async function expectRoles(seed: Seed, owner: string, use: (key: string) => Promise<RawAnswer>): Promise<void> {
  const at = (key: string, method: string, path: string, body?: unknown) =>
    call(seed.keygate.url, method, path, { key, body });
  for (const role of ['admin', 'developer']) {
    const manager = (await createKey(seed, owner, { name: `a ${role}`, role })).key;
    expect((await use(manager)).status).toBe(200);
    const made = await at(manager, 'POST', '/v1/keys', { name: `by ${role}` });
    expect({ role, status: made.status }).toEqual({ role, status: 201 });
    const id = made.body.id as string;
    const steps = [
      await at(manager, 'PATCH', `/v1/keys/${id}`, { name: 'renamed' }),
      await at(manager, 'POST', `/v1/keys/${id}/revoke`),
      await at(manager, 'POST', `/v1/keys/${id}/enable`),
      await at(manager, 'DELETE', `/v1/keys/${id}`),
    ];
    expect({ role, statuses: steps.map((step) => step.status) }).toEqual({ role, statuses: [200, 200, 200, 204] });
  }
  const developer = (await createKey(seed, owner, { name: 'dev', role: 'developer' })).key;
  const admin = await createKey(seed, owner, { name: 'an admin', role: 'admin' });
  const above = [
    await at(developer, 'POST', '/v1/keys', { name: 'too high', role: 'admin' }),
    await at(developer, 'POST', `/v1/keys/${admin.id}/revoke`),
    await at(developer, 'DELETE', `/v1/keys/${admin.id}`),
  ];
  expect(above.map((answer) => [answer.status, answer.body.error.code])).toEqual(above.map(() => [403, 'forbidden']));
  expect((await use(admin.key)).status).toBe(200);

  const reader = (await createKey(seed, owner, { name: 'reader', role: 'read_only' })).key;
  const target = await createKey(seed, owner, { name: 'target' });
  expect((await use(reader)).status).toBe(200);
  expect((await at(reader, 'GET', '/v1/keys')).status).toBe(200);
  expect((await at(reader, 'GET', `/v1/keys/${target.id}`)).status).toBe(200);
  const changes = [
    await at(reader, 'POST', '/v1/keys', { name: 'x' }),
    await at(reader, 'PATCH', `/v1/keys/${target.id}`, { name: 'x' }),
    await at(reader, 'POST', `/v1/keys/${target.id}/revoke`),
    await at(reader, 'POST', `/v1/keys/${target.id}/rotate`),
    await at(reader, 'DELETE', `/v1/keys/${target.id}`),
  ];
  expect(changes.map((change) => [change.status, change.body.error.code])).toEqual(
    changes.map(() => [403, 'forbidden']),
  );
  expect((await at(owner, 'GET', `/v1/keys/${target.id}`)).body).toMatchObject({ name: 'target', status: 'active' });
}

/** Another tenant's key id answers 404 exactly like an id that does not exist. */
export async function expectOtherTenantsKeysNotFound(seed: Seed, owner: string, otherOwner: string): Promise<void> {
  const theirs = await createKey(seed, otherOwner, { name: 'theirs' });
  const missing = 'key_000000000000000000000000';
  for (const [method, suffix] of [
    ['GET', ''],
    ['POST', '/revoke'],
    ['DELETE', ''],
  ]) {
    const other = await call(seed.keygate.url, method, `/v1/keys/${theirs.id}${suffix}`, { key: owner });
    const none = await call(seed.keygate.url, method, `/v1/keys/${missing}${suffix}`, { key: owner });
    expect([other.status, other.body.error.code]).toEqual([404, 'not_found']);
    expect(other.body.error.message.replace(theirs.id, missing)).toBe(none.body.error.message);
  }
  expect((await call(seed.keygate.url, 'GET', `/v1/keys/${theirs.id}`, { key: otherOwner })).body.status).toBe(
    'active',
  );
}

/**
 * Over its plan a tenant gets 429 with `Retry-After`: its plan becomes a tiny one (1 request a
 * second, burst 1) and the clock stands still, so the second request is over the limit.
 *
 * @returns the 429 answer, for the seed's own checks of its body.
 */
export async function expectThrottled(seed: Seed, tenantId: string, use: () => Promise<RawAnswer>): Promise<RawAnswer> {
  const changed = await call(seed.keygate.url, 'PUT', `/v1/panel/tenants/${tenantId}/plan`, {
    key: seed.operator,
    body: { plan: 'enterprise', rateLimit: 1, burstLimit: 1 },
  });
  expect(changed.status).toBe(200);
  await seed.keygate.reconciled();
  expect((await use()).status).toBe(200);
  const over = await use();
  expect(over.status).toBe(429);
  expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
  return over;
}

/**
 * Test and live apart: a test key reaches the backend as `test`, sees and makes only test keys,
 * and cannot make a live one.
 */
export async function expectTestAndLiveApart(
  seed: Seed,
  owner: string,
  use: (key: string) => Promise<RawAnswer>,
): Promise<{ live: CreatedKey; test: CreatedKey }> {
  const live = await createKey(seed, owner, { name: 'ERP production' });
  const test = await createKey(seed, owner, { name: 'ERP staging', environment: 'test' });
  expect([live.environment, test.environment]).toEqual(['live', 'test']);
  for (const [key, environment] of [
    [live.key, 'live'],
    [test.key, 'test'],
  ]) {
    const before = seed.forwarded.length;
    expect((await use(key)).status).toBe(200);
    expect(seed.forwarded[before]?.headers['x-keygate-environment']).toBe(environment);
  }
  const seen = await call(seed.keygate.url, 'GET', '/v1/keys?limit=100', { key: test.key });
  expect(new Set((seen.body.items as { environment: string }[]).map((item) => item.environment))).toEqual(
    new Set(['test']),
  );
  expect((await call(seed.keygate.url, 'GET', `/v1/keys/${live.id}`, { key: test.key })).status).toBe(404);
  const made = await call(seed.keygate.url, 'POST', '/v1/keys', { key: test.key, body: { name: 'ci' } });
  expect([made.status, made.body.environment]).toEqual([201, 'test']);
  const liveFromTest = await call(seed.keygate.url, 'POST', '/v1/keys', {
    key: test.key,
    body: { name: 'sneaky', environment: 'live' },
  });
  expect(liveFromTest.status).toBe(403);
  return { live, test };
}

/**
 * What a key did, for a dashboard's "monitor usage": its `lastUsedAt` once it has called the API,
 * and the tenant's key events (`GET /v1/events`) naming it.
 */
export async function expectActivityShown(
  seed: Seed,
  owner: string,
  use: (key: string) => Promise<RawAnswer>,
): Promise<void> {
  const watched = await createKey(seed, owner, { name: 'watched' });
  expect((await use(watched.key)).status).toBe(200);
  await seed.keygate.settle();
  await seed.keygate.publishEvents();
  const got = await call(seed.keygate.url, 'GET', `/v1/keys/${watched.id}`, { key: owner });
  expect(got.body.lastUsedAt).toBe(SEED_START);
  const events = await call(seed.keygate.url, 'GET', `/v1/events?keyId=${watched.id}`, { key: owner });
  expect(events.body.items.map((event: { type: string }) => event.type)).toContain('key.created');
}
