import { createHash } from 'node:crypto';
import { noCache } from '../../lambdas/core/auth/cache';
import { DynamoEventReader } from '../../lambdas/core/events/dynamodb-events';
import { KeyService } from '../../lambdas/core/keys/key-service';
import { isLastingOwner } from '../../lambdas/core/keys/owner-guard';
import type { AuthorizerContext, KeyItem } from '../../lambdas/core/model';
import { recoverOperator, RecoveryRefusedError } from '../../lambdas/core/tenants/operator-recovery';
import { eventSchema } from '../../openapi/responses';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { day, fixedClock, instant, type TestClock } from '../support/time';

const KEY_PATTERN = /^sk_live_[0-9a-f]{72}$/;
const OPERATOR = tenantFixture({ tenantId: 'operator', name: 'Operator', plan: 'scale' });

const tables: TestTable[] = [];
afterAll(async () => {
  await Promise.all(tables.map((table) => table.drop()));
});

/**
 * A table of its own (the operator tenant exists once per table) holding the operator tenant and
 * its first operator key, which never expires, and a key service over it on a movable clock.
 */
async function withOperator() {
  const table = await createTestTable('recovery');
  tables.push(table);
  const clock = fixedClock(instant(0, '10:00'));
  const first = keyFixture({ tenant: OPERATOR, role: 'operator', name: 'operator', now: instant(-30, '09:00') }).item;
  await table.store.createTenant(OPERATOR, first);
  const keys = new KeyService({ store: table.store, clock, prefix: 'sk', cache: noCache, logger: recordingLogger() });
  const recover = (force = false) => recoverOperator({ store: table.store, clock, prefix: 'sk' }, force);
  const events = async () =>
    (await new DynamoEventReader(table.doc, table.tableName).tenantEvents('operator', 100)).items;
  return { table, clock, first, keys, recover, events };
}

const callerOf = (key: Pick<KeyItem, 'id'>): AuthorizerContext => ({
  tenantId: 'operator',
  keyId: key.id,
  environment: 'live',
  role: 'operator',
  plan: 'scale',
});

/** Asserts that `plaintext` is a working, lasting operator key of the table at `clock`'s now. */
async function expectLastingOperator(table: TestTable, clock: TestClock, plaintext: string, id: string) {
  const item = await table.store.getKey(id);
  expect(item).toMatchObject({
    tenantId: 'operator',
    role: 'operator',
    environment: 'live',
    status: 'active',
    expiresAt: null,
    hash: createHash('sha256').update(plaintext).digest('hex'),
    createdBy: 'admin-cli',
    usageKey: OPERATOR.usageKeys.live?.value,
  });
  expect(isLastingOwner(item as KeyItem, clock())).toBe(true);
}

describe('recovering an operator tenant that has no usable operator key', () => {
  it('mints a never-expiring operator key after the only lasting one expired at midnight, and names the recovery in its event', async () => {
    const { table, clock, first, keys, recover, events } = await withOperator();
    // the never-expiring key is revoked (as a leak report does, even to the last one), and the
    // only other one expires at midnight.
    const created = await keys.create(callerOf(first), { name: 'short', role: 'operator', expiresOn: day(1) });
    await table.store.setKeyStatus('operator', first.id, 'revoked');
    clock.set(instant(1));

    const recovered = await recover();

    expect(recovered.key.key).toMatch(KEY_PATTERN);
    expect(recovered.usable).toEqual([]);
    await expectLastingOperator(table, clock, recovered.key.key, recovered.key.id);
    const event = (await events()).find((item) => item.keyId === recovered.key.id);
    expect(event).toMatchObject({
      type: 'key.created',
      at: instant(1),
      actor: { system: 'admin-cli' },
      details: { role: 'operator', expiresAt: null, recovery: 'recover-operator', usableOperatorKeys: [] },
    });
    expect(eventSchema.safeParse(event).success).toBe(true);
    expect(JSON.stringify(await events())).not.toContain(recovered.key.key.slice(8, 72));
    // the recovered key manages the tenant: it can take the expired key away.
    await keys.delete(callerOf(recovered.key), created.id);
  });

  it('mints one when every operator key was deleted or revoked', async () => {
    const { table, clock, first, keys, recover } = await withOperator();
    const other = await keys.create(callerOf(first), { name: 'other', role: 'operator' });
    await keys.delete(callerOf(first), other.id);
    await table.store.setKeyStatus('operator', first.id, 'revoked');

    const recovered = await recover();

    await expectLastingOperator(table, clock, recovered.key.key, recovered.key.id);
  });

  it('refuses while a usable operator key exists, writing nothing, and mints one beside it with force', async () => {
    const { table, clock, first, recover, events } = await withOperator();
    const before = await events();

    const refused = await recover().catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(RecoveryRefusedError);
    expect((refused as Error).message).toBe(
      `the operator tenant has a usable operator key (${first.id}): use it, or pass --force to mint another ` +
        'anyway (for a key that is lost or leaked; revoke it afterwards)',
    );
    expect(await events()).toEqual(before);
    expect(await table.store.ownerKeyIds('operator')).toEqual([first.id]);

    const forced = await recover(true);

    expect(forced.usable).toEqual([first.id]);
    await expectLastingOperator(table, clock, forced.key.key, forced.key.id);
    expect((await events()).find((item) => item.keyId === forced.key.id)?.details).toMatchObject({
      recovery: 'recover-operator',
      usableOperatorKeys: [first.id],
    });
  });

  it('refuses when there is no operator tenant, writing nothing', async () => {
    const table = await createTestTable('recovery');
    tables.push(table);

    const refused = await recoverOperator({ store: table.store, clock: fixedClock(), prefix: 'sk' }).catch(
      (error: unknown) => error,
    );

    expect(refused).toBeInstanceOf(RecoveryRefusedError);
    expect((refused as Error).message).toBe('there is no operator tenant to recover: run create-operator-key instead');
    expect(await table.store.getTenant('operator')).toBeUndefined();
  });
});
