/**
 * The OpenAPI 3.1 document of the HTTP API, built from {@link OPERATIONS}: zod's own JSON Schema
 * output (draft 2020-12, OpenAPI 3.1's dialect) of the handlers' request schemas and of the
 * answers' schemas, the contract's errors from `errors.ts` and `gateway-responses.ts`, and the
 * bearer scheme the authorizer reads. `bin/openapi.ts` writes it to `openapi.json`.
 */
import * as z from 'zod/mini';
import { MAX_GRACE_HOURS } from '../lambdas/core/keys/key-service';
import { ERROR_STATUS, type ErrorCode } from '../lambdas/core/http/errors';
import { GATEWAY_ERRORS, type GatewayResponseType } from '../lambdas/core/http/gateway-responses';
import { JSON_MEDIA_TYPE, MAX_BODY_BYTES } from '../lambdas/core/http/http';
import {
  IDEMPOTENCY_HEADER,
  KEY_PATTERN as IDEMPOTENCY_KEY_PATTERN,
  REPLAYED_HEADER,
} from '../lambdas/core/http/idempotency';
import { ROUTES, type Route } from '../lambdas/core/http/routes';
import { OPERATIONS, routeKey, TAGS, type Named, type Operation } from './operations';
import { requestNotes, responseNotes, type Notes } from './notes';
import { anyErrorSchema, errorSchema, eventSchema } from './responses';

type Json = Record<string, unknown>;

/**
 * The gateway's answers each route may give, by how it authenticates. `MISSING_AUTHENTICATION_TOKEN`
 * (404 `no such route`) belongs to no route: it is the answer to every path and method that is
 * not one. The document test checks every gateway response type is placed here or there.
 */
export const GATEWAY_ERRORS_BY_AUTH: Readonly<Record<NonNullable<Route['auth']>, readonly GatewayResponseType[]>> = {
  apiKey: [
    'UNAUTHORIZED',
    'ACCESS_DENIED',
    'INVALID_API_KEY',
    'THROTTLED',
    'QUOTA_EXCEEDED',
    'REQUEST_TOO_LARGE',
    'AUTHORIZER_FAILURE',
    'INTEGRATION_FAILURE',
    'INTEGRATION_TIMEOUT',
    'DEFAULT_4XX',
    'DEFAULT_5XX',
  ],
  // no authorizer and no usage plan; the stage's throttle still applies.
  none: ['THROTTLED', 'REQUEST_TOO_LARGE', 'INTEGRATION_FAILURE', 'INTEGRATION_TIMEOUT', 'DEFAULT_4XX', 'DEFAULT_5XX'],
};

/** Gateway response types that answer no route. */
export const ROUTELESS_GATEWAY_ERRORS: readonly GatewayResponseType[] = ['MISSING_AUTHENTICATION_TOKEN'];

/** The catch-alls keep API Gateway's own status (a 415 stays a 415): documented as ranges. */
const RANGES: Partial<Record<GatewayResponseType, '4XX' | '5XX'>> = { DEFAULT_4XX: '4XX', DEFAULT_5XX: '5XX' };

/** Names of the reusable error responses, by status. */
const ERROR_RESPONSES: Readonly<Record<string, string>> = {
  '400': 'InvalidRequest',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'NotFound',
  '409': 'Conflict',
  '413': 'PayloadTooLarge',
  '415': 'UnsupportedMediaType',
  '429': 'TooManyRequests',
  '500': 'InternalError',
  '502': 'BadGateway',
  '504': 'GatewayTimeout',
  '4XX': 'OtherClientError',
  '5XX': 'OtherServerError',
};

const ERROR_DESCRIPTIONS: Readonly<Record<string, string>> = {
  '400': 'The request is not valid; the message names the field at fault.',
  '401': 'No valid API key (unknown, revoked, expired, or its tenant suspended), or no valid GitHub signature.',
  '403': "The key's role or environment does not allow this.",
  '404': "No such key or tenant; another tenant's key is not found either.",
  '409': 'The change does not fit the current state, lost a race, or reuses an Idempotency-Key for another request.',
  '413': `The body is too large (the handlers take at most ${MAX_BODY_BYTES} bytes).`,
  '415': `The body is not sent as JSON: send \`Content-Type: ${JSON_MEDIA_TYPE}\` (\`; charset=utf-8\` is accepted, another charset is not).`,
  '429': 'Over the rate limit (`rate_limited`) or the quota (`quota_exceeded`); retry after `Retry-After` seconds.',
  '500': 'Something went wrong on our side, or the authorizer failed.',
  '502': 'The function behind the route gave no usable answer.',
  '504': 'The function behind the route did not answer in time.',
  '4XX': "Another error of API Gateway's own, with its status.",
  '5XX': "Another error of API Gateway's own, with its status.",
};

const PATH_PARAMETERS: Readonly<Record<string, string>> = {
  id: 'The key id (`key_` and 24 hex characters). An id that is not of this tenant is 404.',
  keyId: "The key id (`key_` and 24 hex characters). An id that is not the tenant's is 404.",
  tenantId: 'The tenant id.',
};

function registryOf(notes: Notes): z.core.$ZodRegistry<Json> {
  const registry = z.registry<Json>();
  for (const [schema, meta] of notes) registry.add(schema, meta);
  return registry;
}

/** JSON Schema of a set of named schemas, as `components.schemas`, refs between them included. */
function componentSchemas(named: readonly Named[], io: 'input' | 'output', notes: Notes): Record<string, Json> {
  const registry = registryOf(notes);
  for (const { name, schema } of named) registry.add(schema, { ...registry.get(schema), id: name });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    metadata: registry,
    uri: (id) => `#/components/schemas/${id}`,
    override: withoutDatePatterns,
  });
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, clean(schema as Json)]));
}

/** A schema inline (no ids), e.g. a query's. */
function inlineSchema(schema: z.core.$ZodType, notes: Notes): Json {
  return clean(z.toJSONSchema(schema, { io: 'input', metadata: registryOf(notes) }) as Json);
}

/**
 * `format: date-time` says what zod's long ISO pattern says, readably; the pattern is dropped
 * (the conformance test still holds answers to zod's own check).
 */
function withoutDatePatterns({ jsonSchema }: { jsonSchema: Json }): void {
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
}

function clean(schema: Json): Json {
  const { $schema: _dialect, $id: _id, id: _name, ...rest } = schema;
  return rest;
}

function errorResponse(status: string): Json {
  const codes = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => String(ERROR_STATUS[code]) === status);
  const schema = clean(
    z.toJSONSchema(errorSchema(codes.length > 0 ? (codes as [ErrorCode, ...ErrorCode[]]) : undefined)) as Json,
  );
  // the gateway's own answers of this status, by response type, as examples.
  const examples = Object.entries(GATEWAY_ERRORS)
    .filter(([, error]) => String(error.status) === status)
    .map(([type, { code, message }]) => [type, { value: { error: { code, message } } }] as const);
  return {
    description: ERROR_DESCRIPTIONS[status],
    ...(status === '429' ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } } : {}),
    content: {
      'application/json': {
        schema,
        ...(examples.length > 0 ? { examples: Object.fromEntries(examples) } : {}),
      },
    },
  };
}

/** The error statuses of one route: its handler's and its gateway's. */
export function errorStatuses(route: Route, operation: Operation): string[] {
  const gateway = GATEWAY_ERRORS_BY_AUTH[route.auth ?? 'apiKey']
    // a gateway 413 is for a body too large; routes that read none do not list it.
    .filter((type) => type !== 'REQUEST_TOO_LARGE' || operation.body !== undefined)
    .map((type) => RANGES[type] ?? String(GATEWAY_ERRORS[type].status));
  // every handler answers anything unforeseen as a 500 `internal_error`.
  const all = new Set([...operation.errors.map(String), '500', ...gateway]);
  return [...all].sort();
}

function parameters(route: Route, operation: Operation, notes: Notes): Json[] {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMETERS[name],
    schema: { type: 'string' },
  }));
  const query: Json[] = [];
  if (operation.query !== undefined) {
    const schema = inlineSchema(operation.query, notes);
    const required = new Set((schema.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) {
      const { description, ...rest } = property;
      query.push({
        name,
        in: 'query',
        required: required.has(name),
        ...(description === undefined ? {} : { description }),
        schema: rest,
      });
    }
  }
  const headers = (operation.headers ?? []).map(({ name, description, required }) => ({
    name,
    in: 'header',
    required,
    description,
    schema: { type: 'string' },
  }));
  const idempotency = operation.idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : [];
  return [...path, ...query, ...headers, ...idempotency];
}

function operationObject(route: Route, operation: Operation, notes: Notes): Json {
  const { success, body } = operation;
  const ref = (named: Named) => ({ $ref: `#/components/schemas/${named.name}` });
  const successResponse: Json = {
    description: success.description,
    ...(operation.idempotent
      ? { headers: { [headerName(REPLAYED_HEADER)]: { $ref: '#/components/headers/IdempotentReplayed' } } }
      : {}),
    ...(success.body === undefined ? {} : { content: { 'application/json': { schema: ref(success.body) } } }),
  };
  const params = parameters(route, operation, notes);
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description === undefined ? {} : { description: operation.description }),
    tags: [operation.tag],
    ...(route.auth === 'none' ? { security: [] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body === undefined
      ? {}
      : body.name === 'EmptyBody'
        ? {
            requestBody: {
              required: false,
              description: 'None, or `{}`.',
              content: { 'application/json': { schema: ref(body) } },
            },
          }
        : { requestBody: { required: true, content: { 'application/json': { schema: ref(body) } } } }),
    responses: {
      [String(success.status)]: successResponse,
      ...Object.fromEntries(
        errorStatuses(route, operation).map((status) => [
          status,
          { $ref: `#/components/responses/${ERROR_RESPONSES[status]}` },
        ]),
      ),
    },
  };
}

/** `idempotent-replayed` as HTTP documents spell it: `Idempotent-Replayed`. */
function headerName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** Builds the OpenAPI 3.1 document of every route in `routes` (every route of the API by default). */
export function openApiDocument(routes: readonly Route[] = ROUTES, version = '0.1.0'): Json {
  const notes = requestNotes();
  const operations = routes.map((route) => {
    const operation = OPERATIONS[routeKey(route)];
    if (operation === undefined)
      throw new Error(`no operation documents ${routeKey(route)}: add it to openapi/operations.ts`);
    return { route, operation };
  });
  const unique = (named: Named[]) => [...new Map(named.map((entry) => [entry.name, entry])).values()];
  const requests = componentSchemas(
    unique(operations.flatMap(({ operation }) => (operation.body === undefined ? [] : [operation.body]))),
    'input',
    notes,
  );
  const responses = componentSchemas(
    unique([
      { name: 'Error', schema: anyErrorSchema },
      { name: 'Event', schema: eventSchema },
      ...operations.flatMap(({ operation }) => (operation.success.body === undefined ? [] : [operation.success.body])),
    ]),
    'output',
    responseNotes(),
  );
  const clash = Object.keys(requests).filter((name) => name in responses);
  if (clash.length > 0) throw new Error(`schema names used for requests and answers alike: ${clash.join(', ')}`);

  const paths: Record<string, Json> = {};
  for (const { route, operation } of operations) {
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: operationObject(route, operation, notes),
    };
  }
  const statuses = new Set(operations.flatMap(({ route, operation }) => errorStatuses(route, operation)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'keygate',
      version,
      summary: 'API keys for AWS API Gateway: key lifecycle, tenants and plans, audit trail, leak response.',
      description: [
        'Every route takes `Authorization: Bearer <key>` except `POST /v1/leaks/github`, which GitHub signs.',
        'Errors, API Gateway\'s own included, have one shape: `{ "error": { "code", "message" } }`. A path or method that is no route answers 404 `not_found` (`no such route`).',
        `Request bodies are JSON objects of at most ${MAX_BODY_BYTES} bytes, sent with \`Content-Type: ${JSON_MEDIA_TYPE}\` (\`; charset=utf-8\` accepted); a body of another type is refused (415), and so are unknown fields (400).`,
        `Key rotation's grace period is at most ${MAX_GRACE_HOURS} hours.`,
      ].join('\n\n'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      { url: 'http://localhost:3000', description: 'The local gateway (`npm start`).' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'A deployment (`npx cdk deploy`; the stack prints its URL).',
        variables: { apiId: { default: 'abcdef1234' }, region: { default: 'us-east-1' }, stage: { default: 'prod' } },
      },
    ],
    security: [{ bearerAuth: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A keygate key, `<prefix>_<live|test>_<72 hex>`, as `Authorization: Bearer <key>` (a bare key is accepted too unless the deployment turns it off).',
        },
      },
      parameters: {
        IdempotencyKey: {
          name: headerName(IDEMPOTENCY_HEADER),
          in: 'header',
          required: false,
          description:
            'Makes a create safe to retry: the same key and request within 24 hours replay the first answer (without the plaintext key, which is shown once); the same key with another request is 409.',
          schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source },
        },
      },
      headers: {
        RetryAfter: {
          description: 'Seconds to wait before retrying.',
          required: true,
          schema: { type: 'integer', minimum: 0 },
        },
        IdempotentReplayed: {
          description: '`true` when the answer is the replay of an earlier request with the same Idempotency-Key.',
          required: false,
          schema: { type: 'string', enum: ['true'] },
        },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES)
          .filter(([status]) => statuses.has(status))
          .map(([status, name]) => [name, errorResponse(status)]),
      ),
      schemas: { ...requests, ...responses },
    },
  };
}
