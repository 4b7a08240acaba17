import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';
import { DEADLINES } from '../support/deadlines';

/**
 * "Revoked at once", tried as an attacker would: keep authorizations of the key in flight, under
 * many spellings of the header (each its own cache entry), while it is revoked, deleted,
 * rotated out or its tenant suspended. An authorization that read the key just before the write
 * must not leave an Allow in the cache after the write's flush.
 */
let keygate: LocalKeygate & { requests: string[] };
let operator: string;
let tenantSeq = 0;

const TRIALS = 20;

/**
 * Every spelling of one key's header that the identity validation lets through: the 64 cases of
 * `Bearer` and the bare key. API Gateway caches each apart, so each first use is a fresh
 * authorizer call: what an attacker uses to keep calls in flight.
 */
function spellings(key: string): string[] {
  const schemes: string[] = [];
  for (let mask = 0; mask < 64; mask += 1) {
    schemes.push([...'bearer'].map((char, i) => ((mask >> i) & 1 ? char.toUpperCase() : char)).join(''));
  }
  return [key, ...schemes.map((scheme) => `${scheme} ${key}`)];
}

/** A fresh tenant with an owner key and a second key to attack with. */
async function freshTenant(): Promise<{ tenantId: string; owner: string; victim: { id: string; key: string } }> {
  tenantSeq += 1;
  const tenantId = `race-${tenantSeq}-${Date.now().toString(36)}`;
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId, name: tenantId, plan: 'scale' },
  });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${JSON.stringify(created.body)}`);
  const owner = created.body.key.key as string;
  const victim = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'victim', role: 'admin' } });
  if (victim.status !== 201) throw new Error(`key: ${victim.status}`);
  return { tenantId, owner, victim: victim.body };
}

type Action = 'revoke' | 'delete' | 'rotate' | 'suspend';

async function act(action: Action, tenant: Awaited<ReturnType<typeof freshTenant>>): Promise<number> {
  const path = `/v1/keys/${tenant.victim.id}`;
  switch (action) {
    case 'revoke':
      return (await call(keygate.url, 'POST', `${path}/revoke`, { key: tenant.owner })).status;
    case 'delete':
      return (await call(keygate.url, 'DELETE', path, { key: tenant.owner })).status;
    case 'rotate':
      return (await call(keygate.url, 'POST', `${path}/rotate`, { key: tenant.owner, body: { gracePeriodHours: 0 } }))
        .status;
    case 'suspend':
      return (await call(keygate.url, 'POST', `/v1/panel/tenants/${tenant.tenantId}/suspend`, { key: operator }))
        .status;
  }
}

/** Sends `GET /v1/me` with a raw header value. */
async function me(authorization: string): Promise<number> {
  const response = await fetch(`${keygate.url}/v1/me`, { headers: { authorization } });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  keygate = await startTestKeygate({ cacheTtlSeconds: 300 });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe.each<Action>(['revoke', 'delete', 'rotate', 'suspend'])('%s under authorizations in flight', (action) => {
  it(
    `leaves no stale Allow in ${TRIALS} trials with ${spellings('k').length} header spellings`,
    async () => {
      let stale = 0;
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const tenant = await freshTenant();
        const headers = spellings(tenant.victim.key);
        // sixteen callers take spellings not used yet, so each of their calls reaches the authorizer,
        // until the write has answered.
        let writing = true;
        let next = 0;
        const storm = Promise.all(
          Array.from({ length: 16 }, async () => {
            while (writing) await me(headers[next++ % headers.length]);
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 2 + (trial % 5)));
        const status = await act(action, tenant);
        writing = false;
        await storm;
        expect(status).toBeLessThan(300);
        const after = await Promise.all(headers.map(me));
        stale += after.filter((code) => code !== 401).length;
      }
      expect(stale).toBe(0);
    },
    DEADLINES.slowTest,
  );
});
