import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ThrottledLastUse } from '../../lambdas/core/auth/authorize';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { metaSchema } from '../../lambdas/core/keys/key-meta';
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { fixedClock, keyFixture, METHOD_ARN, rawKeyItem, recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => {
  ddb.reset();
  ddb.on(UpdateCommand).resolves({});
});

describe('key meta', () => {
  it('accepts 16 string entries of 1 KiB in all', () => {
    const meta = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'.repeat(61)]),
    );
    expect(metaSchema.safeParse(meta).success).toBe(true);
  });

  it.each([
    ['17 entries', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
    ['over 1 KiB', { a: 'x'.repeat(1024) }],
    ['a number value', { plan: 3 }],
    ['a nested value', { user: { id: '1' } }],
    ['a null value', { user: null }],
    ['a name with a space', { 'user id': '1' }],
    ['an empty name', { '': '1' }],
    ['a control character in a value', { a: 'x\u0000y' }],
    ['an array', ['a']],
  ])('refuses %s', (_label, meta) => {
    expect(metaSchema.safeParse(meta).success).toBe(false);
  });

  it("never puts a key's meta or createdBy in the authorizer's context", async () => {
    const { item, plaintext } = keyFixture({ role: 'developer' });
    ddb.on(GetCommand).resolves({ Item: rawKeyItem({ ...item, meta: { userId: 'u_1' }, createdBy: 'operator' }) });
    const logger = recordingLogger();
    const store = new DynamoKeyStore({
      client: documentClient(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'keys',
    });
    const handler = createAuthorizerHandler({
      store,
      prefix: 'sk',
      acceptBareKeys: true,
      clock: fixedClock(instant(0, '10:00')),
      logger,
      lastUse: new ThrottledLastUse(store, logger),
    });

    const result = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${plaintext}`, methodArn: METHOD_ARN });

    expect(Object.keys(result.context ?? {}).sort()).toEqual(['environment', 'keyId', 'plan', 'role', 'tenantId']);
    expect(JSON.stringify(result)).not.toContain('u_1');
  });
});

describe('listing by name prefix', () => {
  const store = () =>
    new DynamoKeyStore({ client: documentClient(new DynamoDBClient({ region: 'eu-west-1' })), tableName: 'keys' });
  const position = {
    pk: 'KEY#key_000000000000000000000001',
    sk: 'KEY',
    gsi1pk: 'TENANT#acme',
    gsi1sk: `${instant(-22)}#key_000000000000000000000001`,
  };

  it('filters with begins_with on the name and stops reading after 1000 items, with an empty page and a cursor', async () => {
    ddb.on(QueryCommand).resolves({ Items: [], ScannedCount: 100, LastEvaluatedKey: position });

    const page = await store().listKeys('acme', 20, undefined, undefined, 'prod');

    const queries = ddb.commandCalls(QueryCommand);
    expect(queries).toHaveLength(10);
    expect(queries[0].args[0].input).toMatchObject({
      FilterExpression: 'begins_with(#name, :prefix)',
      ExpressionAttributeNames: { '#name': 'name' },
      ExpressionAttributeValues: { ':tenant': 'TENANT#acme', ':prefix': 'prod' },
      Limit: 100,
    });
    expect(page.items).toEqual([]);
    expect(JSON.parse(Buffer.from(page.cursor ?? '', 'base64url').toString('utf8'))).toEqual(position);
  });

  it('stops as soon as the page and one more item matched', async () => {
    const { item } = keyFixture({ role: 'developer' });
    ddb
      .on(QueryCommand)
      .resolves({ Items: [rawKeyItem(item), rawKeyItem(item)], ScannedCount: 100, LastEvaluatedKey: position });

    const page = await store().listKeys('acme', 1, undefined, undefined, 'ci');

    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(page.items).toHaveLength(1);
    expect(page.cursor).toBeDefined();
  });
});
