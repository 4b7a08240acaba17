import { readFileSync } from 'node:fs';
import fc from 'fast-check';
// ajv comes with @readme/openapi-parser; draft 2020-12 is OpenAPI 3.1's schema dialect.
import Ajv2020 from 'ajv/dist/2020';
import { OPENAPI_FILES } from '../../bin/openapi';
import { ApiError } from '../../lambdas/core/http/errors';
import { parseBody, type ApiRequest } from '../../lambdas/core/http/http';
import { createTenantSchema, tenantPlanSchema } from '../../lambdas/core/http/schemas/tenants';
import { PLAN_NAMES, QUOTA_PERIODS, TENANT_ID_PATTERN } from '../../lambdas/core/model';
import type { PlanCatalog } from '../../lambdas/core/plans/usage-plans';
import { limitsFor } from '../../lambdas/core/tenants/plan-change';
import { OPERATIONS } from '../../openapi/operations';
import { operatorCaller } from '../support/events';

/**
 * The rules the server enforces on a request, held against what the committed document says of
 * them: the same bodies go through the handlers' own checks and through the document's schema
 * (ajv), and both must accept or refuse each one alike.
 */

type Json = Record<string, any>;

const DOCUMENT = JSON.parse(readFileSync(OPENAPI_FILES.document, 'utf8')) as Json;
const ajv = new Ajv2020({ strict: false, validateFormats: false, validateSchema: false });
ajv.addSchema(DOCUMENT, 'openapi.json');
const documented = (schema: string) => ajv.compile({ $ref: `openapi.json#/components/schemas/${schema}` });

const CATALOG: PlanCatalog = {
  starter: { usagePlanId: 'p1', limits: { rateLimit: 10, burstLimit: 20 } },
  growth: { usagePlanId: 'p2', limits: { rateLimit: 100, burstLimit: 200 } },
  scale: { usagePlanId: 'p3', limits: { rateLimit: 1000, burstLimit: 2000 } },
};

/** Whether the server takes a body: the handler's schema, then the plan's limits, as the handlers check them. */
function serverTakes(schema: typeof createTenantSchema | typeof tenantPlanSchema, body: unknown): boolean {
  const request: ApiRequest = {
    method: 'POST',
    resource: '/v1/panel/tenants',
    pathParameters: {},
    query: {},
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    caller: { ...operatorCaller },
  };
  try {
    limitsFor(parseBody(request, schema), CATALOG);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return false;
    throw error;
  }
}

/** Plan bodies: any plan, each limit present or not, the burst never below the rate. */
const planBody = fc
  .record(
    {
      plan: fc.constantFrom(...PLAN_NAMES),
      rateLimit: fc.integer({ min: 1, max: 1000 }),
      extraBurst: fc.integer({ min: 0, max: 1000 }),
      quota: fc.record({ limit: fc.integer({ min: 1, max: 1_000_000 }), period: fc.constantFrom(...QUOTA_PERIODS) }),
    },
    { requiredKeys: ['plan'] },
  )
  .map(({ plan, rateLimit, extraBurst, quota }) => ({
    plan,
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(extraBurst === undefined ? {} : { burstLimit: (rateLimit ?? 1) + extraBurst }),
    ...(quota === undefined ? {} : { quota }),
  }));

describe('the document says what the server enforces', () => {
  const create = DOCUMENT.components.schemas.CreateTenantRequest;

  it("gives CreateTenantRequest.tenantId the server's own pattern and lengths", () => {
    expect(create.properties.tenantId).toMatchObject({
      type: 'string',
      minLength: 3,
      maxLength: 64,
      pattern: TENANT_ID_PATTERN.source,
    });
  });

  it('takes and refuses the same tenant ids as the server', () => {
    const validate = documented('CreateTenantRequest');
    const id = fc.oneof(
      fc.stringMatching(TENANT_ID_PATTERN),
      fc.string({ unit: fc.constantFrom(...'aZ09-_.é '), maxLength: 70 }),
      fc.string({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(id, (tenantId) => {
        const body = { tenantId, name: 'Acme', plan: 'starter' };
        // the handler's schema, and the rule tenant creation applies to every id (the admin CLI's too).
        const server = serverTakes(createTenantSchema, body) && TENANT_ID_PATTERN.test(tenantId);
        expect([tenantId, validate(body)]).toEqual([tenantId, server]);
        expect([tenantId, serverTakes(createTenantSchema, body)]).toEqual([tenantId, server]);
      }),
    );
  });

  it.each([
    ['ChangePlanRequest', tenantPlanSchema, {}],
    ['CreateTenantRequest', createTenantSchema, { name: 'Acme' }],
  ] as const)(
    '%s: custom limits and quotas are enterprise-only, in the schema as on the server',
    (name, schema, rest) => {
      const validate = documented(name);
      fc.assert(
        fc.property(planBody, (plan) => {
          const body = { ...rest, ...plan };
          expect([body, validate(body)]).toEqual([body, serverTakes(schema, body)]);
        }),
      );
      // both sides of the rule are reached.
      expect(validate({ ...rest, plan: 'enterprise', rateLimit: 5, burstLimit: 9 })).toBe(true);
      expect(validate({ ...rest, plan: 'starter', quota: { limit: 5, period: 'DAY' } })).toBe(false);
      expect(validate({ ...rest, plan: 'enterprise' })).toBe(false);
    },
  );

  it('says in words which plan takes custom limits, and that the burst is at least the rate', () => {
    const fields = DOCUMENT.components.schemas.ChangePlanRequest.properties;
    for (const field of ['rateLimit', 'burstLimit', 'quota']) expect(fields[field].description).toMatch(/enterprise/);
    expect(fields.plan.description).toMatch(/enterprise/);
    expect(fields.burstLimit.description).toMatch(/at least `rateLimit`/);
  });
});

describe('the document says how bodies are sent', () => {
  const operations = Object.values(DOCUMENT.paths as Json).flatMap((item) => Object.values(item as Json)) as Json[];

  it('reads every request body as application/json only', () => {
    for (const operation of operations.filter((one) => one.requestBody !== undefined))
      expect([operation.operationId, Object.keys(operation.requestBody.content)]).toEqual([
        operation.operationId,
        ['application/json'],
      ]);
    expect(DOCUMENT.info.description).toMatch(/Content-Type: application\/json/);
  });

  it('lists 415 unsupported_media_type on every operation whose handler parses a JSON body', () => {
    // GitHub's endpoint checks its signature over the raw body, whatever the type.
    const parsed = operations.filter(
      (operation) => operation.requestBody !== undefined && operation.operationId !== 'reportGithubLeaks',
    );
    expect(parsed.length).toBeGreaterThan(10);
    for (const operation of parsed)
      expect([operation.operationId, operation.responses['415']]).toEqual([
        operation.operationId,
        { $ref: '#/components/responses/UnsupportedMediaType' },
      ]);
    const response = DOCUMENT.components.responses.UnsupportedMediaType;
    expect(response.content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'unsupported_media_type',
    ]);
    expect(response.description).toMatch(/application\/json/);
    const withBody = Object.values(OPERATIONS).filter((operation) => operation.body !== undefined);
    expect(withBody.length).toBe(parsed.length + 1);
  });
});
