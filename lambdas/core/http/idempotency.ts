import { createHash } from 'node:crypto';
import type { Clock } from '../support/clock';
import { conflict, invalidRequest } from './errors';
import { jsonResponse, type ApiRequest, type HttpResponse } from './http';
import { describeError, type Logger } from '../support/logger';

/** How long a first answer is replayed for. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/**
 * How long a claimed key stays claimed without an answer: longer than any create takes (the
 * Lambdas time out at 10 s); past it, the request that claimed it is taken to have died.
 */
export const IDEMPOTENCY_LOCK_MS = 30_000;
/** The header, as HTTP clients and Stripe spell it (header names are case-insensitive). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Marks an answer that is a replay of the first one. */
export const REPLAYED_HEADER = 'idempotent-replayed';
/** An `Idempotency-Key`: 1 to 255 printable ASCII characters, not starting with a space. */
export const KEY_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

/** What is stored under an idempotency key: never the plaintext of a key. */
export interface IdempotencyRecord {
  /** SHA-256 of the request (method, route, path parameters, body). */
  readonly fingerprint: string;
  readonly status: 'pending' | 'done';
  /** The first answer, without any plaintext key; present once `done`. */
  readonly response?: { readonly statusCode: number; readonly body: string };
}

/** Persistence for idempotency records; every write is conditional. */
export interface IdempotencyStore {
  /**
   * Claims `id` for a request with `fingerprint`, unless a record exists that has neither
   * expired nor (while `pending`) outlived its lock: then that record is returned instead.
   */
  claim(
    id: string,
    fingerprint: string,
    now: Date,
  ): Promise<{ readonly claimed: true } | { readonly claimed: false; readonly record: IdempotencyRecord }>;
  /** Stores the answer of a claimed request. */
  complete(id: string, fingerprint: string, response: { statusCode: number; body: string }): Promise<void>;
  /** Gives up a claim whose request failed, so that a retry runs it anew. */
  release(id: string, fingerprint: string): Promise<void>;
}

/** What {@link Idempotency} needs. */
export interface IdempotencyDeps {
  readonly store: IdempotencyStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a request waits for an identical one in progress. @default 5000 */
  readonly waitMs?: number;
  /** @default - a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * `Idempotency-Key` on creates: a dashboard that double-submits, or retries after a timeout,
 * gets the first answer instead of a second key.
 *
 * - The key is scoped to the calling API key (within the caller's tenant): another key that sends
 *   the same header starts afresh, so an answer is only ever replayed to the key that got it. The
 *   request's fingerprint is SHA-256 of its method, route, path parameters and body text.
 * - The caller is authorized before any replay: a replay never answers a request that, sent
 *   fresh, would be refused. The same key and request within 24 h replay the first
 *   answer (same status and record, header `Idempotent-Replayed: true`); the same key with another
 *   request is 409 `conflict`.
 * - The replay never carries the plaintext key: it is shown once, in the first answer, and is
 *   not stored anywhere (the stored answer has it removed), so a replay is the record alone.
 * - Two identical requests at once: one claims the key (a conditional put) and runs; the other
 *   waits up to `waitMs` for its answer and replays it, or answers 409 `conflict` ("in progress").
 * - A request that fails releases its claim, so a retry runs anew; errors are not replayed.
 */
export class Idempotency {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: IdempotencyDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Runs `create` once per idempotency key of `scope` (the caller's tenant) and calling key, or
   * without any of this when the request has no `Idempotency-Key` header. Validate the body
   * before calling, so that a 400 never claims a key.
   *
   * @param authorize - refuses (throws) what the caller may not do, as `create` would; run before
   *   a key is claimed or an answer replayed. @default - nothing beyond the scope.
   */
  async run(
    request: ApiRequest,
    scope: string,
    create: () => Promise<HttpResponse>,
    authorize?: () => Promise<void>,
  ): Promise<HttpResponse> {
    const header = request.headers?.[IDEMPOTENCY_HEADER];
    if (header === undefined) return create();
    if (!KEY_PATTERN.test(header)) throw invalidRequest('Idempotency-Key: must be 1 to 255 printable ASCII characters');
    if (authorize !== undefined) await authorize();
    const id = sha256(`${scope}\n${request.caller.keyId}\n${header}`);
    const fingerprint = sha256(
      JSON.stringify([request.method, request.resource, request.pathParameters, request.body ?? '']),
    );
    const deadline = this.deps.clock().getTime() + (this.deps.waitMs ?? 5_000);
    for (let round = 0; ; round += 1) {
      const claim = await this.deps.store.claim(id, fingerprint, this.deps.clock());
      if (claim.claimed) return this.runClaimed(id, fingerprint, create);
      const { record } = claim;
      if (record.fingerprint !== fingerprint) {
        throw conflict(
          'this Idempotency-Key was used for a different request in the last 24 hours; use a new key for a new request',
        );
      }
      if (record.status === 'done' && record.response !== undefined) {
        const replay = jsonResponse(record.response.statusCode);
        return { ...replay, headers: { ...replay.headers, [REPLAYED_HEADER]: 'true' }, body: record.response.body };
      }
      if (this.deps.clock().getTime() >= deadline) {
        throw conflict('a request with this Idempotency-Key is still in progress; retry in a few seconds');
      }
      await this.sleep(Math.min(50 * (round + 1), 250));
    }
  }

  private async runClaimed(
    id: string,
    fingerprint: string,
    create: () => Promise<HttpResponse>,
  ): Promise<HttpResponse> {
    let response: HttpResponse;
    try {
      response = await create();
    } catch (error) {
      await this.deps.store.release(id, fingerprint).catch((cause: unknown) => {
        // the claim lapses after its lock anyway.
        this.deps.logger.warn('could not release an idempotency key', describeError(cause));
      });
      throw error;
    }
    try {
      await this.deps.store.complete(id, fingerprint, {
        statusCode: response.statusCode,
        body: JSON.stringify(withoutPlaintext(JSON.parse(response.body))),
      });
    } catch (error) {
      // the key exists and its plaintext is in this answer: it must reach the caller. a retry
      // after the lock lapses would create again; logged so it can be seen.
      this.deps.logger.error('could not store an idempotent answer', describeError(error));
    }
    return response;
  }
}

/**
 * An answer with the plaintext key taken out: a key record's `key`, the `key` of the first
 * key in a tenant creation's answer, or a session's `token`.
 */
export function withoutPlaintext(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if (typeof copy.key === 'string') delete copy.key;
  // a session's token, shown once like a key.
  if (typeof copy.token === 'string') delete copy.token;
  else if (typeof copy.key === 'object' && copy.key !== null) copy.key = withoutPlaintext(copy.key);
  return copy;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** When a record made at `now` stops being replayed, and when its claim lapses. */
export function idempotencyTimes(now: Date): { expiresAt: string; ttl: number; lockedUntil: string } {
  const expires = now.getTime() + IDEMPOTENCY_TTL_MS;
  return {
    expiresAt: new Date(expires).toISOString(),
    ttl: Math.ceil(expires / 1000),
    lockedUntil: new Date(now.getTime() + IDEMPOTENCY_LOCK_MS).toISOString(),
  };
}
