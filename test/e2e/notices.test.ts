import type { LocalKeygate } from '../../local/app';
import { fixedClock } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';
import { day, instant } from '../support/time';

const clock = fixedClock(instant(0, '10:00'));
let keygate: LocalKeygate;
let owner: { id: string; key: string };
let expiring: { id: string; key: string };
let idle: { id: string; key: string };

type Event = { type: string; keyId?: string; actor: unknown; details: Record<string, unknown> };
/** The acme tenant's events written by the scheduler, as its owner lists them. */
async function notices(): Promise<Event[]> {
  const answer = await call(keygate.url, 'GET', '/v1/events?limit=100', { key: owner.key });
  expect(answer.status).toBe(200);
  return (answer.body.items as Event[]).filter((event) => JSON.stringify(event.actor) === '{"system":"scheduler"}');
}

beforeAll(async () => {
  keygate = await startTestKeygate({ clock, staleAfterDays: 5 });
  // the run at start (today, on an empty table) is over before any key exists.
  expect((await keygate.runNotices()).days).toEqual([]);
  const operator = keygate.operatorKey as string;
  owner = (
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'acme-notices', name: 'Acme', plan: 'scale' },
    })
  ).body.key;
  expiring = (
    await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body: { name: 'weekly', expiresInDays: 7 } })
  ).body;
  idle = (await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body: { name: 'forgotten' } })).body;
});
afterAll(async () => {
  await keygate.stop();
});

describe('the daily notices in local mode', () => {
  it('catch up the days missed, reporting what expires tomorrow and what nobody used, through GET /v1/events', async () => {
    // used on the 27th, through the authorizer: the owner key's activity day moves with its lastUsedAt.
    clock.set(instant(4, '12:00'));
    expect((await call(keygate.url, 'GET', '/v1/keys', { key: owner.key })).status).toBe(200);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: expiring.key })).status).toBe(200);
    await keygate.settle();

    clock.set(instant(6, '00:05'));
    const result = await keygate.runNotices();

    expect(result.days).toEqual([day(1), day(2), day(3), day(4), day(5), day(6)]);
    const written = await notices();
    expect(written.map((event) => [event.type, event.keyId]).sort()).toEqual(
      [
        ['key.expiring', expiring.id],
        ['key.stale', idle.id],
      ].sort(),
    );
    expect(written.find((event) => event.type === 'key.expiring')?.details).toEqual({
      expiresAt: instant(7),
      daysLeft: 1,
    });
    expect(written.find((event) => event.type === 'key.stale')?.details).toEqual({
      lastUsedAt: null,
      idleSince: day(0),
      staleAfterDays: 5,
    });
  });

  it('say key.expired on the day, and nothing twice', async () => {
    clock.set(instant(7, '00:05'));
    await keygate.runNotices();
    await keygate.runNotices();

    const written = await notices();
    expect(written.map((event) => event.type).sort()).toEqual(['key.expired', 'key.expiring', 'key.stale']);
  });
});
