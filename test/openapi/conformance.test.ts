import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
// ajv comes with @readme/openapi-parser; draft 2020-12 is OpenAPI 3.1's schema dialect.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { OPENAPI_FILES } from '../../bin/openapi';
import { OPERATIONS } from '../../openapi/operations';
import { hashKey, keyIdFromHash } from '../../lambdas/core/keys/format';
import { leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';

/**
 * The document against real answers: every answer of the local gateway below must have a status
 * its operation lists, a body its schema (in the committed document, refs resolved by ajv) accepts,
 * and, for a success, a body the zod schema the document was generated from accepts too (it also
 * checks what JSON Schema formats leave to the reader, e.g. ISO instants). So the document cannot
 * claim what the API does not do, on the routes and errors exercised here.
 */

type Json = Record<string, any>;

const DOCUMENT = JSON.parse(readFileSync(OPENAPI_FILES.document, 'utf8')) as Json;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true, validateSchema: false });
ajv.addSchema(DOCUMENT, 'openapi.json');
const validators = new Map<string, ValidateFunction>();
const pointer = (...parts: string[]) =>
  parts.map((part) => `/${part.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** `operationId status`, for every answer checked. */
const seen = new Set<string>();

/** Checks one answer against the document; throws, naming the route, when they disagree. */
function conform(method: string, template: string, answer: { status: number; body: unknown; headers: Headers }): void {
  const operation = DOCUMENT.paths[template]?.[method.toLowerCase()] as Json | undefined;
  if (operation === undefined) throw new Error(`the document has no ${method} ${template}`);
  const status = String(answer.status);
  // exact statuses only: the 4XX/5XX ranges stand for API Gateway's other answers, which the
  // local gateway never gives, and would let any error through.
  const declared = status;
  const response = operation.responses[declared] as Json | undefined;
  if (response === undefined)
    throw new Error(
      `${method} ${template} answered ${status}, which its operation does not list: ${JSON.stringify(answer.body)}`,
    );
  const at =
    typeof response.$ref === 'string'
      ? (response.$ref as string).slice(1)
      : pointer('paths', template, method.toLowerCase(), 'responses', declared);
  const resolved =
    typeof response.$ref === 'string'
      ? (DOCUMENT.components.responses[(response.$ref as string).split('/').at(-1) as string] as Json)
      : response;
  const where = `${method} ${template} ${status}`;
  if (resolved.content === undefined) {
    if (answer.body !== undefined)
      throw new Error(`${where}: the document says no body, the answer has ${JSON.stringify(answer.body)}`);
  } else {
    const schemaAt = `${at}${pointer('content', 'application/json', 'schema')}`;
    let validate = validators.get(schemaAt);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: `openapi.json#${schemaAt}` });
      validators.set(schemaAt, validate);
    }
    if (!validate(answer.body))
      throw new Error(
        `${where}: the body does not fit the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body)}`,
      );
  }
  for (const [name, header] of Object.entries((resolved.headers ?? {}) as Json)) {
    const required =
      header.required === true ||
      (header.$ref !== undefined &&
        DOCUMENT.components.headers[String(header.$ref).split('/').at(-1) as string].required === true);
    if (required && answer.headers.get(name) === null)
      throw new Error(`${where}: the document requires header ${name}`);
  }
  if (status === '429') expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  const success = OPERATIONS[`${method} ${template}`]?.success;
  if (success?.body !== undefined && answer.status === success.status) success.body.schema.parse(answer.body);
  seen.add(`${operation.operationId} ${status}`);
}

let keygate: Awaited<ReturnType<typeof startTestKeygate>>;
let operator: string;

/** A call over HTTP to `template` with its parameters filled in, checked against the document. */
async function api(
  method: string,
  template: string,
  options: {
    params?: Record<string, string>;
    query?: string;
    key?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? ''));
  const answer = await call(keygate.url, method, `${path}${options.query ?? ''}`, options);
  conform(method, template, answer);
  return answer;
}

// GitHub's signing key, as its meta endpoint would publish it.
const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const GITHUB_KEY_ID = 'conformance-key';
const signed = (body: string) => ({
  'content-type': 'application/json',
  'Github-Public-Key-Identifier': GITHUB_KEY_ID,
  'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), github.privateKey).toString('base64'),
});

beforeAll(async () => {
  keygate = await startTestKeygate({
    githubPublicKeys: JSON.stringify({
      public_keys: [
        {
          key_identifier: GITHUB_KEY_ID,
          key: github.publicKey.export({ type: 'spki', format: 'pem' }),
          is_current: true,
        },
      ],
    }),
  });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe('real answers fit the OpenAPI document', () => {
  let owner: string;

  it('operator tenant routes, idempotent replay included', async () => {
    const body = { tenantId: 'acme', name: 'Acme', plan: 'growth' };
    const created = await api('POST', '/v1/panel/tenants', {
      key: operator,
      body,
      headers: { 'Idempotency-Key': 'create-acme' },
    });
    expect(created.status).toBe(201);
    owner = created.body.key.key;
    const replay = await api('POST', '/v1/panel/tenants', {
      key: operator,
      body,
      headers: { 'Idempotency-Key': 'create-acme' },
    });
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body.key.key]).toEqual([
      201,
      'true',
      undefined,
    ]);
    expect(
      (
        await api('POST', '/v1/panel/tenants', {
          key: operator,
          body: { ...body, name: 'Other' },
          headers: { 'Idempotency-Key': 'create-acme' },
        })
      ).status,
    ).toBe(409);
    expect(
      (await api('POST', '/v1/panel/tenants', { key: operator, body: { name: 'Second', plan: 'starter' } })).status,
    ).toBe(201);
    expect((await api('POST', '/v1/panel/tenants', { key: operator, body: { ...body, extra: 1 } })).status).toBe(400);
    expect(
      (
        await api('POST', '/v1/panel/tenants', {
          key: operator,
          rawBody: JSON.stringify({ name: 'x'.repeat(20_000), plan: 'starter' }),
        })
      ).status,
    ).toBe(413);
    const form = await api('POST', '/v1/panel/tenants', {
      key: operator,
      rawBody: JSON.stringify({ name: 'Form', plan: 'starter' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([form.status, form.body.error.code]).toEqual([415, 'unsupported_media_type']);

    const first = await api('GET', '/v1/panel/tenants', { key: operator, query: '?limit=1' });
    expect(first.body.cursor).toEqual(expect.any(String));
    expect(
      (await api('GET', '/v1/panel/tenants', { key: operator, query: `?cursor=${first.body.cursor}` })).status,
    ).toBe(200);
    expect((await api('GET', '/v1/panel/tenants', { key: operator, query: '?limit=0' })).status).toBe(400);

    const acme = { params: { tenantId: 'acme' }, key: operator };
    expect((await api('GET', '/v1/panel/tenants/{tenantId}', acme)).status).toBe(200);
    expect((await api('GET', '/v1/panel/tenants/{tenantId}', { ...acme, params: { tenantId: 'nobody' } })).status).toBe(
      404,
    );
    expect((await api('PATCH', '/v1/panel/tenants/{tenantId}', { ...acme, body: { name: 'Acme Inc' } })).status).toBe(
      200,
    );
    expect((await api('PATCH', '/v1/panel/tenants/{tenantId}', { ...acme, body: {} })).status).toBe(400);
    expect(
      (
        await api('PUT', '/v1/panel/tenants/{tenantId}/plan', {
          ...acme,
          body: { plan: 'enterprise', rateLimit: 50, burstLimit: 100, quota: { limit: 100_000, period: 'MONTH' } },
        })
      ).status,
    ).toBe(200);
    expect(
      (await api('PUT', '/v1/panel/tenants/{tenantId}/plan', { ...acme, body: { plan: 'starter', rateLimit: 5 } }))
        .status,
    ).toBe(400);
    await keygate.reconciled();
    expect((await api('POST', '/v1/panel/tenants/{tenantId}/suspend', acme)).status).toBe(200);
    expect((await api('POST', '/v1/panel/tenants/{tenantId}/suspend', acme)).status).toBe(409);
    expect((await api('GET', '/v1/me', { key: owner })).status).toBe(401);
    expect((await api('POST', '/v1/panel/tenants/{tenantId}/resume', acme)).status).toBe(200);
    const workspaces = { ...acme, body: { workspaces: ['ws-1', 'ws-2'] } };
    expect((await api('PUT', '/v1/panel/tenants/{tenantId}/workspaces', workspaces)).status).toBe(200);
    expect((await api('GET', '/v1/panel/tenants/{tenantId}/workspaces', acme)).status).toBe(200);
    expect(
      (await api('PUT', '/v1/panel/tenants/{tenantId}/workspaces', { ...acme, body: { workspaces: ['Ws 1'] } })).status,
    ).toBe(400);
    expect((await api('POST', '/v1/panel/tenants', { key: owner, body })).status).toBe(403);
  });

  it('account and key routes of a tenant', async () => {
    await keygate.reconciled();
    expect((await api('GET', '/v1/me', { key: owner })).status).toBe(200);
    expect((await api('GET', '/v1/me', { key: owner, query: '?x=1' })).status).toBe(400);
    const usage = await api('GET', '/v1/usage', { key: owner });
    expect(usage.body.quota).toMatchObject({ limit: 100_000, period: 'MONTH' });
    expect(await api('GET', '/v1/keys')).toMatchObject({ status: 401 });
    // a key of the right shape that was never minted.
    expect((await api('GET', '/v1/keys', { key: `sk_live_${randomBytes(36).toString('hex')}` })).status).toBe(401);

    const created = await api('POST', '/v1/keys', {
      key: owner,
      body: { name: 'ci', expiresInDays: 30, meta: { team: 'billing' } },
      headers: { 'Idempotency-Key': 'ci-key' },
    });
    expect(created.status).toBe(201);
    const key = { key: owner, params: { id: created.body.id as string } };
    await keygate.flushUsage();
    expect((await api('GET', '/v1/keys/{id}/usage', { ...key, query: '?granularity=day' })).status).toBe(200);
    expect((await api('GET', '/v1/keys/{id}/usage', { ...key, query: '?granularity=week' })).status).toBe(400);
    expect((await api('GET', '/v1/keys', { key: owner, query: '?limit=1&name=c' })).status).toBe(200);
    expect((await api('GET', '/v1/keys', { key: owner, query: '?limit=101' })).status).toBe(400);
    expect((await api('GET', '/v1/keys/{id}', key)).status).toBe(200);
    expect((await api('GET', '/v1/keys/{id}', { ...key, params: { id: 'key_000000000000000000000000' } })).status).toBe(
      404,
    );
    expect((await api('PATCH', '/v1/keys/{id}', { ...key, body: { name: 'ci 2', meta: {} } })).status).toBe(200);
    expect((await api('POST', '/v1/keys/{id}/revoke', key)).status).toBe(200);
    expect((await api('POST', '/v1/keys/{id}/revoke', key)).status).toBe(409);
    expect((await api('POST', '/v1/keys/{id}/enable', { ...key, body: {} })).status).toBe(200);
    const rotated = await api('POST', '/v1/keys/{id}/rotate', { ...key, body: { gracePeriodHours: 1 } });
    expect(rotated.status).toBe(201);
    expect((await api('POST', '/v1/keys/{id}/rotate', { ...key, body: { gracePeriodHours: 1.5 } })).status).toBe(400);
    expect((await api('DELETE', '/v1/keys/{id}', key)).status).toBe(204);

    const reader = (
      await api('POST', '/v1/keys', { key: owner, body: { name: 'reader', role: 'read_only', environment: 'test' } })
    ).body.key as string;
    expect((await api('GET', '/v1/keys', { key: reader })).status).toBe(200);
    expect((await api('POST', '/v1/keys', { key: reader, body: { name: 'nope' } })).status).toBe(403);
  });

  it('audit trail routes', async () => {
    const mine = await api('GET', '/v1/events', { key: owner, query: '?limit=2' });
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect((await api('GET', '/v1/events', { key: owner, query: '?type=key.nothing' })).status).toBe(400);
    expect((await api('GET', '/v1/panel/events', { key: operator })).status).toBe(200);
    expect((await api('GET', '/v1/panel/events', { key: operator, query: '?tenantId=acme' })).status).toBe(200);
    expect((await api('GET', '/v1/panel/events', { key: owner })).status).toBe(403);
  });

  it("operator routes on a tenant's keys", async () => {
    const base = '/v1/panel/tenants/{tenantId}/keys';
    const created = await api('POST', base, {
      key: operator,
      params: { tenantId: 'acme' },
      body: { name: 'by operator' },
      headers: { 'Idempotency-Key': 'op-key' },
    });
    expect(created.status).toBe(201);
    const one = { key: operator, params: { tenantId: 'acme', keyId: created.body.id as string } };
    expect((await api('GET', base, { key: operator, params: { tenantId: 'acme' } })).status).toBe(200);
    expect((await api('GET', base, { key: operator, params: { tenantId: 'nobody' } })).status).toBe(404);
    expect((await api('GET', `${base}/{keyId}`, one)).status).toBe(200);
    expect((await api('GET', `${base}/{keyId}/usage`, one)).status).toBe(200);
    const acmeOnly = { key: operator, params: { tenantId: 'acme' } };
    expect((await api('GET', '/v1/panel/tenants/{tenantId}/usage', acmeOnly)).status).toBe(200);
    expect((await api('GET', '/v1/panel/usage', { key: operator, query: '?sort=errors&limit=3' })).status).toBe(200);
    expect((await api('PATCH', `${base}/{keyId}`, { ...one, body: { name: 'renamed' } })).status).toBe(200);
    expect((await api('POST', `${base}/{keyId}/revoke`, one)).status).toBe(200);
    expect((await api('POST', `${base}/{keyId}/enable`, one)).status).toBe(200);
    const rotated = await api('POST', `${base}/{keyId}/rotate`, { ...one, body: {} });
    expect(rotated.status).toBe(201);
    expect(
      (
        await api('DELETE', `${base}/{keyId}`, {
          ...one,
          params: { tenantId: 'acme', keyId: rotated.body.id as string },
        })
      ).status,
    ).toBe(204);
    expect((await api('GET', `${base}/{keyId}`, { key: owner, params: one.params })).status).toBe(403);
    const imported = await api('POST', `${base}/import`, {
      key: operator,
      params: { tenantId: 'acme' },
      body: { keys: [{ sha256: 'cd'.repeat(32), last4: 'cdcd', name: 'imported' }, { name: 'neither' }] },
      headers: { 'Idempotency-Key': 'op-import' },
    });
    expect(imported.body.results.map((result: { status: string }) => result.status)).toEqual(['imported', 'invalid']);
  });

  it("events of the operator acting for a tenant name the operator's key and fit the document", async () => {
    const operatorKeyId = keyIdFromHash(hashKey(operator));
    const created = await api('POST', '/v1/panel/tenants/{tenantId}/keys', {
      key: operator,
      params: { tenantId: 'acme' },
      body: { name: 'acted for' },
    });
    expect(created.status).toBe(201);
    // both listings are checked against the document by api() itself.
    const panel = await api('GET', '/v1/panel/events', { key: operator, query: '?tenantId=acme' });
    const tenant = await api('GET', '/v1/events', { key: owner, query: '?type=key.created' });
    for (const page of [panel, tenant]) {
      expect(page.status).toBe(200);
      const event = (page.body.items as Json[]).find((item) => item.keyId === created.body.id);
      expect(event?.actor).toEqual({ keyId: operatorKeyId, role: 'operator', onBehalfOf: 'acme' });
    }
  });

  it('session routes, idempotent replay (without the token) and the events a session causes', async () => {
    const base = '/v1/panel/tenants/{tenantId}/sessions';
    const body = { role: 'admin', user: { id: 'u_conform', name: 'Conform' } };
    const minted = await api('POST', base, {
      key: operator,
      params: { tenantId: 'acme' },
      body,
      headers: { 'Idempotency-Key': 'session-1' },
    });
    expect(minted.status).toBe(201);
    const replay = await api('POST', base, {
      key: operator,
      params: { tenantId: 'acme' },
      body,
      headers: { 'Idempotency-Key': 'session-1' },
    });
    expect(replay.status).toBe(201);
    expect(replay.body.token).toBeUndefined();
    expect(replay.body.id).toBe(minted.body.id);
    const token = minted.body.token as string;
    const created = await api('POST', '/v1/keys', { key: token, body: { name: 'by a member' } });
    expect(created.status).toBe(201);
    const events = await api('GET', '/v1/events', { key: owner, query: '?type=key.created' });
    const event = (events.body.items as Json[]).find((item) => item.keyId === created.body.id);
    expect(event?.actor).toEqual({ session: minted.body.id, userId: 'u_conform', role: 'admin' });
    expect((await api('DELETE', '/v1/session', { key: token })).status).toBe(204);
    expect((await api('DELETE', '/v1/session', { key: token })).status).toBe(401);
    expect((await api('DELETE', '/v1/session', { key: owner })).status).toBe(403);
    const other = await api('POST', base, { key: operator, params: { tenantId: 'acme' }, body });
    const one = { key: operator, params: { tenantId: 'acme', sessionId: other.body.id as string } };
    expect((await api('DELETE', `${base}/{sessionId}`, one)).status).toBe(204);
    expect((await api('DELETE', `${base}/{sessionId}`, one)).status).toBe(404);
    expect((await api('POST', base, { key: owner, params: { tenantId: 'acme' }, body })).status).toBe(403);
  });

  it("leak routes, the operator's and GitHub's", async () => {
    const victim = (await api('POST', '/v1/keys', { key: owner, body: { name: 'leaked' } })).body.key as string;
    const reported = await api('POST', '/v1/panel/leaks', {
      key: operator,
      body: { key: victim, url: 'https://example.com/paste' },
    });
    expect(reported.body).toMatchObject({ label: 'true_positive', action: 'revoked' });
    expect((await api('POST', '/v1/panel/leaks', { key: operator, body: { key: 'not a key' } })).body).toEqual({
      label: 'false_positive',
    });
    expect((await api('POST', '/v1/panel/leaks', { key: operator, body: {} })).status).toBe(400);

    const alerts = JSON.stringify([
      { token: victim, type: 'keygate_api_key', url: 'https://github.com/acme/app', source: 'content' },
    ]);
    const feedback = await api('POST', '/v1/leaks/github', { rawBody: alerts, headers: signed(alerts) });
    expect(feedback.body).toEqual([{ token_raw: victim, token_type: 'keygate_api_key', label: 'true_positive' }]);
    expect(
      (await api('POST', '/v1/leaks/github', { rawBody: alerts, headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(401);
    expect(
      (await api('POST', '/v1/leaks/github', { rawBody: '{"not":"a list"}', headers: signed('{"not":"a list"}') }))
        .status,
    ).toBe(400);
  });

  it('429 over a quota, with Retry-After', async () => {
    const tenant = (
      await api('POST', '/v1/panel/tenants', {
        key: operator,
        body: {
          tenantId: 'metered',
          name: 'Metered',
          plan: 'enterprise',
          rateLimit: 50,
          burstLimit: 50,
          quota: { limit: 1, period: 'DAY' },
        },
      })
    ).body;
    await keygate.reconciled();
    const key = tenant.key.key as string;
    expect((await api('GET', '/v1/usage', { key })).status).toBe(200);
    const over = await api('GET', '/v1/me', { key });
    expect([over.status, over.body.error.code]).toEqual([429, 'quota_exceeded']);
  });

  it('tenant deletion', async () => {
    expect(
      (await api('DELETE', '/v1/panel/tenants/{tenantId}', { key: operator, params: { tenantId: 'acme' } })).status,
    ).toBe(204);
    expect(
      (await api('GET', '/v1/panel/tenants/{tenantId}', { key: operator, params: { tenantId: 'acme' } })).status,
    ).toBe(404);
  });

  it("the console's sign-in link: a code minted by the operator key, exchanged once without a key", async () => {
    const minted = await api('POST', '/v1/panel/sign-in-links', { key: operator, body: { user: { id: 'u_link' } } });
    expect(minted.status).toBe(201);
    leakScan.sessionToken(minted.body.code as string);
    const signedIn = await api('POST', '/v1/console/sign-in', { body: { code: minted.body.code } });
    expect(signedIn.status).toBe(201);
    expect((await api('POST', '/v1/console/sign-in', { body: { code: minted.body.code } })).status).toBe(401);
    expect((await api('POST', '/v1/console/sign-in', { body: { code: 1 } })).status).toBe(400);
    await api('DELETE', '/v1/session', { key: signedIn.body.token as string });
  });

  it('covered every operation of the document with its success, and the errors the API gives most', () => {
    const operations = Object.values(DOCUMENT.paths as Json).flatMap((item) => Object.values(item as Json)) as Json[];
    const missing = operations
      .map(
        (operation) =>
          `${operation.operationId} ${Object.keys(operation.responses).find((status) => status.startsWith('2'))}`,
      )
      .filter((success) => !seen.has(success));
    expect(missing).toEqual([]);
    const statuses = new Set([...seen].map((entry) => entry.split(' ')[1]));
    expect([...statuses].filter((status) => !status.startsWith('2')).sort()).toEqual([
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '429',
    ]);
  });
});
