/** A member's role, as keygate's tenant routes know it. */
export type Role = 'operator' | 'owner' | 'admin' | 'developer' | 'read_only';
/** Which data a key reaches. */
export type Environment = 'live' | 'test';

/** A key as `GET /v1/keys` lists it: never its hash or plaintext. */
export interface Key {
  readonly id: string;
  readonly name: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly status: 'active' | 'revoked' | 'expired';
  readonly last4: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly rotatedTo?: string;
}

/** A key just made: the one answer that holds its plaintext. */
export interface CreatedKey extends Key {
  readonly key: string;
}

/** One entry of the audit trail (`GET /v1/events`). */
export interface KeyEvent {
  readonly id: string;
  readonly type: string;
  readonly at: string;
  readonly actor: {
    readonly keyId?: string;
    readonly role?: string;
    readonly system?: string;
    readonly userId?: string;
  };
}

/** A key's counts over a window (`GET /v1/keys/{id}/usage`): denied is 401 and 403, throttled 429. */
export interface KeyUsage {
  readonly totals: { readonly requests: number; readonly denied: number; readonly throttled: number };
  readonly sources: readonly { readonly ip: string; readonly userAgent: string; readonly requests: number }[];
}

/** What the page shows of one key when its activity is open: recent events (where offered) and last month's usage. */
export interface KeyActivity {
  readonly events: readonly KeyEvent[];
  readonly usage: KeyUsage;
}

/** A page of a listing; `cursor` is absent on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

/** Who the session belongs to: what the page may offer. */
export interface Member {
  readonly role: Role;
  readonly environment: Environment;
}

/** An answer other than 2xx, in the contract's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** How the API reaches its caller's session. */
export interface SessionSource {
  /** keygate's base URL; empty: this page's origin. */
  baseUrl(): string;
  /** The session token, held in memory only. */
  token(): string | undefined;
  /** A fresh token after a 401, from the host page; `undefined` when it gives none. */
  renew(): Promise<string | undefined>;
  /**
   * The tenant an operator acts for: set, the key routes are the panel's
   * (`/v1/panel/tenants/{tenantId}/keys…`); absent, the session's tenant's own (`/v1/keys…`).
   */
  tenantId?(): string | undefined;
}

/**
 * keygate's key routes over plain `fetch` (no client library: the bundle stays small): the
 * tenant's own, or the panel's for the tenant an operator acts for. The token goes in
 * `Authorization` only, never a cookie or a URL; a 401 asks the host for a fresh token and sends
 * the request once more.
 */
export class KeygateApi {
  constructor(private readonly session: SessionSource) {}

  /**
   * Who the credential belongs to. A session's role is the one the host's backend minted it with
   * (`sessionRole`; keygate enforces the real one either way) and its environment comes from
   * `/v1/usage`, since a session may not call `/v1/me`; a key answers `/v1/me` itself. A
   * credential of unknown role that `/v1/me` refuses is treated as `read_only`.
   */
  async member(sessionRole: Role | undefined): Promise<Member> {
    // an operator acts for the tenant with every role, in either environment; the panel enforces it.
    if (this.session.tenantId?.() !== undefined) return { role: 'operator', environment: 'live' };
    if (sessionRole === undefined) {
      try {
        const me = await this.call<{ key: Member }>('GET', '/v1/me');
        return { role: me.key.role, environment: me.key.environment };
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 403)) throw error;
      }
    }
    const usage = await this.call<{ environment: Environment }>('GET', '/v1/usage');
    return { role: sessionRole ?? 'read_only', environment: usage.environment };
  }

  /** One page of the tenant's keys, newest first; `name` is a name prefix. */
  async keys(query: { cursor?: string; name?: string; limit?: number }): Promise<Page<Key>> {
    const params = new URLSearchParams({ limit: String(query.limit ?? 20) });
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    if (query.name !== undefined && query.name !== '') params.set('name', query.name);
    return this.call('GET', `${this.keysPath()}?${params}`);
  }

  /** Makes a key; the answer holds its plaintext, once. */
  async create(body: {
    name: string;
    environment: Environment;
    role: Role;
    expiresInDays?: number;
    expiresOn?: string;
  }): Promise<CreatedKey> {
    return this.call('POST', this.keysPath(), body);
  }

  /** Revokes or enables a key. */
  async setStatus(id: string, action: 'revoke' | 'enable'): Promise<Key> {
    return this.call('POST', this.keysPath(id, `/${action}`), {});
  }

  /** Deletes a key for good. */
  async remove(id: string): Promise<void> {
    return this.call('DELETE', this.keysPath(id));
  }

  /** A new key in place of this one; the old one stops at once or after the grace period. */
  async rotate(id: string, gracePeriodHours: number): Promise<CreatedKey> {
    return this.call('POST', this.keysPath(id, '/rotate'), { gracePeriodHours });
  }

  /**
   * A key's recent events, newest first: the tenant's own `/v1/events`, or in operator mode the
   * panel's, filtered to the tenant and the key.
   */
  events(keyId: string): Promise<Page<KeyEvent>> {
    const tenantId = this.session.tenantId?.();
    const query = `limit=10&keyId=${encodeURIComponent(keyId)}`;
    return this.call(
      'GET',
      tenantId === undefined
        ? `/v1/events?${query}`
        : `/v1/panel/events?tenantId=${encodeURIComponent(tenantId)}&${query}`,
    );
  }

  /** A key's usage by day over keygate's default window, the last 30 days (its server's clock). */
  async usage(keyId: string): Promise<KeyUsage> {
    return this.call('GET', `${this.keysPath(keyId, '/usage')}?granularity=day`);
  }

  /**
   * The path of the key routes, or of one key's: every id is one encoded segment, so no `/`, `?`
   * or `#` in it reaches another route. A tenant id the URL would resolve away (`.`, `..`, empty)
   * is no tenant: 404, and nothing is sent.
   */
  private keysPath(keyId?: string, rest = ''): string {
    const key = keyId === undefined ? '' : `/${encodeURIComponent(keyId)}${rest}`;
    const tenantId = this.session.tenantId?.();
    if (tenantId === undefined) return `/v1/keys${key}`;
    if (/^\.{0,2}$/.test(tenantId)) throw new ApiError(404, 'not_found', 'no such tenant');
    return `/v1/panel/tenants/${encodeURIComponent(tenantId)}/keys${key}`;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response = await this.send(method, path, body);
    if (response.status === 401 && (await this.session.renew()) !== undefined)
      response = await this.send(method, path, body);
    return (await answerOf(response)) as T;
  }

  private send(method: string, path: string, body: unknown): Promise<Response> {
    const headers = { authorization: `Bearer ${this.session.token() ?? ''}` };
    return sendToKeygate(this.session.baseUrl(), method, path, headers, body);
  }
}

/**
 * Calls keygate at `baseUrl` + `path`: JSON when there is a body, and never a cookie, a cached
 * answer or a referrer, whatever the host page's defaults.
 */
export function sendToKeygate(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  // a const first: Node's RequestInit (the unit tests' type check) has no `cache`, the DOM's has.
  const init = {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
    signal,
  } as const;
  return fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, init);
}

/** An answer's JSON body (nothing for a 204), or its error in the contract's shape as an {@link ApiError}. */
export async function answerOf(response: Response): Promise<unknown> {
  if (response.ok) return response.status === 204 ? undefined : response.json();
  const error = (await response.json().catch(() => undefined)) as
    { error?: { code?: string; message?: string } } | undefined;
  throw new ApiError(
    response.status,
    error?.error?.code ?? 'error',
    error?.error?.message ?? `keygate answered ${response.status}`,
  );
}
