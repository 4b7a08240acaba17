/**
 * What each route of the HTTP API takes and answers, for the OpenAPI document. Request bodies and
 * queries are the very schemas the handlers validate with (from `lambdas/core/http/schemas`);
 * answers are the schemas of `./responses`. The document test checks this table against
 * {@link ROUTES} and the handlers' own route tables, both ways.
 */
import type * as z from 'zod/mini';
import { panelQuerySchema, tenantQuerySchema } from '../lambdas/core/http/schemas/events';
import {
  createKeySchema,
  listKeysQuerySchema,
  rotateKeySchema,
  updateKeySchema,
} from '../lambdas/core/http/schemas/keys';
import { importKeysSchema, MAX_IMPORT_BODY_BYTES, MAX_IMPORT_KEYS } from '../lambdas/core/http/schemas/imports';
import { panelLeakSchema } from '../lambdas/core/http/schemas/leaks';
import { createSessionSchema } from '../lambdas/core/http/schemas/sessions';
import {
  createTenantSchema,
  renameTenantSchema,
  tenantListQuerySchema,
  tenantPlanSchema,
  tenantWorkspacesSchema,
} from '../lambdas/core/http/schemas/tenants';
import { githubAlertSchema } from '../lambdas/core/leaks/github';
import { emptySchema } from '../lambdas/core/http/http';
import { ROUTES, type Route } from '../lambdas/core/http/routes';
import {
  createdKeySchema,
  createdSessionSchema,
  createdTenantSchema,
  eventPageSchema,
  githubFeedbackSchema,
  importAnswerSchema,
  keyPageSchema,
  keyRecordSchema,
  leakOutcomeSchema,
  meSchema,
  tenantPageSchema,
  tenantRecordSchema,
  tenantWorkspacesAnswerSchema,
  usageSchema,
  usageWindowSchema,
  keyUsageSchema,
  tenantRankingSchema,
} from './responses';
import { usageQuerySchema, usageRankingQuerySchema } from '../lambdas/core/http/schemas/usage';

/** The groups operations are listed under. */
export const TAGS = {
  keys: "The calling tenant's keys.",
  account: 'The calling key, its tenant, plan and usage.',
  events: "The calling tenant's audit trail.",
  'panel: tenants': 'Operator: tenants and their plans (live operator keys only).',
  'panel: keys': "Operator: a tenant's keys, through the very routes of /v1/keys (live operator keys only).",
  'panel: events': "Operator: every tenant's audit trail.",
  leaks: 'Leaked keys: reports from the operator and from GitHub secret scanning.',
  sessions: "The calling member's session.",
  'panel: sessions': "Operator: short-lived sessions for a tenant's members (live operator keys only).",
} as const;

/** One of {@link TAGS}. */
export type Tag = keyof typeof TAGS;

/** A schema with the name it has under `components.schemas`. */
export interface Named {
  readonly name: string;
  readonly schema: z.ZodMiniType;
}

/** An HTTP status a handler itself answers with an error (besides 500, which any handler may give). */
export type HandlerErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415;

/** One route's contract. */
export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  /** @default - the summary says it all */
  readonly description?: string;
  readonly tag: Tag;
  /** The request body; {@link emptySchema} means none (or `{}`). @default - the body is ignored */
  readonly body?: Named;
  /** The query string's parameters. @default - the query is ignored */
  readonly query?: z.ZodMiniObject;
  /** Headers the handler reads (the API key's `Authorization` is the security scheme's). @default - none */
  readonly headers?: readonly { readonly name: string; readonly description: string; readonly required: boolean }[];
  readonly success: { readonly status: 200 | 201 | 204; readonly description: string; readonly body?: Named };
  /** What the handler itself answers with an error; the gateway's own are added by the route's `auth`. */
  readonly errors: readonly HandlerErrorStatus[];
  /** Whether the route honours `Idempotency-Key`. @default false */
  readonly idempotent?: boolean;
}

const KEY = { name: 'Key', schema: keyRecordSchema };
const CREATED_KEY = { name: 'CreatedKey', schema: createdKeySchema };
const TENANT = { name: 'Tenant', schema: tenantRecordSchema };
const EMPTY = { name: 'EmptyBody', schema: emptySchema };
const WORKSPACES = { name: 'TenantWorkspaces', schema: tenantWorkspacesAnswerSchema };

/**
 * The key routes, as `keyRoutes` mounts them: at `/v1/keys` for the calling tenant, and at
 * `/v1/panel/tenants/{tenantId}/keys` for the operator acting for a tenant.
 */
function keyOperations(base: string, idParameter: string, panel: boolean): Record<string, Operation> {
  const one = `${base}/{${idParameter}}`;
  const tag: Tag = panel ? 'panel: keys' : 'keys';
  const id = (verb: string, noun = 'Key') => `${verb}${panel ? 'Tenant' : ''}${noun}`;
  const whose = panel ? "the tenant's" : "the calling tenant's";
  return {
    [`POST ${base}`]: {
      operationId: id('create'),
      summary: `Create a key for ${panel ? 'the tenant' : 'the calling tenant'}`,
      description:
        'Answers the key record with `key`, the plaintext: the only time it is shown. A test key creates test keys only, and no key creates a key of a more powerful role than its own.',
      tag,
      body: { name: 'CreateKeyRequest', schema: createKeySchema },
      success: { status: 201, description: 'The new key, with its plaintext `key`.', body: CREATED_KEY },
      errors: [400, 403, 404, 409, 413, 415],
      idempotent: true,
    },
    [`GET ${base}`]: {
      operationId: id('list', 'Keys'),
      summary: `List ${whose} keys, newest first`,
      tag,
      query: listKeysQuerySchema,
      success: {
        status: 200,
        description: 'One page of keys; pass `cursor` back for the next.',
        body: { name: 'KeyPage', schema: keyPageSchema },
      },
      errors: panel ? [400, 403, 404] : [400],
    },
    [`GET ${one}`]: {
      operationId: id('get'),
      summary: 'Get one key',
      tag,
      success: { status: 200, description: 'The key.', body: KEY },
      errors: panel ? [403, 404] : [404],
    },
    [`GET ${one}/usage`]: {
      operationId: id('get', 'KeyUsage'),
      summary: "A key's requests, refusals, throttles and sources over a window",
      description:
        USAGE_WINDOW_NOTE + ' `sources` are the busiest addresses and user agents of the days the window touches.',
      tag,
      query: usageQuerySchema,
      success: {
        status: 200,
        description: "The key's counts, per bucket and in total, and its sources.",
        body: { name: 'KeyUsage', schema: keyUsageSchema },
      },
      errors: panel ? [400, 403, 404] : [400, 404],
    },
    [`PATCH ${one}`]: {
      operationId: id('update'),
      summary: 'Rename a key, change its metadata, or both (`meta: {}` clears it)',
      tag,
      body: { name: 'UpdateKeyRequest', schema: updateKeySchema },
      success: { status: 200, description: 'The key as changed.', body: KEY },
      errors: [400, 403, 404, 409, 413, 415],
    },
    [`DELETE ${one}`]: {
      operationId: id('delete'),
      summary: 'Delete a key, for good',
      description: "A tenant's last lasting owner key cannot be deleted (409).",
      tag,
      success: { status: 204, description: 'Deleted.' },
      errors: [403, 404, 409],
    },
    [`POST ${one}/revoke`]: {
      operationId: id('revoke'),
      summary: 'Revoke a key: it stops working at once (enable undoes it)',
      tag,
      body: EMPTY,
      success: { status: 200, description: 'The key, revoked.', body: KEY },
      errors: [400, 403, 404, 409, 413, 415],
    },
    [`POST ${one}/enable`]: {
      operationId: id('enable'),
      summary: 'Enable a revoked key again',
      tag,
      body: EMPTY,
      success: { status: 200, description: 'The key, active.', body: KEY },
      errors: [400, 403, 404, 409, 413, 415],
    },
    [`POST ${one}/rotate`]: {
      operationId: id('rotate'),
      summary: 'Rotate a key: a new key with the same name, role and environment',
      description: 'The old key stops at once, or after `gracePeriodHours` (at most 168).',
      tag,
      body: { name: 'RotateKeyRequest', schema: rotateKeySchema },
      success: {
        status: 201,
        description: 'The new key, with its plaintext `key`; the old one names it in `rotatedTo`.',
        body: CREATED_KEY,
      },
      errors: [400, 403, 404, 409, 413, 415],
      idempotent: true,
    },
  };
}

const TENANT_PATH = '/v1/panel/tenants/{tenantId}';

/** What every usage route's description starts with. */
const USAGE_WINDOW_NOTE =
  'Counted from the access log, so within a minute or so of the request. `from` and `to` (ISO 8601) default to the last 24 hours by hour, ' +
  'or the last 30 days by day; the window widens to whole buckets and is at most 35 days by hour, 400 by day. ' +
  '`denied` counts 401 and 403, `throttled` 429; latency percentiles are upper bounds of a fixed histogram.';

/** Every route's contract, keyed `METHOD path` as {@link ROUTES} and the handlers key them. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  'GET /v1/me': {
    operationId: 'getMe',
    summary: 'The calling key and its tenant',
    tag: 'account',
    query: emptySchema,
    success: { status: 200, description: 'The calling key and its tenant.', body: { name: 'Me', schema: meSchema } },
    errors: [400, 404],
  },
  'GET /v1/usage': {
    operationId: 'getUsage',
    summary: "The tenant's plan, its limits, its quota use, and its requests over a window",
    description: USAGE_WINDOW_NOTE + " The counts are the tenant's, both environments together.",
    tag: 'account',
    query: usageQuerySchema,
    success: {
      status: 200,
      description:
        "Plan, limits and quota use for the calling key's environment, and the tenant's counts per bucket and in total.",
      body: { name: 'Usage', schema: usageSchema },
    },
    errors: [400, 404],
  },
  ...keyOperations('/v1/keys', 'id', false),
  'POST /v1/panel/tenants': {
    operationId: 'createTenant',
    summary: 'Create a tenant and its first owner key',
    description:
      'Tenant ids are never reused: the id of a deleted tenant (or of one being deleted) is refused with 409 `tenant_id_retired`; an id in use with 409 `conflict`.',
    tag: 'panel: tenants',
    body: { name: 'CreateTenantRequest', schema: createTenantSchema },
    success: {
      status: 201,
      description: 'The tenant and its first owner key, plaintext once.',
      body: { name: 'CreatedTenant', schema: createdTenantSchema },
    },
    errors: [400, 403, 409, 413, 415],
    idempotent: true,
  },
  'GET /v1/panel/tenants': {
    operationId: 'listTenants',
    summary: 'List tenants, newest first, filtered by search, plan, status, plan status and created days',
    description:
      '`search` is a prefix of the tenant id or of its name, in either case (NFKC, lower case). `createdFrom` and `createdTo` are UTC days, both included; they bound the read itself. The other filters apply after the read: a filtered page reads at most about 500 tenants, so it may hold fewer than `limit` tenants (even none) and still a `cursor`; follow the cursor until it is absent. Pass the same filters with a cursor; a cursor from outside the created days is 400.',
    tag: 'panel: tenants',
    query: tenantListQuerySchema,
    success: {
      status: 200,
      description: 'One page of tenants; pass `cursor` back for the next.',
      body: { name: 'TenantPage', schema: tenantPageSchema },
    },
    errors: [400, 403],
  },
  [`GET ${TENANT_PATH}`]: {
    operationId: 'getTenant',
    summary: 'Get one tenant',
    tag: 'panel: tenants',
    success: { status: 200, description: 'The tenant.', body: TENANT },
    errors: [403, 404],
  },
  [`PATCH ${TENANT_PATH}`]: {
    operationId: 'renameTenant',
    summary: 'Rename a tenant',
    tag: 'panel: tenants',
    body: { name: 'RenameTenantRequest', schema: renameTenantSchema },
    success: { status: 200, description: 'The tenant as renamed.', body: TENANT },
    errors: [400, 403, 404, 409, 413, 415],
  },
  [`DELETE ${TENANT_PATH}`]: {
    operationId: 'deleteTenant',
    summary: 'Delete a tenant, its keys and its usage identifiers, for good',
    description:
      "A deletion that fails half way leaves the tenant `deleting`; send DELETE again to finish it. The tenant's id is retired for good: no tenant can be created with it again, and its events stay in `/v1/panel/events` as history.",
    tag: 'panel: tenants',
    success: { status: 204, description: 'Deleted.' },
    errors: [403, 404, 409],
  },
  [`PUT ${TENANT_PATH}/plan`]: {
    operationId: 'changeTenantPlan',
    summary: "Change a tenant's plan; `enterprise` takes custom limits",
    description:
      'Answers at once; `planStatus` says whether API Gateway enforces the new plan yet (`applied`) or the reconciler is still on it (`pending`).',
    tag: 'panel: tenants',
    body: { name: 'ChangePlanRequest', schema: tenantPlanSchema },
    success: { status: 200, description: 'The tenant with its new plan.', body: TENANT },
    errors: [400, 403, 404, 409, 413, 415],
  },
  [`POST ${TENANT_PATH}/suspend`]: {
    operationId: 'suspendTenant',
    summary: 'Suspend a tenant: its keys get 401 until it is resumed',
    tag: 'panel: tenants',
    body: EMPTY,
    success: { status: 200, description: 'The tenant, suspended.', body: TENANT },
    errors: [400, 403, 404, 409, 413, 415],
  },
  [`POST ${TENANT_PATH}/resume`]: {
    operationId: 'resumeTenant',
    summary: 'Resume a suspended tenant',
    tag: 'panel: tenants',
    body: EMPTY,
    success: { status: 200, description: 'The tenant, active.', body: TENANT },
    errors: [400, 403, 404, 409, 413, 415],
  },
  [`GET ${TENANT_PATH}/usage`]: {
    operationId: 'getTenantUsage',
    summary: "A tenant's requests, refusals and throttles over a window",
    description: USAGE_WINDOW_NOTE,
    tag: 'panel: tenants',
    query: usageQuerySchema,
    success: {
      status: 200,
      description: "The tenant's counts, per bucket and in total.",
      body: { name: 'UsageWindow', schema: usageWindowSchema },
    },
    errors: [400, 403, 404],
  },
  'GET /v1/panel/usage': {
    operationId: 'rankTenantUsage',
    summary: 'Tenants ranked by requests, errors (4xx and 5xx) or throttles over whole days',
    description:
      'By day only: `from` and `to` default to the last 30 days. `totals` and `series` sum every tenant; `tenants` holds the `limit` (default 10) busiest by `sort` (default `requests`).',
    tag: 'panel: tenants',
    query: usageRankingQuerySchema,
    success: {
      status: 200,
      description: "Every tenant's counts summed, and the busiest tenants.",
      body: { name: 'TenantRanking', schema: tenantRankingSchema },
    },
    errors: [400, 403],
  },
  [`GET ${TENANT_PATH}/workspaces`]: {
    operationId: 'getTenantWorkspaces',
    summary: "A tenant's workspaces",
    tag: 'panel: tenants',
    success: { status: 200, description: "The tenant's workspaces, sorted.", body: WORKSPACES },
    errors: [403, 404],
  },
  [`PUT ${TENANT_PATH}/workspaces`]: {
    operationId: 'setTenantWorkspaces',
    summary: "Replace a tenant's workspaces; the change counts from the next request on",
    description:
      'With `keygate:workspacePathSegment` set, a key of the tenant reaches only these workspaces on the routes keygate guards for you (see docs/workspaces.md). ' +
      "The set is replaced whole, copied onto the tenant's keys and the authorizer cache flushed; sending the set the tenant already has changes nothing. " +
      'A change writes a `tenant.workspaces_changed` event.',
    tag: 'panel: tenants',
    body: { name: 'SetWorkspacesRequest', schema: tenantWorkspacesSchema },
    success: { status: 200, description: "The tenant's workspaces, sorted.", body: WORKSPACES },
    errors: [400, 403, 404, 409, 413, 415],
  },
  ...keyOperations(`${TENANT_PATH}/keys`, 'keyId', true),
  [`POST ${TENANT_PATH}/keys/import`]: {
    operationId: 'importTenantKeys',
    summary: `Import up to ${MAX_IMPORT_KEYS} keys issued elsewhere into the tenant`,
    description:
      'Each item gives the plaintext `key` (hashed on arrival; never stored, logged or answered) or its SHA-256 as 64 lowercase hex (`sha256`, with `last4`). ' +
      "A plaintext key must be of the deployment's accepted format. The answer is 200 whenever the batch was handled, with one result per item, in order: " +
      '`imported` (with `keyId`), `duplicate` (a key with the same hash is stored already or came earlier in the batch; never stored twice) or `invalid` ' +
      "(with `error` in the contract's `{ code, message }` shape: `invalid_request`, or `forbidden` for a role the tenant may not hold). " +
      'An `expiresAt` already past is `invalid`. Each imported key works at once and writes a `key.imported` event. ' +
      `The whole call is refused (400) only when the body is not a list of 1 to ${MAX_IMPORT_KEYS} items; the body may be up to ${MAX_IMPORT_BODY_BYTES} bytes.`,
    tag: 'panel: keys',
    body: { name: 'ImportKeysRequest', schema: importKeysSchema },
    success: {
      status: 200,
      description: "Each item's outcome, in the order sent.",
      body: { name: 'ImportResults', schema: importAnswerSchema },
    },
    errors: [400, 403, 404, 409, 413, 415],
    idempotent: true,
  },
  [`POST ${TENANT_PATH}/sessions`]: {
    operationId: 'createTenantSession',
    summary: 'Mint a short-lived session for a member of the tenant (sessions for people, keys for machines)',
    description:
      "The team's backend calls this for a signed-in member and hands the `token` to the member's browser: the only time it is shown. " +
      "A session reaches the tenant's `/v1/keys`, `/v1/usage` and `/v1/events` with the member's `role` (at most `owner`), never the panel, nor the front door or routes of your own (they take keys only: 401), " +
      'and ends at `expiresAt` (`ttlSeconds`, 60 to 3600, default 900) or when revoked. ' +
      "In the operator tenant, an `operator` session is the console's sign-in: it reaches the panel too, and still never the front door. A session never mints another (403). " +
      'Every event a session causes names the member: `actor: {session, userId, role}`.',
    tag: 'panel: sessions',
    body: { name: 'CreateSessionRequest', schema: createSessionSchema },
    success: {
      status: 201,
      description: 'The session, with its `token`.',
      body: { name: 'CreatedSession', schema: createdSessionSchema },
    },
    errors: [400, 403, 404, 409, 413, 415],
    idempotent: true,
  },
  [`DELETE ${TENANT_PATH}/sessions/{sessionId}`]: {
    operationId: 'revokeTenantSession',
    summary: "Revoke a member's session: refused from the next request on",
    tag: 'panel: sessions',
    success: { status: 204, description: 'Revoked.' },
    errors: [403, 404],
  },
  'DELETE /v1/session': {
    operationId: 'signOut',
    summary: 'End the calling session (sign out); a key is revoked instead (403)',
    tag: 'sessions',
    success: { status: 204, description: 'Signed out.' },
    errors: [400, 401, 403, 413, 415],
  },
  'GET /v1/events': {
    operationId: 'listEvents',
    summary: "The calling tenant's events, newest first (a test key sees test-environment events only)",
    tag: 'events',
    query: tenantQuerySchema,
    success: {
      status: 200,
      description: 'One page of events; pass `cursor` back for the next.',
      body: { name: 'EventPage', schema: eventPageSchema },
    },
    errors: [400],
  },
  'GET /v1/panel/events': {
    operationId: 'listAllEvents',
    summary: "Every tenant's events, or one tenant's, newest first, filtered by type and key",
    description:
      "`tenantId` reads that tenant's events alone. `type` and `keyId` apply after the read: a filtered page reads at most about 500 events, so it may hold fewer than `limit` events (even none) and still a `cursor`; follow the cursor until it is absent. To follow new events, read the first page again.",
    tag: 'panel: events',
    query: panelQuerySchema,
    success: {
      status: 200,
      description: 'One page of events; pass `cursor` back for the next.',
      body: { name: 'EventPage', schema: eventPageSchema },
    },
    errors: [400, 403],
  },
  'POST /v1/panel/leaks': {
    operationId: 'reportLeak',
    summary: 'Report a key seen where it should not be',
    description:
      "A keygate key is revoked or its tenant notified, as the deployment's leak policy says; anything else is a false positive.",
    tag: 'leaks',
    body: { name: 'ReportLeakRequest', schema: panelLeakSchema },
    success: {
      status: 200,
      description: 'What the report came to.',
      body: { name: 'LeakOutcome', schema: leakOutcomeSchema },
    },
    errors: [400, 403, 413, 415],
  },
  'POST /v1/leaks/github': {
    operationId: 'reportGithubLeaks',
    summary: "GitHub secret scanning's partner endpoint",
    description:
      'No API key: GitHub signs the raw body (ECDSA P-256 over SHA-256, by a key of https://api.github.com/meta/public_keys/secret_scanning). Without a valid signature the answer is 401 and nothing is read or written. At most 1 MB and 1000 alerts.',
    tag: 'leaks',
    headers: [
      {
        name: 'Github-Public-Key-Identifier',
        description: 'The identifier of the GitHub key that signed the body.',
        required: true,
      },
      { name: 'Github-Public-Key-Signature', description: 'The base64 DER signature of the raw body.', required: true },
    ],
    body: { name: 'GithubAlerts', schema: githubAlertSchema },
    success: {
      status: 200,
      description: "GitHub's feedback format: one label per reported token.",
      body: { name: 'GithubFeedback', schema: githubFeedbackSchema },
    },
    errors: [400, 401, 413],
  },
};

/** `METHOD path`, as the handlers and {@link OPERATIONS} key a route. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** The routes of {@link ROUTES} with no operation, and the operations with no route: both empty when they agree. */
export function routeDrift(routes: readonly Route[] = ROUTES): { undocumented: string[]; unrouted: string[] } {
  const routed = new Set(routes.map(routeKey));
  return {
    undocumented: [...routed].filter((key) => OPERATIONS[key] === undefined),
    unrouted: Object.keys(OPERATIONS).filter((key) => !routed.has(key)),
  };
}
