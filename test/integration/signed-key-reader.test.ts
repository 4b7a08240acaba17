import { authorize, ThrottledLastUse } from '../../lambdas/core/auth/authorize';
import { DynamoDbError, SignedKeyReader } from '../../lambdas/runtime/signed-key-reader';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { createTestTable, testEndpoint, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';

/**
 * The authorizer's signed reader speaks DynamoDB's JSON protocol itself: it must read and write
 * exactly what the SDK store does, against the real protocol of DynamoDB Local.
 */
let table: TestTable;
let reader: SignedKeyReader;
const requests: string[] = [];

beforeAll(async () => {
  table = await createTestTable('signed');
  reader = new SignedKeyReader({
    tableName: table.tableName,
    region: LOCAL_AWS.region,
    accessKeyId: LOCAL_AWS.credentials.accessKeyId,
    secretAccessKey: LOCAL_AWS.credentials.secretAccessKey,
    sessionToken: 'session-token',
    endpoint: testEndpoint(),
  });
  // count the HTTP requests the reader makes: the authorizer's contract is one read.
  const fetchBefore = globalThis.fetch;
  globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
    const [input, init] = args;
    const target = new Headers((input instanceof Request ? input.headers : init?.headers) ?? {}).get('x-amz-target');
    if (target !== null) requests.push(target);
    return fetchBefore(...args);
  }) as typeof fetch;
});
afterAll(async () => {
  await table.drop();
});
beforeEach(() => {
  requests.length = 0;
});

async function seeded() {
  const tenant = tenantFixture({ tenantId: `signed-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`, usageKeys: { live: { id: 'ak', value: 'usagevalue0123456789abcdef' } } });
  const key = keyFixture({ tenant, role: 'admin', expiresAt: '2026-12-24T00:00:00.000Z' });
  await table.store.createTenant(tenant, key.item);
  return key;
}

describe('SignedKeyReader against DynamoDB Local', () => {
  it('reads a key exactly as the SDK store does, in one signed GetItem', async () => {
    const { item } = await seeded();
    expect(await reader.getKey(item.id)).toEqual(await table.store.getKey(item.id));
    expect(requests).toEqual(['DynamoDB_20120810.GetItem']);
  });

  it('reads an unknown key as undefined', async () => {
    expect(await reader.getKey('key_000000000000000000000000')).toBeUndefined();
  });

  it('records last use at most once per interval, as the store does', async () => {
    const { item } = await seeded();
    const at = new Date('2026-11-23T10:00:00.000Z');
    expect(await reader.touchLastUsed(item.id, at, 60_000)).toBe(true);
    expect(await reader.touchLastUsed(item.id, new Date(at.getTime() + 59_000), 60_000)).toBe(false);
    expect((await table.store.getKey(item.id))?.lastUsedAt).toBe(at.toISOString());
    expect(await reader.touchLastUsed(item.id, new Date(at.getTime() + 61_000), 60_000)).toBe(true);
  });

  it('never creates an item when recording use of an unknown key', async () => {
    expect(await reader.touchLastUsed('key_111111111111111111111111', new Date(), 60_000)).toBe(false);
    expect(await table.store.getKey('key_111111111111111111111111')).toBeUndefined();
  });

  it('throws DynamoDB errors by their type, for the authorizer to fail closed on', async () => {
    const wrong = new SignedKeyReader({ tableName: 'no-such-table', region: 'us-east-1', accessKeyId: 'local', secretAccessKey: 'local', endpoint: testEndpoint() });
    await expect(wrong.getKey('key_000000000000000000000000')).rejects.toMatchObject({ type: 'ResourceNotFoundException' });
    await expect(wrong.getKey('key_000000000000000000000000')).rejects.toBeInstanceOf(DynamoDbError);
  });

  it('serves the authorizer: an Allow for a good key with one read, a refusal with none for a bad checksum', async () => {
    const { item, plaintext } = await seeded();
    const logger = recordingLogger();
    const deps = { store: reader, prefix: 'sk', acceptBareKeys: true, clock: fixedClock('2026-11-23T10:00:00.000Z'), logger, lastUse: { record: () => undefined } };
    const arn = 'arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/v1/me';
    const result = await authorize(deps, `Bearer ${plaintext}`, arn);
    expect(result.context).toMatchObject({ tenantId: item.tenantId, keyId: item.id, role: 'admin' });
    expect(result.usageIdentifierKey).toBe('usagevalue0123456789abcdef');
    expect(requests).toEqual(['DynamoDB_20120810.GetItem']);
    requests.length = 0;
    const broken = `${plaintext.slice(0, -1)}${plaintext.endsWith('0') ? '1' : '0'}`;
    await expect(authorize(deps, `Bearer ${broken}`, arn)).rejects.toThrow('Unauthorized');
    expect(requests).toEqual([]);
  });

  it('fails closed when DynamoDB cannot be reached', async () => {
    const { plaintext } = await seeded();
    const down = new SignedKeyReader({ tableName: table.tableName, region: 'us-east-1', accessKeyId: 'local', secretAccessKey: 'local', endpoint: 'http://127.0.0.1:9' });
    const logger = recordingLogger();
    const deps = { store: down, prefix: 'sk', acceptBareKeys: true, clock: fixedClock('2026-11-23T10:00:00.000Z'), logger, lastUse: new ThrottledLastUse(down, logger) };
    await expect(authorize(deps, `Bearer ${plaintext}`, 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/me')).rejects.toThrow('Unauthorized');
    expect(logger.text()).toContain('"reason":"error"');
    expect(logger.text()).not.toContain(plaintext);
  });
});
