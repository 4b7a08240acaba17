import type { Environment, Role } from './keys/format';
import type { ExpiryDays } from './keys/expiry';
import { isExpired } from './keys/expiry';

/** Plans known to every deployment; `enterprise` takes custom limits per tenant. */
export const PLAN_NAMES = ['starter', 'growth', 'scale', 'enterprise'] as const;
/** One of {@link PLAN_NAMES}. */
export type PlanName = (typeof PLAN_NAMES)[number];

/** Who is calling: what the authorizer hands to backends as `requestContext.authorizer`. */
export interface AuthorizerContext {
  readonly tenantId: string;
  readonly keyId: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly plan: PlanName;
  // api gateway's context values are flat strings, numbers or booleans.
  readonly [field: string]: string;
}

/** The periods a usage-plan quota counts over. */
export const QUOTA_PERIODS = ['DAY', 'WEEK', 'MONTH'] as const;

/** Requests per second, burst and an optional quota, as an API Gateway usage plan holds them. */
export interface PlanLimits {
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per period; `undefined` for no quota. */
  readonly quota?: { readonly limit: number; readonly period: (typeof QUOTA_PERIODS)[number] };
}

/**
 * A tenant's statuses: a suspended tenant's keys are refused until it is resumed; a `deleting`
 * tenant's keys are refused for good while its deletion runs (a retried DELETE finishes it).
 */
export const TENANT_STATUSES = ['active', 'suspended', 'deleting'] as const;
/** One of {@link TENANT_STATUSES}. */
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** Tenant ids: lowercase letters, digits and dashes, 3–64 characters, starting with a letter or digit. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** Stored key status; `expired` is derived from `expiresAt` when a key is read. */
export type KeyStatus = 'active' | 'revoked';

/** The usage identifier (an API Gateway API key) that meters one environment of a tenant. */
export interface UsageIdentifier {
  /** The API Gateway API key id. */
  readonly id: string;
  /** Its value, which the authorizer returns as `usageIdentifierKey`; never shown to anyone. */
  readonly value: string;
  /**
   * The usage plan it is attached to, as the plan reconciler last made it. Absent on tenants
   * stored before the reconciler: their identifiers sit in the plan their record names.
   */
  readonly usagePlanId?: string;
}

/** An API key that no longer identifies its tenant, deleted once no cached answer can carry it. */
export interface RetiredUsageKey {
  readonly id: string;
  /** When every authorization that may have returned it has ended (ISO). */
  readonly retireAfter: string;
}

/** Whether API Gateway enforces the plan the tenant record names (`applied`) or not yet (`pending`). */
export const PLAN_STATUSES = ['applied', 'pending'] as const;
/** One of {@link PLAN_STATUSES}. */
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** The tenant's fields that every one of its key items carries a copy of, for the authorizer. */
export interface TenantSnapshot {
  readonly tenantStatus: TenantStatus;
  readonly plan: PlanName;
  /** Bumped on every change to the copied fields, so stale copies can be detected and refused. */
  readonly tenantVersion: number;
  /** The tenant's workspaces (see `auth/workspaces.ts`); absent when it has none. */
  readonly tenantWorkspaces?: readonly string[];
}

/** A tenant, the source of truth for its status, plan and usage identifiers. */
export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly plan: PlanName;
  readonly limits: PlanLimits;
  readonly status: TenantStatus;
  readonly createdAt: string;
  readonly version: number;
  /** One usage identifier per environment; `test` is created with the tenant's first test key. */
  readonly usageKeys: Partial<Record<Environment, UsageIdentifier>>;
  /**
   * The id of the tenant's own usage plan, while one exists (enterprise tenants, and a former
   * enterprise tenant until the reconciler has moved it out).
   */
  readonly usagePlanId?: string;
  /** Bumped by every plan change: the desired state's version. Absent counts as 0. */
  readonly planGeneration?: number;
  /** The {@link planGeneration} API Gateway was last made to match. Absent counts as 0. */
  readonly appliedGeneration?: number;
  /** New usage identifiers made for a move to another usage plan, not yet swapped in. */
  readonly pendingUsageKeys?: Partial<Record<Environment, UsageIdentifier>>;
  /** Replaced usage identifiers, deleted once no cached answer can carry them. */
  readonly retiredUsageKeys?: readonly RetiredUsageKey[];
  /** The workspaces whose paths its keys reach (`keygate:workspacePathSegment`); absent: none. */
  readonly workspaces?: readonly string[];
}

/** Whether the tenant's desired plan is what API Gateway enforces. */
export function planStatusOf(tenant: Tenant): PlanStatus {
  return (tenant.appliedGeneration ?? 0) >= (tenant.planGeneration ?? 0) ? 'applied' : 'pending';
}

/** Everything stored about a key: one item, read in full by the authorizer. */
export interface KeyItem extends TenantSnapshot {
  readonly id: string;
  readonly tenantId: string;
  /** `sha256(key)`; the plaintext is never stored. */
  readonly hash: string;
  readonly name: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly status: KeyStatus;
  readonly last4: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  /** Kept so that rotation can give the new key the same expiry policy. */
  readonly expiresInDays?: ExpiryDays;
  readonly lastUsedAt: string | null;
  readonly rotatedFrom?: string;
  readonly rotatedTo?: string;
  /** The usage identifier value of the key's tenant and environment. */
  readonly usageKey?: string;
  /** Dashboard metadata (see `metaSchema`); never in the authorizer's context. */
  readonly meta?: Readonly<Record<string, string>>;
  /** The id of the key that created this one, or `operator` for the panel. Absent on older keys. */
  readonly createdBy?: string;
  /** The `METHOD /path` patterns the key is limited to (see `auth/scopes.ts`); absent for the whole API. */
  readonly scopes?: string[];
}

/** A key as the HTTP API shows it: never the hash, never the plaintext. */
export interface KeyRecord {
  readonly id: string;
  readonly name: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly status: KeyStatus | 'expired';
  readonly last4: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly rotatedFrom?: string;
  readonly rotatedTo?: string;
  /** Present when the key has metadata. */
  readonly meta?: Readonly<Record<string, string>>;
  /** Present when known: keys made before it was recorded lack it. */
  readonly createdBy?: string;
  /** Present when the key is limited to some routes. */
  readonly scopes?: string[];
}

/** Projects a stored key onto the record the API shows, deriving `expired` from the clock. */
export function toKeyRecord(item: KeyItem, now: Date): KeyRecord {
  const status = item.status === 'active' && isExpired(item.expiresAt, now) ? 'expired' : item.status;
  return {
    id: item.id,
    name: item.name,
    environment: item.environment,
    role: item.role,
    status,
    last4: item.last4,
    createdAt: item.createdAt,
    expiresAt: item.expiresAt,
    lastUsedAt: item.lastUsedAt,
    ...(item.rotatedFrom === undefined ? {} : { rotatedFrom: item.rotatedFrom }),
    ...(item.rotatedTo === undefined ? {} : { rotatedTo: item.rotatedTo }),
    ...(item.meta === undefined || Object.keys(item.meta).length === 0 ? {} : { meta: item.meta }),
    ...(item.createdBy === undefined ? {} : { createdBy: item.createdBy }),
    ...(item.scopes === undefined || item.scopes.length === 0 ? {} : { scopes: [...item.scopes] }),
  };
}

/** A tenant as the operator panel shows it: never its usage identifier values. */
export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly plan: PlanName;
  readonly limits: PlanLimits;
  readonly status: TenantStatus;
  readonly createdAt: string;
  /** `pending` while API Gateway still enforces an earlier plan; the reconciler applies it. */
  readonly planStatus: PlanStatus;
}

/** Projects a stored tenant onto the record the API shows. */
export function toTenantRecord(tenant: Tenant): TenantRecord {
  const { tenantId, name, plan, limits, status, createdAt } = tenant;
  return { tenantId, name, plan, limits, status, createdAt, planStatus: planStatusOf(tenant) };
}

/** The tenant fields copied onto a key item of the given environment. */
export function snapshotOf(tenant: Tenant, environment: Environment): TenantSnapshot & { usageKey?: string } {
  return {
    tenantStatus: tenant.status,
    plan: tenant.plan,
    tenantVersion: tenant.version,
    ...(tenant.workspaces === undefined || tenant.workspaces.length === 0
      ? {}
      : { tenantWorkspaces: [...tenant.workspaces] }),
    ...(tenant.usageKeys[environment] === undefined ? {} : { usageKey: tenant.usageKeys[environment].value }),
  };
}
