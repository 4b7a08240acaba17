import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ThrottledLastUse, Unauthorized } from '../../lambdas/core/auth/authorize';
import { apiIdOf } from '../../lambdas/core/auth/policy';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { mintKey } from '../../lambdas/core/keys/format';
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { fixedClock, keyFixture, METHOD_ARN, rawKeyItem, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

const ddb = mockClient(DynamoDBDocumentClient);

function setup(now = instant(0, '10:00'), denySuspended: boolean | ((methodArn: string) => boolean) = false) {
  const logger = recordingLogger();
  const store = new DynamoKeyStore({
    client: documentClient(new DynamoDBClient({ region: 'eu-west-1' })),
    tableName: 'keys',
  });
  const lastUse = new ThrottledLastUse(store, logger);
  const clock = fixedClock(now);
  const handler = createAuthorizerHandler({
    store,
    prefix: 'sk',
    acceptBareKeys: true,
    clock,
    logger,
    lastUse,
    denySuspended,
  });
  const call = (token: string | undefined, methodArn = METHOD_ARN) =>
    handler({ type: 'TOKEN', authorizationToken: token as string, methodArn });
  return { call, logger, lastUse, clock };
}

beforeEach(() => {
  ddb.reset();
  ddb.on(UpdateCommand).resolves({});
});

describe('authorizer', () => {
  it('allows an active key with one read and answers the whole-API policy, context and usage key', async () => {
    const { item, plaintext } = keyFixture({ role: 'developer' });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem(item) });
    const { call, lastUse } = setup();

    const result = await call(`Bearer ${plaintext}`);

    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetCommand)[0].args[0].input).toMatchObject({
      Key: { pk: `KEY#${item.id}`, sk: 'KEY' },
      ConsistentRead: true,
    });
    expect(result.principalId).toBe(item.id);
    expect(result.usageIdentifierKey).toBe('usagelivevalue0123456789');
    expect(result.context).toEqual({
      tenantId: 'acme',
      keyId: item.id,
      environment: 'live',
      role: 'developer',
      plan: 'starter',
    });
    expect(result.policyDocument.Statement[0]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: ['arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*'],
    });
    await lastUse.settle();
  });

  it('gives read_only keys Deny statements for key mutations and the panel', async () => {
    const { item, plaintext } = keyFixture({ role: 'read_only' });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem(item) });
    const result = await setup().call(plaintext);
    const deny = result.policyDocument.Statement.find((s) => s.Effect === 'Deny') as
      { Resource?: string[] } | undefined;
    expect(deny?.Resource).toEqual(
      expect.arrayContaining([
        'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/keys',
        'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/DELETE/v1/keys/*',
        'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/v1/panel/*',
      ]),
    );
  });

  it('gives operator keys no Deny statement', async () => {
    const operatorTenant = tenantFixture({ tenantId: 'operator', plan: 'scale' });
    const { item, plaintext } = keyFixture({ role: 'operator', tenant: operatorTenant });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem(item) });
    const result = await setup().call(`Bearer ${plaintext}`);
    expect(result.policyDocument.Statement.map((s) => s.Effect)).toEqual(['Allow']);
  });

  it('denies a test operator key the panel, still with one read', async () => {
    const operatorTenant = tenantFixture({ tenantId: 'operator', plan: 'scale' });
    const { item, plaintext } = keyFixture({ role: 'operator', environment: 'test', tenant: operatorTenant });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem(item) });
    const result = await setup().call(`Bearer ${plaintext}`);
    const deny = result.policyDocument.Statement.find((s) => s.Effect === 'Deny') as
      { Resource?: string[] } | undefined;
    expect(deny?.Resource).toEqual([
      'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/v1/panel',
      'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/v1/panel/*',
    ]);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  });

  it.each([
    ['an empty token', ''],
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['a key with a wrong checksum', 'sk_live_' + '0'.repeat(72)],
    ['a key of another prefix', `Bearer ${mintKey('pk', 'live').plaintext}`],
    ['a truncated key', `Bearer ${mintKey('sk', 'live').plaintext.slice(0, 79)}`],
  ])('refuses %s without any DynamoDB call', async (_label, token) => {
    await expect(setup().call(token)).rejects.toThrow(new Unauthorized());
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses a made-up key with a valid checksum after exactly one read and no write, use after use', async () => {
    ddb.on(GetCommand).resolves({});
    const { call, clock, lastUse } = setup();
    const madeUp = `Bearer ${mintKey('sk', 'live').plaintext}`;
    for (let i = 0; i < 3; i += 1) {
      await expect(call(madeUp)).rejects.toThrow('Unauthorized');
      clock.advance(61_000);
    }
    await lastUse.settle();
    expect(ddb.commandCalls(GetCommand)).toHaveLength(3);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses a key whose stored hash differs (an id collision never authorizes)', async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, hash: 'f'.repeat(64) }) });
    const { call, lastUse } = setup();
    await expect(call(plaintext)).rejects.toThrow('Unauthorized');
    await lastUse.settle();
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses a revoked key', async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, status: 'revoked' }) });
    const { call, logger } = setup();
    await expect(call(plaintext)).rejects.toThrow('Unauthorized');
    expect(logger.lines[0].fields).toMatchObject({ reason: 'revoked', keyId: item.id });
  });

  it('refuses a key of a suspended tenant', async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, tenantStatus: 'suspended' }) });
    await expect(setup().call(plaintext)).rejects.toThrow('Unauthorized');
  });

  it("with configured answers, denies a suspended tenant's key every route, naming the refusal for the gateway", async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, tenantStatus: 'suspended' }) });
    const { call, logger, lastUse } = setup(instant(0, '10:00'), true);
    const result = await call(plaintext);
    expect(result.context).toEqual({ tenantId: item.tenantId, keyId: item.id, refusal: 'suspended' });
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Deny',
        Resource: [`${METHOD_ARN.split('/').slice(0, 2).join('/')}/*/*`],
      },
    ]);
    expect(result.usageIdentifierKey).toBeUndefined();
    expect(logger.lines.some((line) => line.fields?.reason === 'suspended')).toBe(true);
    await lastUse.settle();
  });

  it("denies a suspended tenant's key only on the API the answers are configured for, and refuses it 401 elsewhere", async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, tenantStatus: 'suspended' }) });
    const guardedArn = 'arn:aws:execute-api:eu-west-1:123456789012:guarded1/prod/GET/public/v1/posts';
    const { call, lastUse } = setup(instant(0, '10:00'), (methodArn) => apiIdOf(methodArn) === 'guarded1');
    const denied = await call(plaintext, guardedArn);
    expect(denied.context).toEqual({ tenantId: item.tenantId, keyId: item.id, refusal: 'suspended' });
    expect(denied.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    await expect(call(plaintext, METHOD_ARN)).rejects.toThrow('Unauthorized');
    await lastUse.settle();
  });

  it('takes a key expiring on D at D-1 23:59:59.999Z and refuses it at D 00:00:00.000Z', async () => {
    const { item, plaintext } = keyFixture({ expiresAt: instant(8) });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem(item) });
    const { call, clock, lastUse } = setup(instant(7, '23:59:59.999'));
    await expect(call(plaintext)).resolves.toMatchObject({ principalId: item.id });
    clock.set(instant(8));
    await expect(call(plaintext)).rejects.toThrow('Unauthorized');
    await lastUse.settle();
  });

  it('fails closed when DynamoDB errors', async () => {
    const { plaintext } = keyFixture();
    ddb.on(GetCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const { call, logger } = setup();
    await expect(call(plaintext)).rejects.toThrow('Unauthorized');
    expect(logger.lines[0].fields).toMatchObject({ reason: 'error' });
  });

  it('never writes the key or its secret into a log line', async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, status: 'revoked' }) });
    const { call, logger } = setup();
    await expect(call(`Bearer ${plaintext}`)).rejects.toThrow();
    await expect(call(`Bearer ${plaintext.slice(0, -1)}x`)).rejects.toThrow();
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.text()).not.toContain(plaintext.slice(8, 72));
  });

  it('records lastUsedAt once the hash matched, alongside the read for a key seen before, and answers only once it is written', async () => {
    const { item, plaintext } = keyFixture();
    const reads: (() => void)[] = [];
    const writes: (() => void)[] = [];
    ddb.on(GetCommand).callsFake(() => new Promise((done) => reads.push(() => done({ Item: rawKeyItem(item) }))));
    ddb.on(UpdateCommand).callsFake(() => new Promise((done) => writes.push(() => done({}))));
    const { call, clock } = setup();
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    // first use here: the write waits for the hash to match.
    let answered = false;
    const first = call(plaintext).then((result) => ((answered = true), result));
    await turn();
    expect([reads.length, writes.length]).toEqual([1, 0]);
    reads[0]();
    await turn();
    expect([reads.length, writes.length]).toEqual([1, 1]);
    expect(answered).toBe(false); // the answer waits for the write (never lost to a frozen Lambda).
    writes[0]();
    await expect(first).resolves.toMatchObject({ principalId: item.id });

    // a minute on, the id is known to name a real key: both in flight at once, one round trip.
    clock.advance(60_000);
    answered = false;
    const second = call(plaintext).then((result) => ((answered = true), result));
    await turn();
    expect([reads.length, writes.length]).toEqual([2, 2]);
    reads[1]();
    await turn();
    expect(answered).toBe(false);
    writes[1]();
    await expect(second).resolves.toMatchObject({ principalId: item.id });
  });

  it('records lastUsedAt once per key per minute', async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem(item) });
    ddb.on(UpdateCommand).resolves({});
    const { call, clock } = setup();

    await call(plaintext);
    clock.advance(59_000);
    await call(plaintext);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
    clock.advance(1_000);
    await call(plaintext);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(2);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(3);
  });

  it('still authorizes when recording lastUsedAt fails', async () => {
    const { item, plaintext } = keyFixture();
    ddb.on(GetCommand).resolves({ Item: rawKeyItem(item) });
    ddb.on(UpdateCommand).rejects(new Error('throttled'));
    const { call, lastUse, logger } = setup();
    await expect(call(plaintext)).resolves.toMatchObject({ principalId: item.id });
    await lastUse.settle();
    expect(logger.lines.some((line) => line.message === 'lastUsedAt not recorded')).toBe(true);
  });
});

describe('authorizer, scoped keys', () => {
  it('allows a scoped key its scopes and keygate routes only, and says it is scoped', async () => {
    const { item, plaintext } = keyFixture({ role: 'developer' });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, scopes: ['GET /v1/orders/*'] }) });
    const { call } = setup();

    const result = await call(`Bearer ${plaintext}`);

    expect(result.context?.scoped).toBe('true');
    const allowed = (result.policyDocument.Statement[0] as { Resource: string[] }).Resource;
    expect(allowed).toContain('arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/orders/*');
    expect(allowed).not.toContain('arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*');
  });

  it('refuses a key whose stored scopes cannot be read, rather than allowing the whole API', async () => {
    const { item, plaintext } = keyFixture({ role: 'developer' });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, scopes: ['GET /v1/ord*'] }) });
    const { call } = setup();

    await expect(call(`Bearer ${plaintext}`)).rejects.toThrow(Unauthorized);
  });
});
