import type { APIGatewayProxyResult } from 'aws-lambda';
import type { AuthorizerContext } from '../../lambdas/core/model';
import { callerContext, proxyEvent } from '../support/events';
import { keysHandlerOnFakes } from '../support/fakes/keys-handler';

/**
 * An `Idempotency-Key` replays an answer only to the key that got it, and only once the caller
 * is allowed the request: a lesser key that sends the owner's header and body gets the 403 a
 * fresh request gets, never the owner's record.
 */
type Caller = Pick<AuthorizerContext, 'tenantId' | 'keyId' | 'environment' | 'role' | 'plan'>;

async function setup() {
  const { store, tenant, owner, handler } = await keysHandlerOnFakes();
  const as =
    (caller: Partial<Caller>) =>
    (method: string, path: string, body: unknown, header: string): Promise<APIGatewayProxyResult> => {
      const id = /^\/v1\/keys\/([^/]+)\/rotate$/.exec(path)?.[1];
      const event = proxyEvent({
        method,
        resource: id === undefined ? path : '/v1/keys/{id}/rotate',
        pathParameters: id === undefined ? {} : { id },
        body,
        caller: callerContext({ tenantId: tenant.tenantId, ...caller }),
      });
      event.headers['Idempotency-Key'] = header;
      return handler(event);
    };
  const owners = as({ keyId: owner.id, role: 'owner', environment: 'live' });
  const developer = as({ keyId: `key_${'d'.repeat(24)}`, role: 'developer', environment: 'live' });
  const testOwner = as({ keyId: `key_${'e'.repeat(24)}`, role: 'owner', environment: 'test' });
  return { store, tenantId: tenant.tenantId, owner, owners, developer, testOwner };
}

const parse = (response: APIGatewayProxyResult) =>
  JSON.parse(response.body) as { id?: string; error?: { code: string; message: string } };

describe('Idempotency-Key replays and authorization', () => {
  it.each([
    ['a developer key', 'developer', { name: 'boss', role: 'owner' }],
    ['a test key', 'testOwner', { name: 'prod', environment: 'live' }],
  ] as const)(
    "answers %s that sends the owner's Idempotency-Key and body the 403 of a fresh request, not the owner's record",
    async (_label, who, body) => {
      const ctx = await setup();
      const first = await ctx.owners('POST', '/v1/keys', body, 'form-1');
      expect(first.statusCode).toBe(201);
      const keysBefore = (await ctx.store.listKeys(ctx.tenantId, 100)).items.length;

      const fresh = await ctx[who]('POST', '/v1/keys', body, 'form-2');
      const replayed = await ctx[who]('POST', '/v1/keys', body, 'form-1');

      expect(fresh.statusCode).toBe(403);
      expect(replayed.statusCode).toBe(403);
      expect(parse(replayed)).toEqual(parse(fresh));
      expect(replayed.body).not.toContain(String(parse(first).id));
      expect((await ctx.store.listKeys(ctx.tenantId, 100)).items).toHaveLength(keysBefore);
    },
  );

  it("answers a developer key that sends the owner's rotation Idempotency-Key with 403, not the new owner key's record", async () => {
    const ctx = await setup();
    const made = parse(await ctx.owners('POST', '/v1/keys', { name: 'second-owner', role: 'owner' }, 'make'));
    const rotated = await ctx.owners('POST', `/v1/keys/${made.id}/rotate`, {}, 'rotate-1');
    expect(rotated.statusCode).toBe(201);

    const replayed = await ctx.developer('POST', `/v1/keys/${made.id}/rotate`, {}, 'rotate-1');

    expect(replayed.statusCode).toBe(403);
    expect(replayed.body).not.toContain(String(parse(rotated).id));
  });

  it('still replays to the key that sent the request first', async () => {
    const ctx = await setup();
    const first = await ctx.owners('POST', '/v1/keys', { name: 'ci' }, 'again');
    const again = await ctx.owners('POST', '/v1/keys', { name: 'ci' }, 'again');
    expect([first.statusCode, again.statusCode]).toEqual([201, 201]);
    expect(parse(again).id).toBe(parse(first).id);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
  });
});
