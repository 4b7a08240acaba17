import { answerOf, ApiError, sendToKeygate } from '../api';

/** The operator tenant: the one an operator session belongs to. */
const OPERATOR_TENANT = 'operator';

/** A tenant as the panel answers it. */
export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly plan: Plan;
  readonly limits: {
    readonly rateLimit: number;
    readonly burstLimit: number;
    readonly quota?: { limit: number; period: string };
  };
  readonly status: 'active' | 'suspended' | 'deleting';
  readonly createdAt: string;
  readonly planStatus: 'applied' | 'pending';
}

/** keygate's standard plans. */
export const PLANS = ['starter', 'growth', 'scale', 'enterprise'] as const;
/** One of {@link PLANS}. */
export type Plan = (typeof PLANS)[number];

/** What `GET /v1/panel/tenants` filters a tenant's `status` and `planStatus` by. */
export const TENANT_STATUSES = ['active', 'suspended', 'deleting'] as const;
/** See {@link TENANT_STATUSES}. */
export const PLAN_STATUSES = ['pending', 'applied'] as const;

/** The event types `GET /v1/panel/events` filters by (its `type` parameter in openapi.json). */
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

/** One audit event, as `GET /v1/panel/events` lists it. */
export interface AuditEvent {
  readonly id: string;
  readonly type: string;
  readonly at: string;
  readonly tenantId: string;
  readonly keyId?: string;
  readonly actor: {
    readonly session?: string;
    readonly userId?: string;
    readonly keyId?: string;
    readonly role?: string;
    readonly system?: string;
  };
  readonly details?: Record<string, unknown>;
}

/** A page of a listing; `cursor` is absent on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

/** Told when keygate refuses the session (it ended or was revoked). */
export type SessionEnded = () => void;

/**
 * keygate's base URL as the page names it in `<meta name="keygate-api" content="…">` (the
 * deployed console, on an origin of its own); empty, for this page's origin, without it.
 */
export function apiBaseUrl(page: {
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
}): string {
  return page.querySelector('meta[name="keygate-api"]')?.getAttribute('content') ?? '';
}

/**
 * keygate's panel routes for the console over plain `fetch`. The operator session token is held
 * here, in memory only, and sent in `Authorization` (never a cookie, storage or the URL).
 */
export class ConsoleApi {
  #token: string | undefined;
  /** Aborts the calls still on their way when the session is signed out, so none answers 401 after. */
  #calls = new AbortController();

  /**
   * @param baseUrl - keygate's base URL, stage included (see {@link apiBaseUrl}); empty: this page's origin.
   */
  constructor(
    private readonly ended: SessionEnded,
    readonly baseUrl = '',
  ) {}

  /** Whether a session is held. */
  get signedIn(): boolean {
    return this.#token !== undefined;
  }

  /**
   * The session token, for `<keygate-api-keys tenant-id>`, which calls the panel's key routes
   * itself with the same session: handed over in memory, as a property, never into the DOM.
   */
  get token(): string | undefined {
    return this.#token;
  }

  /** keygate refused `token` to a call made elsewhere: the session ends, as after a refused call of this API. */
  refused(token: string): void {
    if (token !== this.#token) return;
    this.#token = undefined;
    this.ended();
  }

  /**
   * Exchanges an operator key for an operator session of the operator tenant (an hour at most);
   * the key is used for this one request and kept nowhere. A tenant's key is refused by keygate
   * (403), which this reports in words an operator can act on.
   */
  async signIn(key: string, userId: string): Promise<void> {
    const response = await this.send('POST', `/v1/panel/tenants/${OPERATOR_TENANT}/sessions`, key, {
      role: 'operator',
      ttlSeconds: 3600,
      user: { id: userId },
    });
    if (response.status === 401) throw new ApiError(401, 'unauthorized', 'keygate does not know this key.');
    if (response.status === 403)
      throw new ApiError(
        403,
        'forbidden',
        "This is not an operator key: a tenant's key cannot sign in to the console.",
      );
    const created = (await answerOf(response)) as { token?: string };
    if (created.token === undefined) throw new ApiError(500, 'internal_error', 'keygate gave no session token.');
    this.#token = created.token;
  }

  /**
   * Exchanges a one-time sign-in code (from a link the admin CLI printed) for an operator session:
   * the code goes in the body of one request, with no key, and is kept nowhere.
   */
  async signInWithCode(code: string): Promise<void> {
    const response = await this.send('POST', '/v1/console/sign-in', undefined, { code });
    if (response.status === 401 || response.status === 400)
      throw new ApiError(
        401,
        'unauthorized',
        'This sign-in link cannot be used: it was used already, has expired, or is not whole. Print a new one with npm run admin -- sign-in-link.',
      );
    const created = (await answerOf(response)) as { token?: string };
    if (created.token === undefined) throw new ApiError(500, 'internal_error', 'keygate gave no session token.');
    this.#token = created.token;
  }

  /** Revokes the session (`DELETE /v1/session`) and forgets it, whatever keygate answers. */
  async signOut(): Promise<void> {
    const token = this.#token;
    this.#token = undefined;
    this.#calls.abort();
    this.#calls = new AbortController();
    if (token !== undefined) await this.send('DELETE', '/v1/session', token).catch(() => undefined);
  }

  /** One call with the session; a 401 ends the session in the console. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = this.#token;
    const response = await this.send(method, path, token ?? '', body, this.#calls.signal);
    if (response.status === 401 && token !== undefined) this.refused(token);
    return (await answerOf(response)) as T;
  }

  private send(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
    return sendToKeygate(this.baseUrl, method, path, headers, body, signal);
  }
}

/**
 * The one-time sign-in code of a link (`/console#signin=<code>`), removed from the address bar and
 * the history entry at once, so that it is not kept, bookmarked or shared once read. The fragment
 * is never sent to a server: the code reaches no access log on its way here.
 */
export function takeSignInCode(page: {
  readonly location: { readonly hash: string; readonly pathname: string; readonly search: string };
  readonly history: { replaceState(data: unknown, unused: string, url?: string): void };
}): string | undefined {
  const match = /^#signin=(.*)$/.exec(page.location.hash);
  if (match === null) return undefined;
  page.history.replaceState(null, '', page.location.pathname + page.location.search);
  return decodeURIComponent(match[1] ?? '');
}

/** A query string of the defined values. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== undefined && value !== '') params.set(name, String(value));
  return params.toString();
}

/** The words of an error for the page. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
