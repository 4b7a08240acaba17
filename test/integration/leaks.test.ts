import { noCache } from '../../lambdas/core/auth/cache';
import { DynamoEventReader } from '../../lambdas/core/events/dynamodb-events';
import { DynamoLeakStore } from '../../lambdas/core/leaks/dynamodb-leaks';
import { LeakService, type LeakPolicy } from '../../lambdas/core/leaks/leak-service';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

let table: TestTable;
beforeEach(async () => {
  table = await createTestTable('leaks');
});
afterEach(async () => {
  await table.drop();
});

let counter = 0;
/** A tenant with an owner key, and one developer key of it with its plaintext. */
async function seed(): Promise<{ tenant: Tenant; key: KeyItem; plaintext: string }> {
  const tenant = tenantFixture({ tenantId: `leaks-${(counter += 1)}` });
  await table.store.createTenant(tenant, keyFixture({ tenant, role: 'owner', now: instant(-3, '08:00') }).item);
  const { item, plaintext } = keyFixture({ tenant, now: instant(-3, '08:00'), name: 'pasted' });
  await table.store.createKey(item);
  return { tenant, key: item, plaintext };
}

function leaks(policy: LeakPolicy = 'revoke'): LeakService {
  return new LeakService({
    store: new DynamoLeakStore(table.store, table.doc, table.tableName),
    prefix: 'sk',
    policy,
    clock: fixedClock(instant(0, '10:00')),
    cache: noCache,
    logger: recordingLogger(),
  });
}

async function leakEvents(tenantId: string): Promise<unknown[]> {
  const page = await new DynamoEventReader(table.doc, table.tableName).tenantEvents(tenantId, 100);
  return page.items.filter((event) => event.type === 'key.leaked').map((event) => event.details?.action);
}

describe('leak reports against the key table', () => {
  it('revokes a leaked key again when it is reported after being enabled, with a second key.leaked', async () => {
    const { tenant, key, plaintext } = await seed();
    const service = leaks();

    expect((await service.report(plaintext, {}, { system: 'github' })).action).toBe('revoked');
    await table.store.setKeyStatus(tenant.tenantId, key.id, 'active');
    expect((await service.report(plaintext, {}, { keyId: 'key_operator', role: 'operator' })).action).toBe('revoked');

    expect((await table.store.getKey(key.id))?.status).toBe('revoked');
    expect(await leakEvents(tenant.tenantId)).toEqual(['revoked', 'revoked']);
  });

  it('answers already_reported for a key revoked by an earlier leak, and writes nothing', async () => {
    const { tenant, plaintext } = await seed();
    const service = leaks();

    await service.report(plaintext, {}, { system: 'github' });
    expect((await service.report(plaintext, {}, { system: 'github' })).action).toBe('already_reported');

    expect(await leakEvents(tenant.tenantId)).toEqual(['revoked']);
  });

  it('notifies on every report of a key that stays active under the notify policy', async () => {
    const { tenant, key, plaintext } = await seed();
    const service = leaks('notify');

    expect((await service.report(plaintext, {}, { system: 'github' })).action).toBe('notified');
    expect((await service.report(plaintext, {}, { system: 'github' })).action).toBe('notified');

    expect((await table.store.getKey(key.id))?.status).toBe('active');
    expect(await leakEvents(tenant.tenantId)).toEqual(['notified', 'notified']);
  });
});
