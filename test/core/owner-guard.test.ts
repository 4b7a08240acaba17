import type { APIGatewayProxyResult } from 'aws-lambda';
import { noCache } from '../../lambdas/core/auth/cache';
import type { Role } from '../../lambdas/core/keys/format';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import { createKeysHandler } from '../../lambdas/keys/handler';
import { callerContext, proxyEvent } from '../support/events';
import { MemoryKeyStore } from '../support/fakes/memory-key-store';
import { keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { fixedClock, instant } from '../support/time';

type ErrorBody = { error: { code: string; message: string } };

const ACME = tenantFixture();
const OPERATOR = tenantFixture({ tenantId: 'operator', name: 'Operator', plan: 'scale' });

/**
 * A tenant on the fake store whose first owning-role key never expires, served by the keys
 * handler with a clock the test moves.
 */
async function setup(tenant: Tenant = ACME) {
  const store = new MemoryKeyStore();
  const clock = fixedClock(instant(0, '10:00'));
  const role: Role = tenant.tenantId === 'operator' ? 'operator' : 'owner';
  const first = keyFixture({ tenant, role, name: 'never', now: instant(-30, '09:00') }).item;
  await store.createTenant(tenant, first);
  const handler = createKeysHandler({ store, clock, prefix: 'sk', cache: noCache, logger: recordingLogger() });
  /** Another key of the owning role, stopping at `expiresAt` (or never). */
  const addOwner = async (name: string, expiresAt: string | null): Promise<KeyItem> => {
    const { item } = keyFixture({ tenant, role, name, expiresAt, now: instant(-1, '09:00') });
    await store.createKey(item);
    return item;
  };
  /** A request to a key route, from the tenant's owning-role key `by`. */
  const send = (method: string, id: string, suffix = '', by: KeyItem = first): Promise<APIGatewayProxyResult> =>
    handler(
      proxyEvent({
        method,
        resource: `/v1/keys/{id}${suffix}`,
        pathParameters: { id },
        caller: callerContext({ tenantId: tenant.tenantId, keyId: by.id, role, plan: tenant.plan }),
      }),
    );
  const revoke = (key: KeyItem, by?: KeyItem) => send('POST', key.id, '/revoke', by);
  const remove = (key: KeyItem, by?: KeyItem) => send('DELETE', key.id, '', by);
  return { store, clock, first, addOwner, revoke, remove };
}

const body = (response: APIGatewayProxyResult): ErrorBody => JSON.parse(response.body) as ErrorBody;

describe('an owner key whose only other owner expires sooner', () => {
  it.each<[string, Tenant, string]>([
    ['owner', ACME, "the tenant's"],
    ['operator', OPERATOR, "the operator tenant's"],
  ])(
    'refuses to delete or revoke a never-expiring %s key while the only other one expires at the next midnight, changing nothing',
    async (role, tenant, whose) => {
      const { store, first, addOwner, revoke, remove } = await setup(tenant);
      const expiring = await addOwner('until midnight', instant(1));

      const deleted = await remove(first, expiring);
      const revoked = await revoke(first, expiring);

      for (const response of [deleted, revoked]) {
        expect(response.statusCode).toBe(409);
        expect(body(response)).toEqual({
          error: {
            code: 'conflict',
            message:
              `${whose} other active ${role} keys all expire, the last at ${instant(1)}, and this one never does: ` +
              `create or enable an ${role} key that never expires first`,
          },
        });
      }
      expect(await store.getKey(first.id)).toEqual(first);
      expect(await store.getKey(expiring.id)).toEqual(expiring);
      expect(store.events).toHaveLength(0);
    },
  );

  it('refuses to let an owner key go while every other one expires before it would, naming both instants', async () => {
    const { store, first, addOwner, remove } = await setup();
    const later = await addOwner('in a week', instant(7));
    const sooner = await addOwner('tomorrow', instant(1));
    await addOwner('the day after', instant(2));
    await store.setKeyStatus(ACME.tenantId, first.id, 'revoked'); // a revoked key owns nothing.

    const response = await remove(later);

    expect(response.statusCode).toBe(409);
    expect(body(response).error).toEqual({
      code: 'conflict',
      message:
        `the tenant's other active owner keys all expire before this one would (at ${instant(7)}), ` +
        `the last at ${instant(2)}: create or enable an owner key that lasts as long first`,
    });
    expect(await store.getKey(later.id)).toEqual(later);
    expect((await store.getKey(sooner.id))?.status).toBe('active');
  });

  it('lets an owner key go when another one expires at the same midnight, later, or never', async () => {
    const { store, first, addOwner, remove, revoke } = await setup();
    const a = await addOwner('a', instant(2));
    const b = await addOwner('b', instant(2));
    const c = await addOwner('c', instant(1));

    expect((await remove(a)).statusCode).toBe(204); // b expires at the same midnight.
    expect((await revoke(c)).statusCode).toBe(200); // b and the first key outlast it.
    expect((await revoke(b)).statusCode).toBe(200); // the first key never expires.

    expect(await store.getKey(a.id)).toBeUndefined();
    expect((await store.getKey(first.id))?.status).toBe('active');
  });

  it('keeps deciding by the clock as it crosses midnight', async () => {
    const { store, clock, first, addOwner, remove, revoke } = await setup();
    const tonight = await addOwner('tonight', instant(1));
    const tomorrow = await addOwner('tomorrow night', instant(2));

    clock.set(instant(0, '23:59:59.999'));
    expect(body(await remove(first, tonight)).error.message).toMatch(`the last at ${instant(2)}, and this one never`);
    // the first key never expires: it outlasts the key expiring tomorrow night.
    expect((await revoke(tomorrow, tonight)).statusCode).toBe(200);
    expect(body(await remove(first, tonight)).error.message).toMatch(`the last at ${instant(1)}, and this one never`);

    clock.set(instant(1));
    // tonight's key has expired: the first key is the last lasting owner, and the expired one may go.
    const last = await remove(first, tonight);
    expect(last.statusCode).toBe(409);
    expect(body(last).error.message).toBe(
      "this is the tenant's last active owner key: create or enable another owner key first",
    );
    expect((await remove(tonight)).statusCode).toBe(204);
    expect(await store.getKey(first.id)).toEqual(first);
  });
});
