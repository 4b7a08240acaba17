import { KeygateConnectionError, KeygateError, KeygateReplayError } from './errors';
import { backoffMs, isAmbiguousStatus, parseRetryAfter, RETRYABLE_STATUSES, type RetrySettings } from './retry';

/** The part of `fetch` the client uses: the global one, or any with its signature. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Options every call takes. */
export interface RequestOptions {
  /** Aborts the call, retries and waits included; it then fails with code `aborted`. */
  readonly signal?: AbortSignal;
  /** Overrides the client's `maxRetries` for this call. */
  readonly maxRetries?: number;
  /** Overrides the client's `timeoutMs` (per attempt) for this call. */
  readonly timeoutMs?: number;
}

/** Options of calls that create something: a key, a rotation's new key, a tenant. */
export interface CreateOptions extends RequestOptions {
  /**
   * The `Idempotency-Key` header, which makes retrying a creation safe: the server answers a
   * repeat within 24 h with the first answer instead of creating again (Stripe's scheme).
   * Give your own (1–255 printable ASCII characters) to make a creation safe across processes,
   * e.g. a form's submission id; `false` sends none, and the call is then never retried.
   * @default - a new random UUID for each call, shared by its retries
   */
  readonly idempotencyKey?: string | false;
}

/** How the client talks HTTP; built by `Keygate` from its options. */
export interface TransportSettings {
  readonly apiKey: string;
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly retry: RetrySettings;
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
  readonly newIdempotencyKey: () => string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Why repeating a call is safe, which decides whether it is retried:
 * - `idempotent`: sending it twice has the effect of sending it once (GET; PATCH and PUT set values).
 * - `idempotency-key`: a creation, safe to repeat only under an `Idempotency-Key`.
 * - `converges`: a state change (revoke, enable, suspend, resume, delete) the server refuses
 *   when already done (409, or 404 after a delete). When an earlier attempt may have taken
 *   effect unseen, `settle` is given the refusal and returns `{ value }`, the call's result, if
 *   the desired state holds, or `undefined` to let the refusal stand.
 */
export type Safety<T> =
  | { readonly kind: 'idempotent' }
  | { readonly kind: 'idempotency-key' }
  | {
      readonly kind: 'converges';
      readonly settle: (refusal: KeygateError) => Promise<{ readonly value: T } | undefined>;
    };

/** One call of the API. */
export interface Call<T> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path with its parameters already encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly safety: Safety<T>;
  /** A creation's options may carry `idempotencyKey`; it is read only for `idempotency-key` calls. */
  readonly options?: CreateOptions;
  /** For creations: where the answer carries the new key, to spot a replay without its plaintext. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each caller knows its answer's shape; the transport does not.
  readonly plaintext?: (body: any) => { readonly id?: string; readonly key?: unknown } | undefined;
}

/** Sends calls with authentication, retries and the contract's error mapping. */
export class Transport {
  // an ES private field: unlike a TypeScript `private`, util.inspect and console.log never show it.
  readonly #authorization: string;
  private readonly settings: Omit<TransportSettings, 'apiKey'>;

  constructor({ apiKey, ...settings }: TransportSettings) {
    this.#authorization = `Bearer ${apiKey}`;
    this.settings = settings;
  }

  /** `encodeURIComponent` for one path segment, so an id can never reach another route. */
  static segment(value: string): string {
    return encodeURIComponent(value);
  }

  /** Sends `call`, retrying as its {@link Safety} allows; resolves with the parsed body (`undefined` for 204). */
  async send<T>(call: Call<T>): Promise<T> {
    const { settings } = this;
    const options: CreateOptions = call.options ?? {};
    const idempotencyKey =
      call.safety.kind !== 'idempotency-key' || options.idempotencyKey === false
        ? undefined
        : (options.idempotencyKey ?? settings.newIdempotencyKey());
    const retryable = call.safety.kind !== 'idempotency-key' || idempotencyKey !== undefined;
    const maxRetries = retryable ? (options.maxRetries ?? settings.retry.maxRetries) : 0;
    const request = this.build(call, idempotencyKey);
    // set once an attempt failed in a way that may have changed something on the server.
    let ambiguous = false;
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attempt(request, options, attempt);
      if (outcome.kind === 'ok') return this.result(call, outcome.response, outcome.text, attempt);
      const error = outcome.error;
      const retryAfterMs = error.retryAfter === undefined ? undefined : error.retryAfter * 1000;
      const tooLong = retryAfterMs !== undefined && retryAfterMs > settings.retry.maxRetryAfterMs;
      if (outcome.retryable && attempt <= maxRetries && !tooLong) {
        ambiguous ||= outcome.ambiguous;
        await this.pause(backoffMs(attempt, settings.retry, settings.random(), retryAfterMs), options.signal, attempt);
        continue;
      }
      if (ambiguous && call.safety.kind === 'converges' && error.status !== 0) {
        const settled = await call.safety.settle(error);
        if (settled !== undefined) return settled.value;
      }
      throw error;
    }
  }

  private build(call: Call<unknown>, idempotencyKey: string | undefined): { url: string; init: RequestInit } {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {}))
      if (value !== undefined) query.set(name, String(value));
    const search = query.size === 0 ? '' : `?${query.toString()}`;
    const headers: Record<string, string> = {
      ...this.settings.headers,
      accept: 'application/json',
      authorization: this.#authorization,
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    return {
      url: `${this.settings.baseUrl}${call.path}${search}`,
      init: { method: call.method, headers, ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }) },
    };
  }

  private async attempt(
    request: { url: string; init: RequestInit },
    options: RequestOptions,
    attempt: number,
  ): Promise<
    | { kind: 'ok'; response: Response; text: string }
    | { kind: 'failed'; error: KeygateError; retryable: boolean; ambiguous: boolean }
  > {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.settings.timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    let response: Response;
    let text: string;
    try {
      response = await this.settings.fetch(request.url, { ...request.init, signal });
      text = await response.text();
    } catch (cause) {
      if (options.signal?.aborted) throw aborted(attempt, cause);
      const timedOut = timeout.aborted;
      const error = new KeygateConnectionError({
        code: timedOut ? 'timeout' : 'connection_error',
        message: timedOut
          ? `no answer from keygate within ${options.timeoutMs ?? this.settings.timeoutMs} ms (${request.init.method} ${pathOf(request.url)})`
          : `could not reach keygate (${request.init.method} ${pathOf(request.url)}): ${describe(cause)}`,
        attempts: attempt,
        cause,
      });
      // the request may have reached the server before the connection failed.
      return { kind: 'failed', error, retryable: true, ambiguous: true };
    }
    if (response.ok) return { kind: 'ok', response, text };
    const error = errorOf(response, text, this.settings.now(), attempt);
    return {
      kind: 'failed',
      error,
      retryable: RETRYABLE_STATUSES.has(response.status),
      ambiguous: isAmbiguousStatus(response.status),
    };
  }

  private result<T>(call: Call<T>, response: Response, text: string, attempt: number): T {
    if (response.status === 204 || text === '') return undefined as T;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      throw new KeygateError({
        status: response.status,
        code: 'invalid_response',
        message: `keygate answered ${response.status} with a body that is not JSON`,
        attempts: attempt,
        cause,
        ...requestIdOf(response),
      });
    }
    const created = call.plaintext?.(body);
    if (
      created !== undefined &&
      typeof created.key !== 'string' &&
      response.headers.get('idempotent-replayed') === 'true'
    ) {
      throw new KeygateReplayError({
        status: response.status,
        record: body,
        keyId: created.id,
        attempts: attempt,
        ...requestIdOf(response),
      });
    }
    return body as T;
  }

  private async pause(ms: number, signal: AbortSignal | undefined, attempt: number): Promise<void> {
    if (signal?.aborted) throw aborted(attempt, signal.reason);
    await this.settings.sleep(ms);
    if (signal?.aborted) throw aborted(attempt, signal.reason);
  }
}

/** The contract's error from an error answer, or `invalid_response` when it is not in that shape. */
function errorOf(response: Response, text: string, nowMs: number, attempts: number): KeygateError {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  const common = {
    status: response.status,
    attempts,
    ...requestIdOf(response),
    ...(retryAfterMs === undefined ? {} : { retryAfter: Math.ceil(retryAfterMs / 1000) }),
  };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string')
    return new KeygateError({ ...common, code: error.code, message: error.message });
  // e.g. a proxy's HTML page in front of keygate: its text is not repeated, it may be long.
  return new KeygateError({
    ...common,
    code: 'invalid_response',
    message: `keygate answered ${response.status} ${response.statusText} without an error in the contract's shape`,
  });
}

function requestIdOf(response: Response): { requestId?: string } {
  const id = response.headers.get('x-amzn-requestid') ?? response.headers.get('x-request-id');
  return id === null ? {} : { requestId: id };
}

function aborted(attempts: number, cause: unknown): KeygateConnectionError {
  return new KeygateConnectionError({ code: 'aborted', message: 'the call was aborted', attempts, cause });
}

/** The URL's path: the base URL may carry credentials of a proxy; the query is left out too. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '?';
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  // undici says "fetch failed" and keeps the reason (ECONNREFUSED, ...) in its cause.
  return inner instanceof Error
    ? `${cause.message} (${(inner as { code?: string }).code ?? inner.message})`
    : cause.message;
}
