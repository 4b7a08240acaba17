/** How {@link withBackoff} retries. */
export interface BackoffOptions {
  /** Tries in all, the first included. @default 6 */
  readonly attempts?: number;
  /** The first wait; each next one doubles, with full jitter. @default 200 ms */
  readonly baseMs?: number;
  /** @default - {@link sleep}, a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/**
 * Runs a call, retrying it with exponential backoff and full jitter while it fails with an error
 * that `retryable` accepts (e.g. API Gateway's `TooManyRequestsException`: `CreateApiKey` is
 * limited to about 5 calls per second per account).
 */
export async function withBackoff<T>(
  call: () => Promise<T>,
  retryable: (error: unknown) => boolean,
  options: BackoffOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const baseMs = options.baseMs ?? 200;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      await wait(Math.round(random() * baseMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Waits `ms` on a real timer: the default of every injected `sleep`, so tests pass their own and
 * nothing in the core waits on a timer it was not handed.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((done) => setTimeout(done, ms));
}
