import type { LocalKeygate } from '../../local/app';
import type { PlanLimits } from '../../lambdas/core/model';
import { call, startTestKeygate } from '../support/local';
import { DEADLINES } from '../support/deadlines';
import { fixedClock } from '../support/time';

/**
 * Plan changes as an operator's dashboard sends them: twice on a double click, several at once
 * from several tabs. Whatever the order, once the reconciler is done the record, the usage plan
 * API Gateway puts the tenant's identifiers in, and what the gateway enforces must agree, and
 * no key may be left without a usage plan.
 */
let keygate: LocalKeygate & { requests: string[] };
let operator: string;
let seq = 0;

const ENTERPRISE = { plan: 'enterprise', rateLimit: 7, burstLimit: 9 };

beforeAll(async () => {
  // the clock stands still, so no bucket refills during a burst: what is throttled depends on the
  // plan alone, not on how fast a loaded machine serves the requests.
  keygate = await startTestKeygate({ clock: fixedClock(), cacheTtlSeconds: 300 });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

async function tenantOn(plan: Record<string, unknown>): Promise<{ tenantId: string; owner: string; tester: string }> {
  seq += 1;
  const tenantId = `plans-${seq}-${Date.now().toString(36)}`;
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId, name: tenantId, ...plan },
  });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${JSON.stringify(created.body)}`);
  const owner = created.body.key.key as string;
  const tester = await call(keygate.url, 'POST', '/v1/keys', {
    key: owner,
    body: { name: 'tester', environment: 'test' },
  });
  if (tester.status !== 201) throw new Error(`test key: ${tester.status}`);
  return { tenantId, owner, tester: tester.body.key };
}

const changePlan = (tenantId: string, body: Record<string, unknown>) =>
  call(keygate.url, 'PUT', `/v1/panel/tenants/${tenantId}/plan`, { key: operator, body });

/** The record, and for each environment the limits of the usage plan its identifier is in. */
async function stateOf(
  tenantId: string,
): Promise<{ plan: string; limits: PlanLimits; planStatus: string; enforced: Record<string, PlanLimits | undefined> }> {
  const record = (await call(keygate.url, 'GET', `/v1/panel/tenants/${tenantId}`, { key: operator })).body;
  const tenant = await keygate.store.getTenant(tenantId);
  const enforced: Record<string, PlanLimits | undefined> = {};
  for (const [environment, usage] of Object.entries(tenant?.usageKeys ?? {}))
    enforced[environment] = keygate.usagePlans.planOf(usage.id)?.limits;
  return { plan: record.plan, limits: record.limits, planStatus: record.planStatus, enforced };
}

/** Every API key the local API Gateway holds belongs to some tenant's current identifiers. */
async function orphanedApiKeys(): Promise<string[]> {
  const known = new Set<string>();
  for await (const tenant of keygate.store.scanTenants()) {
    for (const usage of Object.values(tenant.usageKeys)) known.add(usage.id);
  }
  return keygate.usagePlans.apiKeyIds.filter((id) => !known.has(id));
}

async function expectAgreement(tenantId: string, keys: string[]): Promise<void> {
  await keygate.reconciled();
  const state = await stateOf(tenantId);
  expect(state.planStatus).toBe('applied');
  expect(state.enforced).toEqual({ live: state.limits, test: state.limits });
  for (const key of keys) expect((await call(keygate.url, 'GET', '/v1/me', { key })).status).toBe(200);
}

describe('plan changes under double submits and concurrency', () => {
  it('answers at once with planStatus pending, then applies it', async () => {
    const { tenantId, owner, tester } = await tenantOn({ plan: 'starter' });
    const answer = await changePlan(tenantId, { plan: 'growth' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ plan: 'growth', planStatus: expect.stringMatching(/^(pending|applied)$/) });
    await expectAgreement(tenantId, [owner, tester]);
    expect((await stateOf(tenantId)).limits).toEqual({ rateLimit: 100, burstLimit: 200 });
  });

  it(
    'treats the same change sent twice at once as sent once: both 200, record and gateway agree (20 trials)',
    async () => {
      for (let trial = 0; trial < 20; trial += 1) {
        const { tenantId, owner, tester } = await tenantOn(ENTERPRISE);
        const answers = await Promise.all([
          changePlan(tenantId, { plan: 'growth' }),
          changePlan(tenantId, { plan: 'growth' }),
        ]);
        expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
        await expectAgreement(tenantId, [owner, tester]);
        expect((await stateOf(tenantId)).plan).toBe('growth');
        // the tenant's own usage plan went with it.
        expect((await keygate.store.getTenant(tenantId))?.usagePlanId).toBeUndefined();
      }
    },
    DEADLINES.slowTest,
  );

  it('applies starter to growth sent twice: the gateway enforces growth', async () => {
    for (let trial = 0; trial < 5; trial += 1) {
      const { tenantId, owner, tester } = await tenantOn({ plan: 'starter' });
      await Promise.all([changePlan(tenantId, { plan: 'growth' }), changePlan(tenantId, { plan: 'growth' })]);
      await expectAgreement(tenantId, [owner, tester]);
      expect((await stateOf(tenantId)).enforced.live).toEqual({ rateLimit: 100, burstLimit: 200 });
    }
  });

  it(
    'ends eight mixed concurrent changes with the record and the enforced limits in agreement (8 trials)',
    async () => {
      const bodies = [
        { plan: 'growth' },
        { plan: 'scale' },
        ENTERPRISE,
        { plan: 'enterprise', rateLimit: 3, burstLimit: 4, quota: { limit: 1000, period: 'DAY' } },
        { plan: 'starter' },
        { plan: 'growth' },
        { plan: 'enterprise', rateLimit: 50, burstLimit: 60 },
        { plan: 'scale' },
      ];
      for (let trial = 0; trial < 8; trial += 1) {
        const { tenantId, owner, tester } = await tenantOn({ plan: 'starter' });
        const rotated = [...bodies.slice(trial), ...bodies.slice(0, trial)];
        const answers = await Promise.all(rotated.map((body) => changePlan(tenantId, body)));
        expect(answers.map((answer) => answer.status)).toEqual(rotated.map(() => 200));
        await expectAgreement(tenantId, [owner, tester]);
      }
      expect(await orphanedApiKeys()).toEqual([]);
    },
    DEADLINES.slowTest,
  );

  it(
    'suspends a tenant whose plan change is being applied: 200, not 409, and its keys are refused (10 trials)',
    async () => {
      for (let trial = 0; trial < 10; trial += 1) {
        const { tenantId, owner, tester } = await tenantOn({ plan: 'starter' });
        // the suspension races the plan change and the reconciler's write of what it applied.
        const [changed, suspended] = await Promise.all([
          changePlan(tenantId, trial % 2 === 0 ? { plan: 'growth' } : ENTERPRISE),
          call(keygate.url, 'POST', `/v1/panel/tenants/${tenantId}/suspend`, { key: operator }),
        ]);
        expect([changed.status, suspended.status]).toEqual([200, 200]);
        await keygate.reconciled();
        const state = await stateOf(tenantId);
        expect(state.planStatus).toBe('applied');
        expect(state.enforced).toEqual({ live: state.limits, test: state.limits });
        for (const key of [owner, tester]) expect((await call(keygate.url, 'GET', '/v1/me', { key })).status).toBe(401);
        expect(
          (await call(keygate.url, 'POST', `/v1/panel/tenants/${tenantId}/resume`, { key: operator })).status,
        ).toBe(200);
        await expectAgreement(tenantId, [owner, tester]);
      }
    },
    DEADLINES.slowTest,
  );

  it(
    'answers 201 to key creation while the reconciler applies two plan changes back to back (20 trials)',
    async () => {
      for (let trial = 0; trial < 20; trial += 1) {
        const { tenantId, owner, tester } = await tenantOn({ plan: 'starter' });
        await changePlan(tenantId, ENTERPRISE);
        await changePlan(tenantId, { plan: 'growth' });
        // the reconciler records each step on the tenant item while these are written.
        const created = await Promise.all(
          ['live', 'test', 'live', 'test', 'live', 'test'].map((environment, n) =>
            call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: `key-${trial}-${n}`, environment } }),
          ),
        );
        expect(created.map((answer) => [answer.status, answer.body.error?.message])).toEqual(
          created.map(() => [201, undefined]),
        );
        await expectAgreement(tenantId, [owner, tester, ...created.map((answer) => answer.body.key as string)]);
      }
    },
    DEADLINES.slowTest,
  );

  it('gets 429 at the new burst once a plan change is applied', async () => {
    const { tenantId, owner } = await tenantOn({ plan: 'scale' });
    await changePlan(tenantId, { plan: 'enterprise', rateLimit: 1, burstLimit: 3 });
    await keygate.reconciled();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await call(keygate.url, 'GET', '/v1/me', { key: owner })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});
