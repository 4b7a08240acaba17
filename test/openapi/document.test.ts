import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { compileErrors, validate } from '@readme/openapi-parser';
import { OPENAPI_FILES, renderDocument, ROOT } from '../../bin/openapi';
import { createAccountRoutes, type AccountDeps } from '../../lambdas/account/handler';
import { GATEWAY_ERRORS, type GatewayResponseType } from '../../lambdas/core/http/gateway-responses';
import { GATEWAY_ERRORS_BY_AUTH, openApiDocument, ROUTELESS_GATEWAY_ERRORS } from '../../openapi/document';
import { OPERATIONS, routeDrift, routeKey } from '../../openapi/operations';
import { ROUTES } from '../../lambdas/core/http/routes';
import type { TenantService } from '../../lambdas/core/tenants/tenant-service';
import { createEventRoutes, type EventsDeps } from '../../lambdas/events/handler';
import type { KeyRouteDeps } from '../../lambdas/core/http/key-routes';
import { createKeyRoutes } from '../../lambdas/keys/handler';
import { createPanelLeakRoutes, GITHUB_LEAK_RESOURCE, type LeaksDeps } from '../../lambdas/leaks/handler';
import { createPanelRoutes } from '../../lambdas/panel/handler';
import { consoleSignInRoutes } from '../../lambdas/core/http/session-routes';

type Json = Record<string, any>;

const committed = JSON.parse(readFileSync(OPENAPI_FILES.document, 'utf8')) as Json;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
/** `METHOD path` of every operation the document holds. */
const documented = (doc: Json): string[] =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.keys(item as Json)
      .filter((method) => METHODS.includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );

describe('the committed OpenAPI document and client types', () => {
  it('holds the document the code generates (run `npm run openapi` when this fails)', () => {
    // compared as text: a change anywhere, key order included, is drift.
    expect(readFileSync(OPENAPI_FILES.document, 'utf8')).toBe(renderDocument());
  });

  it('holds the client types openapi-typescript generates from it (`npm run openapi -- --check`)', async () => {
    // openapi-typescript loads ES-only modules jest's runtime cannot require: Node runs the check.
    const check = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/openapi.ts', '--check'], {
      cwd: ROOT,
    }).then(
      () => 'up to date',
      (error: { stderr?: string }) => error.stderr ?? String(error),
    );
    expect(check).toBe('up to date');
  });

  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    const result = await validate(structuredClone(committed) as Parameters<typeof validate>[0]);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect(committed.openapi).toBe('3.1.0');
  });

  it('is checked by a validator that does refuse a broken document', async () => {
    const broken = structuredClone(committed);
    broken.paths['/v1/keys'].get.responses['200'].content['application/json'].schema.$ref =
      '#/components/schemas/NoSuchSchema';
    expect((await validate(broken as Parameters<typeof validate>[0])).valid).toBe(false);
  });
});

describe('routes: the document, the route table and the handlers agree', () => {
  it('documents every route of ROUTES, and nothing else', () => {
    expect(routeDrift()).toEqual({ undocumented: [], unrouted: [] });
    expect(documented(committed).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('documents every route the handlers serve, and nothing else', () => {
    // the route tables are built with inert dependencies: only their keys are read.
    const none = {} as never;
    const served = [
      ...Object.keys(createAccountRoutes(none as AccountDeps)),
      ...Object.keys(createKeyRoutes(none as KeyRouteDeps)),
      ...Object.keys(createPanelRoutes(none as TenantService, none as KeyRouteDeps)),
      ...Object.keys(createEventRoutes(none as EventsDeps)),
      ...Object.keys(createPanelLeakRoutes(none as LeaksDeps)),
      ...Object.keys(consoleSignInRoutes(none)),
      `POST ${GITHUB_LEAK_RESOURCE}`,
    ];
    expect(served.sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it('fails to build a document for a route it does not know', () => {
    expect(() => openApiDocument([...ROUTES, { method: 'GET', path: '/v1/nothing', function: 'account' }])).toThrow(
      'no operation documents GET /v1/nothing',
    );
  });

  it('has one operation id per route, and every path parameter declared', () => {
    const ids = Object.values(OPERATIONS).map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, item] of Object.entries(committed.paths as Json)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);
      for (const operation of Object.values(item as Json)) {
        const declared = (operation.parameters ?? [])
          .filter((parameter: Json) => parameter.in === 'path')
          .map((parameter: Json) => parameter.name);
        expect(declared).toEqual(names);
      }
    }
  });
});

describe('security and errors', () => {
  it("requires the bearer key on every route but GitHub's signed one", () => {
    expect(committed.security).toEqual([{ bearerAuth: [] }]);
    expect(committed.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of ROUTES) {
      const operation = committed.paths[route.path][route.method.toLowerCase()];
      if (route.auth === 'none') {
        expect(operation.security).toEqual([]);
        expect(operation.responses['401']).toBeDefined();
      } else {
        expect(operation.security).toBeUndefined();
        for (const status of ['401', '403', '429', '500'])
          expect([routeKey(route), status, operation.responses[status]]).toEqual([
            routeKey(route),
            status,
            expect.anything(),
          ]);
      }
    }
    const github = committed.paths['/v1/leaks/github'].post;
    expect(
      github.parameters.map((parameter: Json) => `${parameter.in} ${parameter.name} ${parameter.required}`),
    ).toEqual(['header Github-Public-Key-Identifier true', 'header Github-Public-Key-Signature true']);
  });

  it('places every response type of the gateway: on routes by how they authenticate, or on no route', () => {
    const placed = new Set<GatewayResponseType>([
      ...GATEWAY_ERRORS_BY_AUTH.apiKey,
      ...GATEWAY_ERRORS_BY_AUTH.none,
      ...ROUTELESS_GATEWAY_ERRORS,
    ]);
    expect([...placed].sort()).toEqual(Object.keys(GATEWAY_ERRORS).sort());
  });

  it("answers 429 with Retry-After, in the contract's error shape with its two codes", () => {
    const tooMany = committed.components.responses.TooManyRequests;
    expect(tooMany.headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
    expect(tooMany.content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'rate_limited',
      'quota_exceeded',
    ]);
  });

  it('gives each error response the codes of its status, as errors.ts pairs them', () => {
    const codes = (name: string) =>
      committed.components.responses[name].content['application/json'].schema.properties.error.properties.code.enum;
    expect(codes('InvalidRequest')).toEqual(['invalid_request']);
    expect(codes('NotFound')).toEqual(['not_found']);
    expect(codes('Conflict')).toEqual(['conflict', 'tenant_id_retired']);
    expect(codes('InternalError')).toEqual(['internal_error']);
    expect(codes('GatewayTimeout')).toEqual(['gateway_timeout']);
  });

  it('takes Idempotency-Key exactly on the routes that mint or import a key or a tenant', () => {
    const idempotent = ROUTES.filter((route) =>
      (committed.paths[route.path][route.method.toLowerCase()].parameters ?? []).some(
        (parameter: Json) => parameter.$ref === '#/components/parameters/IdempotencyKey',
      ),
    ).map(routeKey);
    expect(idempotent.sort()).toEqual(
      [
        'POST /v1/keys',
        'POST /v1/keys/{id}/rotate',
        'POST /v1/panel/tenants',
        'POST /v1/panel/tenants/{tenantId}/keys',
        'POST /v1/panel/tenants/{tenantId}/keys/import',
        'POST /v1/panel/tenants/{tenantId}/keys/{keyId}/rotate',
        'POST /v1/panel/tenants/{tenantId}/sessions',
      ].sort(),
    );
  });
});

describe("request schemas are the handlers' own", () => {
  it('keeps what the handlers refuse: unknown fields, lengths, enums, and what refinements say', () => {
    const create = committed.components.schemas.CreateKeyRequest;
    expect(create.additionalProperties).toBe(false);
    expect(create.required).toEqual(['name']);
    expect(create.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });
    expect(create.properties.expiresInDays.enum).toEqual([7, 30, 60, 90]);
    expect(create.properties.meta).toMatchObject({
      maxProperties: 16,
      propertyNames: { pattern: '^[A-Za-z0-9_.:-]{1,40}$' },
    });
    expect(committed.components.schemas.RotateKeyRequest.properties.gracePeriodHours).toEqual({
      type: 'integer',
      minimum: 0,
      maximum: 168,
    });
    const list = committed.paths['/v1/keys'].get.parameters;
    expect(list.map((parameter: Json) => parameter.name)).toEqual(['limit', 'cursor', 'name']);
    expect(list[0].schema).toEqual({ type: 'string', pattern: '^\\d+$' });
  });
});
