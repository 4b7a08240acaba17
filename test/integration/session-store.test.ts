import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { newEvent } from '../../lambdas/core/events/model';
import { DynamoSessionStore } from '../../lambdas/core/sessions/dynamodb-sessions';
import type { SessionItem } from '../../lambdas/core/sessions/model';
import type { SessionReader, SessionStore } from '../../lambdas/core/sessions/store';
import { mintSessionToken } from '../../lambdas/core/sessions/token';
import { SignedKeyReader } from '../../lambdas/runtime/signed-key-reader';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { MemorySessionStore } from '../support/fakes/memory-sessions';
import { createTestTable, testEndpoint, type TestTable } from '../support/dynamodb';
import { keyFixture, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * The session store's contract, held by the in-memory fake the unit tests use and by the DynamoDB
 * store over DynamoDB Local's real protocol; the authorizer's signed reader reads what the store
 * wrote, sessions and their tenant alike.
 */
let table: TestTable;
let dynamo: DynamoSessionStore;
let signed: SignedKeyReader;
const tenant = tenantFixture({ tenantId: 'contract', plan: 'growth' });

beforeAll(async () => {
  table = await createTestTable('sessions');
  dynamo = new DynamoSessionStore({ client: table.doc, tableName: table.tableName });
  signed = new SignedKeyReader({
    tableName: table.tableName,
    region: LOCAL_AWS.region,
    accessKeyId: LOCAL_AWS.credentials.accessKeyId,
    secretAccessKey: LOCAL_AWS.credentials.secretAccessKey,
    endpoint: testEndpoint(),
  });
  await table.store.createTenant(tenant, keyFixture({ tenant }).item);
});
afterAll(async () => {
  await table.drop();
});

function session(overrides: Partial<SessionItem> = {}): SessionItem {
  const minted = mintSessionToken();
  return {
    id: minted.id,
    tenantId: 'contract',
    hash: minted.hash,
    environment: 'live',
    role: 'admin',
    user: { id: 'u_1', name: 'Ada' },
    createdAt: instant(0, '10:00'),
    expiresAt: instant(0, '10:15'),
    createdBy: 'key_0123456789abcdef01234567',
    ...overrides,
  };
}

const event = (item: SessionItem, type: 'session.created' | 'session.revoked') =>
  newEvent({
    type,
    tenantId: item.tenantId,
    actor: { system: 'admin-cli' },
    at: new Date(item.createdAt),
    details: { sessionId: item.id },
  });

describe.each([
  ['the in-memory fake', () => new MemorySessionStore()],
  ['the DynamoDB store', () => dynamo],
] as [string, () => SessionStore][])('%s', (_label, storeOf) => {
  it('reads back what it stored, and nothing for an unknown id', async () => {
    const store = storeOf();
    const item = session();
    await store.createSession(item, event(item, 'session.created'));
    expect(await store.getSession(item.id)).toEqual(item);
    expect(await store.getSession(session().id)).toBeUndefined();
  });

  it("deletes once, only for the session's own tenant; a second delete finds nothing", async () => {
    const store = storeOf();
    const item = session();
    await store.createSession(item, event(item, 'session.created'));
    expect(await store.deleteSession('another', item.id, event(item, 'session.revoked'))).toBe(false);
    expect(await store.getSession(item.id)).toEqual(item);
    const both = await Promise.all([
      store.deleteSession('contract', item.id, event(item, 'session.revoked')),
      store.deleteSession('contract', item.id, event(item, 'session.revoked')),
    ]);
    expect(both.sort()).toEqual([false, true]);
    expect(await store.getSession(item.id)).toBeUndefined();
  });
});

describe("the DynamoDB store's items", () => {
  it('expire by ttl at the session end, and hold the hash, never the token', async () => {
    const minted = mintSessionToken();
    const item = session({ id: minted.id, hash: minted.hash });
    await dynamo.createSession(item, event(item, 'session.created'));
    const { Items } = await table.doc.send(new ScanCommand({ TableName: table.tableName }));
    const raw = Items!.find((candidate) => candidate.pk === `SESSION#${item.id}`)!;
    expect(raw.ttl).toBe(Math.ceil(Date.parse(item.expiresAt) / 1000));
    expect(JSON.stringify(Items)).not.toContain(minted.plaintext);
  });

  it.each([
    ['the DynamoDB store', () => dynamo],
    ["the authorizer's signed reader", () => signed],
  ] as [string, () => SessionReader][])('%s reads the session and its tenant as stored', async (_label, readerOf) => {
    const reader = readerOf();
    const item = session();
    await dynamo.createSession(item, event(item, 'session.created'));
    expect(await reader.getSession(item.id)).toEqual(item);
    expect(await reader.getSessionTenant('contract')).toEqual({
      status: 'active',
      plan: 'growth',
      usageKeys: { live: tenant.usageKeys.live!.value },
    });
    expect(await reader.getSessionTenant('nobody')).toBeUndefined();
  });
});
