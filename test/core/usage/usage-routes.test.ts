import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { createKeysHandler } from '../../../lambdas/keys/handler';
import { aggregateAccessRecords } from '../../../lambdas/core/usage/aggregate';
import type { AccessRecord } from '../../../lambdas/core/usage/access-record';
import { usageWindow } from '../../../lambdas/core/usage/usage-query';
import { StageCacheFlusher } from '../../../lambdas/runtime/stage-cache-flusher';
import { callerContext, proxyEvent } from '../../support/events';
import { MemoryKeyStore } from '../../support/fakes/memory-key-store';
import { MemoryUsageStore } from '../../support/fakes/memory-usage-store';
import { settlingFlusher } from '../../support/flush';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../../support/fixtures';
import { instant } from '../../support/time';

const NOW = instant(0, '10:30');

async function setup() {
  const store = new MemoryKeyStore();
  const usageStore = new MemoryUsageStore();
  const clock = fixedClock(NOW);
  const acme = tenantFixture();
  const globex = tenantFixture({ tenantId: 'globex', name: 'Globex' });
  const acmeKey = keyFixture({ role: 'owner', tenant: acme, now: instant(-3) }).item;
  const globexKey = keyFixture({ role: 'owner', tenant: globex, now: instant(-3) }).item;
  await store.createTenant(acme, acmeKey);
  await store.createTenant(globex, globexKey);
  const cache = settlingFlusher(
    new StageCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), 'api123', 'prod'),
    clock,
  );
  const handler = createKeysHandler({ store, clock, prefix: 'sk', cache, logger: recordingLogger(), usageStore });
  const record = (keyId: string, tenantId: string, at: string, status = 200): AccessRecord => ({
    requestId: `${keyId}-${at}-${status}-${Math.random()}`,
    requestTimeEpoch: Date.parse(at),
    stage: 'prod',
    ip: '203.0.113.5',
    method: 'GET',
    resource: '/orders',
    status,
    latencyMs: 40,
    keyId,
    tenantId,
    userAgent: 'curl/8',
  });
  await aggregateAccessRecords(
    [
      record(acmeKey.id, 'acme', instant(0, '09:10')),
      record(acmeKey.id, 'acme', instant(0, '10:05'), 429),
      record(acmeKey.id, 'acme', instant(0, '10:06'), 403),
      record(globexKey.id, 'globex', instant(0, '10:07')),
    ],
    { store: usageStore, clock },
  );
  const usageOf = (id: string, query: Record<string, string> = {}) =>
    handler(
      proxyEvent({
        method: 'GET',
        resource: '/v1/keys/{id}/usage',
        pathParameters: { id },
        query,
        caller: callerContext({ tenantId: 'acme', keyId: acmeKey.id }),
      }),
    );
  return { acmeKey, globexKey, usageOf };
}

describe('GET /v1/keys/{id}/usage', () => {
  it("answers the key's counts per bucket and in total, and its sources", async () => {
    const { acmeKey, usageOf } = await setup();
    const answer = await usageOf(acmeKey.id, { from: instant(0, '09:00'), granularity: 'hour' });
    expect(answer.statusCode).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body).toMatchObject({
      from: instant(0, '09:00'),
      to: instant(0, '11:00'),
      granularity: 'hour',
      totals: { requests: 3, status2xx: 1, status4xx: 2, denied: 1, throttled: 1, latencyP50Ms: 50 },
      sources: [
        {
          ip: '203.0.113.5',
          userAgent: 'curl/8',
          firstSeen: instant(0, '09:10'),
          lastSeen: instant(0, '10:06'),
          requests: 3,
        },
      ],
    });
    expect(body.series.map((p: { at: string; requests: number }) => [p.at, p.requests])).toEqual([
      [instant(0, '09:00'), 1],
      [instant(0, '10:00'), 2],
    ]);
  });

  it("answers 404 for another tenant's key, as for a missing one, and reveals none of its counts", async () => {
    const { globexKey, usageOf } = await setup();
    const answer = await usageOf(globexKey.id);
    expect(answer.statusCode).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'not_found', message: 'no such key' } });
  });

  it.each([
    [{ granularity: 'minute' }, 'granularity'],
    [{ from: 'yesterday' }, 'from'],
    [{ from: instant(0, '10:00'), to: instant(0, '09:00') }, 'before'],
    [{ from: instant(-40), granularity: 'hour' }, 'at most 35 days'],
    [{ limit: '5' }, 'limit'],
  ])('refuses %j with 400 invalid_request naming what is wrong', async (query, words) => {
    const { acmeKey, usageOf } = await setup();
    const answer = await usageOf(acmeKey.id, query as Record<string, string>);
    expect(answer.statusCode).toBe(400);
    const body = JSON.parse(answer.body);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain(words);
  });
});

describe('usageWindow', () => {
  const now = new Date(NOW);
  it('defaults to the 24 hours that end with the current hour', () => {
    expect(usageWindow({}, now)).toEqual({
      from: Date.parse(instant(-1, '11:00')),
      to: Date.parse(instant(0, '11:00')),
      granularity: 'hour',
    });
  });

  it('defaults to the 30 days that end with today by day, and widens a window to whole buckets', () => {
    expect(usageWindow({ granularity: 'day' }, now)).toEqual({
      from: Date.parse(instant(-29)),
      to: Date.parse(instant(1)),
      granularity: 'day',
    });
    expect(usageWindow({ from: instant(-2, '13:45'), to: instant(-1, '00:01'), granularity: 'day' }, now)).toEqual({
      from: Date.parse(instant(-2)),
      to: Date.parse(instant(0)),
      granularity: 'day',
    });
  });

  it('takes 400 days by day and refuses 401', () => {
    expect(() => usageWindow({ from: instant(-399), granularity: 'day' }, now)).not.toThrow();
    expect(() => usageWindow({ from: instant(-400), granularity: 'day' }, now)).toThrow('at most 400 days');
  });
});
