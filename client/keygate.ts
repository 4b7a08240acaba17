import { Keys, withOptions } from './keys';
import { eachItem } from './pages';
import { PanelEvents, PanelUsage, Tenants, type Panel } from './panel';
import { DEFAULT_RETRY } from './retry';
import { Transport, type FetchLike, type RequestOptions } from './transport';
import type { EventPage, KeygateEvent, ListEventsQuery, Me, Usage, UsageQuery } from './types';

/** What a {@link Keygate} client is made with; only `apiKey` and `baseUrl` are required. */
export interface KeygateOptions {
  /** The key the client calls with, sent as `Authorization: Bearer <apiKey>`. */
  readonly apiKey: string;
  /** The API's URL, e.g. `http://localhost:3000` or a stage URL `https://….execute-api….amazonaws.com/prod`. */
  readonly baseUrl: string;
  /** @default - the global `fetch` */
  readonly fetch?: FetchLike;
  /**
   * Retries after a first attempt that got 429, 500, 502, 503, 504 or no answer, for calls that
   * are safe to repeat (see README "Client"); 0 turns retrying off.
   * @default 2
   */
  readonly maxRetries?: number;
  /** The first retry waits a random time up to this; each further retry doubles it. @default 500 */
  readonly initialRetryDelayMs?: number;
  /** No backoff waits longer than this (a `Retry-After` aside). @default 8000 */
  readonly maxRetryDelayMs?: number;
  /** A 429 whose `Retry-After` is longer than this fails at once, with `retryAfter` set. @default 60000 */
  readonly maxRetryAfterMs?: number;
  /** How long one attempt may take, answer body included. @default 30000 */
  readonly timeoutMs?: number;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Waits between retries; tests pass one that returns at once. @default - a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock, in epoch ms, for a `Retry-After` given as a date. @default Date.now */
  readonly now?: () => number;
  /** The jitter's source, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Makes an `Idempotency-Key` for each creation. @default crypto.randomUUID */
  readonly idempotencyKey?: () => string;
}

/**
 * A typed client for keygate's HTTP API, needing nothing but `fetch`.
 *
 * ```ts
 * const keygate = new Keygate({ apiKey: process.env.KEYGATE_KEY!, baseUrl: 'http://localhost:3000' });
 * const created = await keygate.keys.create({ name: 'ci', expiresInDays: 30 });
 * for await (const key of keygate.keys.listAll()) console.log(key.id, key.name, key.status);
 * ```
 *
 * Every failure is a `KeygateError` (`status`, `code`, `message`, and `requestId`/`retryAfter`
 * when the answer had them); no answer at all is its subclass `KeygateConnectionError`.
 */
export class Keygate {
  /** The calling tenant's keys (`/v1/keys`). */
  readonly keys: Keys;
  /**
   * The tenant's plan, limits and quota use, and its requests over a window, default the last
   * 24 hours by hour (`/v1/usage`).
   */
  readonly usage: { get(query?: UsageQuery, options?: RequestOptions): Promise<Usage> };
  /** The calling key and its tenant (`/v1/me`). */
  readonly me: { get(options?: RequestOptions): Promise<Me> };
  /** The tenant's audit trail (`/v1/events`); a test key sees test-environment events only. */
  readonly events: {
    list(query?: ListEventsQuery, options?: RequestOptions): Promise<EventPage>;
    listAll(
      query?: Omit<ListEventsQuery, 'cursor'>,
      options?: RequestOptions,
    ): AsyncGenerator<KeygateEvent, void, undefined>;
  };
  /** The operator panel (`/v1/panel/*`), for `operator` keys only. */
  readonly panel: Panel;
  /** The calling member's session, when `apiKey` is a session token (`kgs_…`). */
  readonly session: {
    /** Ends the session (`DELETE /v1/session`); a key is refused (403). Converges: a 401 after an unseen success is done. */
    signOut(options?: RequestOptions): Promise<void>;
  };

  constructor(options: KeygateOptions) {
    const transport = new Transport(settingsOf(options));
    const get = <T>(
      path: string,
      query?: Readonly<Record<string, string | number | undefined>>,
      callOptions?: RequestOptions,
    ): Promise<T> =>
      transport.send<T>({
        method: 'GET',
        path,
        ...(query === undefined ? {} : { query }),
        safety: { kind: 'idempotent' },
        ...withOptions(callOptions),
      });
    this.keys = new Keys(transport, '/v1/keys');
    this.usage = { get: (query = {}, callOptions) => get<Usage>('/v1/usage', { ...query }, callOptions) };
    this.me = { get: (callOptions) => get<Me>('/v1/me', undefined, callOptions) };
    const listEvents = (query: ListEventsQuery = {}, callOptions?: RequestOptions) =>
      get<EventPage>('/v1/events', { ...query }, callOptions);
    this.events = {
      list: listEvents,
      listAll: (query = {}, callOptions) =>
        eachItem<KeygateEvent, ListEventsQuery>(query, (page) => listEvents(page, callOptions)),
    };
    this.panel = {
      tenants: new Tenants(transport),
      events: new PanelEvents(transport),
      usage: new PanelUsage(transport),
    };
    this.session = {
      signOut: (callOptions) =>
        transport.send<void>({
          method: 'DELETE',
          path: '/v1/session',
          // the desired state is "signed out": a 401 after an unseen success is that state.
          safety: {
            kind: 'converges',
            settle: async (refusal) => (refusal.code === 'unauthorized' ? { value: undefined } : undefined),
          },
          ...withOptions(callOptions),
        }),
    };
  }
}

/** Checks the options, failing with what was received and what is expected, and fills in defaults. */
function settingsOf(options: KeygateOptions): ConstructorParameters<typeof Transport>[0] {
  // the key's value is never put in a message: it is a secret.
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw new TypeError(
      `Keygate: apiKey must be a non-empty string (got ${options.apiKey === '' ? 'an empty string' : typeof options.apiKey})`,
    );
  }
  if (!URL.canParse(options.baseUrl) || !['http:', 'https:'].includes(new URL(options.baseUrl).protocol)) {
    throw new TypeError(
      `Keygate: baseUrl must be an absolute http(s) URL such as http://localhost:3000 (got ${JSON.stringify(options.baseUrl)})`,
    );
  }
  const whole = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 0)
      throw new TypeError(`Keygate: ${name} must be a whole number ≥ 0 (got ${value})`);
    return value;
  };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function')
    throw new TypeError('Keygate: no global fetch here (Node 18+ has one): pass options.fetch');
  return {
    apiKey: options.apiKey,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    // looked up on each call, so a fetch instrumented after the client was made is the one used.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    retry: {
      maxRetries: whole('maxRetries', options.maxRetries, DEFAULT_RETRY.maxRetries),
      initialDelayMs: whole('initialRetryDelayMs', options.initialRetryDelayMs, DEFAULT_RETRY.initialDelayMs),
      maxDelayMs: whole('maxRetryDelayMs', options.maxRetryDelayMs, DEFAULT_RETRY.maxDelayMs),
      maxRetryAfterMs: whole('maxRetryAfterMs', options.maxRetryAfterMs, DEFAULT_RETRY.maxRetryAfterMs),
    },
    timeoutMs: whole('timeoutMs', options.timeoutMs, 30_000),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    newIdempotencyKey: options.idempotencyKey ?? (() => globalThis.crypto.randomUUID()),
    headers: { ...options.headers },
  };
}
