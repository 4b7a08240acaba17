import { LocalUsagePlans } from '../../local/usage-plans';

/**
 * The local gateway's usage plans: the Lambdas' adapter over the in-process API Gateway, and
 * the per-request enforcement API Gateway does (its documented rules are held by
 * `test/contract/api-gateway.contract.test.ts`).
 */
function setup() {
  let now = Date.UTC(2001, 1, 10, 12);
  const plans = new LocalUsagePlans(() => now);
  plans.definePlan('local-starter', 'starter', { rateLimit: 1, burstLimit: 2 });
  plans.definePlan('local-growth', 'growth', { rateLimit: 1, burstLimit: 3, quota: { limit: 4, period: 'DAY' } });
  return { plans, advance: (ms: number) => void (now += ms), day: () => new Date(now).toISOString().slice(0, 10) };
}

describe('LocalUsagePlans', () => {
  it('creates API keys and enterprise plans with the keygate:stack tag in the create call, as the Lambdas do', async () => {
    const { plans } = setup();
    const key = await plans.createApiKey('kg-acme-live', 'a'.repeat(40));
    const plan = await plans.createUsagePlan('kg-enterprise-acme', { rateLimit: 5, burstLimit: 10 });

    expect(plans.api.tagsOf(key)).toEqual({ 'keygate:stack': 'local' });
    expect(plans.api.tagsOf(plan)).toEqual({ 'keygate:stack': 'local' });
  });

  it('refuses a usage identifier that is in no usage plan, or unknown', async () => {
    const { plans } = setup();
    await plans.createApiKey('kg-acme-live', 'a'.repeat(40));

    expect(plans.check('a'.repeat(40))).toEqual({ type: 'INVALID_API_KEY' });
    expect(plans.check('b'.repeat(40))).toEqual({ type: 'INVALID_API_KEY' });
    expect(plans.check(undefined)).toEqual({ type: 'INVALID_API_KEY' });
  });

  it("throttles a key at its plan's burst and lets it on once the bucket refills", async () => {
    const { plans, advance } = setup();
    const key = await plans.createApiKey('kg-acme-live', 'a'.repeat(40));
    await plans.attachKey('local-starter', key);

    expect([plans.check('a'.repeat(40)), plans.check('a'.repeat(40))]).toEqual([undefined, undefined]);
    expect(plans.check('a'.repeat(40))).toMatchObject({ type: 'THROTTLED' });
    advance(1_000);
    expect(plans.check('a'.repeat(40))).toBeUndefined();
  });

  it('counts use per usage plan: a key moved to another plan starts with a full bucket there', async () => {
    const { plans } = setup();
    const key = await plans.createApiKey('kg-acme-live', 'a'.repeat(40));
    await plans.attachKey('local-starter', key);
    plans.check('a'.repeat(40));
    plans.check('a'.repeat(40));

    await plans.detachKey('local-starter', key);
    await plans.attachKey('local-growth', key);

    expect([plans.check('a'.repeat(40)), plans.check('a'.repeat(40)), plans.check('a'.repeat(40))]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(plans.planOf(key)).toEqual({
      id: 'local-growth',
      limits: { rateLimit: 1, burstLimit: 3, quota: { limit: 4, period: 'DAY' } },
    });
  });

  it('reports the quota used today through GetUsage, and refuses past the quota', async () => {
    const { plans, advance, day } = setup();
    const key = await plans.createApiKey('kg-acme-live', 'a'.repeat(40));
    await plans.attachKey('local-growth', key);
    for (let request = 0; request < 4; request += 1) {
      expect(plans.check('a'.repeat(40))).toBeUndefined();
      advance(1_000);
    }

    expect(plans.check('a'.repeat(40))).toMatchObject({ type: 'QUOTA_EXCEEDED' });
    await expect(plans.getUsage('local-growth', key, day(), day())).resolves.toBe(4);
  });

  it('keeps a restored usage identifier working in its plan', () => {
    const { plans } = setup();

    plans.restoreApiKey('k-restored', 'r'.repeat(40), 'local-starter');

    expect(plans.check('r'.repeat(40))).toBeUndefined();
    expect(plans.apiKeyIds).toEqual(['k-restored']);
  });

  it('deletes an enterprise usage plan bound to the local stage, as the Lambdas do in AWS', async () => {
    const { plans } = setup();
    const plan = await plans.createUsagePlan('kg-enterprise-acme', { rateLimit: 5, burstLimit: 10 });

    await plans.deleteUsagePlan(plan);

    expect(plans.usagePlanIds).toEqual(['local-starter', 'local-growth']);
  });
});
