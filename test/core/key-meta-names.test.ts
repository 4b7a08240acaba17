import fc from 'fast-check';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { callerContext, proxyEvent } from '../support/events';
import { keysHandlerOnFakes } from '../support/fakes/keys-handler';

/**
 * `meta` names that JavaScript objects treat specially (`__proto__`, `constructor`, `prototype`)
 * are refused with 400 naming the field, on create and on PATCH, before anything is stored: so a
 * listing, a read or an idempotent replay can never meet one, nor lose one silently.
 */
const RESERVED = ['__proto__', 'constructor', 'prototype'] as const;

async function setup() {
  const { store, tenant, owner, handler } = await keysHandlerOnFakes();
  const caller = callerContext({ tenantId: tenant.tenantId, keyId: owner.id, role: 'owner' });
  const send = (
    method: string,
    target: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<APIGatewayProxyResult> => {
    const [path, search] = target.split('?');
    const event = proxyEvent({
      method,
      resource: path === '/v1/keys' ? path : '/v1/keys/{id}',
      pathParameters: path === '/v1/keys' ? {} : { id: path.slice('/v1/keys/'.length) },
      body,
      query: Object.fromEntries(new URLSearchParams(search ?? '')),
      caller,
    });
    Object.assign(event.headers, headers);
    return handler(event);
  };
  return { store, send, tenantId: tenant.tenantId };
}

const body = (response: APIGatewayProxyResult) =>
  JSON.parse(response.body) as Record<string, unknown> & { meta?: Record<string, string> };

describe('meta names JavaScript treats specially', () => {
  it.each(RESERVED)('refuses %s on create with 400 naming the field, and creates nothing', async (name) => {
    const { store, send, tenantId } = await setup();
    const before = (await store.listKeys(tenantId, 100)).items.length;

    const response = await send('POST', '/v1/keys', `{"name":"k","meta":{"team":"a","${name}":"x"}}`, {
      'idempotency-key': `reserved-${name}`,
    });

    expect(response.statusCode).toBe(400);
    expect(body(response)).toEqual({
      error: { code: 'invalid_request', message: expect.stringContaining(`meta.${name}`) },
    });
    expect((await store.listKeys(tenantId, 100)).items).toHaveLength(before);
  });

  it.each(RESERVED)('refuses %s on PATCH with 400 naming the field, and keeps the meta', async (name) => {
    const { send } = await setup();
    const made = body(await send('POST', '/v1/keys', '{"name":"k","meta":{"team":"a"}}'));

    const response = await send('PATCH', `/v1/keys/${String(made.id)}`, `{"meta":{"${name}":"x"}}`);

    expect(response.statusCode).toBe(400);
    expect(body(response)).toEqual({
      error: { code: 'invalid_request', message: expect.stringContaining(`meta.${name}`) },
    });
    expect(body(await send('GET', `/v1/keys/${String(made.id)}`)).meta).toEqual({ team: 'a' });
  });

  it('answers any meta sent on create with exactly that meta, on the answer, a read, the listing and a replay, or with 400 naming the name', async () => {
    const name = fc.oneof(
      fc.constantFrom(...RESERVED, 'toString', 'valueOf', 'hasOwnProperty'),
      fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/),
    );
    const value = fc.string({ maxLength: 8 }).filter((text) => !/\p{Cc}/u.test(text));
    const { send } = await setup();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(name, value), { maxLength: 6, selector: ([n]) => n }),
        async (entries) => {
          round += 1;
          // built as text: an object literal would read `__proto__` as the prototype, not a name.
          const text = `{"name":"p${round}-","meta":{${entries.map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`).join(',')}}}`;
          const sent = JSON.parse(text).meta as Record<string, string>;
          const headers = { 'idempotency-key': `property-${round}` };
          const response = await send('POST', '/v1/keys', text, headers);
          const reserved = entries.find(([n]) => (RESERVED as readonly string[]).includes(n));
          if (reserved !== undefined) {
            expect(response.statusCode).toBe(400);
            expect(body(response).error).toMatchObject({ message: expect.stringMatching(/^meta\./) });
            return;
          }
          expect(response.statusCode).toBe(201);
          const expected = entries.length === 0 ? undefined : sent;
          const id = String(body(response).id);
          expect(body(response).meta).toEqual(expected);
          expect(body(await send('GET', `/v1/keys/${id}`)).meta).toEqual(expected);
          expect(body(await send('POST', '/v1/keys', text, headers)).meta).toEqual(expected);
          const listed = body(await send('GET', `/v1/keys?name=p${round}-`)) as unknown as {
            items: { id: string; meta?: Record<string, string> }[];
          };
          expect(listed.items.find((key) => key.id === id)?.meta).toEqual(expected);
        },
      ),
    );
  });
});
