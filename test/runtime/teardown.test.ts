import {
  APIGatewayClient,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  GetApiKeysCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { isComplete, onEvent, type TeardownEvent } from '../../lambdas/teardown/handler';
import { sweep } from '../../lambdas/teardown/sweep';
import { recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

const apiGateway = mockClient(APIGatewayClient);
const client = new APIGatewayClient({ region: 'eu-west-1' });
const noWait = async (): Promise<void> => undefined;
const target = { restApiId: 'api123', namePrefix: 'Keygate', sharedPlanIds: ['shared-starter'] };
const deps = (hasTime: () => boolean = () => true) => ({ client, logger: recordingLogger(), sleep: noWait, hasTime });

const stage = (apiId: string) => [{ apiId, stage: 'prod' }];
const tooMany = () => new TooManyRequestsException({ message: 'slow down', $metadata: {} });
const notFound = () => new NotFoundException({ message: 'Invalid API Key identifier specified', $metadata: {} });

/** An account holding this stack's resources and look-alikes that are not its own. */
function account(): void {
  apiGateway.on(GetUsagePlansCommand).resolves({
    items: [
      { id: 'shared-starter', name: 'Keygate-starter', apiStages: stage('api123') },
      { id: 'ent-acme', name: 'Keygate-enterprise-acme', apiStages: stage('api123') },
      // same prefix, another stack's API: not ours.
      { id: 'ent-other', name: 'Keygate-2-enterprise-x', apiStages: stage('api999') },
      { id: 'unbound', name: 'Keygate-enterprise-gone', apiStages: [] },
      // unbound by a crashed step, but tagged: ours.
      { id: 'ent-tagged', name: 'Keygate-enterprise-half', apiStages: [], tags: { 'keygate:stack': 'Keygate' } },
    ],
  });
  apiGateway.on(GetUsagePlanKeysCommand).resolves({ items: [] });
  apiGateway
    .on(GetUsagePlanKeysCommand, { usagePlanId: 'shared-starter' })
    .resolves({ items: [{ id: 'k-acme-live' }] });
  apiGateway.on(GetUsagePlanKeysCommand, { usagePlanId: 'ent-acme' }).resolves({ items: [{ id: 'k-big-live' }] });
  apiGateway.on(GetApiKeysCommand).resolves({
    items: [
      { id: 'k-acme-live', name: 'Keygate-acme-live' },
      { id: 'k-big-live', name: 'Keygate-big-live' },
      // detached mid-move, but tagged: ours.
      { id: 'k-stray', name: 'Keygate-stray-test', tags: { 'keygate:stack': 'Keygate' } },
      // stack Keygate-2's key: the name matches the prefix, the tag and plans do not.
      { id: 'k-other', name: 'Keygate-2-x-live', tags: { 'keygate:stack': 'Keygate-2' } },
      // someone else's key the name query returned.
      { id: 'k-user', name: 'KeygateDemo' },
    ],
  });
  apiGateway
    .on(GetUsagePlanCommand, { usagePlanId: 'ent-acme' })
    .resolves({ id: 'ent-acme', apiStages: stage('api123') });
  apiGateway.on(GetUsagePlanCommand, { usagePlanId: 'ent-tagged' }).resolves({ id: 'ent-tagged', apiStages: [] });
  apiGateway.on(DeleteApiKeyCommand).resolves({});
  apiGateway.on(UpdateUsagePlanCommand).resolves({});
  apiGateway.on(DeleteUsagePlanCommand).resolves({});
}

const deletedKeys = () => apiGateway.commandCalls(DeleteApiKeyCommand).map((c) => c.args[0].input.apiKey);
const deletedPlans = () => apiGateway.commandCalls(DeleteUsagePlanCommand).map((c) => c.args[0].input.usagePlanId);

beforeEach(() => {
  apiGateway.reset();
});

describe('sweep', () => {
  it("deletes the stack's API keys and enterprise plans, and nothing that only looks like them", async () => {
    account();

    const result = await sweep(target, deps());

    expect(result).toEqual({ deletedApiKeys: 3, deletedUsagePlans: 2, remaining: false });
    expect(deletedKeys()).toEqual(['k-acme-live', 'k-big-live', 'k-stray']);
    expect(deletedPlans()).toEqual(['ent-acme', 'ent-tagged']);
    // unbound from the stage first: a plan bound to it would keep the stage from being deleted.
    expect(apiGateway.commandCalls(UpdateUsagePlanCommand)[0].args[0].input).toEqual({
      usagePlanId: 'ent-acme',
      patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api123:prod' }],
    });
  });

  it('is idempotent: what is already gone counts as deleted, and a second run over the result deletes nothing', async () => {
    account();
    apiGateway.on(DeleteApiKeyCommand).rejects(notFound());
    apiGateway.on(GetUsagePlanCommand).rejects(notFound());

    expect((await sweep(target, deps())).remaining).toBe(false);

    apiGateway.reset();
    apiGateway
      .on(GetUsagePlansCommand)
      .resolves({ items: [{ id: 'shared-starter', name: 'Keygate-starter', apiStages: stage('api123') }] });
    apiGateway.on(GetUsagePlanKeysCommand).resolves({ items: [] });
    apiGateway.on(GetApiKeysCommand).resolves({ items: [] });
    expect(await sweep(target, deps())).toEqual({ deletedApiKeys: 0, deletedUsagePlans: 0, remaining: false });
    expect(deletedKeys()).toEqual([]);
    expect(deletedPlans()).toEqual([]);
  });

  it('retries throttled calls (listing and deleting) until they pass', async () => {
    account();
    apiGateway
      .on(GetApiKeysCommand)
      .rejectsOnce(tooMany())
      .resolves({ items: [{ id: 'k-acme-live', name: 'Keygate-acme-live' }] });
    apiGateway.on(DeleteApiKeyCommand).rejectsOnce(tooMany()).rejectsOnce(tooMany()).resolves({});
    apiGateway.on(UpdateUsagePlanCommand).rejectsOnce(tooMany()).resolves({});

    const result = await sweep(target, deps());

    expect(result).toEqual({ deletedApiKeys: 1, deletedUsagePlans: 2, remaining: false });
    expect(apiGateway.commandCalls(DeleteApiKeyCommand)).toHaveLength(3);
    expect(apiGateway.commandCalls(UpdateUsagePlanCommand)).toHaveLength(2);
  });

  it('follows every page of every listing', async () => {
    account();
    apiGateway
      .on(GetApiKeysCommand, { position: undefined })
      .resolves({ items: [{ id: 'k-acme-live', name: 'Keygate-acme-live' }], position: 'p2' })
      .on(GetApiKeysCommand, { position: 'p2' })
      .resolves({ items: [{ id: 'k-big-live', name: 'Keygate-big-live' }] });

    await sweep(target, deps());

    expect(deletedKeys()).toEqual(['k-acme-live', 'k-big-live']);
  });

  it('stops when its time is up, says something remains, and fails on errors that are not throttling', async () => {
    account();
    let budget = 2;
    const result = await sweep(
      target,
      deps(() => budget-- > 0),
    );
    expect(result).toEqual({ deletedApiKeys: 2, deletedUsagePlans: 0, remaining: true });

    apiGateway.reset();
    account();
    apiGateway
      .on(DeleteApiKeyCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    await expect(sweep(target, deps())).rejects.toThrow('not allowed');
  });
});

describe('the custom resource handlers', () => {
  const event = (RequestType: TeardownEvent['RequestType']): TeardownEvent => ({
    RequestType,
    PhysicalResourceId: 'keygate-teardown',
    ResourceProperties: { RestApiId: 'api123', NamePrefix: 'Keygate', SharedPlanIds: ['shared-starter'] },
  });
  const handlerDeps = (remainingMs: number) => ({
    client,
    logger: recordingLogger(),
    sleep: noWait,
    remainingMs: () => remainingMs,
  });

  it('does nothing on Create and Update', async () => {
    expect(await onEvent(event('Create'))).toEqual({ PhysicalResourceId: 'keygate-teardown' });
    expect(await isComplete(event('Create'), handlerDeps(900_000))).toEqual({ IsComplete: true });
    expect(await isComplete(event('Update'), handlerDeps(900_000))).toEqual({ IsComplete: true });
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('sweeps on Delete, and asks to be called again when the invocation is nearly out of time', async () => {
    account();
    expect(await isComplete(event('Delete'), handlerDeps(30_000))).toEqual({ IsComplete: false });
    expect(deletedKeys()).toEqual([]);
    expect(await isComplete(event('Delete'), handlerDeps(900_000))).toEqual({ IsComplete: true });
    expect(deletedKeys()).toEqual(['k-acme-live', 'k-big-live', 'k-stray']);
  });
});

describe('a destroy that outlasts the hour', () => {
  type Plan = {
    id: string;
    name: string;
    apiStages: { apiId: string; stage: string }[];
    tags?: Record<string, string>;
  };
  type Key = { id: string; name: string; tags?: Record<string, string> };
  const MINUTE = 60_000;

  /**
   * An account as API Gateway keeps it, half torn down by an earlier sweep: one key gone, one
   * enterprise plan unbound but not deleted. Every deletion takes 20 minutes of `clock`
   * (a throttled control plane), and deleting what is gone answers 404.
   */
  function halfTornDown(clock: { now: number }) {
    const plans = new Map<string, Plan>(
      [
        { id: 'shared-starter', name: 'Keygate-starter', apiStages: stage('api123') },
        { id: 'ent-acme', name: 'Keygate-enterprise-acme', apiStages: stage('api123') },
        { id: 'ent-other', name: 'Keygate-2-enterprise-x', apiStages: stage('api999') },
        { id: 'ent-tagged', name: 'Keygate-enterprise-half', apiStages: [], tags: { 'keygate:stack': 'Keygate' } },
      ].map((plan) => [plan.id, plan]),
    );
    const keys = new Map<string, Key>(
      [
        { id: 'k-big-live', name: 'Keygate-big-live' },
        { id: 'k-stray', name: 'Keygate-stray-test', tags: { 'keygate:stack': 'Keygate' } },
        { id: 'k-other', name: 'Keygate-2-x-live', tags: { 'keygate:stack': 'Keygate-2' } },
      ].map((key) => [key.id, key]),
    );
    const planKeys = new Map([['ent-acme', ['k-big-live']]]);
    const slow = () => (clock.now += 20 * MINUTE);
    apiGateway.on(GetUsagePlansCommand).callsFake(() => ({ items: [...plans.values()] }));
    apiGateway.on(GetUsagePlanKeysCommand).callsFake(({ usagePlanId }) => ({
      items: (planKeys.get(usagePlanId) ?? []).filter((id) => keys.has(id)).map((id) => ({ id })),
    }));
    apiGateway.on(GetApiKeysCommand).callsFake(() => ({ items: [...keys.values()] }));
    apiGateway.on(GetUsagePlanCommand).callsFake(({ usagePlanId }) => {
      const plan = plans.get(usagePlanId);
      if (plan === undefined) throw notFound();
      return plan;
    });
    apiGateway.on(UpdateUsagePlanCommand).callsFake(({ usagePlanId }) => {
      plans.get(usagePlanId)!.apiStages = [];
      return {};
    });
    apiGateway.on(DeleteUsagePlanCommand).callsFake(({ usagePlanId }) => {
      slow();
      if (!plans.delete(usagePlanId)) throw notFound();
      return {};
    });
    apiGateway.on(DeleteApiKeyCommand).callsFake(({ apiKey }) => {
      slow();
      if (!keys.delete(apiKey)) throw notFound();
      return {};
    });
    return { plans, keys };
  }

  const deleteEvent: TeardownEvent = {
    RequestType: 'Delete',
    PhysicalResourceId: 'keygate-teardown',
    ResourceProperties: {
      RestApiId: 'api123',
      NamePrefix: 'Keygate',
      SharedPlanIds: ['shared-starter'],
      SweepSeconds: '3000',
    },
  };
  /** What CloudFormation's Delete does through the Provider framework: onEvent, then isComplete until done. */
  async function destroy(clock: { now: number }): Promise<void> {
    const accepted = await onEvent(deleteEvent, () => clock.now);
    const event = { ...deleteEvent, ...accepted };
    const deps = { client, logger: recordingLogger(), sleep: noWait, remainingMs: () => 900_000, now: () => clock.now };
    while (!(await isComplete(event, deps)).IsComplete) clock.now += 15_000;
  }

  it('stops before its deadline, with a message that says to run cdk destroy again', async () => {
    const clock = { now: Date.parse(instant(0, '04:05')) };
    const started = clock.now;
    halfTornDown(clock);
    await expect(destroy(clock)).rejects.toThrow(/run `npx cdk destroy` again: it continues where this one stopped/);
    // within the 50 minutes the sweep was given (every deletion here takes 20).
    expect(clock.now - started).toBeLessThanOrEqual(60 * MINUTE);
  });

  it('continues where the last destroy stopped when run again, and finishes', async () => {
    const clock = { now: Date.parse(instant(0, '04:05')) };
    const { plans, keys } = halfTornDown(clock);
    await expect(destroy(clock)).rejects.toThrow(/cdk destroy/);
    const leftAfterFirst = [...plans.keys(), ...keys.keys()];
    expect(leftAfterFirst).toEqual(expect.arrayContaining(['ent-tagged']));

    await destroy(clock);

    expect([...plans.keys()].sort()).toEqual(['ent-other', 'shared-starter']);
    expect([...keys.keys()]).toEqual(['k-other']);
    // nothing deleted twice: the second run took up only what the first left.
    const deletions = [...deletedKeys(), ...deletedPlans()];
    expect(new Set(deletions).size).toBe(deletions.length);
  });
});
