import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoEventReader } from '../../lambdas/core/events/dynamodb-events';
import { DynamoSessionStore } from '../../lambdas/core/sessions/dynamodb-sessions';
import { DynamoSignInCodes } from '../../lambdas/core/sessions/dynamodb-sign-in-codes';
import { SignInLinks } from '../../lambdas/core/sessions/sign-in-links';
import type { AuthorizerContext } from '../../lambdas/core/model';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { apiError, keyFixture, tenantFixture } from '../support/fixtures';
import { fixedClock, instant, type TestClock } from '../support/time';

/**
 * One-time sign-in codes over DynamoDB Local's real protocol: stored as their hash, exchanged at
 * most once (also when exchanges race), refused once expired by the injected clock.
 */
let table: TestTable;
let clock: TestClock;
let links: SignInLinks;
const operator = tenantFixture({ tenantId: 'operator', plan: 'scale' });
const operatorKey = keyFixture({ tenant: operator, role: 'operator' }).item;
const caller: AuthorizerContext = {
  tenantId: 'operator',
  keyId: operatorKey.id,
  environment: 'live',
  role: 'operator',
  plan: 'scale',
};

beforeAll(async () => {
  table = await createTestTable('sign-in-codes');
  await table.store.createTenant(operator, operatorKey);
});
beforeEach(() => {
  clock = fixedClock(instant(0, '10:00'));
  links = new SignInLinks({
    codes: new DynamoSignInCodes({ client: table.doc, tableName: table.tableName }),
    tenants: table.store,
    keys: table.store,
    clock,
  });
});
afterAll(async () => {
  await table.drop();
});

const scan = async () => (await table.doc.send(new ScanCommand({ TableName: table.tableName }))).Items ?? [];

describe('sign-in codes', () => {
  it('are stored as their hash with a ttl five minutes on, never as the code', async () => {
    const minted = await links.mint(caller, { id: 'ada' });
    expect(minted.code).toMatch(/^kgl_[A-Za-z0-9_-]{43}$/);
    expect(minted.expiresAt).toBe(instant(0, '10:05'));
    const items = await scan();
    const stored = items.find((item) => item.pk === `SIGNIN#${minted.id}`)!;
    expect(stored).toMatchObject({ tenantId: 'operator', createdBy: operatorKey.id, user: { id: 'ada' } });
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.ttl).toBe(Date.parse(instant(0, '10:05')) / 1000);
    expect(JSON.stringify(items)).not.toContain(minted.code);
  });

  it('give one operator session of an hour, whose event names the sign-in link and the key that minted it', async () => {
    const minted = await links.mint(caller, { id: 'ada', name: 'Ada' });
    clock.advance(60_000);
    const session = await links.exchange(minted.code);
    expect(session).toMatchObject({
      tenantId: 'operator',
      role: 'operator',
      environment: 'live',
      user: { id: 'ada', name: 'Ada' },
      expiresAt: instant(0, '11:01'),
      token: expect.stringMatching(/^kgs_/),
    });
    const stored = await new DynamoSessionStore({ client: table.doc, tableName: table.tableName }).getSession(
      session.id,
    );
    expect(stored).toMatchObject({ createdBy: operatorKey.id, signInLink: minted.id });
    const events = await new DynamoEventReader(table.doc, table.tableName).tenantEvents('operator', 10);
    const created = events.items.find((event) => event.details.sessionId === session.id)!;
    expect(created).toMatchObject({
      type: 'session.created',
      actor: { session: session.id, userId: 'ada', role: 'operator', signInLink: { mintedBy: operatorKey.id } },
      details: { signInLink: { id: minted.id, mintedBy: operatorKey.id } },
    });
    expect(JSON.stringify(await scan())).not.toContain(minted.code);
    expect((await scan()).some((item) => item.pk === `SIGNIN#${minted.id}`)).toBe(false);
  });

  it('are exchanged once: five exchanges at once give exactly one session, the others 401', async () => {
    const minted = await links.mint(caller, { id: 'ada' });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => links.exchange(minted.code)));
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected'))
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ status: 401, code: 'unauthorized' });
    const error = await apiError(links.exchange(minted.code));
    expect([error.status, error.code, error.message]).toEqual([
      401,
      'unauthorized',
      'this sign-in link is not valid: it was used already or never existed; print a new one',
    ]);
    const sessions = (await scan()).filter((item) => item.pk.startsWith('SESSION#') && item.signInLink === minted.id);
    expect(sessions).toHaveLength(1);
  });

  it('are refused from their expiry on, to the millisecond, and mint nothing', async () => {
    const minted = await links.mint(caller, { id: 'ada' });
    const before = (await scan()).length;
    clock.set(instant(0, '10:05'));
    const error = await apiError(links.exchange(minted.code));
    expect([error.status, error.code, error.message]).toEqual([
      401,
      'unauthorized',
      'this sign-in link has expired: print a new one',
    ]);
    expect((await scan()).length).toBe(before);
    clock.set(instant(0, '10:04:59.999'));
    await expect(links.exchange(minted.code)).resolves.toMatchObject({ role: 'operator' });
  });

  it('die with the key that minted them: revoked since, the code is refused and nothing is minted', async () => {
    const other = keyFixture({ tenant: operator, role: 'operator', name: 'laptop' }).item;
    await table.store.createKey(other);
    const minted = await links.mint({ ...caller, keyId: other.id }, { id: 'ada' });
    await table.store.setKeyStatus('operator', other.id, 'revoked');
    const before = (await scan()).length;
    const error = await apiError(links.exchange(minted.code));
    expect([error.status, error.code, error.message]).toEqual([
      401,
      'unauthorized',
      'the operator key that printed this sign-in link no longer works: print a new one with a working key',
    ]);
    expect((await scan()).length).toBe(before);
  });

  it('refuse a made-up or mistyped code as unknown', async () => {
    const minted = await links.mint(caller, { id: 'ada' });
    const typo = `${minted.code.slice(0, -1)}${minted.code.endsWith('A') ? 'B' : 'A'}`;
    for (const code of [typo, 'kgl_short', '', `kgl_${'A'.repeat(43)}`])
      expect((await apiError(links.exchange(code))).status).toBe(401);
  });

  it.each([
    ['a session', { ...caller, session: 'ses_0123456789abcdef01234567', userId: 'ada' }],
    ["a tenant's owner key", { ...caller, tenantId: 'acme', role: 'owner' }],
    ['a test operator key', { ...caller, environment: 'test' }],
  ] as [string, AuthorizerContext][])('are not minted for %s (403)', async (_label, who) => {
    const before = (await scan()).length;
    const error = await apiError(links.mint(who, { id: 'mallory' }));
    expect([error.status, error.code]).toEqual([403, 'forbidden']);
    expect((await scan()).length).toBe(before);
  });
});
