import type { LocalKeygate } from '../../local/app';
import { fixedClock } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';
import { DEADLINES } from '../support/deadlines';

/**
 * `keygate:lastUsedIntervalSeconds`: the authorizer writes a key's `lastUsedAt` at most once per
 * interval (the write is most of its DynamoDB cost), and the answer shows what was recorded.
 * The authorizer cache is off, so every request runs the authorizer.
 */
async function lastUsedAt(keygate: LocalKeygate, key: string): Promise<string | null> {
  await keygate.settle();
  const answer = await call(keygate.url, 'GET', '/v1/me', { key });
  expect(answer.status).toBe(200);
  await keygate.settle();
  return answer.body.key.lastUsedAt as string | null;
}

async function keyOf(keygate: LocalKeygate, tenantId: string): Promise<string> {
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: keygate.operatorKey as string,
    body: { tenantId, name: tenantId, plan: 'scale' },
  });
  expect(created.status).toBe(201);
  return created.body.key.key as string;
}

describe('how often lastUsedAt is written', () => {
  it(
    'once an hour with an interval of 3600 s: uses within the hour leave it where it was',
    async () => {
      const clock = fixedClock(instant(0, '10:00'));
      const keygate = await startTestKeygate({ clock, cacheTtlSeconds: 0, lastUsedIntervalSeconds: 3600 });
      try {
        const key = await keyOf(keygate, 'hourly');
        // the first use is recorded (GET /v1/me reads the key after the authorizer wrote it).
        expect(await lastUsedAt(keygate, key)).toBe(instant(0, '10:00'));
        clock.set(instant(0, '10:30'));
        expect(await lastUsedAt(keygate, key)).toBe(instant(0, '10:00'));
        clock.set(instant(0, '10:59:59'));
        expect(await lastUsedAt(keygate, key)).toBe(instant(0, '10:00'));
        clock.set(instant(0, '11:00:01'));
        expect(await lastUsedAt(keygate, key)).toBe(instant(0, '11:00:01'));
      } finally {
        await keygate.stop();
      }
    },
    DEADLINES.slowTest,
  );

  it(
    'once a minute by default',
    async () => {
      const clock = fixedClock(instant(0, '10:00'));
      const keygate = await startTestKeygate({ clock, cacheTtlSeconds: 0 });
      try {
        const key = await keyOf(keygate, 'minutely');
        expect(await lastUsedAt(keygate, key)).toBe(instant(0, '10:00'));
        clock.set(instant(0, '10:00:30'));
        expect(await lastUsedAt(keygate, key)).toBe(instant(0, '10:00'));
        clock.set(instant(0, '10:01:01'));
        expect(await lastUsedAt(keygate, key)).toBe(instant(0, '10:01:01'));
      } finally {
        await keygate.stop();
      }
    },
    DEADLINES.slowTest,
  );
});
