import { Keygate, type KeygateOptions } from 'keygate/client';
import { instant } from '../support/time';

/** What a fake fetch answers next: an answer, a thrown error, or a function of the request. */
export type Step = Response | Error | ((url: string, init: RequestInit) => Promise<Response>);

/** A recorded request, headers flattened to lower-case names. */
export interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A JSON answer. */
export function json(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** The contract's error answer. */
export function apiError(
  status: number,
  code: string,
  message = `${code} happened`,
  headers: Record<string, string> = {},
): Response {
  return json(status, { error: { code, message } }, headers);
}

/** A network failure as Node's fetch (undici) throws it. */
export function networkError(): Error {
  return Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
  });
}

/** An API key in keygate's format; made up, it reaches no server. */
export const API_KEY = `sk_live_${'ab12'.repeat(18)}`;

/**
 * A client over a scripted fetch: each request takes the next step, and is recorded in `sent`;
 * `sleeps` records every wait instead of waiting. Jitter is fixed at `random` (0.5 unless given).
 */
export function scripted(steps: Step[], options: Partial<KeygateOptions> = {}) {
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  let ids = 0;
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    sent.push({
      method: init.method ?? 'GET',
      url,
      headers,
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const step = steps.shift();
    if (step === undefined) throw new Error(`unexpected request ${init.method} ${url}`);
    if (step instanceof Error) throw step;
    return typeof step === 'function' ? step(url, init) : step;
  };
  const client = new Keygate({
    apiKey: API_KEY,
    baseUrl: 'https://api.example.com/prod/',
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    idempotencyKey: () => `idem-${(ids += 1)}`,
    ...options,
  });
  return { client, sent, sleeps, left: () => steps.length };
}

/** A key record as the API answers it. */
export function keyRecord(fields: Record<string, unknown> = {}) {
  return {
    id: 'key_0123456789abcdef01234567',
    name: 'ci',
    environment: 'live',
    role: 'developer',
    status: 'active',
    last4: 'ab12',
    createdAt: instant(0, '10:00'),
    expiresAt: null,
    lastUsedAt: null,
    ...fields,
  };
}
