import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetApiKeyCommand,
  GetUsageCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlansCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { isNotFound, isTooManyRequests } from '../../lambdas/runtime/api-gateway';
import { ApiGatewayUsagePlans } from '../../lambdas/runtime/api-gateway-usage-plans';
import { StageCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { day } from '../support/time';

const apiGateway = mockClient(APIGatewayClient);
const client = new APIGatewayClient({ region: 'eu-west-1' });
const noWait = async (): Promise<void> => undefined;
const plans = new ApiGatewayUsagePlans(client, { restApiId: 'api123', stageName: 'prod', backoff: { sleep: noWait } });

const tooManyRequests = () => new TooManyRequestsException({ message: 'slow down', $metadata: {} });
const notFound = () => new NotFoundException({ message: 'Invalid identifier specified', $metadata: {} });
const accessDenied = () =>
  Object.assign(new Error('User is not authorized to perform: apigateway:DELETE with an explicit deny'), {
    name: 'AccessDeniedException',
    $metadata: { httpStatusCode: 403 },
  });
const conflict = () => new ConflictException({ message: 'Usage Plan Key already exists', $metadata: {} });

beforeEach(() => {
  apiGateway.reset();
});

describe('isTooManyRequests', () => {
  it('accepts TooManyRequestsException', () => {
    expect(isTooManyRequests(tooManyRequests())).toBe(true);
  });

  it('refuses other errors and non-errors', () => {
    expect(isTooManyRequests(notFound())).toBe(false);
    expect(isTooManyRequests(new Error('boom'))).toBe(false);
    expect(isTooManyRequests(undefined)).toBe(false);
  });
});

describe('isNotFound', () => {
  it('accepts NotFoundException, whatever its message', () => {
    expect(isNotFound(notFound())).toBe(true);
    expect(isNotFound(new NotFoundException({ message: 'Usage plan gone', $metadata: {} }))).toBe(true);
  });

  it('refuses other errors, even one whose message says not found', () => {
    expect(isNotFound(conflict())).toBe(false);
    expect(isNotFound(new Error('Invalid resource: NotFoundException, not found'))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });
});

describe('ApiGatewayUsagePlans', () => {
  describe('findUsagePlan', () => {
    it('answers the id of the plan with the name, across pages', async () => {
      apiGateway
        .on(GetUsagePlansCommand)
        .resolvesOnce({ items: [{ id: 'p1', name: 'keygate-starter' }], position: 'next' })
        .resolves({ items: [{ id: 'p2', name: 'keygate-enterprise-acme' }] });

      await expect(plans.findUsagePlan('keygate-enterprise-acme')).resolves.toBe('p2');
    });

    it('answers undefined when no plan has the name', async () => {
      apiGateway.on(GetUsagePlansCommand).resolves({ items: [{ id: 'p1', name: 'keygate-starter' }] });

      await expect(plans.findUsagePlan('keygate-enterprise-acme')).resolves.toBeUndefined();
    });

    it('passes on a failure of GetUsagePlans instead of taking it for no plan', async () => {
      apiGateway.on(GetUsagePlansCommand).rejects(new Error('usage plans not found: keygate-enterprise-acme'));

      await expect(plans.findUsagePlan('keygate-enterprise-acme')).rejects.toThrow('usage plans not found');
    });
  });

  describe('findUsagePlanIds', () => {
    it('names every plan it cannot find', async () => {
      apiGateway.on(GetUsagePlansCommand).resolves({ items: [{ id: 'p1', name: 'keygate-starter' }] });

      await expect(plans.findUsagePlanIds(['keygate-starter', 'keygate-growth', 'keygate-scale'])).rejects.toThrow(
        'usage plans not found: keygate-growth, keygate-scale',
      );
    });
  });

  describe('createApiKey', () => {
    it('creates an enabled key with the given value and returns its id', async () => {
      apiGateway.on(CreateApiKeyCommand).resolves({ id: 'key1' });

      await expect(plans.createApiKey('tenant-1-live', 'v'.repeat(40))).resolves.toBe('key1');

      expect(apiGateway.commandCalls(CreateApiKeyCommand)[0].args[0].input).toEqual({
        name: 'tenant-1-live',
        value: 'v'.repeat(40),
        enabled: true,
      });
    });

    it('rejects an answer without an id', async () => {
      apiGateway.on(CreateApiKeyCommand).resolves({});

      await expect(plans.createApiKey('tenant-1-live', 'v'.repeat(40))).rejects.toThrow(/without an id/);
    });

    it('retries a throttled call until it succeeds', async () => {
      apiGateway
        .on(CreateApiKeyCommand)
        .rejectsOnce(tooManyRequests())
        .rejectsOnce(tooManyRequests())
        .resolves({ id: 'key1' });

      await expect(plans.createApiKey('tenant-1-live', 'v'.repeat(40))).resolves.toBe('key1');

      expect(apiGateway.commandCalls(CreateApiKeyCommand)).toHaveLength(3);
    });

    it('rejects after the configured attempts when throttling persists', async () => {
      apiGateway.on(CreateApiKeyCommand).rejects(tooManyRequests());
      const impatient = new ApiGatewayUsagePlans(client, {
        restApiId: 'api123',
        stageName: 'prod',
        backoff: { attempts: 3, sleep: noWait },
      });

      await expect(impatient.createApiKey('tenant-1-live', 'v'.repeat(40))).rejects.toBeInstanceOf(
        TooManyRequestsException,
      );

      expect(apiGateway.commandCalls(CreateApiKeyCommand)).toHaveLength(3);
    });

    it('does not retry an error other than throttling', async () => {
      apiGateway.on(CreateApiKeyCommand).rejects(conflict());

      await expect(plans.createApiKey('tenant-1-live', 'v'.repeat(40))).rejects.toBeInstanceOf(ConflictException);

      expect(apiGateway.commandCalls(CreateApiKeyCommand)).toHaveLength(1);
    });
  });

  describe('deleteApiKey', () => {
    it('deletes the key', async () => {
      apiGateway.on(DeleteApiKeyCommand).resolves({});

      await plans.deleteApiKey('key1');

      expect(apiGateway.commandCalls(DeleteApiKeyCommand)[0].args[0].input).toEqual({ apiKey: 'key1' });
    });

    it('succeeds when the key is already gone', async () => {
      apiGateway.on(DeleteApiKeyCommand).rejects(notFound());

      await expect(plans.deleteApiKey('key1')).resolves.toBeUndefined();
    });

    // IAM denies deleting a key that lacks the stack's tag, and a key that is gone lacks every tag.
    it('succeeds when IAM denies the delete of a key that is already gone', async () => {
      apiGateway.on(DeleteApiKeyCommand).rejects(accessDenied());
      apiGateway.on(GetApiKeyCommand).rejects(notFound());

      await expect(plans.deleteApiKey('key1')).resolves.toBeUndefined();
      expect(apiGateway.commandCalls(GetApiKeyCommand)[0].args[0].input).toEqual({ apiKey: 'key1' });
    });

    it('fails when IAM denies the delete of a key that exists (another stack’s, or untagged)', async () => {
      apiGateway.on(DeleteApiKeyCommand).rejects(accessDenied());
      apiGateway.on(GetApiKeyCommand).resolves({ id: 'key1' });

      await expect(plans.deleteApiKey('key1')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    });
  });

  describe('attachKey', () => {
    it('adds the key to the plan', async () => {
      apiGateway.on(CreateUsagePlanKeyCommand).resolves({ id: 'key1' });

      await plans.attachKey('plan1', 'key1');

      expect(apiGateway.commandCalls(CreateUsagePlanKeyCommand)[0].args[0].input).toEqual({
        usagePlanId: 'plan1',
        keyId: 'key1',
        keyType: 'API_KEY',
      });
    });

    it('succeeds on a conflict when the key is already in this plan', async () => {
      apiGateway.on(CreateUsagePlanKeyCommand).rejects(conflict());
      apiGateway.on(GetUsagePlanKeyCommand).resolves({ id: 'key1', type: 'API_KEY' });

      await expect(plans.attachKey('plan1', 'key1')).resolves.toBeUndefined();

      expect(apiGateway.commandCalls(GetUsagePlanKeyCommand)[0].args[0].input).toEqual({
        usagePlanId: 'plan1',
        keyId: 'key1',
      });
    });

    it('rejects a conflict when the key sits in another plan of the stage', async () => {
      apiGateway.on(CreateUsagePlanKeyCommand).rejects(conflict());
      apiGateway.on(GetUsagePlanKeyCommand).rejects(notFound());

      await expect(plans.attachKey('plan1', 'key1')).rejects.toBeInstanceOf(ConflictException);
    });
  });

  describe('detachKey', () => {
    it('removes the key from the plan', async () => {
      apiGateway.on(DeleteUsagePlanKeyCommand).resolves({});

      await plans.detachKey('plan1', 'key1');

      expect(apiGateway.commandCalls(DeleteUsagePlanKeyCommand)[0].args[0].input).toEqual({
        usagePlanId: 'plan1',
        keyId: 'key1',
      });
    });

    it('succeeds when the key is not in the plan', async () => {
      apiGateway.on(DeleteUsagePlanKeyCommand).rejects(notFound());

      await expect(plans.detachKey('plan1', 'key1')).resolves.toBeUndefined();
    });
  });

  describe('createUsagePlan', () => {
    it('creates a plan bound to the stage with throttle and quota, and returns its id', async () => {
      apiGateway.on(CreateUsagePlanCommand).resolves({ id: 'plan1' });

      await expect(
        plans.createUsagePlan('enterprise-acme', {
          rateLimit: 500,
          burstLimit: 1000,
          quota: { limit: 1_000_000, period: 'MONTH' },
        }),
      ).resolves.toBe('plan1');

      expect(apiGateway.commandCalls(CreateUsagePlanCommand)[0].args[0].input).toEqual({
        name: 'enterprise-acme',
        apiStages: [{ apiId: 'api123', stage: 'prod' }],
        throttle: { rateLimit: 500, burstLimit: 1000 },
        quota: { limit: 1_000_000, period: 'MONTH' },
      });
    });

    it('creates a plan without a quota when the limits have none', async () => {
      apiGateway.on(CreateUsagePlanCommand).resolves({ id: 'plan1' });

      await plans.createUsagePlan('enterprise-acme', { rateLimit: 500, burstLimit: 1000 });

      expect(apiGateway.commandCalls(CreateUsagePlanCommand)[0].args[0].input.quota).toBeUndefined();
    });
  });

  describe('updateUsagePlan', () => {
    it('replaces the throttle and the quota of a plan that has a quota', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({ id: 'plan1', quota: { limit: 10, period: 'DAY' } });
      apiGateway.on(UpdateUsagePlanCommand).resolves({});

      await plans.updateUsagePlan('plan1', { rateLimit: 12.5, burstLimit: 25, quota: { limit: 5000, period: 'WEEK' } });

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)[0].args[0].input).toEqual({
        usagePlanId: 'plan1',
        patchOperations: [
          { op: 'replace', path: '/throttle/rateLimit', value: '12.5' },
          { op: 'replace', path: '/throttle/burstLimit', value: '25' },
          { op: 'replace', path: '/quota/limit', value: '5000' },
          { op: 'replace', path: '/quota/period', value: 'WEEK' },
        ],
      });
    });

    it('adds a quota to a plan that has none', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({ id: 'plan1' });
      apiGateway.on(UpdateUsagePlanCommand).resolves({});

      await plans.updateUsagePlan('plan1', { rateLimit: 10, burstLimit: 20, quota: { limit: 5000, period: 'DAY' } });

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)[0].args[0].input.patchOperations).toEqual([
        { op: 'replace', path: '/throttle/rateLimit', value: '10' },
        { op: 'replace', path: '/throttle/burstLimit', value: '20' },
        { op: 'add', path: '/quota/limit', value: '5000' },
        { op: 'add', path: '/quota/period', value: 'DAY' },
      ]);
    });

    it('removes the quota of a plan whose limits no longer have one', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({ id: 'plan1', quota: { limit: 10, period: 'DAY' } });
      apiGateway.on(UpdateUsagePlanCommand).resolves({});

      await plans.updateUsagePlan('plan1', { rateLimit: 10, burstLimit: 20 });

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)[0].args[0].input.patchOperations).toEqual([
        { op: 'replace', path: '/throttle/rateLimit', value: '10' },
        { op: 'replace', path: '/throttle/burstLimit', value: '20' },
        { op: 'remove', path: '/quota' },
      ]);
    });

    it('leaves the quota alone when the plan had none and still has none', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({ id: 'plan1' });
      apiGateway.on(UpdateUsagePlanCommand).resolves({});

      await plans.updateUsagePlan('plan1', { rateLimit: 10, burstLimit: 20 });

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)[0].args[0].input.patchOperations).toHaveLength(2);
    });
  });

  describe('with the guarded API (otherStages)', () => {
    const both = new ApiGatewayUsagePlans(client, {
      restApiId: 'api123',
      stageName: 'prod',
      otherStages: [{ restApiId: 'guarded9', stageName: 'prod' }],
      backoff: { sleep: noWait },
    });

    it("creates a plan bound to keygate's stage and the guarded one", async () => {
      apiGateway.on(CreateUsagePlanCommand).resolves({ id: 'plan1' });

      await both.createUsagePlan('enterprise-acme', { rateLimit: 500, burstLimit: 1000 });

      expect(apiGateway.commandCalls(CreateUsagePlanCommand)[0].args[0].input.apiStages).toEqual([
        { apiId: 'api123', stage: 'prod' },
        { apiId: 'guarded9', stage: 'prod' },
      ]);
    });

    it('binds a plan made before the guarded API to its stage, even when the limits are unchanged', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({
        id: 'plan1',
        throttle: { rateLimit: 10, burstLimit: 20 },
        apiStages: [{ apiId: 'api123', stage: 'prod' }],
      });
      apiGateway.on(UpdateUsagePlanCommand).resolves({});

      await both.updateUsagePlan('plan1', { rateLimit: 10, burstLimit: 20 });

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)[0].args[0].input.patchOperations).toEqual([
        { op: 'replace', path: '/throttle/rateLimit', value: '10' },
        { op: 'replace', path: '/throttle/burstLimit', value: '20' },
        { op: 'add', path: '/apiStages', value: 'guarded9:prod' },
      ]);
    });

    it('spends no UpdateUsagePlan on a plan already bound to both stages with the same limits', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({
        id: 'plan1',
        throttle: { rateLimit: 10, burstLimit: 20 },
        apiStages: [
          { apiId: 'api123', stage: 'prod' },
          { apiId: 'guarded9', stage: 'prod' },
        ],
      });

      await both.updateUsagePlan('plan1', { rateLimit: 10, burstLimit: 20 });

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)).toHaveLength(0);
    });
  });

  describe('deleteUsagePlan', () => {
    it('unbinds the plan from its stages, then deletes it', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({ id: 'plan1', apiStages: [{ apiId: 'api123', stage: 'prod' }] });
      apiGateway.on(UpdateUsagePlanCommand).resolves({});
      apiGateway.on(DeleteUsagePlanCommand).resolves({});

      await plans.deleteUsagePlan('plan1');

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)[0].args[0].input).toEqual({
        usagePlanId: 'plan1',
        patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api123:prod' }],
      });
      expect(apiGateway.commandCalls(DeleteUsagePlanCommand)[0].args[0].input).toEqual({ usagePlanId: 'plan1' });
      expect(apiGateway.calls().map((call) => call.args[0].constructor)).toEqual([
        GetUsagePlanCommand,
        UpdateUsagePlanCommand,
        DeleteUsagePlanCommand,
      ]);
    });

    it('deletes a plan already unbound from its stages without updating it', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({ id: 'plan1', apiStages: [] });
      apiGateway.on(DeleteUsagePlanCommand).resolves({});

      await plans.deleteUsagePlan('plan1');

      expect(apiGateway.commandCalls(UpdateUsagePlanCommand)).toHaveLength(0);
      expect(apiGateway.commandCalls(DeleteUsagePlanCommand)).toHaveLength(1);
    });

    it('succeeds when the plan is already gone', async () => {
      apiGateway.on(GetUsagePlanCommand).rejects(notFound());

      await expect(plans.deleteUsagePlan('plan1')).resolves.toBeUndefined();

      expect(apiGateway.commandCalls(DeleteUsagePlanCommand)).toHaveLength(0);
    });

    it('succeeds when the plan disappears before the delete', async () => {
      apiGateway.on(GetUsagePlanCommand).resolves({ id: 'plan1' });
      apiGateway.on(DeleteUsagePlanCommand).rejects(notFound());

      await expect(plans.deleteUsagePlan('plan1')).resolves.toBeUndefined();
    });
  });

  describe('getUsage', () => {
    it('asks for the key and the dates', async () => {
      apiGateway.on(GetUsageCommand).resolves({ items: {} });

      await plans.getUsage('plan1', 'key1', day(-22), day(7));

      expect(apiGateway.commandCalls(GetUsageCommand)[0].args[0].input).toEqual({
        usagePlanId: 'plan1',
        keyId: 'key1',
        startDate: day(-22),
        endDate: day(7),
        position: undefined,
      });
    });

    it('sums the used requests across days and pages', async () => {
      apiGateway
        .on(GetUsageCommand)
        .resolvesOnce({
          items: {
            key1: [
              [10, 90],
              [5, 85],
            ],
          },
          position: 'page2',
        })
        .resolvesOnce({ items: { key1: [[7, 78]] } });

      await expect(plans.getUsage('plan1', 'key1', day(-22), day(7))).resolves.toBe(22);

      expect(apiGateway.commandCalls(GetUsageCommand)[1].args[0].input.position).toBe('page2');
    });

    it('counts 0 when the key has no usage', async () => {
      apiGateway.on(GetUsageCommand).resolves({ items: {} });

      await expect(plans.getUsage('plan1', 'key1', day(-22), day(7))).resolves.toBe(0);
    });
  });
});

describe('StageCacheFlusher', () => {
  it('flushes the authorizer cache of the stage', async () => {
    apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});

    await new StageCacheFlusher(client, 'api123', 'prod').flush();

    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)[0].args[0].input).toEqual({
      restApiId: 'api123',
      stageName: 'prod',
    });
  });
});
