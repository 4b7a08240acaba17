import type { APIGatewayProxyEvent } from 'aws-lambda';
import { RETURN_ORDER_LOCAL_ROUTES } from '../../examples/return-orders/routes';
import { keygateHandler } from '../../lambdas/runtime/route-context';
import type { LocalKeygate } from '../../local/app';
import { recordingLogger } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate;
const keys: Record<'owner' | 'admin' | 'developer' | 'reader' | 'sandbox' | 'other', string> = {} as never;

beforeAll(async () => {
  keygate = await startTestKeygate({ routes: RETURN_ORDER_LOCAL_ROUTES });
  const operator = keygate.operatorKey as string;
  const tenant = async (tenantId: string): Promise<string> =>
    (
      await call(keygate.url, 'POST', '/v1/panel/tenants', {
        key: operator,
        body: { tenantId, name: tenantId, plan: 'scale' },
      })
    ).body.key.key;
  keys.owner = await tenant('postco');
  keys.other = await tenant('rival');
  const make = async (body: Record<string, unknown>): Promise<string> =>
    (
      await call(keygate.url, 'POST', '/v1/keys', {
        key: keys.owner,
        body: { name: String(body.role ?? body.environment), ...body },
      })
    ).body.key;
  keys.admin = await make({ role: 'admin' });
  keys.developer = await make({ role: 'developer' });
  keys.reader = await make({ role: 'read_only' });
  keys.sandbox = await make({ environment: 'test' });
});
afterAll(async () => {
  await keygate.stop();
});

const createReturn = (key: string, orderId = 'ord_1') =>
  call(keygate.url, 'POST', '/v1/returns', { key, body: { orderId, reason: 'too small' } });

describe('the return-orders example over the local gateway', () => {
  it('creates a return and reads it back, scoped to the caller', async () => {
    const created = await createReturn(keys.developer);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      orderId: 'ord_1',
      reason: 'too small',
      status: 'requested',
      environment: 'live',
      id: expect.stringMatching(/^ret_/),
    });
    const read = await call(keygate.url, 'GET', `/v1/returns/${created.body.id}`, { key: keys.reader });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it("answers another tenant's return 404 exactly like a missing one", async () => {
    const own = (await createReturn(keys.owner)).body;
    const stolen = await call(keygate.url, 'GET', `/v1/returns/${own.id}`, { key: keys.other });
    const missing = await call(keygate.url, 'GET', `/v1/returns/ret_${'0'.repeat(16)}`, { key: keys.other });
    expect(stolen.status).toBe(404);
    expect(stolen.body).toEqual(missing.body);
    expect((await call(keygate.url, 'DELETE', `/v1/returns/${own.id}`, { key: keys.other })).status).toBe(404);
    expect((await call(keygate.url, 'GET', `/v1/returns/${own.id}`, { key: keys.owner })).status).toBe(200);
  });

  it('shows test keys only test returns, and live keys only live ones', async () => {
    const testReturn = (await createReturn(keys.sandbox, 'ord_test')).body;
    expect(testReturn.environment).toBe('test');
    const live = (await createReturn(keys.owner, 'ord_live')).body;
    expect((await call(keygate.url, 'GET', `/v1/returns/${testReturn.id}`, { key: keys.owner })).status).toBe(404);
    expect((await call(keygate.url, 'GET', `/v1/returns/${live.id}`, { key: keys.sandbox })).status).toBe(404);
    expect((await call(keygate.url, 'GET', `/v1/returns/${testReturn.id}`, { key: keys.sandbox })).status).toBe(200);
  });

  it('refuses read_only keys any write with 403 from the policy, and nothing changes', async () => {
    const existing = (await createReturn(keys.owner)).body;
    const create = await createReturn(keys.reader, 'ord_ro');
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden');
    const remove = await call(keygate.url, 'DELETE', `/v1/returns/${existing.id}`, { key: keys.reader });
    expect(remove.status).toBe(403);
    expect((await call(keygate.url, 'GET', `/v1/returns/${existing.id}`, { key: keys.reader })).status).toBe(200);
  });

  it.each([
    ['developer', 403],
    ['admin', 204],
    ['owner', 204],
  ] as const)('lets a %s key delete a return: %i', async (role, status) => {
    const existing = (await createReturn(keys.owner)).body;
    const res = await call(keygate.url, 'DELETE', `/v1/returns/${existing.id}`, { key: keys[role] });
    expect(res.status).toBe(status);
    expect((await call(keygate.url, 'GET', `/v1/returns/${existing.id}`, { key: keys.owner })).status).toBe(
      status === 204 ? 404 : 200,
    );
  });

  it('refuses a request without a key before the handler', async () => {
    const res = await call(keygate.url, 'GET', `/v1/returns/ret_${'0'.repeat(16)}`);
    expect(res.status).toBe(401);
  });

  it('validates the body in the contract shape', async () => {
    const res = await call(keygate.url, 'POST', '/v1/returns', { key: keys.owner, body: { orderId: '' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});

describe('keygateHandler', () => {
  it('refuses an event without a keygate context with 500 and never runs the handler', async () => {
    let ran = false;
    const handler = keygateHandler(async () => {
      ran = true;
      return { statusCode: 200, body: '' };
    }, recordingLogger());
    const event = {
      httpMethod: 'GET',
      resource: '/x',
      requestContext: { authorizer: { tenantId: 't' } },
    } as unknown as APIGatewayProxyEvent;
    const res = await handler(event);
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(ran).toBe(false);
  });

  it('hands the handler the typed context', async () => {
    const handler = keygateHandler(
      async (_event, caller) => ({ statusCode: 200, body: JSON.stringify(caller) }),
      recordingLogger(),
    );
    const context = {
      tenantId: 't',
      keyId: 'key_1',
      environment: 'test',
      role: 'admin',
      plan: 'growth',
      principalId: 'key_1',
    };
    const res = await handler({
      httpMethod: 'GET',
      resource: '/x',
      requestContext: { authorizer: context },
    } as unknown as APIGatewayProxyEvent);
    expect(JSON.parse(res.body)).toEqual({
      tenantId: 't',
      keyId: 'key_1',
      environment: 'test',
      role: 'admin',
      plan: 'growth',
    });
  });
});
