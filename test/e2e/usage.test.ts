import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import type { LocalKeygate } from '../../local/app';
import { DEADLINES } from '../support/deadlines';
import { call, startTestKeygate } from '../support/local';
import { fixedClock, instant } from '../support/time';

/**
 * Usage from the access log, locally: 5 000 requests through the local gateway across 20 keys
 * of 4 tenants, some refused before the authorizer, some denied by the key's role, some over a
 * tiny plan, some answered 3xx and 5xx by the backend, a quarter from a second loopback address.
 * The counters must say exactly what the clients saw, per key, per tenant, per status class.
 */

const REQUESTS = 5000;
const SECOND_ADDRESS = '127.0.0.2';
const CLOCK = instant(0, '10:20');

interface KeyUnderTest {
  readonly tenantId: string;
  readonly id: string;
  readonly key: string;
  readonly role: string;
}

interface Seen {
  requests: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  denied: number;
  throttled: number;
}

const emptySeen = (): Seen => ({
  requests: 0,
  status2xx: 0,
  status3xx: 0,
  status4xx: 0,
  status5xx: 0,
  denied: 0,
  throttled: 0,
});

function count(seen: Seen, status: number): void {
  seen.requests += 1;
  const statusClass = Math.floor(status / 100);
  if (statusClass === 2) seen.status2xx += 1;
  if (statusClass === 3) seen.status3xx += 1;
  if (statusClass === 4) seen.status4xx += 1;
  if (statusClass === 5) seen.status5xx += 1;
  if (status === 401 || status === 403) seen.denied += 1;
  if (status === 429) seen.throttled += 1;
}

let upstream: Server;
let keygate: LocalKeygate;
const agents = { first: new Agent({ keepAlive: true }), second: new Agent({ keepAlive: true }) };

/** A backend that answers `/moved` with 302, `/broken` with 500, anything else with 200. */
async function startUpstream(): Promise<string> {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = req.url?.startsWith('/moved') ? 302 : req.url?.startsWith('/broken') ? 500 : 200;
      res.writeHead(status, { location: '/elsewhere', 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}

/** One request from a chosen loopback address (the gateway logs the socket's address, never a header). */
function send(
  path: string,
  options: { method?: string; authorization?: string; from: 'first' | 'second'; userAgent: string },
): Promise<number> {
  const url = new URL(path, keygate.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        agent: agents[options.from],
        localAddress: options.from === 'second' ? SECOND_ADDRESS : '127.0.0.1',
        headers: {
          'user-agent': options.userAgent,
          // a forwarded header is the client's to set: it must not move the request to another source.
          'x-forwarded-for': '198.51.100.99',
          ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function createTenant(tenantId: string, plan: string): Promise<string> {
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: keygate.operatorKey as string,
    body: { tenantId, name: tenantId, plan },
  });
  expect(created.status).toBe(201);
  return created.body.key.key as string;
}

async function createKey(tenantId: string, name: string, role: string): Promise<KeyUnderTest> {
  const created = await call(keygate.url, 'POST', `/v1/panel/tenants/${tenantId}/keys`, {
    key: keygate.operatorKey as string,
    body: { name, role },
  });
  expect(created.status).toBe(201);
  return { tenantId, id: created.body.id as string, key: created.body.key as string, role };
}

beforeAll(async () => {
  const upstreamUrl = await startUpstream();
  // the clock stands still: no token bucket refills during the burst, so what the tiny plan
  // throttles depends on the plan alone, and every request falls in one hour.
  keygate = await startTestKeygate({
    clock: fixedClock(CLOCK),
    upstream: { url: upstreamUrl, secret: 'usage-test-secret', timeoutMs: 5000 },
    plans: { ...DEFAULT_SETTINGS.plans, starter: { rateLimit: 1, burstLimit: 40 } },
    // every request its own line, never a batch of a test's choosing: the recorder batches.
    usageFlushMs: 200,
  });
}, DEADLINES.slowTest);

afterAll(async () => {
  await keygate?.stop();
  agents.first.destroy();
  agents.second.destroy();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});

describe('usage counted from the local access log', () => {
  it(
    'gives exactly the counts the clients saw, per key, per tenant, per status class and per source',
    async () => {
      const keys: KeyUnderTest[] = [];
      for (const [tenantId, plan] of [
        ['alpha', 'scale'],
        ['beta', 'scale'],
        ['gamma', 'scale'],
        ['tiny', 'starter'],
      ] as const) {
        await createTenant(tenantId, plan);
        for (let i = 0; i < 5; i += 1) {
          keys.push(await createKey(tenantId, `k${i}`, i === 4 ? 'read_only' : 'developer'));
        }
      }
      expect(keys).toHaveLength(20);

      const perKey = new Map(keys.map((k) => [k.id, emptySeen()]));
      const perTenant = new Map(['alpha', 'beta', 'gamma', 'tiny'].map((t) => [t, emptySeen()]));
      const perSource = new Map(keys.map((k) => [k.id, new Map<string, number>()]));
      const stage = emptySeen();

      const one = async (i: number): Promise<void> => {
        const k = keys[i % keys.length] as KeyUnderTest;
        const from = i % 4 === 0 ? 'second' : 'first';
        const userAgent = `usage-test/${i % 2}`;
        if (i % 50 === 7) {
          count(stage, await send('/orders', { from, userAgent }));
          return;
        }
        if (i % 50 === 13) {
          count(stage, await send('/orders', { from, userAgent, authorization: 'Bearer sk_live_nope' }));
          return;
        }
        let status: number;
        const authorization = `Bearer ${k.key}`;
        if (k.role === 'read_only' && i % 3 === 0) {
          // a read-only key may not create keys: the authorizer's policy denies it (403).
          status = await send('/v1/keys', { method: 'POST', from, userAgent, authorization });
        } else {
          const path = i % 25 === 3 ? '/moved' : i % 40 === 5 ? '/broken' : '/orders';
          status = await send(path, { from, userAgent, authorization });
        }
        count(perKey.get(k.id) as Seen, status);
        count(perTenant.get(k.tenantId) as Seen, status);
        const address = from === 'second' ? SECOND_ADDRESS : '127.0.0.1';
        const sources = perSource.get(k.id) as Map<string, number>;
        sources.set(`${address} ${userAgent}`, (sources.get(`${address} ${userAgent}`) ?? 0) + 1);
      };
      // 16 clients at a time, each request's index fixed, so the mix is the same on every run.
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < REQUESTS) await one(next++);
        }),
      );
      await keygate.flushUsage();

      // the mix really has every kind in it.
      const all = [...perKey.values()].reduce(
        (sum, seen) => ({ throttled: sum.throttled + seen.throttled, denied: sum.denied + seen.denied }),
        { throttled: 0, denied: 0 },
      );
      expect(all.throttled).toBeGreaterThan(0);
      expect(all.denied).toBeGreaterThan(0);
      expect(stage.requests).toBe(200);
      expect((perTenant.get('tiny') as Seen).throttled).toBeGreaterThan(0);

      const operator = keygate.operatorKey as string;
      for (const k of keys) {
        const answer = await call(keygate.url, 'GET', `/v1/panel/tenants/${k.tenantId}/keys/${k.id}/usage`, {
          key: operator,
        });
        expect(answer.status).toBe(200);
        const { latencyP50Ms: _p50, latencyP95Ms: _p95, ...totals } = answer.body.totals;
        expect({ key: k.id, ...totals }).toEqual({ key: k.id, ...perKey.get(k.id) });
        const sources = Object.fromEntries(
          answer.body.sources.map((s: { ip: string; userAgent: string; requests: number }) => [
            `${s.ip} ${s.userAgent}`,
            s.requests,
          ]),
        );
        expect(sources).toEqual(Object.fromEntries(perSource.get(k.id) as Map<string, number>));
        for (const source of answer.body.sources) {
          expect(source).toMatchObject({ firstSeen: CLOCK, lastSeen: CLOCK });
        }
      }
      for (const [tenantId, seen] of perTenant) {
        const answer = await call(keygate.url, 'GET', `/v1/panel/tenants/${tenantId}/usage`, { key: operator });
        expect(answer.status).toBe(200);
        const { latencyP50Ms: _p50, latencyP95Ms: _p95, ...totals } = answer.body.totals;
        expect({ tenantId, ...totals }).toEqual({ tenantId, ...seen });
        const hour = answer.body.series.find((point: { at: string }) => point.at === instant(0, '10:00'));
        expect(hour.requests).toBe(seen.requests);
      }

      // requests refused before any key was known count for the stage only.
      const [hour] = await keygate.usageStore.readBuckets(
        'stage',
        'prod',
        'hour',
        Date.parse(instant(0, '10:00')),
        Date.parse(instant(0, '11:00')),
      );
      expect(hour?.delta).toMatchObject(stage);

      // the operator's ranking finds the tenant the tiny plan throttled.
      const ranking = await call(keygate.url, 'GET', '/v1/panel/usage?sort=throttled&limit=1', { key: operator });
      expect(ranking.status).toBe(200);
      expect(ranking.body.tenants).toEqual([
        expect.objectContaining({ tenantId: 'tiny', throttled: (perTenant.get('tiny') as Seen).throttled }),
      ]);
    },
    DEADLINES.burstTest,
  );
});
