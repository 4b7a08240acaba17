import type { KeygateError } from './errors';
import { Keys, withOptions } from './keys';
import { eachItem } from './pages';
import { Transport, type CreateOptions, type RequestOptions } from './transport';
import type {
  ChangePlanInput,
  CreatedKey,
  CreatedSession,
  CreateSessionInput,
  CreatedTenant,
  CreateKeyInput,
  CreateTenantInput,
  EventPage,
  ImportKeysInput,
  ImportResults,
  KeygateEvent,
  KeyPage,
  KeyRecord,
  KeyUsage,
  ListKeysQuery,
  ListPanelEventsQuery,
  ListTenantsQuery,
  RotateKeyInput,
  TenantPage,
  TenantRanking,
  TenantRecord,
  TenantWorkspaces,
  UpdateKeyInput,
  UsageQuery,
  UsageRankingQuery,
  UsageWindow,
} from './types';

/**
 * A tenant's keys as the operator manages them (`/v1/panel/tenants/{tenantId}/keys`): the
 * tenant's own key routes, acting as its owner. Every method is {@link Keys}' with the tenant
 * first; an unknown tenant is `not_found`.
 */
export class TenantKeys {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Creates a key for the tenant (an `owner` key recovers a tenant left without one). See {@link Keys.create}. */
  create(tenantId: string, input: CreateKeyInput, options?: CreateOptions): Promise<CreatedKey> {
    return this.of(tenantId).create(input, options);
  }

  /** One page of the tenant's keys, newest first. */
  list(tenantId: string, query?: ListKeysQuery, options?: RequestOptions): Promise<KeyPage> {
    return this.of(tenantId).list(query, options);
  }

  /** Every key of the tenant, newest first, page by page. */
  listAll(
    tenantId: string,
    query?: Omit<ListKeysQuery, 'cursor'>,
    options?: RequestOptions,
  ): AsyncGenerator<KeyRecord, void, undefined> {
    return this.of(tenantId).listAll(query, options);
  }

  /** One of the tenant's keys; a key of another tenant is `not_found`. */
  get(tenantId: string, id: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.of(tenantId).get(id, options);
  }

  /** One of the tenant's keys' requests and sources over a window. See {@link Keys.usage}. */
  usage(tenantId: string, id: string, query?: UsageQuery, options?: RequestOptions): Promise<KeyUsage> {
    return this.of(tenantId).usage(id, query, options);
  }

  /** Renames one of the tenant's keys. */
  rename(tenantId: string, id: string, name: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.of(tenantId).rename(id, name, options);
  }

  /** Changes a key's name, metadata, scopes, or several. */
  update(tenantId: string, id: string, changes: UpdateKeyInput, options?: RequestOptions): Promise<KeyRecord> {
    return this.of(tenantId).update(id, changes, options);
  }

  /** Revokes one of the tenant's keys. */
  revoke(tenantId: string, id: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.of(tenantId).revoke(id, options);
  }

  /** Enables one of the tenant's revoked keys. */
  enable(tenantId: string, id: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.of(tenantId).enable(id, options);
  }

  /** Deletes one of the tenant's keys for good. */
  delete(tenantId: string, id: string, options?: RequestOptions): Promise<void> {
    return this.of(tenantId).delete(id, options);
  }

  /** Rotates one of the tenant's keys. See {@link Keys.rotate}. */
  rotate(tenantId: string, id: string, input?: RotateKeyInput, options?: CreateOptions): Promise<CreatedKey> {
    return this.of(tenantId).rotate(id, input, options);
  }

  /**
   * Imports up to 100 keys issued elsewhere into the tenant; each works at once. The answer has
   * one result per item, in order, and an item refused alone (`invalid`) or already stored
   * (`duplicate`) does not fail the batch. Sent under an `Idempotency-Key` (by default), so a
   * retry replays the first answer instead of importing twice.
   */
  import(tenantId: string, input: ImportKeysInput, options?: CreateOptions): Promise<ImportResults> {
    return this.transport.send({
      method: 'POST',
      path: `/v1/panel/tenants/${Transport.segment(tenantId)}/keys/import`,
      body: input,
      safety: { kind: 'idempotency-key' },
      ...withOptions(options),
    });
  }

  private of(tenantId: string): Keys {
    return new Keys(this.transport, `/v1/panel/tenants/${Transport.segment(tenantId)}/keys`);
  }
}

/**
 * Sessions for a tenant's members (`/v1/panel/tenants/{tenantId}/sessions`): the team's backend
 * mints one for a signed-in member and hands its token to the member's browser. In the operator
 * tenant, an `operator` session is an operator's sign-in to the console.
 */
export class TenantSessions {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /**
   * Mints a session; its `token` is in the answer once. Sent under an `Idempotency-Key` (by default).
   * @throws KeygateReplayError when the answer is a replay (the token is gone).
   */
  create(tenantId: string, input: CreateSessionInput, options?: CreateOptions): Promise<CreatedSession> {
    return this.transport.send({
      method: 'POST',
      path: `/v1/panel/tenants/${Transport.segment(tenantId)}/sessions`,
      body: input,
      safety: { kind: 'idempotency-key' },
      ...withOptions(options),
      plaintext: (body) => (body === undefined ? undefined : { id: body.id, key: body.token }),
    });
  }

  /** Revokes a session: refused from the next request on. Converges: a 404 after an unseen success is done. */
  revoke(tenantId: string, sessionId: string, options?: RequestOptions): Promise<void> {
    return this.transport.send<void>({
      method: 'DELETE',
      path: `/v1/panel/tenants/${Transport.segment(tenantId)}/sessions/${Transport.segment(sessionId)}`,
      safety: {
        kind: 'converges',
        settle: async (refusal) => (refusal.code === 'not_found' ? { value: undefined } : undefined),
      },
      ...withOptions(options),
    });
  }
}

/**
 * Tenants (`/v1/panel/tenants`), for `operator` keys only: anyone else gets `forbidden`.
 *
 * Retries: reads, renames and plan changes (the server writes the same change once) are
 * repeated freely; creation only under an `Idempotency-Key` (sent by default); suspend, resume
 * and delete converge like a key's revoke and delete (a deletion that failed half way is
 * finished by the retry; the server is built for that).
 */
export class Tenants {
  /** The tenant's keys, managed by the operator. */
  readonly keys: TenantKeys;
  /** Sessions for the tenant's members. */
  readonly sessions: TenantSessions;

  /** @internal */
  constructor(private readonly transport: Transport) {
    this.keys = new TenantKeys(transport);
    this.sessions = new TenantSessions(transport);
  }

  /**
   * Creates a tenant on a plan, with its first `owner` key, whose plaintext is in the answer once.
   * @throws KeygateReplayError when the answer is a replay (the owner key's plaintext is gone).
   */
  create(input: CreateTenantInput, options?: CreateOptions): Promise<CreatedTenant> {
    return this.transport.send({
      method: 'POST',
      path: '/v1/panel/tenants',
      body: input,
      safety: { kind: 'idempotency-key' },
      ...withOptions(options),
      plaintext: (body) => body?.key,
    });
  }

  /** One page of every tenant, newest first. */
  list(query: ListTenantsQuery = {}, options?: RequestOptions): Promise<TenantPage> {
    return this.transport.send({
      method: 'GET',
      path: '/v1/panel/tenants',
      query: { ...query },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** Every tenant, newest first, page by page. */
  listAll(
    query: Omit<ListTenantsQuery, 'cursor'> = {},
    options?: RequestOptions,
  ): AsyncGenerator<TenantRecord, void, undefined> {
    return eachItem<TenantRecord, ListTenantsQuery>(query, (page) => this.list(page, options));
  }

  /** One tenant. */
  get(tenantId: string, options?: RequestOptions): Promise<TenantRecord> {
    return this.transport.send({
      method: 'GET',
      path: this.one(tenantId),
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** Renames a tenant. */
  rename(tenantId: string, name: string, options?: RequestOptions): Promise<TenantRecord> {
    return this.transport.send({
      method: 'PATCH',
      path: this.one(tenantId),
      body: { name },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /**
   * Moves a tenant to a plan; `enterprise` takes its own `rateLimit`, `burstLimit` and `quota`
   * (this is also how a quota is set or removed: there is no route for the quota alone). The
   * answer says `planStatus: 'pending'` until API Gateway enforces the new limits.
   */
  changePlan(tenantId: string, plan: ChangePlanInput, options?: RequestOptions): Promise<TenantRecord> {
    return this.transport.send({
      method: 'PUT',
      path: `${this.one(tenantId)}/plan`,
      body: plan,
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** The tenant's requests, refusals and throttles over a window (default: the last 24 hours by hour). */
  usage(tenantId: string, query: UsageQuery = {}, options?: RequestOptions): Promise<UsageWindow> {
    return this.transport.send({
      method: 'GET',
      path: `${this.one(tenantId)}/usage`,
      query: { ...query },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** A tenant's workspaces. */
  workspaces(tenantId: string, options?: RequestOptions): Promise<TenantWorkspaces> {
    return this.transport.send({
      method: 'GET',
      path: `${this.one(tenantId)}/workspaces`,
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /**
   * Replaces a tenant's workspaces whole (`[]` takes them all away); the change counts from the
   * next request on. Repeating it is harmless: the same set changes nothing.
   */
  setWorkspaces(tenantId: string, workspaces: readonly string[], options?: RequestOptions): Promise<TenantWorkspaces> {
    return this.transport.send({
      method: 'PUT',
      path: `${this.one(tenantId)}/workspaces`,
      body: { workspaces: [...workspaces] },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** Suspends a tenant: its keys get 401 from the next request on, until {@link resume}. */
  suspend(tenantId: string, options?: RequestOptions): Promise<TenantRecord> {
    return this.setStatus(tenantId, 'suspend', 'suspended', options);
  }

  /** Resumes a suspended tenant. */
  resume(tenantId: string, options?: RequestOptions): Promise<TenantRecord> {
    return this.setStatus(tenantId, 'resume', 'active', options);
  }

  /** Deletes a tenant with its keys, usage identifiers and usage plan; its keys get 401 at once. */
  delete(tenantId: string, options?: RequestOptions): Promise<void> {
    return this.transport.send<void>({
      method: 'DELETE',
      path: this.one(tenantId),
      safety: {
        kind: 'converges',
        settle: async (refusal) => (refusal.code === 'not_found' ? { value: undefined } : undefined),
      },
      ...withOptions(options),
    });
  }

  private setStatus(
    tenantId: string,
    action: 'suspend' | 'resume',
    status: TenantRecord['status'],
    options: RequestOptions | undefined,
  ): Promise<TenantRecord> {
    return this.transport.send({
      method: 'POST',
      path: `${this.one(tenantId)}/${action}`,
      safety: {
        kind: 'converges',
        settle: async (refusal: KeygateError) => {
          if (refusal.code !== 'conflict') return undefined;
          const tenant = await this.get(tenantId, options);
          return tenant.status === status ? { value: tenant } : undefined;
        },
      },
      ...withOptions(options),
    });
  }

  private one(tenantId: string): string {
    return `/v1/panel/tenants/${Transport.segment(tenantId)}`;
  }
}

/** Every tenant's audit trail (`/v1/panel/events`), for live `operator` keys. */
export class PanelEvents {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** One page of events, newest first: every tenant's, or one tenant's with `tenantId`. */
  list(query: ListPanelEventsQuery = {}, options?: RequestOptions): Promise<EventPage> {
    return this.transport.send({
      method: 'GET',
      path: '/v1/panel/events',
      query: { ...query },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** Every event, newest first, page by page. */
  listAll(
    query: Omit<ListPanelEventsQuery, 'cursor'> = {},
    options?: RequestOptions,
  ): AsyncGenerator<KeygateEvent, void, undefined> {
    return eachItem<KeygateEvent, ListPanelEventsQuery>(query, (page) => this.list(page, options));
  }
}

/** Every tenant's usage (`/v1/panel/usage`), for live `operator` keys. */
export class PanelUsage {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /** Tenants ranked by `sort` (requests, errors or throttled) over whole days (default: the last 30). */
  rank(query: UsageRankingQuery = {}, options?: RequestOptions): Promise<TenantRanking> {
    return this.transport.send({
      method: 'GET',
      path: '/v1/panel/usage',
      query: { ...query },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }
}

/** The operator panel: `operator` keys only. */
export interface Panel {
  /** Tenants, their plans, status and keys. */
  readonly tenants: Tenants;
  /** Every tenant's events. */
  readonly events: PanelEvents;
  /** Every tenant's usage, ranked. */
  readonly usage: PanelUsage;
}
