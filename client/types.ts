/**
 * The shapes of keygate's HTTP API as the client sends and receives them: aliases of the types
 * openapi-typescript generates from `openapi.json` (`client/openapi.d.ts`, made by
 * `bin/openapi.ts` from the handlers' own zod schemas), so there is no second copy to keep.
 * Where the client promises more than the wire does, the alias says so (and why).
 */
import type { components, operations } from './openapi';

type Schemas = components['schemas'];

/** A key as the API shows it: never its hash, never its plaintext. */
export type KeyRecord = Schemas['Key'];

/**
 * A key record with its plaintext `key`, answered once, at creation or rotation. On the wire
 * `key` is absent from an idempotent replay; the client throws `KeygateReplayError` then, so
 * what it resolves with always has it.
 */
export type CreatedKey = Schemas['CreatedKey'] & { readonly key: string };

/** A key's environment: `test` keys only ever reach test data. */
export type Environment = KeyRecord['environment'];

/** A key's role, most powerful first; `operator` keys exist only in the operator tenant. */
export type Role = KeyRecord['role'];

/** A key's status: `expired` is derived from `expiresAt`; `revoked` is undone by enable. */
export type KeyStatus = KeyRecord['status'];

/** Flat string metadata on a key, for dashboards. */
export type KeyMeta = NonNullable<KeyRecord['meta']>;

/** What `POST /v1/keys` takes. */
export type CreateKeyInput = Schemas['CreateKeyRequest'];

/** What `PATCH /v1/keys/{id}` takes: a new name, new metadata (`{}` clears it), new `scopes` (`null` takes them away), or several. */
export type UpdateKeyInput = Schemas['UpdateKeyRequest'];

/** What `POST /v1/keys/{id}/rotate` takes: `gracePeriodHours`, 0–168, default 0 (the old key stops at once). */
export type RotateKeyInput = Schemas['RotateKeyRequest'];

/**
 * What `POST /v1/panel/tenants/{tenantId}/keys/import` takes: 1 to 100 keys issued elsewhere,
 * each by its plaintext `key` (hashed on arrival) or its `sha256` with `last4`.
 */
export type ImportKeysInput = Schemas['ImportKeysRequest'];

/**
 * An import's outcome, one result per item in the order sent: `imported` (with `keyId`),
 * `duplicate`, or `invalid` (with `error` in the contract's `{ code, message }` shape).
 */
export type ImportResults = Schemas['ImportResults'];

/** One page of a listing, newest first, as `listAll` walks it. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass it back for the next page. Absent on the last page. */
  readonly cursor?: string;
}

/** One page of keys. */
export type KeyPage = Schemas['KeyPage'];

/** One page of tenants. */
export type TenantPage = Schemas['TenantPage'];

/** One page of events. */
export type EventPage = Schemas['EventPage'];

/** A listing's query with `limit` as the number it is (the document types query values as the strings they travel as). */
type Query<Q> = Omit<NonNullable<Q>, 'limit'> & {
  /** Page size, 1 to 100. @default 20 */
  readonly limit?: number;
};

/** The query of a page of keys: `limit`, `cursor`, and `name` (a name prefix, case-sensitive). */
export type ListKeysQuery = Query<operations['listKeys']['parameters']['query']>;

/**
 * A member's session just minted, with its `token`, answered once. On the wire `token` is absent
 * from an idempotent replay; the client throws `KeygateReplayError` then.
 */
export type CreatedSession = Schemas['CreatedSession'] & { readonly token: string };

/** What `POST /v1/panel/tenants/{tenantId}/sessions` takes: the member, their role, and `ttlSeconds` (60–3600, default 900). */
export type CreateSessionInput = Schemas['CreateSessionRequest'];

/** A tenant as the operator panel shows it. */
export type TenantRecord = Schemas['Tenant'];

/** A tenant's workspaces, sorted (`keygate:workspacePathSegment`). */
export type TenantWorkspaces = Schemas['TenantWorkspaces'];

/** The plans every deployment knows; `enterprise` takes custom limits per tenant. */
export type PlanName = TenantRecord['plan'];

/** A plan's limits as API Gateway enforces them. */
export type PlanLimits = TenantRecord['limits'];

/** A quota of requests per calendar period (UTC). */
export type Quota = NonNullable<PlanLimits['quota']>;

/** The periods a quota counts over. */
export type QuotaPeriod = Quota['period'];

/** `suspended` tenants' keys get 401 until resumed; `deleting` is a deletion under way. */
export type TenantStatus = TenantRecord['status'];

/** A plan change: a shared plan by name, or `enterprise` with its own limits and quota. */
export type ChangePlanInput = Schemas['ChangePlanRequest'];

/** What `POST /v1/panel/tenants` takes. */
export type CreateTenantInput = Schemas['CreateTenantRequest'];

/** A new tenant and its first `owner` key, with that key's plaintext (see {@link CreatedKey}). */
export type CreatedTenant = Omit<Schemas['CreatedTenant'], 'key'> & { readonly key: CreatedKey };

/** The query of a page of tenants. */
export type ListTenantsQuery = Query<operations['listTenants']['parameters']['query']>;

/** `GET /v1/me`: the calling key and its tenant. */
export type Me = Schemas['Me'];

/** `GET /v1/usage`: the tenant's plan, its limits, its quota use and its requests over a window. */
export type Usage = Schemas['Usage'];

/** A usage window's query: `from`, `to` (ISO 8601) and `granularity` (`hour` or `day`). */
export type UsageQuery = Query<operations['getUsage']['parameters']['query']>;

/** A tenant's or stage's requests over a window, per bucket and in total. */
export type UsageWindow = Schemas['UsageWindow'];

/** The counts of a window: requests by status class, denied (401/403), throttled (429), latency. */
export type UsageTotals = UsageWindow['totals'];

/** A key's requests over a window, and its busiest sources (address, user agent). */
export type KeyUsage = Schemas['KeyUsage'];

/** The query of the operator's ranking: `from`, `to`, `sort` and `limit`. */
export type UsageRankingQuery = Query<operations['rankTenantUsage']['parameters']['query']>;

/** Every tenant's requests over whole days, and the busiest tenants. */
export type TenantRanking = Schemas['TenantRanking'];

/** One change to a key or tenant, from the audit trail. */
export type KeygateEvent = Schemas['Event'];

/** The kinds of change the audit trail records. */
export type EventType = KeygateEvent['type'];

/** Who made a change: a key (its id and role, never its secret) or one of keygate's own systems. */
export type Actor = KeygateEvent['actor'];

/** The query of a page of the tenant's own events: `limit`, `cursor`, `type`, `keyId`. */
export type ListEventsQuery = Query<operations['listEvents']['parameters']['query']>;

/** The query of a page of every tenant's events (the operator's view): `limit`, `cursor`, `tenantId`. */
export type ListPanelEventsQuery = Query<operations['listAllEvents']['parameters']['query']>;

/** The error codes of the contract. */
export type ErrorCode = Schemas['Error']['error']['code'];
