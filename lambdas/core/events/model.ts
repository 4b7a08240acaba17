import { randomBytes } from 'node:crypto';
import type { AuthorizerContext } from '../model';
import type { Environment, Role } from '../keys/format';

/**
 * Every event type keygate writes. Dotted, noun first, past tense: what subscribers (audit views,
 * EventBridge rules) match on. The README lists each with its `details`.
 */
export const EVENT_TYPES = [
  'key.created',
  'key.renamed',
  'key.revoked',
  'key.enabled',
  'key.deleted',
  'key.rotated',
  'key.leaked',
  'key.expiring',
  'key.expired',
  'key.stale',
  'key.imported',
  'key.new_source',
  'tenant.created',
  'tenant.plan_changed',
  'tenant.suspended',
  'tenant.resumed',
  'tenant.deleted',
  'tenant.plan_applied',
  'tenant.workspaces_changed',
  'session.created',
  'session.revoked',
] as const;
/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** The systems that act without a key of their own. */
export type SystemActor = 'scheduler' | 'github' | 'admin-cli' | 'reconciler' | 'aggregator';

/**
 * Who made a change: a key (by id and role, never its secret), a member's session (by its id,
 * the member's user id and the session's role, never its token), or one of keygate's own
 * systems. `onBehalfOf` is the tenant an operator key or session acted for through the panel;
 * its `role` is then `operator`, its own, not the owner rank it was granted for the change.
 */
export type Actor =
  | { readonly keyId: string; readonly role: Role; readonly onBehalfOf?: string }
  | {
      readonly session: string;
      readonly userId: string;
      readonly role: Role;
      readonly onBehalfOf?: string;
      /** Present when the session was opened with a one-time sign-in link: the key that minted it. */
      readonly signInLink?: { readonly mintedBy: string };
    }
  | { readonly system: SystemActor };

/** What one event says; plain JSON, small, never a plaintext key, secret part or hash. */
export type EventDetails = Readonly<Record<string, unknown>>;

/** A change to a key or tenant, written in the same transaction as the change (the outbox). */
export interface KeygateEvent {
  /** `evt_` + 24 hex characters. */
  readonly id: string;
  readonly type: EventType;
  /** When the change was made (ISO 8601, UTC). */
  readonly at: string;
  readonly tenantId: string;
  /** The key the change is about, for key events (and the first key of `tenant.created`). */
  readonly keyId?: string;
  /** That key's environment: a test key's listing shows only test-environment events. */
  readonly environment?: Environment;
  readonly actor: Actor;
  readonly details: EventDetails;
}

/** Pattern of an event id. */
export const EVENT_ID_PATTERN = /^evt_[0-9a-f]{24}$/;

/**
 * The actor for a request made with a key, from its authorizer context, or from the context the
 * operator acts with for a tenant (which carries `onBehalfOf`, see `operatorActingFor`).
 */
export function actorOf(
  caller: Pick<AuthorizerContext, 'keyId' | 'role'> & {
    readonly onBehalfOf?: string;
    readonly session?: string;
    readonly userId?: string;
    readonly signInLinkBy?: string;
  },
): Actor {
  // only operator keys and sessions act for another tenant; the role on the context is the rank lent for it.
  const role = caller.onBehalfOf === undefined ? caller.role : 'operator';
  const behalf = caller.onBehalfOf === undefined ? {} : { onBehalfOf: caller.onBehalfOf };
  // a session is named by its member: the key id on its context is the session's id.
  if (caller.session !== undefined) {
    const link = caller.signInLinkBy === undefined ? {} : { signInLink: { mintedBy: caller.signInLinkBy } };
    return { session: caller.session, userId: caller.userId ?? '', role, ...behalf, ...link };
  }
  return { keyId: caller.keyId, role, ...behalf };
}

/** Fields of a new event; the id is drawn here and `at` is the caller's clock reading. */
export interface EventInput {
  readonly type: EventType;
  readonly tenantId: string;
  readonly keyId?: string;
  readonly environment?: Environment;
  readonly actor: Actor;
  readonly details?: EventDetails;
  readonly at: Date;
}

/**
 * Builds an event. The details are copied through JSON so that nothing but plain data (no
 * class instance that could carry a key item along) reaches the table.
 */
export function newEvent(input: EventInput): KeygateEvent {
  return {
    id: `evt_${randomBytes(12).toString('hex')}`,
    type: input.type,
    at: input.at.toISOString(),
    tenantId: input.tenantId,
    ...(input.keyId === undefined ? {} : { keyId: input.keyId }),
    ...(input.environment === undefined ? {} : { environment: input.environment }),
    actor: input.actor,
    details: JSON.parse(JSON.stringify(input.details ?? {})) as EventDetails,
  };
}
