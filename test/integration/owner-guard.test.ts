import { noCache } from '../../lambdas/core/auth/cache';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuthorizerContext } from '../../lambdas/core/model';
import type { ApiError } from '../../lambdas/core/http/errors';
import { KeyService } from '../../lambdas/core/keys/key-service';
import type { Role } from '../../lambdas/core/keys/format';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture, apiError } from '../support/fixtures';
import { day, instant } from '../support/time';

const NOW = instant(0, '10:00');
const LAST_OWNER = /last active owner key: create or enable another owner key first/;
const LAST_OPERATOR = /last active operator key: create or enable another operator key first/;

let table: TestTable;
let keys: KeyService;
beforeAll(async () => {
  table = await createTestTable('owners');
  keys = new KeyService({
    store: table.store,
    clock: fixedClock(NOW),
    prefix: 'sk',
    cache: noCache,
    logger: recordingLogger(),
  });
});
afterAll(async () => {
  await table.drop();
});

let counter = 0;
/** A tenant with its first key (an owner, or an operator for the operator tenant) in the table. */
async function seedTenant(
  tenantId = `owners-${(counter += 1)}-${Date.now()}`,
): Promise<{ tenant: Tenant; first: KeyItem }> {
  const tenant = tenantFixture({ tenantId });
  const first = keyFixture({
    tenant,
    role: tenantId === 'operator' ? 'operator' : 'owner',
    now: instant(-22, '09:00'),
  }).item;
  await table.store.createTenant(tenant, first);
  return { tenant, first };
}

/** The context the authorizer would hand over for a key. */
const callerOf = (key: Pick<KeyItem, 'tenantId' | 'id' | 'role' | 'environment'>): AuthorizerContext => ({
  tenantId: key.tenantId,
  keyId: key.id,
  environment: key.environment,
  role: key.role,
  plan: 'starter',
});

/** A second key of the tenant, created through the service by `by`. */
async function addKey(by: KeyItem, role: Role, extra: { expiresOn?: string } = {}): Promise<KeyItem> {
  const created = await keys.create(callerOf(by), { name: `${role}-2`, role, ...extra });
  return (await table.store.getKey(created.id)) as KeyItem;
}

/** The tenant's keys of a role that are active. */
async function activeKeys(tenantId: string, role: Role): Promise<KeyItem[]> {
  const page = await table.store.listKeys(tenantId, 100);
  return page.items.filter((key) => key.role === role && key.status === 'active');
}

describe("a tenant's last active owner key", () => {
  it('refuses to revoke the last owner key with 409, and leaves it active', async () => {
    const { first } = await seedTenant();

    const error = await apiError(keys.revoke(callerOf(first), first.id));

    expect(error).toMatchObject({ status: 409, code: 'conflict', message: expect.stringMatching(LAST_OWNER) });
    expect(await table.store.getKey(first.id)).toEqual(first);
  });

  it('refuses to delete the last owner key with 409, and keeps it', async () => {
    const { first } = await seedTenant();

    const error = await apiError(keys.delete(callerOf(first), first.id));

    expect(error).toMatchObject({ status: 409, code: 'conflict', message: expect.stringMatching(LAST_OWNER) });
    expect(await table.store.getKey(first.id)).toEqual(first);
  });

  it("refuses to revoke or delete the operator tenant's last operator key", async () => {
    const { first } = await seedTenant('operator');
    const owner = await addKey(first, 'owner'); // an owner key does not own the operator tenant.

    const revoke = await apiError(keys.revoke(callerOf(first), first.id));
    const remove = await apiError(keys.delete(callerOf(first), first.id));

    expect(revoke).toMatchObject({ status: 409, code: 'conflict', message: expect.stringMatching(LAST_OPERATOR) });
    expect(remove).toMatchObject({ status: 409, code: 'conflict', message: expect.stringMatching(LAST_OPERATOR) });
    expect(await table.store.getKey(first.id)).toEqual(first);
    await keys.revoke(callerOf(first), owner.id);
  });

  it('refuses when the only other owner key is revoked, expired or rotated out', async () => {
    const { first } = await seedTenant();
    const revoked = await addKey(first, 'owner');
    await keys.revoke(callerOf(first), revoked.id);
    const expiring = await addKey(first, 'owner', { expiresOn: day(1) });
    const rotatedOut = await addKey(first, 'owner');
    const successor = await keys.rotate(callerOf(first), rotatedOut.id, 24);
    await keys.delete(callerOf(first), successor.id);
    const later = new KeyService({
      store: table.store,
      clock: fixedClock(instant(1)),
      prefix: 'sk',
      cache: noCache,
      logger: recordingLogger(),
    });

    const error = await apiError(later.revoke(callerOf(first), first.id));

    expect(error).toMatchObject({ code: 'conflict', message: expect.stringMatching(LAST_OWNER) });
    expect((await table.store.getKey(first.id))?.status).toBe('active');
    expect((await table.store.getKey(expiring.id))?.status).toBe('active');
  });

  it('lets an owner key go while another active owner key remains, and then guards the other', async () => {
    const { first } = await seedTenant();
    const second = await addKey(first, 'owner');

    expect((await keys.revoke(callerOf(second), first.id)).status).toBe('revoked');
    expect((await apiError(keys.delete(callerOf(second), second.id))).code).toBe('conflict');
    await keys.enable(callerOf(second), first.id);
    await keys.delete(callerOf(first), second.id);
    expect(await table.store.getKey(second.id)).toBeUndefined();
    expect((await apiError(keys.revoke(callerOf(first), first.id))).code).toBe('conflict');
  });

  it('counts the new key of a rotated owner as an owner', async () => {
    const { first } = await seedTenant();

    const rotated = await keys.rotate(callerOf(first), first.id, 0);
    const next = (await table.store.getKey(rotated.id)) as KeyItem;

    expect((await apiError(keys.revoke(callerOf(next), next.id))).code).toBe('conflict');
    await keys.delete(callerOf(next), first.id); // the rotated-out key is no longer an owner that counts.
    expect((await table.store.getKey(next.id))?.status).toBe('active');
  });

  it('lets a revoked owner key be deleted, and any non-owner key be revoked', async () => {
    const { first } = await seedTenant();
    const second = await addKey(first, 'owner');
    const developer = await addKey(first, 'developer');
    await keys.revoke(callerOf(first), second.id);

    await keys.delete(callerOf(first), second.id);
    await keys.revoke(callerOf(first), developer.id);

    expect(await table.store.getKey(second.id)).toBeUndefined();
    expect((await table.store.getKey(developer.id))?.status).toBe('revoked');
  });

  it('guards a tenant stored before the owner set existed, listing its owners once', async () => {
    // as an older release wrote them: a tenant item without the owner set.
    const tenant = tenantFixture({ tenantId: `legacy-${Date.now()}` });
    const first = keyFixture({ tenant, role: 'owner', now: instant(-22, '09:00') }).item;
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: `TENANT#${tenant.tenantId}`, sk: 'TENANT', ...tenant },
      }),
    );
    await table.store.createKey(first);
    const other = keyFixture({ tenant, role: 'owner', now: instant(-21, '09:00') }).item;
    await table.store.createKey(other);

    expect((await keys.revoke(callerOf(first), other.id)).status).toBe('revoked');
    expect((await apiError(keys.revoke(callerOf(first), first.id))).code).toBe('conflict');
    const raw = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: `TENANT#${tenant.tenantId}`, sk: 'TENANT' } }),
    );
    expect(raw.Item?.ownerKeyIds).toEqual(new Set([first.id, other.id]));
    expect(await table.store.getTenant(tenant.tenantId)).toEqual(tenant);
  });
});

describe('two owner keys removing each other at the same moment', () => {
  const TRIALS = 20;

  it.each<[string, (by: KeyItem, target: KeyItem) => Promise<unknown>]>([
    ['revoke', (by, target) => keys.revoke(callerOf(by), target.id)],
    ['delete', (by, target) => keys.delete(callerOf(by), target.id)],
    [
      'revoke and delete',
      (by, target) =>
        by.createdAt < target.createdAt ? keys.revoke(callerOf(by), target.id) : keys.delete(callerOf(by), target.id),
    ],
  ])(
    `never leaves zero owners (%s, ${TRIALS} trials): exactly one wins, the other gets 409`,
    async (_label, remove) => {
      for (let trial = 0; trial < TRIALS; trial += 1) {
        const { tenant, first: a } = await seedTenant();
        const b = await addKey(a, 'owner');

        const results = await Promise.allSettled([remove(b, a), remove(a, b)]);

        const won = results.filter((result) => result.status === 'fulfilled');
        const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
        expect({ trial, won: won.length, lost: lost.map((result) => (result.reason as ApiError).code) }).toEqual({
          trial,
          won: 1,
          lost: ['conflict'],
        });
        expect(await activeKeys(tenant.tenantId, 'owner')).toHaveLength(1);
      }
    },
  );
});

describe('an owner key that would outlast every other', () => {
  const EXPIRES_SOONER = /other active (owner|operator) keys all expire, the last at .*, and this one never does/;

  it('refuses to delete the never-expiring operator key while the only other one expires at the next midnight', async () => {
    // a table of its own: the operator tenant exists once per table.
    const own = await createTestTable('operator-owners');
    try {
      const service = new KeyService({
        store: own.store,
        clock: fixedClock(NOW),
        prefix: 'sk',
        cache: noCache,
        logger: recordingLogger(),
      });
      const tenant = tenantFixture({ tenantId: 'operator', name: 'Operator', plan: 'scale' });
      const first = keyFixture({ tenant, role: 'operator', now: instant(-22, '09:00') }).item;
      await own.store.createTenant(tenant, first);
      const created = await service.create(callerOf(first), {
        name: 'until midnight',
        role: 'operator',
        expiresOn: day(1),
      });
      const expiring = callerOf({ ...first, id: created.id });

      const remove = await apiError(service.delete(expiring, first.id));
      const revoke = await apiError(service.revoke(expiring, first.id));

      for (const error of [remove, revoke])
        expect(error).toMatchObject({ status: 409, code: 'conflict', message: expect.stringMatching(EXPIRES_SOONER) });
      expect(await own.store.getKey(first.id)).toEqual(first);
    } finally {
      await own.drop();
    }
  });

  const TRIALS = 20;

  it(`never lets two removals at once leave only an owner that expires sooner (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const { tenant, first: a } = await seedTenant();
      const b = await addKey(a, 'owner');
      await addKey(a, 'owner', { expiresOn: day(1) });

      const results = await Promise.allSettled([keys.delete(callerOf(b), a.id), keys.revoke(callerOf(a), b.id)]);

      const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect({ trial, won: results.length - lost.length, lost: lost.map((r) => (r.reason as ApiError).code) }).toEqual({
        trial,
        won: 1,
        lost: ['conflict'],
      });
      const owners = await activeKeys(tenant.tenantId, 'owner');
      expect(owners.filter((key) => key.expiresAt === null)).toHaveLength(1);
    }
  });
});
