import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuthorizerContext } from '../../../lambdas/core/model';
import { noCache } from '../../../lambdas/core/auth/cache';
import { ApiError } from '../../../lambdas/core/http/errors';
import { DynamoEventReader } from '../../../lambdas/core/events/dynamodb-events';
import { newEvent, type KeygateEvent } from '../../../lambdas/core/events/model';
import { KeyService } from '../../../lambdas/core/keys/key-service';
import type { KeyItem } from '../../../lambdas/core/model';
import { TenantService } from '../../../lambdas/core/tenants/tenant-service';
import { PlanReconciler } from '../../../lambdas/core/plans/plan-reconciler';
import type { PlanCatalog } from '../../../lambdas/core/plans/usage-plans';
import { LocalUsagePlans } from '../../../local/usage-plans';
import { createTestTable, type TestTable } from '../../support/dynamodb';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../../support/fixtures';
import { instant } from '../../support/time';
import { DEADLINES } from '../../support/deadlines';

const NOW = instant(0, '10:00');
const clock = fixedClock(NOW);
const OPERATOR = { keyId: 'key_0000000000000000000000ff', role: 'operator' } as const;

let table: TestTable;
let keys: KeyService;
let tenants: TenantService;
let tenantDeps: ConstructorParameters<typeof TenantService>[0] & { usagePlans: LocalUsagePlans };
let events: DynamoEventReader;
beforeAll(async () => {
  table = await createTestTable('outbox');
  const usagePlans = new LocalUsagePlans(() => clock().getTime());
  const plans = {} as Record<string, { usagePlanId: string; limits: { rateLimit: number; burstLimit: number } }>;
  for (const [plan, limits] of [
    ['starter', { rateLimit: 10, burstLimit: 20 }],
    ['growth', { rateLimit: 100, burstLimit: 200 }],
    ['scale', { rateLimit: 1000, burstLimit: 2000 }],
  ] as const) {
    usagePlans.definePlan(`up-${plan}`, plan, limits);
    plans[plan] = { usagePlanId: `up-${plan}`, limits };
  }
  const logger = recordingLogger();
  const reconcile = { request: async () => undefined };
  tenantDeps = {
    store: table.store,
    usagePlans,
    plans: plans as unknown as PlanCatalog,
    prefix: 'sk',
    clock,
    cache: noCache,
    logger,
    namePrefix: 'outbox',
    reconcile,
  };
  tenants = new TenantService(tenantDeps);
  keys = new KeyService({ store: table.store, clock, prefix: 'sk', cache: noCache, logger, usage: tenants });
  events = new DynamoEventReader(table.doc, table.tableName);
});
afterAll(async () => {
  await table.drop();
});

const callerOf = (key: {
  tenantId: string;
  id: string;
  role: KeyItem['role'];
  environment: KeyItem['environment'];
}): AuthorizerContext => ({
  tenantId: key.tenantId,
  keyId: key.id,
  environment: key.environment,
  role: key.role,
  plan: 'starter',
});

/** Every event item of a tenant, oldest first, as stored (storage attributes included). */
async function storedEvents(tenantId: string): Promise<Record<string, unknown>[]> {
  const out = await table.doc.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `EVENT#${tenantId}` },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** Runs a write and returns the events it wrote. */
async function eventsOf(tenantId: string, write: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const before = new Set((await storedEvents(tenantId)).map((item) => item.id));
  await write();
  return (await storedEvents(tenantId)).filter((item) => !before.has(item.id));
}

/** Runs a write that must fail and returns its ApiError code and the events it wrote (none). */
async function failedWrite(
  tenantId: string,
  write: () => Promise<unknown>,
): Promise<{ code: string; written: number }> {
  let code = 'none';
  const written = await eventsOf(tenantId, async () => {
    try {
      await write();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      code = error.code;
    }
  });
  return { code, written: written.length };
}

let counter = 0;
const newTenantId = (): string => `outbox-${(counter += 1)}-${Date.now().toString(36)}`;

describe('the transactional outbox over DynamoDB Local', () => {
  it(
    'writes exactly one event of the right type, actor and key for every write path',
    async () => {
      const tenantId = newTenantId();
      let owner: { id: string; key: string } | undefined;
      const created = await eventsOf(tenantId, async () => {
        const result = await tenants.create({ tenantId, name: 'Acme', plan: 'starter' }, 'owner', OPERATOR);
        owner = { id: result.key.id, key: result.key.key };
      });
      expect(created).toEqual([
        expect.objectContaining({ type: 'tenant.created', tenantId, keyId: owner!.id, actor: OPERATOR }),
      ]);
      const ownerCaller = callerOf({ tenantId, id: owner!.id, role: 'owner', environment: 'live' });
      const byOwner = { keyId: owner!.id, role: 'owner' };

      let dev = { id: '', key: '' };
      const steps: [string, () => Promise<unknown>, Record<string, unknown>][] = [
        [
          'key.created',
          async () => (dev = await keys.create(ownerCaller, { name: 'ci' })),
          { details: { name: 'ci', role: 'developer', environment: 'live', expiresAt: null } },
        ],
        ['key.renamed', () => keys.rename(ownerCaller, dev.id, 'deploy'), { details: { from: 'ci', to: 'deploy' } }],
        ['key.revoked', () => keys.revoke(ownerCaller, dev.id), {}],
        ['key.enabled', () => keys.enable(ownerCaller, dev.id), {}],
        ['key.rotated', () => keys.rotate(ownerCaller, dev.id, 0), {}],
        ['key.deleted', () => keys.delete(ownerCaller, dev.id), { details: { name: 'deploy', role: 'developer' } }],
      ];
      const secrets: string[] = [owner!.key];
      for (const [type, write, extra] of steps) {
        const keyId = type === 'key.created' ? undefined : dev.id;
        const written = await eventsOf(tenantId, write);
        if (type === 'key.created') secrets.push(dev.key);
        expect({ type, written }).toEqual({
          type,
          written: [
            expect.objectContaining({
              type,
              tenantId,
              keyId: keyId ?? dev.id,
              environment: 'live',
              actor: byOwner,
              at: NOW,
              ...extra,
            }),
          ],
        });
      }

      const tenantSteps: [string, () => Promise<unknown>][] = [
        ['tenant.plan_changed', () => tenants.changePlan(tenantId, { plan: 'growth' }, OPERATOR)],
        ['tenant.suspended', () => tenants.setStatus(tenantId, 'suspended', OPERATOR)],
        ['tenant.resumed', () => tenants.setStatus(tenantId, 'active', OPERATOR)],
      ];
      for (const [type, write] of tenantSteps) {
        const written = await eventsOf(tenantId, write);
        expect({ type, written }).toEqual({
          type,
          written: [expect.objectContaining({ type, tenantId, actor: OPERATOR })],
        });
        expect(written[0].environment).toBeUndefined();
      }
      const planChange = (await events.tenantEvents(tenantId, 1, undefined, { type: 'tenant.plan_changed' })).items[0];
      expect(planChange.details).toEqual({
        from: { plan: 'starter', limits: { rateLimit: 10, burstLimit: 20 } },
        to: { plan: 'growth', limits: { rateLimit: 100, burstLimit: 200 } },
      });

      // no event anywhere carries a plaintext key, its secret part or a stored hash.
      const stored = JSON.stringify(await storedEvents(tenantId));
      const ownerHash = (await table.store.getKey(owner!.id))!.hash;
      for (const secret of secrets) {
        expect(stored).not.toContain(secret);
        expect(stored).not.toContain(secret.slice(8, 72));
      }
      expect(stored).not.toContain(ownerHash);
      expect(stored).not.toMatch(/"hash"/);
      // some thirty round trips to the shared DynamoDB Local: give a loaded machine time.
    },
    DEADLINES.slowTest,
  );

  it('gives every event item a ttl 400 days after it, and the all-events index attributes', async () => {
    const tenantId = newTenantId();
    await tenants.create({ tenantId, name: 'Acme', plan: 'starter' }, 'owner', OPERATOR);
    const [item] = await storedEvents(tenantId);
    expect(item.ttl).toBe(Date.parse(NOW) / 1000 + 400 * 86_400);
    expect(item).toMatchObject({ gsi1pk: 'EVENTS', gsi1sk: item.sk, sk: `${NOW}#${item.id}` });
  });

  it('writes no event when a conditional write fails', async () => {
    const tenantId = newTenantId();
    const { key: owner } = await tenants.create({ tenantId, name: 'Acme', plan: 'starter' }, 'owner', OPERATOR);
    const ownerCaller = callerOf({ tenantId, id: owner.id, role: 'owner', environment: 'live' });
    const dev = await keys.create(ownerCaller, { name: 'ci' });
    await keys.revoke(ownerCaller, dev.id);

    // the store's own conditions fail inside the transaction.
    expect(await failedWrite(tenantId, () => keys.revoke(ownerCaller, dev.id))).toEqual({
      code: 'conflict',
      written: 0,
    });
    expect(await failedWrite(tenantId, () => keys.rotate(ownerCaller, dev.id, 0))).toEqual({
      code: 'conflict',
      written: 0,
    });
    const event = (type: KeygateEvent['type']): KeygateEvent =>
      newEvent({ type, tenantId, keyId: dev.id, actor: OPERATOR, at: clock() });
    expect(
      await failedWrite(tenantId, () =>
        table.store.setKeyStatus(tenantId, dev.id, 'revoked', undefined, event('key.revoked')),
      ),
    ).toEqual({ code: 'conflict', written: 0 });
    expect(
      await failedWrite(tenantId, () =>
        table.store.renameKey('someone-else', dev.id, 'x', undefined, event('key.renamed')),
      ),
    ).toEqual({ code: 'not_found', written: 0 });
    expect(
      await failedWrite(tenantId, () => table.store.deleteKey('someone-else', dev.id, undefined, event('key.deleted'))),
    ).toEqual({ code: 'not_found', written: 0 });
    expect(
      await failedWrite(tenantId, () =>
        table.store.updateTenant(tenantId, 99, { status: 'suspended' }, event('tenant.suspended')),
      ),
    ).toEqual({ code: 'conflict', written: 0 });
    const again = keyFixture({ tenant: tenantFixture({ tenantId }) });
    expect(
      await failedWrite(tenantId, () =>
        table.store.createTenant(tenantFixture({ tenantId }), again.item, event('tenant.created')),
      ),
    ).toEqual({ code: 'conflict', written: 0 });
    const stale = keyFixture({ tenant: tenantFixture({ tenantId, version: 0 }) });
    expect(await failedWrite(tenantId, () => table.store.createKey(stale.item, event('key.created')))).toEqual({
      code: 'conflict',
      written: 0,
    });
    // the service refuses the last owner before any write.
    expect(await failedWrite(tenantId, () => keys.delete(ownerCaller, owner.id))).toEqual({
      code: 'conflict',
      written: 0,
    });
    // and the key is as it was: still revoked, still named ci.
    expect(await table.store.getKey(dev.id)).toMatchObject({ status: 'revoked', name: 'ci' });
  });

  it('writes the guarded revoke of an owner key and its event in one transaction', async () => {
    const tenantId = newTenantId();
    const { key: owner } = await tenants.create({ tenantId, name: 'Acme', plan: 'starter' }, 'owner', OPERATOR);
    const ownerCaller = callerOf({ tenantId, id: owner.id, role: 'owner', environment: 'live' });
    const second = await keys.create(ownerCaller, { name: 'second owner', role: 'owner' });
    const written = await eventsOf(tenantId, () => keys.revoke(ownerCaller, second.id));
    expect(written).toEqual([expect.objectContaining({ type: 'key.revoked', keyId: second.id })]);
    const deleted = await eventsOf(tenantId, () => keys.delete(ownerCaller, second.id));
    expect(deleted).toEqual([expect.objectContaining({ type: 'key.deleted', keyId: second.id })]);
  });

  it('writes tenant.deleted with the mark that starts a deletion, once, even when the deletion is retried', async () => {
    const tenantId = newTenantId();
    await tenants.create({ tenantId, name: 'Acme', plan: 'starter' }, 'owner', OPERATOR);
    // a deletion that fails after marking the tenant (API Gateway refuses a step), then a retry.
    const refusing = Object.assign(Object.create(tenantDeps.usagePlans) as LocalUsagePlans, {
      deleteApiKey: async () => {
        throw new Error('throttled');
      },
    });
    const failing = new TenantService({ ...tenantDeps, usagePlans: refusing });

    const first = await eventsOf(tenantId, () => failing.delete(tenantId, OPERATOR).catch(() => undefined));
    const retried = await eventsOf(tenantId, () => tenants.delete(tenantId, OPERATOR));

    expect(first).toEqual([
      expect.objectContaining({
        type: 'tenant.deleted',
        tenantId,
        actor: OPERATOR,
        at: NOW,
        details: { name: 'Acme', plan: 'starter' },
      }),
    ]);
    expect(retried).toEqual([]);
    expect(await table.store.getTenant(tenantId)).toBeUndefined();
    // the audit trail outlives the tenant (the TTL ends it). both at the fixed clock: sorted by id.
    expect((await events.tenantEvents(tenantId, 10)).items.map((event) => event.type).sort()).toEqual([
      'tenant.created',
      'tenant.deleted',
    ]);
  });

  it('writes tenant.plan_applied when the reconciler applies a plan, with the reconciler as actor, once', async () => {
    const tenantId = newTenantId();
    await tenants.create({ tenantId, name: 'Acme', plan: 'starter' }, 'owner', OPERATOR);
    await tenants.changePlan(tenantId, { plan: 'growth' }, OPERATOR);
    const reconciler = new PlanReconciler({ ...tenantDeps, retireAfterMs: 0 });

    const applied = await eventsOf(tenantId, () => reconciler.reconcile(tenantId));
    const again = await eventsOf(tenantId, () => reconciler.reconcile(tenantId));

    expect(applied).toEqual([
      expect.objectContaining({
        type: 'tenant.plan_applied',
        tenantId,
        actor: { system: 'reconciler' },
        details: { plan: 'growth', limits: { rateLimit: 100, burstLimit: 200 }, generation: 1 },
      }),
    ]);
    expect(again).toEqual([]);
    expect(applied[0].environment).toBeUndefined();
  });
});
