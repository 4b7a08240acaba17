import { createHash } from 'node:crypto';
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetUsageCommand,
  GetUsagePlanCommand,
  ServiceUnavailableException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  InternalServerError,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createAccountHandler } from '../../lambdas/account/handler';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import type { Role } from '../../lambdas/core/keys/format';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import { TenantService } from '../../lambdas/core/tenants/tenant-service';
import type { PlanCatalog } from '../../lambdas/core/plans/usage-plans';
import { createPanelHandler } from '../../lambdas/panel/handler';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { settlingFlusher } from '../support/flush';
import { SqsReconcileQueue } from '../../lambdas/runtime/reconcile-queue';
import { ApiGatewayUsagePlans } from '../../lambdas/runtime/api-gateway-usage-plans';
import { StageCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { callerContext, operatorCaller, proxyEvent, type CallerContext } from '../support/events';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

const apiGateway = mockClient(APIGatewayClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);

const NOW = instant(0, '10:00');
/** Mid-month in a February of 28 days, for the monthly usage report: a calendar fact, in a far year. */
const FEBRUARY_14 = '2001-02-14T15:30:00.000Z';
const RECONCILE_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keygate-reconcile.fifo';
const PLANS: PlanCatalog = {
  starter: { usagePlanId: 'up-starter', limits: { rateLimit: 10, burstLimit: 20 } },
  growth: { usagePlanId: 'up-growth', limits: { rateLimit: 100, burstLimit: 200 } },
  scale: { usagePlanId: 'up-scale', limits: { rateLimit: 1000, burstLimit: 2000 } },
};
const LIVE_VALUE = 'LiveUsageValue0123456789abcdefghijklmnop';
const TEST_VALUE = 'TestUsageValue0123456789abcdefghijklmnop';

/** A starter tenant with a live and a test usage identifier, as the panel finds it. */
const starterTenant = tenantFixture({
  version: 3,
  usageKeys: { live: { id: 'apikey-live', value: LIVE_VALUE }, test: { id: 'apikey-test', value: TEST_VALUE } },
});
/** An enterprise tenant with a usage plan of its own and a monthly quota. */
const enterpriseTenant = tenantFixture({
  plan: 'enterprise',
  limits: { rateLimit: 500, burstLimit: 1000, quota: { limit: 1_000_000, period: 'MONTH' } },
  usagePlanId: 'up-ent-acme',
  version: 5,
  usageKeys: starterTenant.usageKeys,
});
const liveKey = keyFixture({ tenant: starterTenant, environment: 'live', role: 'owner' }).item;
const testKey = keyFixture({ tenant: starterTenant, environment: 'test', role: 'developer' }).item;

const unavailable = () => new ServiceUnavailableException({ message: 'try again later', $metadata: {} });
const tooManyRequests = () => new TooManyRequestsException({ message: 'slow down', $metadata: {} });

/** A handler's answer with its body parsed; bodies are `any` because each route has its own. */
interface Answer {
  readonly status: number;
  readonly text: string;
  readonly body: any;
}

function setup(now = NOW) {
  const logger = recordingLogger();
  const clock = fixedClock(now);
  const sleep = jest.fn(async (_ms: number) => undefined);
  // the pause between tries of a tenant write that lost a race, apart from API Gateway's backoff.
  const racePause = jest.fn(async (_ms: number) => undefined);
  const apiClient = new APIGatewayClient({ region: 'eu-west-1' });
  const store = new DynamoKeyStore({
    client: documentClient(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: 'keys',
  });
  const cache = settlingFlusher(new StageCacheFlusher(apiClient, 'api123', 'prod'), clock);
  const tenants = new TenantService({
    store,
    usagePlans: new ApiGatewayUsagePlans(apiClient, { restApiId: 'api123', stageName: 'prod', backoff: { sleep } }),
    plans: PLANS,
    prefix: 'sk',
    clock,
    cache,
    logger,
    namePrefix: 'keygate',
    reconcile: new SqsReconcileQueue(new SQSClient({ region: 'eu-west-1' }), RECONCILE_QUEUE_URL),
    sleep: racePause,
  });
  const panelHandler = createPanelHandler(tenants, logger, {
    store,
    clock,
    prefix: 'sk',
    cache,
    logger,
    usage: tenants,
  });
  const accountHandler = createAccountHandler({ store, clock, logger, tenants });
  const answer = async (result: Promise<{ statusCode: number; body: string }>): Promise<Answer> => {
    const { statusCode, body } = await result;
    return { status: statusCode, text: body, body: body === '' ? undefined : JSON.parse(body) };
  };
  return {
    panel: (event: APIGatewayProxyEvent) => answer(panelHandler(event)),
    account: (event: APIGatewayProxyEvent) => answer(accountHandler(event)),
    tenants,
    logger,
    sleep,
    racePause,
  };
}

// the panel's routes, as API Gateway would call them.
const createTenant = (body: unknown, caller: CallerContext = operatorCaller) =>
  proxyEvent({ method: 'POST', resource: '/v1/panel/tenants', body, caller });
const getTenant = (tenantId: string, caller: CallerContext = operatorCaller) =>
  proxyEvent({ method: 'GET', resource: '/v1/panel/tenants/{tenantId}', pathParameters: { tenantId }, caller });
const changePlan = (tenantId: string, body: unknown, caller: CallerContext = operatorCaller) =>
  proxyEvent({
    method: 'PUT',
    resource: '/v1/panel/tenants/{tenantId}/plan',
    pathParameters: { tenantId },
    body,
    caller,
  });
const suspend = (tenantId: string, caller: CallerContext = operatorCaller, body?: unknown) =>
  proxyEvent({
    method: 'POST',
    resource: '/v1/panel/tenants/{tenantId}/suspend',
    pathParameters: { tenantId },
    body,
    caller,
  });
const resume = (tenantId: string, caller: CallerContext = operatorCaller) =>
  proxyEvent({ method: 'POST', resource: '/v1/panel/tenants/{tenantId}/resume', pathParameters: { tenantId }, caller });
const usage = (caller: CallerContext) => proxyEvent({ method: 'GET', resource: '/v1/usage', caller });

/** The commands sent, in order, without the `Command` suffix. */
const apiCalls = (): string[] =>
  apiGateway.calls().map((call) => call.args[0].constructor.name.replace(/Command$/, ''));
const dbCalls = (): string[] => ddb.calls().map((call) => call.args[0].constructor.name.replace(/Command$/, ''));
/** Updates of tenant items, alone or (with their event) as the first item of a transaction. */
const tenantUpdates = (): UpdateCommandInput[] =>
  [
    ...ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input),
    ...ddb
      .commandCalls(TransactWriteCommand)
      .flatMap((call) => (call.args[0].input.TransactItems ?? []).map((item) => item.Update as UpdateCommandInput)),
  ].filter((input) => input !== undefined && String(input.Key?.pk).startsWith('TENANT#'));
/** The events written, in order. */
const eventsWritten = (): Record<string, unknown>[] =>
  ddb
    .commandCalls(TransactWriteCommand)
    .flatMap((call) =>
      (call.args[0].input.TransactItems ?? []).map((item) => item.Put?.Item as Record<string, unknown> | undefined),
    )
    .filter((item): item is Record<string, unknown> => item !== undefined && String(item.pk).startsWith('EVENT#'));
const keyUpdates = (): UpdateCommandInput[] =>
  ddb
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => String(input.Key?.pk).startsWith('KEY#'));
function expectError(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
}

/** The raw item the store reads for a tenant. */
function rawTenantItem(tenant: Tenant): Record<string, unknown> {
  return { pk: `TENANT#${tenant.tenantId}`, sk: 'TENANT', ...tenant };
}

/** The tenant as stored: what `GetItem` on `TENANT#<id>` returns. */
function givenTenant(tenant: Tenant): void {
  ddb
    .on(GetCommand, { Key: { pk: `TENANT#${tenant.tenantId}`, sk: 'TENANT' } })
    .resolves({ Item: rawTenantItem(tenant) });
}

/**
 * The tenant as a change saves it: what the conditional `UpdateItem` returns (`ALL_NEW`), and,
 * for a change written with its event in a transaction (which returns nothing), what reading
 * the tenant returns after the transaction.
 */
function givenTenantSavedAs(after: Tenant): void {
  const key = { Key: { pk: `TENANT#${after.tenantId}`, sk: 'TENANT' } };
  ddb.on(UpdateCommand, key).resolves({ Attributes: rawTenantItem(after) });
  ddb.on(TransactWriteCommand).callsFake(() => {
    ddb.on(GetCommand, key).resolves({ Item: rawTenantItem(after) });
    return {};
  });
}

/** The tenant's keys whose copy is older, as the propagation query projects them. */
function givenStaleKeys(...keys: KeyItem[]): void {
  ddb.on(QueryCommand).resolves({ Items: keys.map((key) => ({ id: key.id, environment: key.environment })) });
}

beforeEach(() => {
  apiGateway.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({});
  ddb.reset();
  // API Gateway: every call succeeds unless a test says otherwise.
  apiGateway.on(CreateApiKeyCommand).resolves({ id: 'apikey-new' });
  apiGateway.on(CreateUsagePlanKeyCommand).resolves({});
  apiGateway.on(DeleteUsagePlanKeyCommand).resolves({});
  apiGateway.on(DeleteApiKeyCommand).resolves({});
  apiGateway.on(CreateUsagePlanCommand).resolves({ id: 'up-ent-new' });
  apiGateway.on(GetUsagePlanCommand).resolves({ apiStages: [{ apiId: 'api123', stage: 'prod' }] });
  apiGateway.on(UpdateUsagePlanCommand).resolves({});
  apiGateway.on(DeleteUsagePlanCommand).resolves({});
  apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});
  apiGateway.on(GetUsageCommand).resolves({ items: {} });
  // DynamoDB: an empty table that accepts writes.
  ddb.on(GetCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(UpdateCommand).resolves({});
});

describe('POST /v1/panel/tenants', () => {
  const starterBody = { tenantId: 'acme', name: 'Acme', plan: 'starter' };

  it('creates an enabled API key of 40 alphanumerics and attaches it to the starter usage plan', async () => {
    const { panel } = setup();

    const answer = await panel(createTenant(starterBody));

    expect(answer.status).toBe(201);
    expect(apiCalls()).toEqual(['CreateApiKey', 'CreateUsagePlanKey']);
    expect(apiGateway.commandCalls(CreateApiKeyCommand)[0].args[0].input).toEqual({
      name: 'keygate-acme-live',
      value: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
      enabled: true,
    });
    expect(apiGateway.commandCalls(CreateUsagePlanKeyCommand)[0].args[0].input).toEqual({
      usagePlanId: 'up-starter',
      keyId: 'apikey-new',
      keyType: 'API_KEY',
    });
  });

  it("writes the tenant, its owner key and the tenant's owner set in one conditional transaction", async () => {
    const { panel } = setup();

    const answer = await panel(createTenant(starterBody));

    const value = apiGateway.commandCalls(CreateApiKeyCommand)[0].args[0].input.value;
    expect(dbCalls()).toEqual(['Get', 'Get', 'TransactWrite']);
    const [tenantWrite, keyWrite, retiredCheck] =
      ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? [];
    // a deleted tenant's id stays retired, checked in the same transaction as the write.
    expect(retiredCheck.ConditionCheck).toEqual({
      TableName: 'keys',
      Key: { pk: 'TENANT#acme', sk: 'RETIRED' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(tenantWrite.Put).toEqual({
      TableName: 'keys',
      Item: {
        pk: 'TENANT#acme',
        sk: 'TENANT',
        // in the tenant listing: the sparse TENANTS partition of byTenant, newest first.
        gsi1pk: 'TENANTS',
        gsi1sk: `${NOW}#acme`,
        tenantId: 'acme',
        name: 'Acme',
        // the name as the listing's search compares it.
        nameKey: 'acme',
        plan: 'starter',
        limits: { rateLimit: 10, burstLimit: 20 },
        status: 'active',
        createdAt: NOW,
        version: 1,
        usageKeys: { live: { id: 'apikey-new', value, usagePlanId: 'up-starter' } },
        // the first owner key, so that it can never be revoked or deleted while it is the last.
        ownerKeyIds: new Set([answer.body.key.id]),
        ownersListed: true,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(keyWrite.Put).toMatchObject({
      TableName: 'keys',
      Item: {
        pk: `KEY#${answer.body.key.id}`,
        sk: 'KEY',
        tenantId: 'acme',
        hash: createHash('sha256').update(answer.body.key.key).digest('hex'),
        name: 'owner',
        environment: 'live',
        role: 'owner',
        status: 'active',
        tenantStatus: 'active',
        plan: 'starter',
        tenantVersion: 1,
        usageKey: value,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('answers 201 with the tenant and its owner key in plaintext, and never the usage identifier', async () => {
    const { panel } = setup();

    const answer = await panel(createTenant(starterBody));

    const value = apiGateway.commandCalls(CreateApiKeyCommand)[0].args[0].input.value as string;
    expect(answer.status).toBe(201);
    expect(answer.body.tenant).toEqual({
      tenantId: 'acme',
      name: 'Acme',
      plan: 'starter',
      limits: { rateLimit: 10, burstLimit: 20 },
      status: 'active',
      createdAt: NOW,
      planStatus: 'applied',
    });
    expect(answer.body.key).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      name: 'owner',
      environment: 'live',
      role: 'owner',
      status: 'active',
      last4: answer.body.key.key.slice(-4),
      createdAt: NOW,
      expiresAt: null,
      lastUsedAt: null,
      createdBy: 'operator',
      key: expect.stringMatching(/^sk_live_[0-9a-f]{72}$/),
    });
    for (const secret of [value, 'apikey-new', 'usageKey', 'usagePlanId', 'hash'])
      expect(answer.text).not.toContain(secret);
  });

  it('generates a tenant id when none is given', async () => {
    const { panel } = setup();

    const answer = await panel(createTenant({ name: 'Acme', plan: 'starter' }));

    expect(answer.status).toBe(201);
    expect(answer.body.tenant.tenantId).toMatch(/^t-[0-9a-f]{12}$/);
    expect(apiGateway.commandCalls(CreateApiKeyCommand)[0].args[0].input.name).toBe(
      `keygate-${answer.body.tenant.tenantId}-live`,
    );
  });

  it('creates an enterprise usage plan with the given throttle and quota, then attaches the key to it', async () => {
    const { panel } = setup();

    const answer = await panel(
      createTenant({
        tenantId: 'bigco',
        name: 'BigCo',
        plan: 'enterprise',
        rateLimit: 500,
        burstLimit: 1000,
        quota: { limit: 1_000_000, period: 'MONTH' },
      }),
    );

    expect(answer.status).toBe(201);
    expect(apiCalls()).toEqual(['CreateUsagePlan', 'CreateApiKey', 'CreateUsagePlanKey']);
    expect(apiGateway.commandCalls(CreateUsagePlanCommand)[0].args[0].input).toEqual({
      name: 'keygate-enterprise-bigco',
      apiStages: [{ apiId: 'api123', stage: 'prod' }],
      throttle: { rateLimit: 500, burstLimit: 1000 },
      quota: { limit: 1_000_000, period: 'MONTH' },
    });
    expect(apiGateway.commandCalls(CreateUsagePlanKeyCommand)[0].args[0].input).toMatchObject({
      usagePlanId: 'up-ent-new',
      keyId: 'apikey-new',
    });
    const [tenantWrite] = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? [];
    expect(tenantWrite.Put?.Item).toMatchObject({
      plan: 'enterprise',
      limits: { rateLimit: 500, burstLimit: 1000, quota: { limit: 1_000_000, period: 'MONTH' } },
      usagePlanId: 'up-ent-new',
    });
    expect(answer.body.tenant.limits).toEqual({
      rateLimit: 500,
      burstLimit: 1000,
      quota: { limit: 1_000_000, period: 'MONTH' },
    });
    expect(answer.text).not.toContain('up-ent-new');
  });

  it('refuses an enterprise tenant without rateLimit before any AWS call', async () => {
    const { panel } = setup();

    const answer = await panel(
      createTenant({ tenantId: 'bigco', name: 'BigCo', plan: 'enterprise', burstLimit: 1000 }),
    );

    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toMatch(/^rateLimit:/);
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual([]);
  });

  it('refuses an existing tenantId with 409 before any API Gateway call', async () => {
    givenTenant(starterTenant);
    const { panel } = setup();

    const answer = await panel(createTenant(starterBody));

    expectError(answer, 409, 'conflict');
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual(['Get']);
  });

  it("refuses a deleted tenant's id with 409 tenant_id_retired before any API Gateway call", async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#acme', sk: 'RETIRED' } })
      .resolves({ Item: { pk: 'TENANT#acme', sk: 'RETIRED', tenantId: 'acme' } });
    const { panel } = setup();

    const answer = await panel(createTenant(starterBody));

    expectError(answer, 409, 'tenant_id_retired');
    expect(answer.body.error.message).toMatch(/never reused/);
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual(['Get', 'Get']);
  });

  it('retries CreateApiKey while API Gateway answers TooManyRequests, then creates the tenant', async () => {
    apiGateway
      .on(CreateApiKeyCommand)
      .rejectsOnce(tooManyRequests())
      .rejectsOnce(tooManyRequests())
      .resolves({ id: 'apikey-new' });
    const { panel, sleep } = setup();

    const answer = await panel(createTenant(starterBody));

    expect(answer.status).toBe(201);
    expect(apiCalls()).toEqual(['CreateApiKey', 'CreateApiKey', 'CreateApiKey', 'CreateUsagePlanKey']);
    expect(sleep).toHaveBeenCalledTimes(2);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  describe('leaves nothing behind when a step fails', () => {
    it('answers 500 with nothing to undo when CreateApiKey fails', async () => {
      apiGateway.on(CreateApiKeyCommand).rejects(unavailable());
      const { panel } = setup();

      const answer = await panel(createTenant(starterBody));

      expectError(answer, 500, 'internal_error');
      expect(apiCalls()).toEqual(['CreateApiKey']);
      expect(dbCalls()).toEqual(['Get', 'Get']);
    });

    it('deletes the API key when attaching it to the usage plan fails', async () => {
      apiGateway.on(CreateUsagePlanKeyCommand).rejects(unavailable());
      const { panel } = setup();

      const answer = await panel(createTenant(starterBody));

      expectError(answer, 500, 'internal_error');
      expect(apiCalls()).toEqual(['CreateApiKey', 'CreateUsagePlanKey', 'DeleteApiKey']);
      expect(apiGateway.commandCalls(DeleteApiKeyCommand)[0].args[0].input).toEqual({ apiKey: 'apikey-new' });
      expect(dbCalls()).toEqual(['Get', 'Get']);
    });

    it('deletes the API key and leaves the enterprise usage plan to the reconciler when attaching the key fails', async () => {
      apiGateway.on(CreateUsagePlanKeyCommand).rejects(unavailable());
      const { panel } = setup();

      const answer = await panel(
        createTenant({ tenantId: 'bigco', name: 'BigCo', plan: 'enterprise', rateLimit: 500, burstLimit: 1000 }),
      );

      expectError(answer, 500, 'internal_error');
      expect(apiCalls()).toEqual(['CreateUsagePlan', 'CreateApiKey', 'CreateUsagePlanKey', 'DeleteApiKey']);
      expect(apiGateway.commandCalls(DeleteApiKeyCommand)[0].args[0].input).toEqual({ apiKey: 'apikey-new' });
      // unbinding the plan takes an UpdateUsagePlan: it is discarded for the reconciler instead.
      expect(dbCalls()).toEqual(['Get', 'Get', 'Put']);
      expect(ddb.commandCalls(PutCommand)[0].args[0].input).toEqual({
        TableName: 'keys',
        Item: { pk: 'TENANT#bigco', sk: 'DISCARDED_PLAN#up-ent-new', usagePlanId: 'up-ent-new' },
      });
      expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
        {
          QueueUrl: RECONCILE_QUEUE_URL,
          MessageBody: JSON.stringify({ tenantId: 'bigco' }),
          MessageGroupId: 'usage-plans',
          MessageDeduplicationId: 'bigco:discarded-up-ent-new',
        },
      ]);
    });

    it('deletes the API key when the DynamoDB transaction fails', async () => {
      ddb.on(TransactWriteCommand).rejects(new InternalServerError({ message: 'internal', $metadata: {} }));
      const { panel } = setup();

      const answer = await panel(createTenant(starterBody));

      expectError(answer, 500, 'internal_error');
      expect(apiCalls()).toEqual(['CreateApiKey', 'CreateUsagePlanKey', 'DeleteApiKey']);
      expect(apiGateway.commandCalls(DeleteApiKeyCommand)[0].args[0].input).toEqual({ apiKey: 'apikey-new' });
    });

    it('refuses with 409 and deletes the API key when another request took the tenantId meanwhile', async () => {
      ddb.on(TransactWriteCommand).rejects(
        new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
        }),
      );
      const { panel } = setup();

      const answer = await panel(createTenant(starterBody));

      expectError(answer, 409, 'conflict');
      expect(apiCalls()).toEqual(['CreateApiKey', 'CreateUsagePlanKey', 'DeleteApiKey']);
    });

    it('creates the tenant when the same request is retried after a failure', async () => {
      apiGateway.on(CreateApiKeyCommand).resolvesOnce({ id: 'apikey-1' }).resolves({ id: 'apikey-2' });
      apiGateway.on(CreateUsagePlanKeyCommand).rejectsOnce(unavailable()).resolves({});
      const { panel } = setup();

      const failed = await panel(createTenant(starterBody));
      const retried = await panel(createTenant(starterBody));

      expectError(failed, 500, 'internal_error');
      expect(retried.status).toBe(201);
      expect(apiGateway.commandCalls(DeleteApiKeyCommand).map((call) => call.args[0].input.apiKey)).toEqual([
        'apikey-1',
      ]);
      expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
      const [tenantWrite] = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? [];
      expect(tenantWrite.Put?.Item).toMatchObject({ usageKeys: { live: { id: 'apikey-2' } } });
    });
  });
});

describe('DELETE /v1/panel/tenants/{tenantId}', () => {
  const deleteTenant = (tenantId: string) =>
    proxyEvent({
      method: 'DELETE',
      resource: '/v1/panel/tenants/{tenantId}',
      pathParameters: { tenantId },
      caller: operatorCaller,
    });

  it('deletes an enterprise tenant with no UpdateUsagePlan: its plan is discarded for the reconciler, asked once per deletion', async () => {
    givenTenant(enterpriseTenant);
    givenTenantSavedAs({ ...enterpriseTenant, status: 'deleting', version: enterpriseTenant.version + 1 });
    const { panel } = setup();

    const first = await panel(deleteTenant('acme'));
    // a duplicate deletion still running after the first was served.
    const second = await panel(deleteTenant('acme'));

    expect([first.status, second.status]).toEqual([204, 204]);
    expect(apiCalls().filter((name) => name !== 'FlushStageAuthorizersCache')).toEqual([
      'DeleteApiKey',
      'DeleteApiKey',
      'DeleteApiKey',
      'DeleteApiKey',
    ]);
    expect(ddb.commandCalls(PutCommand).map((call) => call.args[0].input.Item)).toEqual([
      { pk: 'TENANT#acme', sk: 'DISCARDED_PLAN#up-ent-acme', usagePlanId: 'up-ent-acme' },
      { pk: 'TENANT#acme', sk: 'DISCARDED_PLAN#up-ent-acme', usagePlanId: 'up-ent-acme' },
    ]);
    // the tenant item goes only with the tombstone that retires its id.
    const retiring = ddb
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input.TransactItems ?? [])
      .filter((items) => items.some((item) => item.Delete !== undefined));
    expect(retiring).toHaveLength(2);
    expect(retiring[0][1].Put?.Item).toEqual({ pk: 'TENANT#acme', sk: 'RETIRED', tenantId: 'acme' });
    // each deletion's request is its own: the second may have discarded the plan after the first was served.
    const dedupIds = sqs
      .commandCalls(SendMessageCommand)
      .filter((call) => call.args[0].input.QueueUrl === RECONCILE_QUEUE_URL)
      .map((call) => call.args[0].input.MessageDeduplicationId);
    expect(dedupIds).toHaveLength(2);
    for (const id of dedupIds) expect(id).toMatch(/^acme:deleted-\d+-[0-9a-f]{8}$/);
    expect(new Set(dedupIds).size).toBe(2);
  });
});

describe('GET /v1/panel/tenants/{tenantId}', () => {
  it('answers the tenant without its usage identifiers or usage plan id', async () => {
    givenTenant(enterpriseTenant);
    const { panel } = setup();

    const answer = await panel(getTenant('acme'));

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      tenantId: 'acme',
      name: 'Acme',
      plan: 'enterprise',
      limits: enterpriseTenant.limits,
      status: 'active',
      createdAt: enterpriseTenant.createdAt,
      planStatus: 'applied',
    });
    for (const secret of [LIVE_VALUE, TEST_VALUE, 'apikey-live', 'up-ent-acme'])
      expect(answer.text).not.toContain(secret);
    expect(apiCalls()).toEqual([]);
  });

  it('refuses an unknown tenant with 404', async () => {
    const { panel } = setup();

    const answer = await panel(getTenant('nobody'));

    expectError(answer, 404, 'not_found');
    expect(dbCalls()).toEqual(['Get']);
  });
});

describe('panel access', () => {
  const routes: [string, (caller: CallerContext) => APIGatewayProxyEvent][] = [
    ['POST /v1/panel/tenants', (caller) => createTenant({ tenantId: 'evil', name: 'Evil', plan: 'scale' }, caller)],
    ['GET /v1/panel/tenants/{tenantId}', (caller) => getTenant('acme', caller)],
    ['PUT /v1/panel/tenants/{tenantId}/plan', (caller) => changePlan('acme', { plan: 'scale' }, caller)],
    ['POST /v1/panel/tenants/{tenantId}/suspend', (caller) => suspend('acme', caller)],
    ['POST /v1/panel/tenants/{tenantId}/resume', (caller) => resume('acme', caller)],
  ];
  const roles: Exclude<Role, 'operator'>[] = ['owner', 'admin', 'developer', 'read_only'];

  describe.each(roles)('a %s key', (role) => {
    it.each(routes)('is refused on %s with 403 and no AWS call', async (_route, event) => {
      givenTenant(starterTenant);
      const { panel } = setup();

      const answer = await panel(event(callerContext({ role })));

      expectError(answer, 403, 'forbidden');
      expect(apiCalls()).toEqual([]);
      expect(dbCalls()).toEqual([]);
    });
  });

  // operator keys are live only; a test one stored before that rule must not reach the panel.
  it.each(routes)('refuses a test operator key on %s with 403 and no AWS call', async (_route, event) => {
    givenTenant(starterTenant);
    const { panel } = setup();

    const answer = await panel(event({ ...operatorCaller, environment: 'test' }));

    expectError(answer, 403, 'forbidden');
    expect(answer.body?.error?.message).toMatch(/live/);
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual([]);
  });
});

describe('PUT /v1/panel/tenants/{tenantId}/plan', () => {
  const onGrowth: Tenant = {
    ...starterTenant,
    plan: 'growth',
    limits: PLANS.growth.limits,
    version: 4,
    planGeneration: 1,
    usageKeys: {
      live: { ...starterTenant.usageKeys.live!, usagePlanId: 'up-starter' },
      test: { ...starterTenant.usageKeys.test!, usagePlanId: 'up-starter' },
    },
  };
  const reconcileRequests = () =>
    sqs
      .commandCalls(SendMessageCommand)
      .map((call) => call.args[0].input)
      .filter((input) => input.QueueUrl === RECONCILE_QUEUE_URL);

  it('writes the plan as desired state and answers at once, pending, without calling API Gateway', async () => {
    givenTenant(starterTenant);
    givenTenantSavedAs(onGrowth);
    givenStaleKeys(liveKey, testKey);
    const { panel } = setup();

    const answer = await panel(changePlan('acme', { plan: 'growth' }));

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      tenantId: 'acme',
      name: 'Acme',
      plan: 'growth',
      limits: { rateLimit: 100, burstLimit: 200 },
      status: 'active',
      createdAt: starterTenant.createdAt,
      planStatus: 'pending',
    });
    // a 20-second control-plane limit never sits on a request's path.
    expect(apiCalls()).toEqual(['FlushStageAuthorizersCache']);
  });

  it('saves plan, limits and the next generation on condition of the version it read, recording where legacy identifiers sit', async () => {
    givenTenant(starterTenant);
    givenTenantSavedAs(onGrowth);
    const { panel } = setup();

    await panel(changePlan('acme', { plan: 'growth' }));

    expect(tenantUpdates()).toHaveLength(1);
    expect(tenantUpdates()[0]).toMatchObject({
      Key: { pk: 'TENANT#acme', sk: 'TENANT' },
      ConditionExpression: 'attribute_exists(pk) AND version = :expected',
      ExpressionAttributeValues: {
        ':expected': 3,
        ':plan': 'growth',
        ':limits': { rateLimit: 100, burstLimit: 200 },
        ':planGeneration': 1,
        ':usage_live': { id: 'apikey-live', value: LIVE_VALUE, usagePlanId: 'up-starter' },
        ':usage_test': { id: 'apikey-test', value: TEST_VALUE, usagePlanId: 'up-starter' },
      },
    });
  });

  it('asks the reconciler through the FIFO queue, one group for the account, deduplicated by generation', async () => {
    givenTenant(starterTenant);
    givenTenantSavedAs(onGrowth);
    const { panel } = setup();

    await panel(changePlan('acme', { plan: 'growth' }));

    expect(reconcileRequests()).toEqual([
      {
        QueueUrl: RECONCILE_QUEUE_URL,
        MessageBody: '{"tenantId":"acme"}',
        MessageGroupId: 'usage-plans',
        MessageDeduplicationId: 'acme:1',
      },
    ]);
  });

  it('copies the new plan onto every key and flushes the authorizer cache', async () => {
    givenTenant(starterTenant);
    givenTenantSavedAs(onGrowth);
    givenStaleKeys(liveKey, testKey);
    const { panel } = setup();

    await panel(changePlan('acme', { plan: 'growth' }));

    expect(keyUpdates()).toEqual([
      expect.objectContaining({
        Key: { pk: `KEY#${liveKey.id}`, sk: 'KEY' },
        ExpressionAttributeValues: { ':status': 'active', ':plan': 'growth', ':version': 4, ':usage': LIVE_VALUE },
      }),
      expect.objectContaining({
        Key: { pk: `KEY#${testKey.id}`, sk: 'KEY' },
        ExpressionAttributeValues: { ':status': 'active', ':plan': 'growth', ':version': 4, ':usage': TEST_VALUE },
      }),
    ]);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)[0].args[0].input).toEqual({
      restApiId: 'api123',
      stageName: 'prod',
    });
  });

  it('writes nothing for the plan the tenant already has, and asks nothing of an applied one', async () => {
    givenTenant({ ...onGrowth, appliedGeneration: 1 });
    const { panel } = setup();

    const answer = await panel(changePlan('acme', { plan: 'growth' }));

    expect(answer.status).toBe(200);
    expect(answer.body.planStatus).toBe('applied');
    expect(dbCalls()).toEqual(['Get']);
    expect(reconcileRequests()).toEqual([]);
  });

  it('asks again for the same plan while it is still pending, in case the first request was lost', async () => {
    givenTenant(onGrowth);
    const { panel } = setup();

    const answer = await panel(changePlan('acme', { plan: 'growth' }));

    expect(answer.body.planStatus).toBe('pending');
    expect(dbCalls()).toEqual(['Get']);
    expect(reconcileRequests()).toHaveLength(1);
  });

  it('decides again against the newer tenant when another change won the race, instead of answering 409', async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#acme', sk: 'TENANT' } })
      .resolvesOnce({ Item: rawTenantItem(starterTenant) })
      .resolves({ Item: rawTenantItem(onGrowth) });
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed', Item: { pk: { S: 'TENANT#acme' } } }, { Code: 'None' }],
      }),
    );
    const { panel, racePause } = setup();

    const answer = await panel(changePlan('acme', { plan: 'growth' }));

    // the same change arrived twice at once: both answer 200, one write.
    expect(answer.status).toBe(200);
    expect(answer.body.plan).toBe('growth');
    expect(dbCalls()).toEqual(['Get', 'TransactWrite', 'Get']);
    // one short pause, through the injected sleep, before deciding again.
    expect(racePause).toHaveBeenCalledTimes(1);
    expect(racePause.mock.calls[0][0]).toBeLessThan(10);
  });

  it('refuses a quota for the operator tenant: using it up would lock the panel out', async () => {
    givenTenant({ ...starterTenant, tenantId: 'operator' });
    const { panel } = setup();

    const answer = await panel(
      changePlan('operator', {
        plan: 'enterprise',
        rateLimit: 10,
        burstLimit: 10,
        quota: { limit: 1, period: 'WEEK' },
      }),
    );

    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toMatch(/^quota: the operator tenant cannot have a quota/);
    expect(dbCalls()).toEqual([]);
  });

  it('refuses custom limits on a plan other than enterprise before any AWS call', async () => {
    givenTenant(starterTenant);
    const { panel } = setup();

    const answer = await panel(changePlan('acme', { plan: 'growth', rateLimit: 50, burstLimit: 100 }));

    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toMatch(/^plan:/);
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual([]);
  });

  it('refuses an unknown tenant with 404 and no API Gateway call', async () => {
    const { panel } = setup();

    const answer = await panel(changePlan('nobody', { plan: 'growth' }));

    expectError(answer, 404, 'not_found');
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual(['Get']);
  });
});

describe('POST /v1/panel/tenants/{tenantId}/suspend and /resume', () => {
  const suspended: Tenant = { ...starterTenant, status: 'suspended', version: 4 };

  it('suspends a tenant: saves the status, copies it onto every key and flushes the authorizer cache', async () => {
    givenTenant(starterTenant);
    givenTenantSavedAs(suspended);
    givenStaleKeys(liveKey, testKey);
    const { panel } = setup();

    const answer = await panel(suspend('acme'));

    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('suspended');
    // the tenant, the change with its event in one transaction, the tenant as saved, its keys.
    expect(dbCalls()).toEqual(['Get', 'TransactWrite', 'Get', 'Query', 'Update', 'Update']);
    expect(eventsWritten()).toEqual([
      expect.objectContaining({
        type: 'tenant.suspended',
        tenantId: 'acme',
        actor: { keyId: operatorCaller.keyId, role: 'operator' },
      }),
    ]);
    expect(tenantUpdates()[0]).toMatchObject({
      ConditionExpression: 'attribute_exists(pk) AND version = :expected',
      ExpressionAttributeValues: { ':status': 'suspended', ':expected': 3, ':next': 4 },
    });
    expect(keyUpdates().map((input) => input.ExpressionAttributeValues?.[':status'])).toEqual([
      'suspended',
      'suspended',
    ]);
    expect(apiCalls()).toEqual(['FlushStageAuthorizersCache']);
  });

  it('resumes a suspended tenant: saves the status, copies it onto every key and flushes the authorizer cache', async () => {
    givenTenant(suspended);
    givenTenantSavedAs({ ...suspended, status: 'active', version: 5 });
    givenStaleKeys(liveKey, testKey);
    const { panel } = setup();

    const answer = await panel(resume('acme'));

    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('active');
    expect(tenantUpdates()[0].ExpressionAttributeValues).toMatchObject({ ':status': 'active', ':expected': 4 });
    expect(keyUpdates().map((input) => input.ExpressionAttributeValues?.[':status'])).toEqual(['active', 'active']);
    expect(apiCalls()).toEqual(['FlushStageAuthorizersCache']);
  });

  it('decides again when another change (a plan move, the reconciler) wrote the tenant first, instead of answering 409', async () => {
    const movedOn: Tenant = {
      ...starterTenant,
      plan: 'growth',
      limits: PLANS.growth.limits,
      version: 4,
      planGeneration: 1,
    };
    const key = { Key: { pk: 'TENANT#acme', sk: 'TENANT' } };
    ddb
      .on(GetCommand, key)
      .resolvesOnce({ Item: rawTenantItem(starterTenant) })
      .resolves({ Item: rawTenantItem(movedOn) });
    let transactions = 0;
    ddb.on(TransactWriteCommand).callsFake(() => {
      transactions += 1;
      if (transactions === 1) {
        throw new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: [
            { Code: 'ConditionalCheckFailed', Item: { pk: { S: 'TENANT#acme' } } },
            { Code: 'None' },
          ],
        });
      }
      ddb.on(GetCommand, key).resolves({ Item: rawTenantItem({ ...movedOn, status: 'suspended', version: 5 }) });
      return {};
    });
    givenStaleKeys(liveKey, testKey);
    const { panel, racePause } = setup();

    const answer = await panel(suspend('acme'));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'suspended', plan: 'growth' });
    expect(racePause).toHaveBeenCalledTimes(1);
    // the second attempt is conditioned on the version the plan move wrote, and keeps its plan.
    expect(tenantUpdates().map((input) => input.ExpressionAttributeValues?.[':expected'])).toEqual([3, 4]);
    // the cancelled transaction took its event with it; the second wrote the change and its event.
    expect(transactions).toBe(2);
    expect(eventsWritten().map((event) => event.type)).toEqual(['tenant.suspended', 'tenant.suspended']);
  });

  it('refuses to suspend the operator tenant with 409 and no AWS call', async () => {
    const { panel } = setup();

    const answer = await panel(suspend('operator'));

    expectError(answer, 409, 'conflict');
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual([]);
  });

  it('refuses to suspend a suspended tenant with 409 and writes nothing', async () => {
    givenTenant(suspended);
    const { panel } = setup();

    const answer = await panel(suspend('acme'));

    expectError(answer, 409, 'conflict');
    // the one read past the tenant finds every key up to date.
    expect(dbCalls()).toEqual(['Get', 'Query']);
    expect(apiCalls()).toEqual([]);
  });

  it('refuses an unknown tenant with 404', async () => {
    const { panel } = setup();

    const answer = await panel(suspend('nobody'));

    expectError(answer, 404, 'not_found');
    expect(dbCalls()).toEqual(['Get']);
    expect(apiCalls()).toEqual([]);
  });

  it('reaches the keys a failed suspension missed when the suspension is retried', async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#acme', sk: 'TENANT' } })
      .resolvesOnce({ Item: rawTenantItem(starterTenant) })
      .resolves({ Item: rawTenantItem(suspended) });
    givenTenantSavedAs(suspended);
    ddb
      .on(QueryCommand)
      .rejectsOnce(new InternalServerError({ message: 'internal', $metadata: {} }))
      .resolves({ Items: [{ id: liveKey.id, environment: 'live' }] });
    const { panel } = setup();

    const failed = await panel(suspend('acme'));
    const retried = await panel(suspend('acme'));

    expectError(failed, 500, 'internal_error');
    expectError(retried, 409, 'conflict');
    expect(keyUpdates()).toEqual([
      expect.objectContaining({
        Key: { pk: `KEY#${liveKey.id}`, sk: 'KEY' },
        ExpressionAttributeValues: expect.objectContaining({ ':status': 'suspended', ':version': 4 }),
      }),
    ]);
    expect(apiCalls()).toEqual(['FlushStageAuthorizersCache']);
  });

  it('refuses a body on suspend with 400', async () => {
    const { panel } = setup();

    const answer = await panel(suspend('acme', operatorCaller, { reason: 'unpaid' }));

    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toContain('reason');
    expect(dbCalls()).toEqual([]);
  });
});

describe('GET /v1/usage', () => {
  it('reports quota null without a GetUsage call for a plan without a quota', async () => {
    givenTenant(starterTenant);
    const { account } = setup();

    const answer = await account(usage(callerContext()));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      environment: 'live',
      plan: 'starter',
      rateLimit: 10,
      burstLimit: 20,
      quota: null,
    });
    expect(apiCalls()).toEqual([]);
  });

  it("reports an enterprise tenant's use of its monthly quota from GetUsage over the current month", async () => {
    givenTenant(enterpriseTenant);
    apiGateway.on(GetUsageCommand).resolves({
      usagePlanId: 'up-ent-acme',
      items: {
        'apikey-live': [
          [120_000, 880_000],
          [30_000, 850_000],
        ],
      },
    });
    const { account } = setup(FEBRUARY_14);

    const answer = await account(usage(callerContext({ plan: 'enterprise' })));

    expect(apiGateway.commandCalls(GetUsageCommand).map((call) => call.args[0].input)).toEqual([
      {
        usagePlanId: 'up-ent-acme',
        keyId: 'apikey-live',
        startDate: '2001-02-01',
        endDate: '2001-02-28',
        position: undefined,
      },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      environment: 'live',
      plan: 'enterprise',
      rateLimit: 500,
      burstLimit: 1000,
      quota: {
        limit: 1_000_000,
        period: 'MONTH',
        used: 150_000,
        remaining: 850_000,
        resetsAt: '2001-03-01T00:00:00.000Z',
      },
    });
  });

  it('reads the test usage identifier for a test key', async () => {
    givenTenant(enterpriseTenant);
    apiGateway.on(GetUsageCommand).resolves({ items: { 'apikey-test': [[7, 999_993]] } });
    const { account } = setup(FEBRUARY_14);

    const answer = await account(usage(callerContext({ plan: 'enterprise', environment: 'test' })));

    expect(apiGateway.commandCalls(GetUsageCommand)[0].args[0].input.keyId).toBe('apikey-test');
    expect(answer.body).toMatchObject({ environment: 'test', quota: { used: 7, remaining: 999_993 } });
  });

  it('reports zero use without a GetUsage call when the environment has no usage identifier yet', async () => {
    givenTenant({ ...enterpriseTenant, usageKeys: { live: enterpriseTenant.usageKeys.live } });
    const { account } = setup(FEBRUARY_14);

    const answer = await account(usage(callerContext({ plan: 'enterprise', environment: 'test' })));

    expect(answer.body.quota).toMatchObject({ used: 0, remaining: 1_000_000 });
    expect(apiCalls()).toEqual([]);
  });

  it('answers the counted requests beside the plan: the last 24 hours by hour unless asked otherwise', async () => {
    givenTenant(starterTenant);
    const { account } = setup();

    const answer = await account(usage(callerContext()));

    expect(answer.body).toMatchObject({
      to: instant(0, '11:00'),
      from: instant(-1, '11:00'),
      granularity: 'hour',
      totals: { requests: 0, status2xx: 0, status3xx: 0, status4xx: 0, status5xx: 0, denied: 0, throttled: 0 },
    });
    expect(answer.body.series).toHaveLength(24);
  });

  it('refuses an unknown query parameter with 400', async () => {
    const { account } = setup();

    const answer = await account(
      proxyEvent({ method: 'GET', resource: '/v1/usage', query: { month: '2001-02' }, caller: callerContext() }),
    );

    expectError(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toContain('month');
    expect(dbCalls()).toEqual([]);
  });
});

describe('bad bodies', () => {
  const enterprise = { tenantId: 'bigco', name: 'BigCo', plan: 'enterprise', rateLimit: 500, burstLimit: 1000 };
  const cases: [string, APIGatewayProxyEvent, RegExp][] = [
    ['an unknown field', createTenant({ name: 'Acme', plan: 'starter', color: 'red' }), /unknown field in body: color/],
    ['a name that is not a string', createTenant({ name: 42, plan: 'starter' }), /^name:/],
    ['a blank name', createTenant({ name: '   ', plan: 'starter' }), /^name:/],
    ['an unknown plan', createTenant({ name: 'Acme', plan: 'platinum' }), /^plan:/],
    ['a rateLimit that is a string', createTenant({ ...enterprise, rateLimit: '500' }), /^rateLimit:/],
    ['a fractional burstLimit', createTenant({ ...enterprise, burstLimit: 1000.5 }), /^burstLimit:/],
    ['a burstLimit below rateLimit', createTenant({ ...enterprise, burstLimit: 100 }), /^burstLimit:/],
    [
      'a quota of an unknown period',
      createTenant({ ...enterprise, quota: { limit: 1000, period: 'YEAR' } }),
      /^quota\.period:/,
    ],
    [
      'a tenantId with capitals and spaces',
      createTenant({ tenantId: 'Acme Corp', name: 'Acme', plan: 'starter' }),
      /^tenantId:/,
    ],
    ['broken JSON', createTenant('{"name": "Acme",'), /not valid JSON/],
    ['a JSON array', createTenant([{ name: 'Acme', plan: 'starter' }]), /^body must be a JSON object/],
    [
      'a plan change with an unknown field',
      changePlan('acme', { plan: 'growth', name: 'Acme' }),
      /unknown field in body: name/,
    ],
    ['a plan change to an unknown plan', changePlan('acme', { plan: 'platinum' }), /^plan:/],
    [
      'a plan change with a zero rateLimit',
      changePlan('acme', { plan: 'enterprise', rateLimit: 0, burstLimit: 10 }),
      /^rateLimit:/,
    ],
  ];

  it.each(cases)(
    'refuses %s with 400 invalid_request naming it, before any AWS call',
    async (_label, event, message) => {
      givenTenant(starterTenant);
      const { panel } = setup();

      const answer = await panel(event);

      expectError(answer, 400, 'invalid_request');
      expect(answer.body.error.message).toMatch(message);
      expect(apiCalls()).toEqual([]);
      expect(dbCalls()).toEqual([]);
    },
  );

  it('refuses a body over 16 KiB with 413 before any AWS call', async () => {
    const { panel } = setup();

    const answer = await panel(createTenant({ name: 'Acme', plan: 'starter', padding: 'x'.repeat(16 * 1024) }));

    expectError(answer, 413, 'payload_too_large');
    expect(apiCalls()).toEqual([]);
    expect(dbCalls()).toEqual([]);
  });
});

describe('TenantService.ensureUsageKey', () => {
  it('keeps a new usage identifier the tenant already records when copying it onto the keys fails', async () => {
    const liveOnly: Tenant = { ...starterTenant, usageKeys: { live: starterTenant.usageKeys.live } };
    givenTenantSavedAs({
      ...starterTenant,
      usageKeys: { ...liveOnly.usageKeys, test: { id: 'apikey-new', value: TEST_VALUE } },
      version: 4,
    });
    ddb.on(QueryCommand).rejects(new InternalServerError({ message: 'internal', $metadata: {} }));
    const { tenants } = setup();

    await expect(tenants.ensureUsageKey(liveOnly, 'test')).rejects.toBeInstanceOf(InternalServerError);

    // the tenant item names apikey-new: deleting it would leave test keys metered by a key that is gone.
    expect(apiCalls()).toEqual(['CreateApiKey', 'CreateUsagePlanKey']);
  });

  it('deletes the new API key and uses the one another request saved first', async () => {
    const liveOnly: Tenant = { ...starterTenant, usageKeys: { live: starterTenant.usageKeys.live } };
    ddb.on(UpdateCommand, { Key: { pk: 'TENANT#acme', sk: 'TENANT' } }).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { pk: { S: 'TENANT#acme' } },
      }),
    );
    givenTenant(starterTenant);
    const { tenants } = setup();

    const tenant = await tenants.ensureUsageKey(liveOnly, 'test');

    expect(tenant.usageKeys.test).toEqual({ id: 'apikey-test', value: TEST_VALUE });
    expect(apiCalls()).toEqual(['CreateApiKey', 'CreateUsagePlanKey', 'DeleteApiKey']);
  });
});
