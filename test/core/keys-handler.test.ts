import { createHash } from 'node:crypto';
import {
  APIGatewayClient,
  FlushStageAuthorizersCacheCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-api-gateway';
import { DynamoDBClient, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { AuthorizerContext } from '../../lambdas/core/model';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { OwnersChangedError } from '../../lambdas/core/store/store';
import { MemoryKeyStore } from '../support/fakes/memory-key-store';
import type { KeyItem, KeyRecord, Tenant } from '../../lambdas/core/model';
import { createKeysHandler } from '../../lambdas/keys/handler';
import { operatorActingFor } from '../../lambdas/core/keys/key-permissions';
import { actorOf } from '../../lambdas/core/events/model';
import { settlingFlusher } from '../support/flush';
import { StageCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { callerContext, operatorCaller, proxyEvent as sharedProxyEvent } from '../support/events';
import { expiryDayOf, noticeIndexAttributes, noticeShard } from '../../lambdas/core/store/table';
import { fixedClock, keyFixture, rawKeyItem, recordingLogger, tenantFixture } from '../support/fixtures';
import { day, instant } from '../support/time';

const ddb = mockClient(DynamoDBDocumentClient);
const apiGateway = mockClient(APIGatewayClient);
const scheduler = mockClient(SchedulerClient);
const sqs = mockClient(SQSClient);

const NOW = instant(0, '10:00');
const NOW_SECONDS = Math.floor(Date.parse(NOW) / 1000);
const ACME = tenantFixture();
const GLOBEX = tenantFixture({
  tenantId: 'globex',
  name: 'Globex',
  usageKeys: { live: { id: 'apikey-g', value: 'usageglobexvalue01234567' } },
});
const CALLER_KEY_ID = `key_${'c'.repeat(24)}`;
const MISSING_ID = `key_${'0'.repeat(24)}`;
const KEY_PATTERN = /^sk_live_[0-9a-f]{72}$/;

type Caller = Pick<AuthorizerContext, 'tenantId' | 'keyId' | 'environment' | 'role' | 'plan'>;
type ErrorBody = { error: { code: string; message: string } };
type Created = KeyRecord & { key: string };
type Page = { items: KeyRecord[]; cursor?: string };

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** A proxy event for a `/v1/keys` route, from the shared builder. */
function proxyEvent(
  method: string,
  path: string,
  options: { body?: unknown; query?: Record<string, string>; caller?: Partial<Caller> } = {},
): APIGatewayProxyEvent {
  const match = /^\/v1\/keys\/([^/]+)(\/[a-z]+)?$/.exec(path);
  return sharedProxyEvent({
    method,
    resource: match === null ? path : `/v1/keys/{id}${match[2] ?? ''}`,
    pathParameters: match === null ? {} : { id: decodeURIComponent(match[1]) },
    body: options.body,
    query: options.query,
    caller: callerContext({ keyId: CALLER_KEY_ID, ...options.caller }),
  });
}

function setup() {
  const logger = recordingLogger();
  const store = new DynamoKeyStore({
    client: documentClient(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: 'keys',
  });
  const cache = settlingFlusher(
    new StageCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), 'api123', 'prod'),
    fixedClock(NOW),
  );
  const handler = createKeysHandler({ store, clock: fixedClock(NOW), prefix: 'sk', cache, logger });
  const send = (
    method: string,
    path: string,
    options?: Parameters<typeof proxyEvent>[2],
  ): Promise<APIGatewayProxyResult> => handler(proxyEvent(method, path, options));
  return { send, logger };
}

const parse = <T>(response: APIGatewayProxyResult): T => JSON.parse(response.body) as T;

/** The names of the DynamoDB commands sent, in order. */
const sent = (): string[] => ddb.calls().map((call) => (call.args[0] as object).constructor.name);

const tenantGet = (tenantId: string) => ({ Key: { pk: `TENANT#${tenantId}`, sk: 'TENANT' } });
const keyGet = (id: string) => ({ Key: { pk: `KEY#${id}`, sk: 'KEY' } });

function givenTenant(tenant: Tenant = ACME): void {
  ddb
    .on(GetCommand, tenantGet(tenant.tenantId))
    .resolves({ Item: { pk: `TENANT#${tenant.tenantId}`, sk: 'TENANT', ...tenant } });
}

function givenKey(item: KeyItem): void {
  ddb.on(GetCommand, keyGet(item.id)).resolves({ Item: rawKeyItem(item) });
}

/** A key read as it was, then (after the write's transaction, which returns no item) as it is. */
function givenKeyChanging(before: KeyItem, after: KeyItem): void {
  ddb
    .on(GetCommand, keyGet(before.id))
    .resolvesOnce({ Item: rawKeyItem(before) })
    .resolves({ Item: rawKeyItem(after) });
  ddb.on(TransactWriteCommand).resolves({});
}

/** The items of the n-th transaction sent: the change first, its event last. */
const transaction = (n = 0) => ddb.commandCalls(TransactWriteCommand)[n].args[0].input.TransactItems ?? [];

/** The event item a transaction writes (its last item). */
const eventOf = (n = 0) => transaction(n)[transaction(n).length - 1].Put?.Item as Record<string, unknown>;

/** An existing key of acme, created before "now". */
function existingKey(options: Parameters<typeof keyFixture>[0] = {}) {
  return keyFixture({ now: instant(-22, '09:00'), ...options });
}

function flushCalls() {
  return apiGateway.commandCalls(FlushStageAuthorizersCacheCommand);
}

beforeEach(() => {
  ddb.reset();
  apiGateway.reset();
  sqs.reset();
  scheduler.reset();
  sqs.on(SendMessageCommand).resolves({});
  scheduler.on(CreateScheduleCommand).resolves({});
  apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});
});

describe('POST /v1/keys', () => {
  beforeEach(() => {
    givenTenant();
    ddb.on(TransactWriteCommand).resolves({});
  });

  it('reads the tenant consistently, then writes the key and a tenant version check in one transaction', async () => {
    const { send } = setup();

    const response = await send('POST', '/v1/keys', { body: { name: 'ci' } });

    expect(response.statusCode).toBe(201);
    expect(sent()).toEqual(['GetCommand', 'TransactWriteCommand']);
    expect(ddb.commandCalls(GetCommand)[0].args[0].input).toEqual({
      TableName: 'keys',
      ...tenantGet('acme'),
      ConsistentRead: true,
    });
    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(3);
    expect(items[0].Put).toMatchObject({ TableName: 'keys', ConditionExpression: 'attribute_not_exists(pk)' });
    expect(items[1]).toEqual({
      ConditionCheck: {
        TableName: 'keys',
        ...tenantGet('acme'),
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': 1 },
      },
    });
    expect(items[2].Put?.Item).toMatchObject({
      pk: 'EVENT#acme',
      type: 'key.created',
      actor: { keyId: CALLER_KEY_ID, role: 'owner' },
    });
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('stores the sha256 of the returned key and never the key itself', async () => {
    const { send } = setup();

    const { key } = parse<Created>(await send('POST', '/v1/keys', { body: { name: 'ci' } }));

    const input = ddb.commandCalls(TransactWriteCommand)[0].args[0].input;
    expect(input.TransactItems?.[0].Put?.Item?.hash).toBe(sha256(key));
    expect(JSON.stringify(input)).not.toContain(key);
    expect(JSON.stringify(input)).not.toContain(key.slice(8, 72));
  });

  it('copies the tenant snapshot onto the key item', async () => {
    const { send } = setup();

    const { id, createdAt } = parse<Created>(await send('POST', '/v1/keys', { body: { name: 'ci' } }));

    const item = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems?.[0].Put?.Item;
    expect(item).toMatchObject({
      pk: `KEY#${id}`,
      sk: 'KEY',
      gsi1pk: 'TENANT#acme',
      gsi1sk: `${createdAt}#${id}`,
      id,
      tenantId: 'acme',
      tenantStatus: 'active',
      plan: 'starter',
      tenantVersion: 1,
      usageKey: 'usagelivevalue0123456789',
    });
    expect(item).not.toHaveProperty('expiresAt');
    expect(item).not.toHaveProperty('ttl');
  });

  it('answers 201 with the key record and the plaintext key', async () => {
    const { send } = setup();

    const response = await send('POST', '/v1/keys', { body: { name: 'ci' } });

    const body = parse<Created>(response);
    expect(response.statusCode).toBe(201);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    expect(body.key).toMatch(KEY_PATTERN);
    expect(body).toEqual({
      id: `key_${sha256(body.key).slice(0, 24)}`,
      name: 'ci',
      environment: 'live',
      role: 'developer',
      status: 'active',
      last4: body.key.slice(-4),
      createdAt: NOW,
      expiresAt: null,
      lastUsedAt: null,
      createdBy: CALLER_KEY_ID,
      key: body.key,
    });
  });

  it("creates a developer key in the caller's environment when neither is given", async () => {
    const { send } = setup();

    const body = parse<Created>(
      await send('POST', '/v1/keys', { body: { name: 'sandbox' }, caller: { environment: 'test' } }),
    );

    expect(body).toMatchObject({ environment: 'test', role: 'developer' });
    expect(body.key).toMatch(/^sk_test_[0-9a-f]{72}$/);
    const item = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems?.[0].Put?.Item;
    expect(item).toMatchObject({ environment: 'test', role: 'developer' });
  });

  it('creates the asked role and environment when the caller may', async () => {
    const { send } = setup();

    const body = parse<Created>(
      await send('POST', '/v1/keys', { body: { name: 'deploy', role: 'admin', environment: 'test' } }),
    );

    expect(body).toMatchObject({ environment: 'test', role: 'admin' });
  });

  it('sets expiresInDays 30 to midnight UTC of today + 30, with a ttl in epoch seconds on the item', async () => {
    const { send } = setup();

    const body = parse<Created>(await send('POST', '/v1/keys', { body: { name: 'ci', expiresInDays: 30 } }));

    expect(body.expiresAt).toBe(instant(30));
    const item = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems?.[0].Put?.Item;
    expect(item).toMatchObject({
      expiresAt: instant(30),
      expiresInDays: 30,
      ttl: Date.parse(instant(30)) / 1000,
    });
  });

  it('sets expiresOn to midnight UTC at the start of that date', async () => {
    const { send } = setup();

    const body = parse<Created>(await send('POST', '/v1/keys', { body: { name: 'ci', expiresOn: day(1) } }));

    expect(body.expiresAt).toBe(instant(1));
    const item = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems?.[0].Put?.Item;
    expect(item).toMatchObject({ expiresAt: instant(1), ttl: Date.parse(instant(1)) / 1000 });
    expect(item).not.toHaveProperty('expiresInDays');
  });
});

describe('POST /v1/keys refusals', () => {
  it.each<[string, unknown, number, string, RegExp]>([
    [
      'an unknown field',
      { name: 'ci', tenantId: 'globex' },
      400,
      'invalid_request',
      /^unknown field in body: tenantId$/,
    ],
    ['a name of the wrong type', { name: 42 }, 400, 'invalid_request', /^name: /],
    ['a missing name', {}, 400, 'invalid_request', /^name: /],
    ['broken JSON', '{"name": "ci"', 400, 'invalid_request', /^the request body is not valid JSON$/],
    ['a body that is not an object', '["ci"]', 400, 'invalid_request', /^body must be a JSON object$/],
    [
      'a name over 100 characters',
      { name: 'x'.repeat(101) },
      400,
      'invalid_request',
      /^name: must be 1 to 100 printable characters$/,
    ],
    ['a blank name', { name: '   ' }, 400, 'invalid_request', /^name: /],
    [
      'a name with a control character',
      { name: 'ci\u0007' },
      400,
      'invalid_request',
      /^name: must not contain control characters$/,
    ],
    [
      'a name with a right-to-left override',
      { name: 'ci\u202Egpj.exe' },
      400,
      'invalid_request',
      /^name: must not contain bidirectional control characters$/,
    ],
    [
      'a name with a first-strong isolate',
      { name: 'ci\u2068' },
      400,
      'invalid_request',
      /^name: must not contain bidirectional control characters$/,
    ],
    [
      'a name of zero-width characters only',
      { name: '\u200B\u200D\u2060' },
      400,
      'invalid_request',
      /^name: must contain a visible character$/,
    ],
    [
      'a name of a soft hyphen and spaces',
      { name: ' \u00AD ' },
      400,
      'invalid_request',
      /^name: must contain a visible character$/,
    ],
    ['a name with a lone surrogate', { name: 'ci\uD83D' }, 400, 'invalid_request', /^name: must be valid Unicode text/],
    ['an unknown role', { name: 'ci', role: 'root' }, 400, 'invalid_request', /^role: /],
    ['an unknown environment', { name: 'ci', environment: 'prod' }, 400, 'invalid_request', /^environment: /],
    [
      'expiresInDays outside 7, 30, 60, 90',
      { name: 'ci', expiresInDays: 10 },
      400,
      'invalid_request',
      /^expiresInDays: must be one of 7, 30, 60, 90$/,
    ],
    ['expiresInDays as a string', { name: 'ci', expiresInDays: '30' }, 400, 'invalid_request', /^expiresInDays: /],
    ['expiresOn today', { name: 'ci', expiresOn: day(0) }, 400, 'invalid_request', /^expiresOn: .*after today/],
    [
      'expiresOn not a real date',
      { name: 'ci', expiresOn: '2002-02-29' },
      400,
      'invalid_request',
      /^expiresOn: .*real date/,
    ],
    ['both expiry options', { name: 'ci', expiresInDays: 30, expiresOn: day(39) }, 400, 'invalid_request', /not both/],
    ['a body over 16 KiB', { name: 'ci', padding: 'x'.repeat(16 * 1024) }, 413, 'payload_too_large', /16384 bytes/],
  ])('refuses %s without a DynamoDB call', async (_label, body, status, code, message) => {
    const { send } = setup();

    const response = await send('POST', '/v1/keys', { body });

    expect(response.statusCode).toBe(status);
    const { error } = parse<ErrorBody>(response);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('takes a body of exactly 16 KiB past the size check', async () => {
    const padding = 16 * 1024 - JSON.stringify({ name: 'ci', padding: '' }).length;
    const body = JSON.stringify({ name: 'ci', padding: 'x'.repeat(padding) });
    expect(Buffer.byteLength(body)).toBe(16 * 1024);
    const { send } = setup();

    const response = await send('POST', '/v1/keys', { body });

    expect(response.statusCode).toBe(400);
    expect(parse<ErrorBody>(response).error.message).toBe('unknown field in body: padding');
  });

  it.each<[string, Partial<Caller>, Record<string, unknown>, RegExp]>([
    [
      "a role above the caller's",
      { role: 'developer' },
      { name: 'ci', role: 'admin' },
      /developer key cannot create an? admin key/,
    ],
    [
      'an operator key in a tenant',
      { role: 'owner' },
      { name: 'ci', role: 'operator' },
      /^operator keys belong to the operator tenant only; /,
    ],
    [
      'an operator key asked by the operator for a tenant',
      operatorActingFor(ACME, operatorCaller),
      { name: 'ci', role: 'operator' },
      /^operator keys belong to the operator tenant only; a tenant's most powerful key is an owner key$/,
    ],
    [
      'a live key for a test caller',
      { environment: 'test' },
      { name: 'ci', environment: 'live' },
      /a test key can only create test keys/,
    ],
    [
      'any key for a read_only caller',
      { role: 'read_only' },
      { name: 'ci', role: 'read_only' },
      /read_only key cannot change keys/,
    ],
  ])('refuses %s with 403 and no DynamoDB call', async (_label, caller, body, message) => {
    const { send } = setup();

    const response = await send('POST', '/v1/keys', { body, caller });

    expect(response.statusCode).toBe(403);
    expect(parse<ErrorBody>(response).error).toEqual({ code: 'forbidden', message: expect.stringMatching(message) });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('operator keys are live only', () => {
  const OPERATOR = tenantFixture({ tenantId: 'operator', name: 'Operator', plan: 'scale' });
  const operator: Partial<Caller> = { tenantId: 'operator', role: 'operator', plan: 'scale' };

  it('refuses to create a test operator key with 400 and no DynamoDB call', async () => {
    const { send } = setup();

    const response = await send('POST', '/v1/keys', {
      body: { name: 'sandbox', role: 'operator', environment: 'test' },
      caller: operator,
    });

    expect(response.statusCode).toBe(400);
    expect(parse<ErrorBody>(response).error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(/operator keys are live only/),
    });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses to rotate a stored test operator key with 400 after the one read, writing nothing', async () => {
    const { item } = existingKey({ tenant: OPERATOR, role: 'operator', environment: 'test' });
    givenKey(item);
    givenTenant(OPERATOR);
    ddb.on(TransactWriteCommand).resolves({});
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/rotate`, { caller: operator });

    expect(response.statusCode).toBe(400);
    expect(parse<ErrorBody>(response).error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(/operator keys are live only/),
    });
    expect(sent()).toEqual(['GetCommand']);
    expect(apiGateway.calls()).toHaveLength(0);
  });
});

describe('read_only callers (defence in depth behind the authorizer policy)', () => {
  const id = `key_${'a'.repeat(24)}`;

  it.each<[string, string, unknown]>([
    ['POST', '/v1/keys', { name: 'ci' }],
    ['PATCH', `/v1/keys/${id}`, { name: 'renamed' }],
    ['DELETE', `/v1/keys/${id}`, undefined],
    ['POST', `/v1/keys/${id}/revoke`, undefined],
    ['POST', `/v1/keys/${id}/enable`, undefined],
    ['POST', `/v1/keys/${id}/rotate`, { gracePeriodHours: 1 }],
  ])('refuses %s %s with 403 and no DynamoDB or API Gateway call', async (method, path, body) => {
    const { send } = setup();

    const response = await send(method, path, { body, caller: { role: 'read_only' } });

    expect(response.statusCode).toBe(403);
    expect(parse<ErrorBody>(response).error.code).toBe('forbidden');
    expect(ddb.calls()).toHaveLength(0);
    expect(apiGateway.calls()).toHaveLength(0);
  });
});

describe('GET /v1/keys', () => {
  const keys = [0, 1, 2].map((n) => existingKey({ name: `key ${n}`, now: instant(-1 - n, '09:00') }).item);

  it('queries the byTenant index newest first for one more than the limit', async () => {
    ddb.on(QueryCommand).resolves({ Items: keys.slice(0, 2).map(rawKeyItem) });
    const { send } = setup();

    const response = await send('GET', '/v1/keys', { query: { limit: '2' } });

    expect(response.statusCode).toBe(200);
    expect(sent()).toEqual(['QueryCommand']);
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toEqual({
      TableName: 'keys',
      IndexName: 'byTenant',
      KeyConditionExpression: 'gsi1pk = :tenant',
      ExpressionAttributeValues: { ':tenant': 'TENANT#acme' },
      ScanIndexForward: false,
      Limit: 3,
      ExclusiveStartKey: undefined,
    });
  });

  it('lists keys for a read_only caller', async () => {
    ddb.on(QueryCommand).resolves({ Items: [rawKeyItem(keys[0])] });
    const { send } = setup();

    const response = await send('GET', '/v1/keys', { caller: { role: 'read_only' } });

    expect(response.statusCode).toBe(200);
    expect(parse<Page>(response).items.map((item) => item.id)).toEqual([keys[0].id]);
  });

  it('reads 20 keys when no limit is given', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const { send } = setup();

    await send('GET', '/v1/keys');

    expect(ddb.commandCalls(QueryCommand)[0].args[0].input.Limit).toBe(21);
  });

  it('answers key records without the hash and without a cursor on the last page', async () => {
    ddb.on(QueryCommand).resolves({ Items: keys.slice(0, 2).map(rawKeyItem) });
    const { send } = setup();

    const response = await send('GET', '/v1/keys', { query: { limit: '2' } });

    const body = parse<Page>(response);
    expect(body).toEqual({
      items: keys.slice(0, 2).map((key) => ({
        id: key.id,
        name: key.name,
        environment: 'live',
        role: 'developer',
        status: 'active',
        last4: key.last4,
        createdAt: key.createdAt,
        expiresAt: null,
        lastUsedAt: null,
      })),
    });
    for (const key of keys) expect(response.body).not.toContain(key.hash);
  });

  it('answers a cursor to the next page when more keys exist', async () => {
    ddb.on(QueryCommand).resolves({ Items: keys.map(rawKeyItem), LastEvaluatedKey: { pk: `KEY#${keys[2].id}` } });
    const { send } = setup();

    const body = parse<Page>(await send('GET', '/v1/keys', { query: { limit: '2' } }));

    expect(body.items.map((item) => item.id)).toEqual([keys[0].id, keys[1].id]);
    expect(JSON.parse(Buffer.from(body.cursor ?? '', 'base64url').toString('utf8'))).toEqual({
      pk: `KEY#${keys[1].id}`,
      sk: 'KEY',
      gsi1pk: 'TENANT#acme',
      gsi1sk: `${keys[1].createdAt}#${keys[1].id}`,
    });
  });

  it('starts the next page after the key the cursor names', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: keys.map(rawKeyItem) })
      .resolves({ Items: [rawKeyItem(keys[2])] });
    const { send } = setup();
    const first = parse<Page>(await send('GET', '/v1/keys', { query: { limit: '2' } }));

    const second = parse<Page>(await send('GET', '/v1/keys', { query: { limit: '2', cursor: first.cursor ?? '' } }));

    expect(ddb.commandCalls(QueryCommand)[1].args[0].input.ExclusiveStartKey).toEqual({
      pk: `KEY#${keys[1].id}`,
      sk: 'KEY',
      gsi1pk: 'TENANT#acme',
      gsi1sk: `${keys[1].createdAt}#${keys[1].id}`,
    });
    expect(second).toEqual({ items: [expect.objectContaining({ id: keys[2].id })] });
  });

  it('lists only test keys to a test caller, from the environment index and without a filter', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const { send } = setup();

    await send('GET', '/v1/keys', { caller: { environment: 'test' }, query: { limit: '1' } });

    expect(sent()).toEqual(['QueryCommand']);
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toEqual({
      TableName: 'keys',
      IndexName: 'byTenantEnvironment',
      KeyConditionExpression: 'gsi2pk = :tenant',
      ExpressionAttributeValues: { ':tenant': 'TENANT#acme#test' },
      ScanIndexForward: false,
      Limit: 2,
      ExclusiveStartKey: undefined,
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['limit=0', { limit: '0' }, /^limit: must be from 1 to 100$/],
    ['limit=101', { limit: '101' }, /^limit: must be from 1 to 100$/],
    ['limit=abc', { limit: 'abc' }, /^limit: /],
    ['limit=-1', { limit: '-1' }, /^limit: /],
    ['an unknown query parameter', { tenantId: 'globex' }, /^unknown field in query: tenantId$/],
    ['a cursor that is not one', { cursor: 'not-a-cursor' }, /^cursor is not valid/],
    [
      "a cursor of another tenant's listing",
      {
        cursor: Buffer.from(
          JSON.stringify({
            pk: `KEY#${MISSING_ID}`,
            sk: 'KEY',
            gsi1pk: 'TENANT#globex',
            gsi1sk: `${instant(-22)}#${MISSING_ID}`,
          }),
        ).toString('base64url'),
      },
      /^cursor is not valid/,
    ],
  ])('refuses %s with 400 and no DynamoDB call', async (_label, query, message) => {
    const { send } = setup();

    const response = await send('GET', '/v1/keys', { query });

    expect(response.statusCode).toBe(400);
    expect(parse<ErrorBody>(response).error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(message),
    });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 500 internal_error without the cause when DynamoDB fails', async () => {
    const cause = 'ProvisionedThroughputExceededException: table keys in 123456789012 is over capacity';
    ddb.on(QueryCommand).rejects(new Error(cause));
    const { send, logger } = setup();

    const response = await send('GET', '/v1/keys');

    expect(response.statusCode).toBe(500);
    expect(parse<ErrorBody>(response)).toEqual({
      error: { code: 'internal_error', message: 'something went wrong on our side' },
    });
    expect(response.body).not.toContain('ProvisionedThroughput');
    expect(response.body).not.toContain('123456789012');
    expect(logger.lines).toEqual([expect.objectContaining({ level: 'ERROR', message: 'unhandled error' })]);
  });
});

describe('GET /v1/keys/{id}', () => {
  it('answers one key of the tenant after one consistent read, without its hash', async () => {
    const { item } = existingKey({ expiresAt: instant(8) });
    givenKey({ ...item, lastUsedAt: instant(-1, '08:00') });
    const { send } = setup();

    const response = await send('GET', `/v1/keys/${item.id}`);

    expect(response.statusCode).toBe(200);
    expect(parse<KeyRecord>(response)).toEqual({
      id: item.id,
      name: 'ci',
      environment: 'live',
      role: 'developer',
      status: 'active',
      last4: item.last4,
      createdAt: instant(-22, '09:00'),
      expiresAt: instant(8),
      lastUsedAt: instant(-1, '08:00'),
    });
    expect(response.body).not.toContain(item.hash);
    expect(sent()).toEqual(['GetCommand']);
    expect(ddb.commandCalls(GetCommand)[0].args[0].input).toEqual({
      TableName: 'keys',
      ...keyGet(item.id),
      ConsistentRead: true,
    });
  });

  it('shows a key past its expiry as expired', async () => {
    const { item } = existingKey({ expiresAt: instant(0) });
    givenKey(item);
    const { send } = setup();

    expect(parse<KeyRecord>(await send('GET', `/v1/keys/${item.id}`)).status).toBe('expired');
  });

  it('refuses a live key to a test caller as not found', async () => {
    const { item } = existingKey();
    givenKey(item);
    const { send } = setup();

    const response = await send('GET', `/v1/keys/${item.id}`, { caller: { environment: 'test' } });

    expect(response.statusCode).toBe(404);
    expect(parse<ErrorBody>(response).error).toEqual({ code: 'not_found', message: 'no such key' });
  });

  it('answers 500 internal_error without the cause when DynamoDB fails', async () => {
    const { item } = existingKey();
    ddb.on(GetCommand).rejects(new Error('InternalServerError: partition 7f3a on host ddb-42 failed'));
    const { send, logger } = setup();

    const response = await send('GET', `/v1/keys/${item.id}`);

    expect(response.statusCode).toBe(500);
    expect(parse<ErrorBody>(response)).toEqual({
      error: { code: 'internal_error', message: 'something went wrong on our side' },
    });
    expect(response.body).not.toContain('partition');
    expect(response.body).not.toContain('InternalServerError');
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'unhandled error',
        fields: expect.objectContaining({ errorMessage: expect.stringContaining('partition 7f3a') }),
      }),
    ]);
  });
});

/** Every route that acts on one key, with a body it accepts. */
const ONE_KEY_ROUTES: [string, string, string, unknown][] = [
  ['GET', 'GET', '', undefined],
  ['PATCH', 'PATCH', '', { name: 'renamed' }],
  ['DELETE', 'DELETE', '', undefined],
  ['revoke', 'POST', '/revoke', undefined],
  ['enable', 'POST', '/enable', undefined],
  ['rotate', 'POST', '/rotate', { gracePeriodHours: 1 }],
];

/** The handler over `store`, with acme and its owner key in it, and every pause recorded. */
async function setupOnFake(store: MemoryKeyStore = new MemoryKeyStore()) {
  const owner = existingKey({ role: 'owner' }).item;
  await store.createTenant(ACME, owner);
  const pauses: number[] = [];
  const cache = settlingFlusher(
    new StageCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), 'api123', 'prod'),
    fixedClock(NOW),
  );
  const handler = createKeysHandler({
    store,
    clock: fixedClock(NOW),
    prefix: 'sk',
    cache,
    logger: recordingLogger(),
    sleep: async (ms) => void pauses.push(ms),
  });
  const send = (
    method: string,
    path: string,
    options?: Parameters<typeof proxyEvent>[2],
  ): Promise<APIGatewayProxyResult> => handler(proxyEvent(method, path, options));
  return { store, owner, pauses, send };
}

describe("another tenant's key", () => {
  it.each(ONE_KEY_ROUTES)(
    "refuses %s of another tenant's key with the very 404 of a missing id, changing nothing",
    async (_label, method, suffix, body) => {
      const { store, send } = await setupOnFake();
      const foreignKey = existingKey({ tenant: GLOBEX }).item;
      await store.createTenant(GLOBEX, foreignKey);

      const foreign = await send(method, `/v1/keys/${foreignKey.id}${suffix}`, { body });
      const missing = await send(method, `/v1/keys/${MISSING_ID}${suffix}`, { body });

      expect(foreign.statusCode).toBe(404);
      expect(parse<ErrorBody>(foreign)).toEqual({ error: { code: 'not_found', message: 'no such key' } });
      expect(missing.statusCode).toBe(404);
      expect(foreign.body).toBe(missing.body);
      expect(await store.getKey(foreignKey.id)).toEqual(foreignKey);
      expect(store.events).toHaveLength(0);
      expect(apiGateway.calls()).toHaveLength(0);
    },
  );

  it.each(ONE_KEY_ROUTES)(
    'refuses %s of a malformed id with 404 and no DynamoDB call',
    async (_label, method, suffix, body) => {
      const { send } = setup();

      const response = await send(method, `/v1/keys/abc${suffix}`, { body });

      expect(response.statusCode).toBe(404);
      expect(parse<ErrorBody>(response)).toEqual({ error: { code: 'not_found', message: 'no such key' } });
      expect(ddb.calls()).toHaveLength(0);
      expect(apiGateway.calls()).toHaveLength(0);
    },
  );
});

describe('PATCH /v1/keys/{id}', () => {
  it('renames with an update conditioned on the tenant and answers the record', async () => {
    const { item } = existingKey();
    givenKeyChanging(item, { ...item, name: 'renamed' });
    const { send } = setup();

    const response = await send('PATCH', `/v1/keys/${item.id}`, { body: { name: '  renamed  ' } });

    expect(response.statusCode).toBe(200);
    expect(parse<KeyRecord>(response)).toMatchObject({ id: item.id, name: 'renamed' });
    // the key, the rename with its event in one transaction, the key as it now is.
    expect(sent()).toEqual(['GetCommand', 'TransactWriteCommand', 'GetCommand']);
    expect(eventOf()).toMatchObject({ type: 'key.renamed', keyId: item.id, details: { from: 'ci', to: 'renamed' } });
    expect(transaction()[0].Update).toMatchObject({
      ...keyGet(item.id),
      UpdateExpression: 'SET #name = :name',
      ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenant',
      ExpressionAttributeValues: { ':name': 'renamed', ':tenant': 'acme' },
    });
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('refuses a rename with an unknown field and no DynamoDB call', async () => {
    const { item } = existingKey();
    const { send } = setup();

    const response = await send('PATCH', `/v1/keys/${item.id}`, { body: { name: 'renamed', role: 'owner' } });

    expect(response.statusCode).toBe(400);
    expect(parse<ErrorBody>(response).error).toEqual({
      code: 'invalid_request',
      message: 'unknown field in body: role',
    });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('POST /v1/keys/{id}/revoke and /enable', () => {
  it("revokes with an update conditioned on the status, then flushes the stage's authorizer cache", async () => {
    const { item } = existingKey();
    givenKeyChanging(item, { ...item, status: 'revoked' });
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/revoke`);

    expect(response.statusCode).toBe(200);
    expect(parse<KeyRecord>(response)).toMatchObject({ id: item.id, status: 'revoked' });
    expect(sent()).toEqual(['GetCommand', 'TransactWriteCommand', 'GetCommand']);
    expect(transaction()[0].Update).toEqual({
      TableName: 'keys',
      ...keyGet(item.id),
      // a revoked key leaves the notice indexes.
      UpdateExpression: 'SET #status = :to REMOVE gsi3pk, gsi4pk',
      ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenant AND #status = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':to': 'revoked', ':from': 'active', ':tenant': 'acme' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(eventOf()).toMatchObject({ type: 'key.revoked', keyId: item.id, environment: 'live' });
    expect(apiGateway.calls()).toHaveLength(1);
    expect(flushCalls()[0].args[0].input).toEqual({ restApiId: 'api123', stageName: 'prod' });
    expect(ddb.commandCalls(TransactWriteCommand)[0].calledBefore(flushCalls()[0])).toBe(true);
  });

  it('refuses to revoke an already revoked key with 409 and no flush', async () => {
    const { item } = existingKey();
    const revoked: KeyItem = { ...item, status: 'revoked' };
    givenKey(revoked);
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [
          {
            Code: 'ConditionalCheckFailed',
            Item: marshall(rawKeyItem(revoked), { removeUndefinedValues: true }) as Record<string, AttributeValue>,
          },
          { Code: 'None' },
        ],
      }),
    );
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/revoke`);

    expect(response.statusCode).toBe(409);
    expect(parse<ErrorBody>(response)).toEqual({ error: { code: 'conflict', message: 'the key is already revoked' } });
    expect(sent()).toEqual(['GetCommand', 'TransactWriteCommand']);
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('refuses a revoke body with fields', async () => {
    const { item } = existingKey();
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/revoke`, { body: { reason: 'leaked' } });

    expect(response.statusCode).toBe(400);
    expect(parse<ErrorBody>(response).error.code).toBe('invalid_request');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses a developer revoking an owner key with 403 after the one read', async () => {
    const { item } = existingKey({ role: 'owner' });
    givenKey(item);
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/revoke`, { caller: { role: 'developer' } });

    expect(response.statusCode).toBe(403);
    expect(parse<ErrorBody>(response).error.code).toBe('forbidden');
    expect(sent()).toEqual(['GetCommand']);
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('enables a revoked key with the reverse condition and does not flush', async () => {
    const { item } = existingKey();
    givenKeyChanging({ ...item, status: 'revoked' }, item);
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/enable`);

    expect(response.statusCode).toBe(200);
    expect(parse<KeyRecord>(response)).toMatchObject({ id: item.id, status: 'active' });
    // the key, the key again (the store's: its notice index days), the write, the key as it now is.
    expect(sent()).toEqual(['GetCommand', 'GetCommand', 'TransactWriteCommand', 'GetCommand']);
    expect(transaction()[0].Update?.UpdateExpression).toBe(
      'SET #status = :to, gsi4pk = if_not_exists(gsi4pk, :activity)',
    );
    expect(transaction()[0].Update?.ExpressionAttributeValues).toEqual({
      ':to': 'active',
      ':from': 'revoked',
      ':tenant': 'acme',
      // enabling counts as activity: the key is idle from today at the earliest.
      ':activity': noticeIndexAttributes(item, NOW.slice(0, 10)).gsi4pk,
    });
    expect(eventOf()).toMatchObject({ type: 'key.enabled', keyId: item.id });
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('still answers the revoke when API Gateway refuses the flush, and logs an error without key material', async () => {
    const { item, plaintext } = existingKey();
    givenKeyChanging(item, { ...item, status: 'revoked' });
    apiGateway
      .on(FlushStageAuthorizersCacheCommand)
      .rejects(new TooManyRequestsException({ message: 'Too Many Requests', $metadata: {} }));
    const { send, logger } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/revoke`);

    expect(response.statusCode).toBe(200);
    expect(parse<KeyRecord>(response).status).toBe('revoked');
    expect(flushCalls()).toHaveLength(1);
    expect(logger.lines).toEqual([
      {
        level: 'ERROR',
        message: 'authorizer cache flush failed',
        fields: { errorName: 'TooManyRequestsException', errorMessage: 'Too Many Requests' },
      },
    ]);
    expect(logger.text()).not.toContain(plaintext);
    expect(logger.text()).not.toContain(plaintext.slice(8, 72));
    expect(logger.text()).not.toContain(item.hash);
  });
});

describe("a tenant's last active owner key", () => {
  /** The tenant item as stored, with its owner key ids. */
  function givenOwners(...ids: string[]): void {
    ddb
      .on(GetCommand, tenantGet('acme'))
      .resolves({ Item: { pk: 'TENANT#acme', sk: 'TENANT', ...ACME, ownerKeyIds: new Set(ids), ownersListed: true } });
  }

  it('revokes an owner key in one transaction that checks another owner key is still active, then flushes', async () => {
    const { item } = existingKey({ role: 'owner' });
    const other = existingKey({ role: 'owner', name: 'other' }).item;
    ddb
      .on(GetCommand, keyGet(item.id))
      .resolvesOnce({ Item: rawKeyItem(item) })
      .resolves({ Item: rawKeyItem({ ...item, status: 'revoked' }) });
    givenKey(other);
    givenOwners(item.id, other.id);
    ddb.on(TransactWriteCommand).resolves({});
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/revoke`);

    expect(response.statusCode).toBe(200);
    expect(parse<KeyRecord>(response)).toMatchObject({ id: item.id, status: 'revoked' });
    // the key, the owner ids, the other owner, the guarded write, the key as it now is.
    expect(sent()).toEqual(['GetCommand', 'GetCommand', 'GetCommand', 'TransactWriteCommand', 'GetCommand']);
    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(3);
    expect(items[2].Put?.Item).toMatchObject({ type: 'key.revoked', keyId: item.id });
    expect(items[0].Update).toMatchObject({
      ...keyGet(item.id),
      UpdateExpression: 'SET #status = :to REMOVE gsi3pk, gsi4pk',
      ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenant AND #status = :from',
      ExpressionAttributeValues: { ':to': 'revoked', ':from': 'active', ':tenant': 'acme' },
    });
    expect(items[1].ConditionCheck).toMatchObject({
      ...keyGet(other.id),
      ExpressionAttributeValues: { ':tenant': 'acme', ':ownerRole': 'owner', ':active': 'active', ':now': NOW },
    });
    expect(flushCalls()).toHaveLength(1);
  });

  it('adds a new owner key to the owner ids in the transaction that writes it, under the tenant version', async () => {
    givenTenant();
    ddb.on(TransactWriteCommand).resolves({});
    const { send } = setup();

    const body = parse<Created>(await send('POST', '/v1/keys', { body: { name: 'second owner', role: 'owner' } }));

    expect(sent()).toEqual(['GetCommand', 'TransactWriteCommand']);
    const items = ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? [];
    expect(items[1]).toEqual({
      Update: {
        TableName: 'keys',
        ...tenantGet('acme'),
        UpdateExpression: 'ADD ownerKeyIds :owner',
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': 1, ':owner': new Set([body.id]) },
      },
    });
  });
});

describe('DELETE /v1/keys/{id}', () => {
  it('deletes with a condition on the tenant, answers 204 with an empty body, then flushes', async () => {
    const { item } = existingKey();
    givenKey(item);
    ddb.on(TransactWriteCommand).resolves({});
    const { send } = setup();

    const response = await send('DELETE', `/v1/keys/${item.id}`);

    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(sent()).toEqual(['GetCommand', 'TransactWriteCommand']);
    expect(eventOf()).toMatchObject({
      type: 'key.deleted',
      keyId: item.id,
      details: { name: 'ci', role: 'developer' },
    });
    expect(transaction()[0].Delete).toEqual({
      TableName: 'keys',
      ...keyGet(item.id),
      ConditionExpression: 'attribute_exists(pk) AND tenantId = :tenant',
      ExpressionAttributeValues: { ':tenant': 'acme' },
    });
    expect(flushCalls()).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteCommand)[0].calledBefore(flushCalls()[0])).toBe(true);
  });
});

describe('POST /v1/keys/{id}/rotate', () => {
  function givenRotatable(options: Parameters<typeof keyFixture>[0] = {}, overrides: Partial<KeyItem> = {}) {
    const minted = existingKey({ name: 'deploy', role: 'admin', ...options });
    const old = { item: { ...minted.item, ...overrides }, plaintext: minted.plaintext };
    givenKey(old.item);
    givenTenant();
    ddb.on(TransactWriteCommand).resolves({});
    return old;
  }

  const transactItems = () => ddb.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? [];

  it('answers 201 with a new plaintext key of the same name, role and environment', async () => {
    const old = givenRotatable();
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${old.item.id}/rotate`);

    expect(response.statusCode).toBe(201);
    const body = parse<Created>(response);
    expect(body.key).toMatch(KEY_PATTERN);
    expect(body.key).not.toBe(old.plaintext);
    expect(body).toEqual({
      id: `key_${sha256(body.key).slice(0, 24)}`,
      name: 'deploy',
      environment: 'live',
      role: 'admin',
      status: 'active',
      last4: body.key.slice(-4),
      createdAt: NOW,
      expiresAt: null,
      lastUsedAt: null,
      rotatedFrom: old.item.id,
      createdBy: CALLER_KEY_ID,
      key: body.key,
    });
  });

  it('ends the old key now, puts the new key and checks the tenant in one transaction, then flushes', async () => {
    const old = givenRotatable();
    const { send } = setup();

    const body = parse<Created>(
      await send('POST', `/v1/keys/${old.item.id}/rotate`, { body: { gracePeriodHours: 0 } }),
    );

    expect(sent()).toEqual(['GetCommand', 'GetCommand', 'TransactWriteCommand']);
    expect(ddb.commandCalls(GetCommand)[1].args[0].input).toEqual({
      TableName: 'keys',
      ...tenantGet('acme'),
      ConsistentRead: true,
    });
    const items = transactItems();
    expect(items).toHaveLength(4);
    expect(items[3].Put?.Item).toMatchObject({
      type: 'key.rotated',
      keyId: old.item.id,
      details: { newKeyId: body.id },
    });
    expect(items[0].Update).toMatchObject({
      ...keyGet(old.item.id),
      UpdateExpression: 'SET rotatedTo = :newId, expiresAt = :expiresAt, #ttl = :ttl, gsi3pk = :expiryDay',
      ExpressionAttributeValues: {
        ':newId': body.id,
        ':expiresAt': NOW,
        ':ttl': NOW_SECONDS,
        ':tenant': 'acme',
        ':active': 'active',
        ':now': NOW,
        ':expiryDay': `${expiryDayOf(NOW)}#${noticeShard(old.item.id)}`,
      },
    });
    expect(items[1].Put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `KEY#${body.id}`,
        id: body.id,
        hash: sha256(body.key),
        rotatedFrom: old.item.id,
        name: 'deploy',
        role: 'admin',
        tenantVersion: 1,
      },
    });
    expect(JSON.stringify(items)).not.toContain(body.key);
    expect(items[2]).toEqual({
      ConditionCheck: {
        TableName: 'keys',
        ...tenantGet('acme'),
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': 1 },
      },
    });
    expect(flushCalls()).toHaveLength(1);
    expect(flushCalls()[0].args[0].input).toEqual({ restApiId: 'api123', stageName: 'prod' });
    expect(ddb.commandCalls(TransactWriteCommand)[0].calledBefore(flushCalls()[0])).toBe(true);
  });

  it('keeps the old key for the grace period', async () => {
    const old = givenRotatable();
    const { send } = setup();

    await send('POST', `/v1/keys/${old.item.id}/rotate`, { body: { gracePeriodHours: 24 } });

    expect(transactItems()[0].Update?.ExpressionAttributeValues).toMatchObject({
      ':expiresAt': instant(1, '10:00'),
      ':ttl': NOW_SECONDS + 24 * 3600,
    });
    // the second flush after the rotation; the grace end's flush waits in a one-time schedule.
    const queued = sqs
      .commandCalls(SendMessageCommand)
      .map((call) => JSON.parse(call.args[0].input.MessageBody as string));
    expect(queued).toEqual([{ at: instant(0, '10:00:10'), followUp: false }]);
    const schedules = scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input);
    expect(schedules).toEqual([
      expect.objectContaining({
        Name: expect.stringMatching(new RegExp(`^${old.item.id}-`)),
        ScheduleExpression: `at(${instant(1, '10:00').slice(0, 19)})`,
        Target: expect.objectContaining({ Input: JSON.stringify({ at: instant(1, '10:00'), followUp: true }) }),
      }),
    ]);
  });

  it('queues no grace-end flush when the old key stops at once', async () => {
    const old = givenRotatable();
    const { send } = setup();

    await send('POST', `/v1/keys/${old.item.id}/rotate`, { body: { gracePeriodHours: 0 } });

    const queued = sqs
      .commandCalls(SendMessageCommand)
      .map((call) => JSON.parse(call.args[0].input.MessageBody as string));
    expect(queued).toEqual([{ at: instant(0, '10:00:10'), followUp: false }]);
  });

  it('never keeps the old key beyond its own expiry', async () => {
    const old = givenRotatable({ expiresAt: instant(2) });
    const { send } = setup();

    await send('POST', `/v1/keys/${old.item.id}/rotate`, { body: { gracePeriodHours: 168 } });

    expect(transactItems()[0].Update?.ExpressionAttributeValues).toMatchObject({
      ':expiresAt': instant(2),
      ':ttl': Date.parse(instant(2)) / 1000,
    });
  });

  it('gives the new key the old expiry policy again: N days from today', async () => {
    const old = givenRotatable({ expiresAt: instant(8) }, { expiresInDays: 30 });
    const { send } = setup();

    const body = parse<Created>(await send('POST', `/v1/keys/${old.item.id}/rotate`));

    expect(body.expiresAt).toBe(instant(30));
    expect(transactItems()[1].Put?.Item).toMatchObject({ expiresInDays: 30, ttl: Date.parse(instant(30)) / 1000 });
  });

  it.each<[string, unknown]>([
    ['169', 169],
    ['-1', -1],
    ['1.5', 1.5],
    ['"24"', '24'],
  ])('refuses gracePeriodHours %s with 400 and no DynamoDB call', async (_label, gracePeriodHours) => {
    const { item } = existingKey();
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${item.id}/rotate`, { body: { gracePeriodHours } });

    expect(response.statusCode).toBe(400);
    expect(parse<ErrorBody>(response).error).toEqual({
      code: 'invalid_request',
      message: expect.stringMatching(/^gracePeriodHours: /),
    });
    expect(ddb.calls()).toHaveLength(0);
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('refuses to rotate a key revoked meanwhile with 409 and no flush', async () => {
    const old = givenRotatable();
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message:
          'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]',
        $metadata: {},
        CancellationReasons: [
          {
            Code: 'ConditionalCheckFailed',
            Item: marshall(rawKeyItem({ ...old.item, status: 'revoked' }), { removeUndefinedValues: true }) as Record<
              string,
              AttributeValue
            >,
          },
          { Code: 'None' },
          { Code: 'None' },
        ],
      }),
    );
    const { send } = setup();

    const response = await send('POST', `/v1/keys/${old.item.id}/rotate`);

    expect(response.statusCode).toBe(409);
    expect(parse<ErrorBody>(response)).toEqual({
      error: { code: 'conflict', message: 'a revoked key cannot be rotated; enable it first' },
    });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(apiGateway.calls()).toHaveLength(0);
  });
});

/**
 * Rules of the key service, on the in-memory store (held to DynamoKeyStore's behaviour by
 * `test/contract/key-store.contract.test.ts`): what the caller is answered and what is stored,
 * rather than which DynamoDB commands carry it.
 */
describe('key service rules on the in-memory store', () => {
  /** A store on which another request changes the tenant just before each of the first `times` key writes. */
  class RacingTenantStore extends MemoryKeyStore {
    constructor(private times: number) {
      super();
    }

    override async createKey(...args: Parameters<MemoryKeyStore['createKey']>): Promise<void> {
      if (this.times > 0) {
        this.times -= 1;
        const tenant = await this.getTenant(ACME.tenantId);
        await this.updateTenant(ACME.tenantId, tenant?.version ?? 0, { plan: 'growth' });
      }
      return super.createKey(...args);
    }
  }

  /** A store on which the owner keys change under each of the first `times` guarded writes. */
  class RacingOwnersStore extends MemoryKeyStore {
    constructor(private times: number) {
      super();
    }

    override async setKeyStatus(...args: Parameters<MemoryKeyStore['setKeyStatus']>) {
      if (args[3] !== undefined && this.times > 0) {
        this.times -= 1;
        throw new OwnersChangedError("the tenant's owner keys changed meanwhile; try again");
      }
      return super.setKeyStatus(...args);
    }
  }

  it('writes the key with the tenant as re-read when the tenant changed during the write', async () => {
    const { store, send } = await setupOnFake(new RacingTenantStore(1));

    const response = await send('POST', '/v1/keys', { body: { name: 'ci' } });

    expect(response.statusCode).toBe(201);
    const created = parse<Created>(response);
    expect(await store.getKey(created.id)).toMatchObject({
      hash: sha256(created.key),
      plan: 'growth',
      tenantVersion: 2,
    });
  });

  it('refuses with 409 only when the tenant changes under every one of its 12 attempts, writing no key', async () => {
    const { store, send } = await setupOnFake(new RacingTenantStore(12));

    const response = await send('POST', '/v1/keys', { body: { name: 'ci' } });

    expect(response.statusCode).toBe(409);
    expect(parse<ErrorBody>(response).error.code).toBe('conflict');
    expect((await store.getTenant(ACME.tenantId))?.version).toBe(13);
    expect((await store.listKeys(ACME.tenantId, 10)).items).toHaveLength(1);
  });

  it.each<[string, string, string]>([
    ['revoke', 'POST', '/revoke'],
    ['delete', 'DELETE', ''],
  ])('refuses to %s the last owner key with 409, changing nothing', async (_label, method, suffix) => {
    const { store, owner, send } = await setupOnFake();

    const response = await send(method, `/v1/keys/${owner.id}${suffix}`);

    expect(response.statusCode).toBe(409);
    expect(parse<ErrorBody>(response).error).toEqual({
      code: 'conflict',
      message: "this is the tenant's last active owner key: create or enable another owner key first",
    });
    expect(await store.getKey(owner.id)).toEqual(owner);
    expect(store.events).toHaveLength(0);
    expect(apiGateway.calls()).toHaveLength(0);
  });

  it('revokes the last owner key once another owner key exists', async () => {
    const { store, owner, send } = await setupOnFake();
    const second = existingKey({ role: 'owner', name: 'second' }).item;
    await store.createKey(second);

    const response = await send('POST', `/v1/keys/${owner.id}/revoke`);

    expect(response.statusCode).toBe(200);
    expect((await store.getKey(owner.id))?.status).toBe('revoked');
    expect(store.events.map((event) => [event.type, event.keyId])).toEqual([['key.revoked', owner.id]]);
    // the survivor is now the last one.
    expect((await send('POST', `/v1/keys/${second.id}/revoke`)).statusCode).toBe(409);
  });

  it('decides anew after a pause when the owner keys change under a revoke', async () => {
    const { store, owner, pauses, send } = await setupOnFake(new RacingOwnersStore(1));
    await store.createKey(existingKey({ role: 'owner', name: 'second' }).item);

    const response = await send('POST', `/v1/keys/${owner.id}/revoke`);

    expect(response.statusCode).toBe(200);
    expect((await store.getKey(owner.id))?.status).toBe('revoked');
    expect(pauses).toHaveLength(1);
  });

  it('refuses with 409 after four attempts when the owner keys keep changing, pausing between them', async () => {
    const { store, owner, pauses, send } = await setupOnFake(new RacingOwnersStore(4));
    await store.createKey(existingKey({ role: 'owner', name: 'second' }).item);

    const response = await send('POST', `/v1/keys/${owner.id}/revoke`);

    expect(response.statusCode).toBe(409);
    expect(parse<ErrorBody>(response).error.message).toBe(
      "the tenant's owner keys were changing at the same time; try again",
    );
    expect(pauses).toHaveLength(3);
    expect((await store.getKey(owner.id))?.status).toBe('active');
  });
});

describe('the operator acting for a tenant', () => {
  it("checks permissions at the tenant's owner rank but records the operator's own key, for the tenant", () => {
    const acting = operatorActingFor(ACME, operatorCaller);

    expect(acting).toMatchObject({ tenantId: ACME.tenantId, keyId: operatorCaller.keyId, role: 'owner' });
    expect(actorOf(acting)).toEqual({ keyId: operatorCaller.keyId, role: 'operator', onBehalfOf: ACME.tenantId });
    expect(actorOf(callerContext())).toEqual({ keyId: callerContext().keyId, role: 'owner' });
  });
});
