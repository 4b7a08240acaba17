import { ApiGatewayUsagePlans } from '../../lambdas/runtime/api-gateway-usage-plans';
import { bindGuardedStage } from '../../bin/bind-guarded-stage';
import { FakeApiGateway } from '../../local/fake-api-gateway';

const noWait = { sleep: async () => undefined };

/** A fake account with keygate's stage, an enterprise plan made before the guarded API, and other stacks' plans. */
async function account() {
  const fake = new FakeApiGateway();
  const before = new ApiGatewayUsagePlans(fake, { restApiId: 'api1', stageName: 'prod', stackTag: 'Keygate' });
  const old = await before.createUsagePlan('Keygate-enterprise-acme', { rateLimit: 50, burstLimit: 100 });
  const other = new ApiGatewayUsagePlans(fake, {
    restApiId: 'api9',
    stageName: 'prod',
    stackTag: 'Keygate-enterprise',
  });
  const others = await other.createUsagePlan('Keygate-enterprise-x-enterprise-y', { rateLimit: 5, burstLimit: 10 });
  const shared = await before.createUsagePlan('Keygate-starter', { rateLimit: 10, burstLimit: 20 });
  const after = new ApiGatewayUsagePlans(fake, {
    restApiId: 'api1',
    stageName: 'prod',
    otherStages: [{ restApiId: 'guarded1', stageName: 'prod' }],
    stackTag: 'Keygate',
  });
  const fresh = await after.createUsagePlan('Keygate-enterprise-beta', { rateLimit: 50, burstLimit: 100 });
  const stages = async (id: string) =>
    ((await fake.getUsagePlan({ usagePlanId: id })).apiStages ?? []).map((s) => `${s.apiId}:${s.stage}`);
  return { fake, old, others, shared, fresh, stages };
}

describe('npm run admin -- bind-guarded-stage', () => {
  const props = { namePrefix: 'Keygate', restApiId: 'guarded1', stageName: 'prod', backoff: noWait };

  it("binds this stack's enterprise plans made before the guarded API, and nothing else", async () => {
    const { fake, old, others, shared, fresh, stages } = await account();

    await expect(bindGuardedStage(fake, props)).resolves.toEqual({ bound: ['Keygate-enterprise-acme'], already: 1 });

    expect(await stages(old)).toEqual(['api1:prod', 'guarded1:prod']);
    expect(await stages(fresh)).toEqual(['api1:prod', 'guarded1:prod']);
    expect(await stages(others)).toEqual(['api9:prod']);
    expect(await stages(shared)).toEqual(['api1:prod']);
  });

  it('changes nothing in a dry run, and nothing the second time', async () => {
    const { fake, old, stages } = await account();

    await expect(bindGuardedStage(fake, { ...props, dryRun: true })).resolves.toEqual({
      bound: ['Keygate-enterprise-acme'],
      already: 1,
    });
    expect(await stages(old)).toEqual(['api1:prod']);
    expect(fake.counts.updateUsagePlan).toBe(0);

    await bindGuardedStage(fake, props);
    await expect(bindGuardedStage(fake, props)).resolves.toEqual({ bound: [], already: 2 });
    expect(fake.counts.updateUsagePlan).toBe(1);
  });

  it('unbinds them with remove, so that the guarded stage can be deleted', async () => {
    const { fake, old, fresh, shared, stages } = await account();
    await bindGuardedStage(fake, props);

    await expect(bindGuardedStage(fake, { ...props, remove: true })).resolves.toEqual({
      bound: ['Keygate-enterprise-acme', 'Keygate-enterprise-beta'],
      already: 0,
    });

    expect(await stages(old)).toEqual(['api1:prod']);
    expect(await stages(fresh)).toEqual(['api1:prod']);
    expect(await stages(shared)).toEqual(['api1:prod']);
    await expect(bindGuardedStage(fake, { ...props, remove: true })).resolves.toEqual({ bound: [], already: 2 });
  });
});
