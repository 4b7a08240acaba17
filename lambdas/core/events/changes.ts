import type { KeyItem, Tenant } from '../model';
import { newEvent, type Actor, type EventDetails, type EventType, type KeygateEvent } from './model';

/**
 * The event of a change to a key: about that key, in its environment. Callers pass details by
 * name; the key item itself never goes in, so its hash cannot leak into an event.
 */
export function keyEvent(
  type: EventType,
  actor: Actor,
  key: Pick<KeyItem, 'id' | 'tenantId' | 'environment'>,
  at: Date,
  details: EventDetails = {},
): KeygateEvent {
  return newEvent({ type, tenantId: key.tenantId, keyId: key.id, environment: key.environment, actor, at, details });
}

/** The event of a change to a tenant (no environment: test keys do not see it). */
export function tenantEvent(
  type: EventType,
  actor: Actor,
  tenantId: string,
  at: Date,
  details: EventDetails = {},
  keyId?: string,
): KeygateEvent {
  return newEvent({ type, tenantId, actor, at, details, ...(keyId === undefined ? {} : { keyId }) });
}

/** What `key.created` says about a key: what a person reads in a listing, minus `last4`. */
export function keyDetails(key: Pick<KeyItem, 'name' | 'role' | 'environment' | 'expiresAt' | 'scopes'>): EventDetails {
  return {
    name: key.name,
    role: key.role,
    environment: key.environment,
    expiresAt: key.expiresAt,
    ...(key.scopes === undefined ? {} : { scopes: [...key.scopes] }),
  };
}

/** A tenant's plan and limits, as plan-change events show them before and after. */
export function planDetails(tenant: Pick<Tenant, 'plan' | 'limits'>): EventDetails {
  return { plan: tenant.plan, limits: tenant.limits };
}

/** Who acts when a call names no one: the admin CLI and the local bootstrap. */
export const ADMIN_CLI: Actor = { system: 'admin-cli' };

/** Who applies plans to API Gateway: the plan reconciler, on its own account. */
export const RECONCILER: Actor = { system: 'reconciler' };
