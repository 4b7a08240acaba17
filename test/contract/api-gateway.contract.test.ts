import {
  APIGatewayClient,
  BadRequestException,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
  paginateGetApiKeys,
  paginateGetUsagePlanKeys,
  type PatchOperation,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApiGatewaySender } from '../../lambdas/runtime/api-gateway';
import { ApiGatewayUsagePlans } from '../../lambdas/runtime/api-gateway-usage-plans';
import { FakeApiGateway, type FakeApiGatewayOptions } from '../../local/fake-api-gateway';

/**
 * What keygate relies on from API Gateway's control plane, as its API reference and its
 * observed answers describe it, asserted on the one fake that stands in for it (in tests and
 * in `npm start`). Every assertion runs twice: on the fake as the sender, and through a real
 * `APIGatewayClient` whose `send` aws-sdk-client-mock hands to the fake, the way the Lambdas'
 * code reaches API Gateway. The adapter's own command shapes are tested in
 * `test/runtime/api-gateway.test.ts`.
 */
const apiGatewayMock = mockClient(APIGatewayClient);
afterAll(() => apiGatewayMock.restore());

interface Target {
  readonly fake: FakeApiGateway;
  readonly client: ApiGatewaySender;
}

const targets: [string, (options?: FakeApiGatewayOptions) => Target][] = [
  [
    'the fake, called directly',
    (options) => {
      const fake = new FakeApiGateway(options);
      return { fake, client: fake };
    },
  ],
  [
    'an APIGatewayClient driven by aws-sdk-client-mock',
    (options) => {
      const fake = new FakeApiGateway(options);
      apiGatewayMock.reset();
      for (const [command, operation] of fake.operations) {
        // each command's input goes to the fake's operation of the same name.
        apiGatewayMock.on(command as typeof CreateApiKeyCommand).callsFake((input) => operation(input as never));
      }
      return {
        fake,
        client: new APIGatewayClient({
          region: 'eu-west-1',
          credentials: { accessKeyId: 'contract', secretAccessKey: 'contract' },
        }),
      };
    },
  ],
];

const STAGE = { apiId: 'api123', stage: 'prod' };
const OTHER_STAGE = { apiId: 'api456', stage: 'prod' };

describe.each(targets)('API Gateway control plane: %s', (_name, make) => {
  let client: ApiGatewaySender;
  let fake: FakeApiGateway;
  beforeEach(() => {
    ({ client, fake } = make());
  });

  const createKey = async (name: string, value: string): Promise<string> =>
    (await client.send(new CreateApiKeyCommand({ name, value, enabled: true }))).id as string;
  const createPlan = async (
    name: string,
    apiStages = [STAGE],
    quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' },
  ): Promise<string> =>
    (
      await client.send(
        new CreateUsagePlanCommand({ name, apiStages, throttle: { rateLimit: 10, burstLimit: 20 }, quota }),
      )
    ).id as string;
  const attach = (usagePlanId: string, keyId: string) =>
    client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
  const update = (usagePlanId: string, patchOperations: PatchOperation[]) =>
    client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations }));
  const getPlan = (usagePlanId: string) => client.send(new GetUsagePlanCommand({ usagePlanId }));

  describe('API keys', () => {
    it('creates a key with its name and answers its id', async () => {
      const created = await client.send(
        new CreateApiKeyCommand({ name: 'kg-acme-live', value: 'a'.repeat(40), enabled: true }),
      );

      expect(created).toMatchObject({ name: 'kg-acme-live', enabled: true });
      expect(created.id).toEqual(expect.any(String));
    });

    it('refuses a second key with a value already in use (ConflictException)', async () => {
      await createKey('kg-acme-live', 'a'.repeat(40));

      await expect(createKey('kg-other-live', 'a'.repeat(40))).rejects.toBeInstanceOf(ConflictException);
      expect(fake.apiKeyIds).toHaveLength(1);
    });

    it('finds keys whose name starts with nameQuery', async () => {
      const live = await createKey('kg-acme-live', 'a'.repeat(40));
      const test = await createKey('kg-acme-test', 'b'.repeat(40));
      await createKey('kg-other-live', 'c'.repeat(40));

      const found = await client.send(new GetApiKeysCommand({ nameQuery: 'kg-acme-' }));

      expect(found.items?.map((key) => key.id).sort()).toEqual([live, test].sort());
    });

    it('refuses to delete an unknown key (NotFoundException)', async () => {
      await expect(client.send(new DeleteApiKeyCommand({ apiKey: 'nokey' }))).rejects.toBeInstanceOf(NotFoundException);
    });

    it('takes a deleted key out of every usage plan', async () => {
      const plan = await createPlan('kg-starter');
      const key = await createKey('kg-acme-live', 'a'.repeat(40));
      await attach(plan, key);

      await client.send(new DeleteApiKeyCommand({ apiKey: key }));

      await expect(client.send(new GetUsagePlanKeyCommand({ usagePlanId: plan, keyId: key }))).rejects.toBeInstanceOf(
        NotFoundException,
      );
    });
  });

  describe('API keys read with their values, page by page', () => {
    /** Every page of GetApiKeys, following `position` as API Gateway hands it out. */
    const everyPage = async (limit?: number) => {
      const pages = [];
      let position: string | undefined;
      do {
        const page = await client.send(new GetApiKeysCommand({ includeValues: true, limit, position }));
        pages.push(page.items ?? []);
        position = page.position;
      } while (position !== undefined);
      return pages;
    };
    const values = (count: number) => Array.from({ length: count }, (_, i) => `${'v'.repeat(38)}${10 + i}`);

    it('answers each key with its enabled flag and tags, and its value only with includeValues', async () => {
      const tags = { tenant: 'acme' };
      const on = (
        await client.send(new CreateApiKeyCommand({ name: 'on', value: 'a'.repeat(40), enabled: true, tags }))
      ).id;
      const off = (await client.send(new CreateApiKeyCommand({ name: 'off', value: 'b'.repeat(40) }))).id;

      const plain = await client.send(new GetApiKeysCommand({}));
      const withValues = await client.send(new GetApiKeysCommand({ includeValues: true }));

      expect(plain.items?.map((key) => key.value)).toEqual([undefined, undefined]);
      expect(withValues.items).toEqual([
        expect.objectContaining({ id: on, name: 'on', enabled: true, tags, value: 'a'.repeat(40) }),
        expect.objectContaining({ id: off, name: 'off', enabled: false, value: 'b'.repeat(40) }),
      ]);
      expect(withValues.items?.[0].createdDate).toBeInstanceOf(Date);
    });

    it('answers 25 keys a page unless limit says otherwise, every key once across the pages', async () => {
      for (const [i, value] of values(26).entries()) await createKey(`key-${i}`, value);

      const byDefault = await everyPage();
      const byThree = await everyPage(3);

      expect(byDefault.map((page) => page.length)).toEqual([25, 1]);
      expect(byThree.map((page) => page.length)).toEqual([3, 3, 3, 3, 3, 3, 3, 3, 2]);
      expect(new Set(byThree.flat().map((key) => key.value))).toEqual(new Set(values(26)));
    });

    it('answers a plan’s keys page by page, and NotFoundException for an unknown plan', async () => {
      const plan = await createPlan('kg-starter');
      const other = await createPlan('other-starter', [OTHER_STAGE]);
      const ids = [];
      for (const [i, value] of values(5).entries()) ids.push(await createKey(`key-${i}`, value));
      for (const id of ids.slice(0, 4)) await attach(plan, id);
      await attach(other, ids[4] as string);

      const first = await client.send(new GetUsagePlanKeysCommand({ usagePlanId: plan, limit: 3 }));
      const second = await client.send(
        new GetUsagePlanKeysCommand({ usagePlanId: plan, limit: 3, position: first.position }),
      );

      expect(first.items?.map((key) => key.id)).toEqual(ids.slice(0, 3));
      expect(first.items?.[0]).toMatchObject({ name: 'key-0', type: 'API_KEY' });
      expect(second.items?.map((key) => key.id)).toEqual(ids.slice(3, 4));
      expect(second.position).toBeUndefined();
      await expect(client.send(new GetUsagePlanKeysCommand({ usagePlanId: 'noplan' }))).rejects.toBeInstanceOf(
        NotFoundException,
      );
    });

    it('refuses a position it did not hand out (BadRequestException)', async () => {
      await expect(client.send(new GetApiKeysCommand({ position: 'not-a-position' }))).rejects.toBeInstanceOf(
        BadRequestException,
      );
    });
  });

  describe('tags given at creation', () => {
    it('keeps the tags an API key and a usage plan are created with, and answers them when read', async () => {
      const tags = { 'keygate:stack': 'Keygate' };
      const key = await client.send(new CreateApiKeyCommand({ name: 'kg-acme-live', value: 'a'.repeat(40), tags }));
      const plan = await client.send(
        new CreateUsagePlanCommand({ name: 'kg-enterprise-acme', apiStages: [STAGE], tags }),
      );

      expect(key.tags).toEqual(tags);
      expect(plan.tags).toEqual(tags);
      expect((await client.send(new GetApiKeysCommand({}))).items?.[0].tags).toEqual(tags);
      expect((await getPlan(plan.id as string)).tags).toEqual(tags);
      expect((await client.send(new GetUsagePlansCommand({}))).items?.[0].tags).toEqual(tags);
    });

    it('refuses a tag key that starts with aws: or is over 128 characters (BadRequestException)', async () => {
      for (const tags of [{ 'aws:stack': 'Keygate' }, { ['k'.repeat(129)]: 'Keygate' }]) {
        await expect(
          client.send(new CreateApiKeyCommand({ name: 'kg-acme-live', value: 'a'.repeat(40), tags })),
        ).rejects.toBeInstanceOf(BadRequestException);
        await expect(
          client.send(new CreateUsagePlanCommand({ name: 'kg-enterprise-acme', apiStages: [STAGE], tags })),
        ).rejects.toBeInstanceOf(BadRequestException);
      }
      expect(fake.apiKeyIds).toEqual([]);
      expect(fake.usagePlanIds).toEqual([]);
    });
  });

  describe('usage plan keys', () => {
    it('attaches a key to a plan', async () => {
      const plan = await createPlan('kg-starter');
      const key = await createKey('kg-acme-live', 'a'.repeat(40));

      await attach(plan, key);

      await expect(client.send(new GetUsagePlanKeyCommand({ usagePlanId: plan, keyId: key }))).resolves.toMatchObject({
        id: key,
        type: 'API_KEY',
      });
    });

    it('refuses a key already in a plan of the same stage (ConflictException), and leaves it where it was', async () => {
      const starter = await createPlan('kg-starter');
      const growth = await createPlan('kg-growth');
      const key = await createKey('kg-acme-live', 'a'.repeat(40));
      await attach(starter, key);

      await expect(attach(growth, key)).rejects.toBeInstanceOf(ConflictException);
      expect(fake.planOf(key)?.id).toBe(starter);
    });

    it('refuses a key already in this very plan (ConflictException)', async () => {
      const plan = await createPlan('kg-starter');
      const key = await createKey('kg-acme-live', 'a'.repeat(40));
      await attach(plan, key);

      await expect(attach(plan, key)).rejects.toBeInstanceOf(ConflictException);
    });

    it('takes a key into plans of different stages', async () => {
      const here = await createPlan('kg-starter');
      const there = await createPlan('other-starter', [OTHER_STAGE]);
      const key = await createKey('kg-acme-live', 'a'.repeat(40));
      await attach(here, key);

      await expect(attach(there, key)).resolves.toBeDefined();
    });

    it('answers NotFoundException for an unknown plan, an unknown key, and a key not in the plan', async () => {
      const plan = await createPlan('kg-starter');
      const key = await createKey('kg-acme-live', 'a'.repeat(40));

      await expect(attach('noplan', key)).rejects.toBeInstanceOf(NotFoundException);
      await expect(attach(plan, 'nokey')).rejects.toBeInstanceOf(NotFoundException);
      await expect(client.send(new GetUsagePlanKeyCommand({ usagePlanId: plan, keyId: key }))).rejects.toBeInstanceOf(
        NotFoundException,
      );
      await expect(
        client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: plan, keyId: key })),
      ).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('usage plans', () => {
    it('creates a plan bound to its stages with its throttle and quota, and lists it', async () => {
      const plan = await createPlan('kg-enterprise-acme', [STAGE], { limit: 1000, period: 'MONTH' });

      await expect(getPlan(plan)).resolves.toMatchObject({
        id: plan,
        name: 'kg-enterprise-acme',
        apiStages: [STAGE],
        throttle: { rateLimit: 10, burstLimit: 20 },
        quota: { limit: 1000, period: 'MONTH' },
      });
      const listed = await client.send(new GetUsagePlansCommand({ limit: 500 }));
      expect(listed.items?.map((item) => item.name)).toEqual(['kg-enterprise-acme']);
    });

    it('answers NotFoundException for an unknown plan', async () => {
      await expect(getPlan('noplan')).rejects.toBeInstanceOf(NotFoundException);
      await expect(update('noplan', [])).rejects.toBeInstanceOf(NotFoundException);
      await expect(client.send(new DeleteUsagePlanCommand({ usagePlanId: 'noplan' }))).rejects.toBeInstanceOf(
        NotFoundException,
      );
    });

    it('refuses to delete a plan bound to an API stage (BadRequestException), and keeps it', async () => {
      const plan = await createPlan('kg-enterprise-acme');

      await expect(client.send(new DeleteUsagePlanCommand({ usagePlanId: plan }))).rejects.toBeInstanceOf(
        BadRequestException,
      );
      await expect(getPlan(plan)).resolves.toMatchObject({ apiStages: [STAGE] });
    });

    it('deletes a plan once `remove /apiStages` with `apiId:stage` has unbound it', async () => {
      const plan = await createPlan('kg-enterprise-acme');

      await update(plan, [{ op: 'remove', path: '/apiStages', value: `${STAGE.apiId}:${STAGE.stage}` }]);
      await client.send(new DeleteUsagePlanCommand({ usagePlanId: plan }));

      await expect(getPlan(plan)).rejects.toBeInstanceOf(NotFoundException);
    });

    it('replaces the throttle field by field', async () => {
      const plan = await createPlan('kg-enterprise-acme');

      await update(plan, [
        { op: 'replace', path: '/throttle/rateLimit', value: '50' },
        { op: 'replace', path: '/throttle/burstLimit', value: '100' },
      ]);

      await expect(getPlan(plan)).resolves.toMatchObject({ throttle: { rateLimit: 50, burstLimit: 100 } });
    });

    it('adds a quota to a plan without one, replaces it, and removes it', async () => {
      const plan = await createPlan('kg-enterprise-acme');

      await update(plan, [
        { op: 'add', path: '/quota/limit', value: '500' },
        { op: 'add', path: '/quota/period', value: 'DAY' },
      ]);
      await expect(getPlan(plan)).resolves.toMatchObject({ quota: { limit: 500, period: 'DAY' } });
      await update(plan, [{ op: 'replace', path: '/quota/limit', value: '700' }]);
      await expect(getPlan(plan)).resolves.toMatchObject({ quota: { limit: 700, period: 'DAY' } });
      await update(plan, [{ op: 'remove', path: '/quota' }]);
      expect((await getPlan(plan)).quota).toBeUndefined();
    });

    it('refuses an invalid patch path (BadRequestException) and applies none of the operations', async () => {
      const plan = await createPlan('kg-enterprise-acme');

      // the stage in the path, not the value, is the mistake API Gateway names "Invalid patch path".
      const invalid = update(plan, [
        { op: 'replace', path: '/throttle/rateLimit', value: '50' },
        { op: 'remove', path: `/apiStages/${STAGE.apiId}:${STAGE.stage}` },
      ]);

      await expect(invalid).rejects.toBeInstanceOf(BadRequestException);
      await expect(getPlan(plan)).resolves.toMatchObject({ throttle: { rateLimit: 10 }, apiStages: [STAGE] });
    });

    it('refuses to remove a stage the plan is not bound to, and a quota it does not have (BadRequestException)', async () => {
      const plan = await createPlan('kg-enterprise-acme');

      await expect(update(plan, [{ op: 'remove', path: '/apiStages', value: 'api999:prod' }])).rejects.toBeInstanceOf(
        BadRequestException,
      );
      await expect(update(plan, [{ op: 'remove', path: '/quota' }])).rejects.toBeInstanceOf(BadRequestException);
    });
  });

  describe('GetUsage', () => {
    it('answers, per key, one [used, remaining] pair per day of the range', async () => {
      ({ client, fake } = make({ usage: () => 7 }));
      const plan = await createPlan('kg-enterprise-acme', [STAGE], { limit: 100, period: 'MONTH' });
      const key = await createKey('kg-acme-live', 'a'.repeat(40));
      await attach(plan, key);

      const usage = await client.send(
        new GetUsageCommand({ usagePlanId: plan, keyId: key, startDate: '2001-02-01', endDate: '2001-02-03' }),
      );

      expect(usage.items?.[key]).toHaveLength(3);
      expect(usage.items?.[key]?.every((day) => day.length === 2)).toBe(true);
      expect(usage.items?.[key]?.reduce((sum, [used]) => sum + used, 0)).toBe(7);
    });

    it('answers NotFoundException for an unknown plan', async () => {
      await expect(
        client.send(new GetUsageCommand({ usagePlanId: 'noplan', startDate: '2001-02-01', endDate: '2001-02-01' })),
      ).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('the account-wide UpdateUsagePlan rate', () => {
    it('refuses a second UpdateUsagePlan within the interval (TooManyRequestsException), and takes one after it', async () => {
      let now = 0;
      ({ client, fake } = make({ now: () => now, updateUsagePlanIntervalMs: 20_000 }));
      const plan = await createPlan('kg-enterprise-acme');
      const raise = () => update(plan, [{ op: 'replace', path: '/throttle/rateLimit', value: '11' }]);
      await raise();

      now += 19_999;
      await expect(raise()).rejects.toBeInstanceOf(TooManyRequestsException);
      now += 1;
      await expect(raise()).resolves.toBeDefined();
    });
  });

  describe('ApiGatewayUsagePlans, the adapter the Lambdas use, on it', () => {
    const adapter = () =>
      new ApiGatewayUsagePlans(client, {
        restApiId: STAGE.apiId,
        stageName: STAGE.stage,
        backoff: { sleep: async () => undefined },
      });

    it('deletes a plan bound to the stage, and takes a second delete as done', async () => {
      const plans = adapter();
      const plan = await plans.createUsagePlan('kg-enterprise-acme', { rateLimit: 10, burstLimit: 20 });

      await plans.deleteUsagePlan(plan);
      await plans.deleteUsagePlan(plan);

      expect(fake.usagePlanIds).toEqual([]);
    });

    it('takes attaching a key twice as done, and refuses it in another plan of the stage', async () => {
      const plans = adapter();
      const starter = await plans.createUsagePlan('kg-starter', { rateLimit: 10, burstLimit: 20 });
      const growth = await plans.createUsagePlan('kg-growth', { rateLimit: 100, burstLimit: 200 });
      const key = await plans.createApiKey('kg-acme-live', 'a'.repeat(40));

      await plans.attachKey(starter, key);
      await plans.attachKey(starter, key);

      await expect(plans.attachKey(growth, key)).rejects.toBeInstanceOf(ConflictException);
      expect(fake.planOf(key)?.id).toBe(starter);
    });

    it('moves a plan to new limits, with and without a quota', async () => {
      const plans = adapter();
      const plan = await plans.createUsagePlan('kg-enterprise-acme', { rateLimit: 10, burstLimit: 20 });

      await plans.updateUsagePlan(plan, { rateLimit: 50, burstLimit: 100, quota: { limit: 1000, period: 'WEEK' } });
      expect(fake.limitsOf(plan)).toEqual({ rateLimit: 50, burstLimit: 100, quota: { limit: 1000, period: 'WEEK' } });
      await plans.updateUsagePlan(plan, { rateLimit: 50, burstLimit: 100, quota: { limit: 2000, period: 'MONTH' } });
      expect(fake.limitsOf(plan)).toEqual({ rateLimit: 50, burstLimit: 100, quota: { limit: 2000, period: 'MONTH' } });
      await plans.updateUsagePlan(plan, { rateLimit: 5, burstLimit: 5 });
      expect(fake.limitsOf(plan)).toEqual({ rateLimit: 5, burstLimit: 5 });
    });

    it('takes deleting and detaching what is already gone as done, and finds no plan by an unknown name', async () => {
      const plans = adapter();
      const plan = await plans.createUsagePlan('kg-starter', { rateLimit: 10, burstLimit: 20 });

      await expect(plans.deleteApiKey('nokey')).resolves.toBeUndefined();
      await expect(plans.detachKey(plan, 'nokey')).resolves.toBeUndefined();
      await expect(plans.findUsagePlan('kg-nothing')).resolves.toBeUndefined();
      await expect(plans.findUsagePlan('kg-starter')).resolves.toBe(plan);
    });
  });
});

describe('the SDK v3 paginators over the fake, through a real APIGatewayClient', () => {
  const make = targets[1]?.[1] as (options?: FakeApiGatewayOptions) => Target;

  it('paginateGetApiKeys and paginateGetUsagePlanKeys follow its positions to every key once', async () => {
    const { fake, client } = make();
    const plan = await fake.createUsagePlan({ name: 'kg-starter', apiStages: [STAGE] });
    const values = Array.from({ length: 7 }, (_, i) => `${'p'.repeat(39)}${i}`);
    for (const [i, value] of values.entries()) {
      const { id } = await fake.createApiKey({ name: `key-${i}`, value, enabled: true });
      if (i % 2 === 0) await fake.createUsagePlanKey({ usagePlanId: plan.id, keyId: id, keyType: 'API_KEY' });
    }
    const apiGateway = client as APIGatewayClient;

    const seen: (string | undefined)[] = [];
    for await (const page of paginateGetApiKeys({ client: apiGateway, pageSize: 2 }, { includeValues: true }))
      seen.push(...(page.items ?? []).map((key) => key.value));
    const inPlan: (string | undefined)[] = [];
    for await (const page of paginateGetUsagePlanKeys({ client: apiGateway, pageSize: 3 }, { usagePlanId: plan.id }))
      inPlan.push(...(page.items ?? []).map((key) => key.name));

    expect(seen).toEqual(values);
    expect(inPlan).toEqual(['key-0', 'key-2', 'key-4', 'key-6']);
    expect(apiGatewayMock.commandCalls(GetApiKeysCommand)).toHaveLength(4);
  });
});
