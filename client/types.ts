/**
 * The shapes of keygate's HTTP API as the client sends and receives them (DESIGN.md §4).
 *
 * Hand-written for now: the OpenAPI document (and types generated from it) had not landed when
 * this client was written. `test/client/types.test.ts` checks at compile time that these agree
 * with the server's own types, so a change on either side breaks the build, not a user.
 */

/** A key's environment: `test` keys only ever reach test data. */
export type Environment = 'live' | 'test';

/** A key's role, most powerful first; `operator` keys exist only in the operator tenant. */
export type Role = 'operator' | 'owner' | 'admin' | 'developer' | 'read_only';

/** A key's status as the API shows it: `expired` is derived from `expiresAt`. */
export type KeyStatus = 'active' | 'revoked' | 'expired';

/** Free-form dashboard metadata on a key: at most 20 string entries. */
export type KeyMeta = Readonly<Record<string, string>>;

/** A key as the API shows it: never its hash, never its plaintext. */
export interface KeyRecord {
  /** `key_` and 24 hex characters. */
  readonly id: string;
  readonly name: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly status: KeyStatus;
  /** The key's last 4 characters, to tell keys apart. */
  readonly last4: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  /** When the key stops working (ISO 8601), or `null` for never. */
  readonly expiresAt: string | null;
  /** Updated at most once a minute; `null` until the key is first used. */
  readonly lastUsedAt: string | null;
  /** The key this one replaced by rotation. */
  readonly rotatedFrom?: string;
  /** The key that replaced this one by rotation. */
  readonly rotatedTo?: string;
  /** Present when the key has metadata. */
  readonly meta?: KeyMeta;
  /** The id of the key that created this one, or `operator` for the panel. */
  readonly createdBy?: string;
}

/** A key record with its plaintext: answered once, at creation or rotation, and never again. */
export interface CreatedKey extends KeyRecord {
  /** The plaintext key. Store it now: keygate keeps only its hash. */
  readonly key: string;
}

/** What `POST /v1/keys` takes. */
export interface CreateKeyInput {
  /** 1–100 printable characters. */
  readonly name: string;
  /** @default - the calling key's environment */
  readonly environment?: Environment;
  /** @default 'developer' */
  readonly role?: Role;
  /** Expires this many days from today (UTC), at midnight UTC; not with `expiresOn`. */
  readonly expiresInDays?: 7 | 30 | 60 | 90;
  /** Expires at the start of this day (`YYYY-MM-DD`, UTC), a future date; not with `expiresInDays`. */
  readonly expiresOn?: string;
  readonly meta?: KeyMeta;
}

/** What `PATCH /v1/keys/{id}` takes: a new name, new metadata (`{}` clears it), or both. */
export interface UpdateKeyInput {
  readonly name?: string;
  readonly meta?: KeyMeta;
}

/** What `POST /v1/keys/{id}/rotate` takes. */
export interface RotateKeyInput {
  /** How long the old key keeps working, 0–168 hours. @default 0 - it stops at once */
  readonly gracePeriodHours?: number;
}

/** One page of a listing, newest first. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass it back for the next page. Absent on the last page. */
  readonly cursor?: string;
}

/** The query of a page of keys. */
export interface ListKeysQuery {
  /** 1–100. @default 20 */
  readonly limit?: number;
  /** The `cursor` of the previous page. */
  readonly cursor?: string;
  /** Only keys whose name starts with this (case-sensitive). */
  readonly name?: string;
}

/** The plans every deployment knows; `enterprise` takes custom limits per tenant. */
export type PlanName = 'starter' | 'growth' | 'scale' | 'enterprise';

/** The periods a quota counts over (calendar periods, UTC). */
export type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH';

/** A quota of requests per period. */
export interface Quota {
  readonly limit: number;
  readonly period: QuotaPeriod;
}

/** A plan's limits as API Gateway enforces them. */
export interface PlanLimits {
  /** Requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Absent for no quota. */
  readonly quota?: Quota;
}

/** `suspended` tenants' keys get 401 until resumed; `deleting` is a deletion under way. */
export type TenantStatus = 'active' | 'suspended' | 'deleting';

/** A tenant as the operator panel shows it. */
export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly plan: PlanName;
  readonly limits: PlanLimits;
  readonly status: TenantStatus;
  readonly createdAt: string;
  /** `pending` while API Gateway still enforces an earlier plan; the reconciler applies it. */
  readonly planStatus: 'applied' | 'pending';
}

/** A plan change: a shared plan by name, or `enterprise` with limits of its own. */
export interface ChangePlanInput {
  readonly plan: PlanName;
  /** `enterprise` only. */
  readonly rateLimit?: number;
  /** `enterprise` only. */
  readonly burstLimit?: number;
  /** `enterprise` only; the operator tenant cannot have one. */
  readonly quota?: Quota;
}

/** What `POST /v1/panel/tenants` takes. */
export interface CreateTenantInput extends ChangePlanInput {
  /** Lowercase letters, digits and dashes, 3–64 characters. @default - drawn from the name */
  readonly tenantId?: string;
  readonly name: string;
}

/** A new tenant and its first `owner` key, with that key's plaintext shown once. */
export interface CreatedTenant {
  readonly tenant: TenantRecord;
  readonly key: CreatedKey;
}

/** The query of a page of tenants. */
export interface ListTenantsQuery {
  /** 1–100. @default 20 */
  readonly limit?: number;
  readonly cursor?: string;
}

/** `GET /v1/me`: the calling key and its tenant. */
export interface Me {
  readonly key: KeyRecord;
  readonly tenant: TenantRecord;
}

/** `GET /v1/usage`: the tenant's plan, its limits and, where a quota applies, its use. */
export interface Usage {
  /** The calling key's environment: test traffic is metered apart from live. */
  readonly environment: Environment;
  readonly plan: PlanName;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly quota: {
    readonly limit: number;
    readonly period: string;
    readonly used: number;
    readonly remaining: number;
    /** ISO 8601. */
    readonly resetsAt: string;
  } | null;
}

/** The kinds of change the audit trail records. */
export type EventType =
  | 'key.created'
  | 'key.renamed'
  | 'key.revoked'
  | 'key.enabled'
  | 'key.deleted'
  | 'key.rotated'
  | 'key.leaked'
  | 'key.expiring'
  | 'key.expired'
  | 'key.stale'
  | 'tenant.created'
  | 'tenant.plan_changed'
  | 'tenant.suspended'
  | 'tenant.resumed';

/** Who made a change: a key (its id and role, never its secret) or one of keygate's own systems. */
export type Actor = { readonly keyId: string; readonly role: Role } | { readonly system: 'scheduler' | 'github' | 'admin-cli' | 'reconciler' };

/** One change to a key or tenant. */
export interface KeygateEvent {
  /** `evt_` and 24 hex characters. */
  readonly id: string;
  readonly type: EventType;
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly tenantId: string;
  readonly keyId?: string;
  readonly environment?: Environment;
  readonly actor: Actor;
  readonly details: Readonly<Record<string, unknown>>;
}

/** The query of a page of the tenant's own events. */
export interface ListEventsQuery {
  /** 1–100. @default 20 */
  readonly limit?: number;
  readonly cursor?: string;
  readonly type?: EventType;
  /** Only events about this key. */
  readonly keyId?: string;
}

/** The query of a page of every tenant's events (the operator's view). */
export interface ListPanelEventsQuery {
  /** 1–100. @default 20 */
  readonly limit?: number;
  readonly cursor?: string;
  /** Only this tenant's events. */
  readonly tenantId?: string;
}
