import { Keygate, KeygateError, type KeygateOptions } from 'keygate/client';
import { leakScan } from './leak-scan';

/** What a scanned fetch saw: one entry per request, `METHOD path status`. */
export type Exchanges = string[];

/**
 * The global fetch, with every answer fed to the file's leak scan exactly as `call` feeds it
 * (test/support/local.ts), and each exchange recorded in `seen`.
 */
export function scannedFetch(seen: Exchanges = []): NonNullable<KeygateOptions['fetch']> {
  return async (url, init) => {
    const response = await fetch(url, init);
    const text = await response.clone().text();
    const headers = (init.headers ?? {}) as Record<string, string>;
    const method = init.method ?? 'GET';
    const path = new URL(url).pathname;
    seen.push(`${method} ${path} ${response.status}`);
    leakScan.response(
      `${method} ${path} ${response.status}`,
      method,
      headers.authorization,
      `${JSON.stringify([...response.headers])}\n${text}`,
    );
    return response;
  };
}

/**
 * A client of the local gateway at `url` calling with `apiKey`, its answers leak-scanned. It does
 * not retry unless `options.maxRetries` says so: a test expects each answer it asserts on.
 */
export function clientOf(
  url: string,
  apiKey: string,
  options: Partial<KeygateOptions> & { seen?: Exchanges } = {},
): Keygate {
  const { seen, ...rest } = options;
  return new Keygate({ apiKey, baseUrl: url, fetch: scannedFetch(seen), maxRetries: 0, ...rest });
}

/** The `KeygateError` a call fails with; anything else (or success) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<KeygateError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (outcome instanceof KeygateError) return outcome;
  throw new Error(`expected a KeygateError, got ${outcome === undefined ? 'success' : String(outcome)}`);
}
